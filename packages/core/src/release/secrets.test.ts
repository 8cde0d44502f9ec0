import { type PackagistFixture, REPOSITORY_URL as REPO_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtualClock } from '../clock.js';
import { memoryLogger } from '../log/index.js';
import { createReleaseContext } from './context.js';
import { notifyPackagist } from './notify-packagist.js';
import { preflight } from './preflight.js';

/**
 * Every secret that appears in this suite, and every place a secret could escape to: log lines,
 * error messages (with their remedies, details, stacks and causes) and the URLs of requests the
 * sandbox received. One test at the end checks them all.
 */
const GIT_TOKEN = 'ghs_GitTokenThatMustNeverLeak0123456789';
const HOST_URL = `https://x-access-token:${GIT_TOKEN}@github.com/acme/hello.git`;

const secrets = new Set<string>([GIT_TOKEN]);
const logLines: string[] = [];
const errorTexts: string[] = [];
const requestUrls: string[] = [];

let fixture: PackagistFixture;
let repo: PackagistFixture['repo'];
let agent: Agent;

beforeAll(async () => {
  fixture = await startPackagistFixture();
  repo = fixture.repo;
  for (const user of [fixture.alice, fixture.bob]) {
    secrets.add(fixture.alice.safeToken);
    secrets.add(user.mainToken);
  }
  agent = new Agent();
});

afterAll(async () => {
  await agent.close();
  await fixture.cleanup();
});

function collectError(error: unknown): void {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && !seen.has(current)) {
    seen.add(current);
    const e = current as Error & { format?: () => string; details?: string; remedy?: string; errors?: unknown[] };
    errorTexts.push(String(e.message), String(e.stack), e.format?.() ?? '', e.details ?? '', e.remedy ?? '');
    for (const inner of e.errors ?? []) collectError(inner);
    current = e.cause;
  }
}

async function scenario(env: Record<string, string>, options: Record<string, unknown>, commit?: string): Promise<void> {
  const logger = memoryLogger();
  try {
    const context = createReleaseContext({
      cwd: repo.dir,
      env,
      logger,
      clock: virtualClock({ realTimeScale: 0.01 }),
      dispatcher: agent,
      options: {
        attest: { enabled: false },
        packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, confirm: { timeout: 20 }, ...options },
      },
    });
    const { target } = await preflight(context, { hostRepositoryUrl: HOST_URL });
    await notifyPackagist(context, target, { version: 'v1.0.0', commit: commit ?? repo.head });
  } catch (error) {
    collectError(error);
  } finally {
    logLines.push(...logger.lines);
  }
}

describe('secrets', () => {
  const creds = () => ({ PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: fixture.alice.safeToken });

  it('runs the failure scenarios', async () => {
    const wrongToken = 'e'.repeat(40);
    secrets.add(wrongToken);
    await scenario({ PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: wrongToken }, {}); // 403
    fixture.packagist.injectFault({ path: '/api/update-package', times: 4, fault: { status: 503, body: 'down' } });
    await scenario(creds(), {}); // 5xx until giving up
    fixture.packagist.injectFault({ path: '/api/update-package', times: 4, fault: { reset: true } });
    await scenario(creds(), {}); // resets
    fixture.packagist.injectFault({
      path: '/api/update-package',
      fault: { status: 406, body: '{"status":"error","message":"Missing payload parameter"}' },
    });
    await scenario(creds(), {});
    await scenario(creds(), { mode: 'token', createIfMissing: true, packageName: 'acme/unknown' });
    const malformed = 'glpat-NotAPackagistTokenAtAll000000';
    secrets.add(malformed);
    await scenario({ PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: malformed }, { colour: 'x' });
    await scenario(creds(), { mode: 'github-app' }); // confirm timeout
    expect(errorTexts.length).toBeGreaterThan(10);
  });

  it('runs the success scenario and a re-run', async () => {
    const errorsBefore = errorTexts.length;
    await scenario(creds(), {});
    await scenario(creds(), {});
    expect(errorTexts.slice(errorsBefore)).toEqual([]);
    expect(logLines.some((l) => /Packagist (already )?serves acme\/hello v1\.0\.0/.test(l))).toBe(true);
  });

  it('never let a secret reach a log line, an error or a request URL', () => {
    requestUrls.push(...fixture.packagist.requests.map((r) => r.url));
    expect(requestUrls.length).toBeGreaterThan(10);
    // Bodies carry the repository URL: it must be the credential-free one.
    const requestBodies = fixture.packagist.requests.map((r) => r.body);
    expect(requestBodies).toContain(JSON.stringify({ repository: REPO_URL }));
    const haystacks = { logLines, errorTexts, requestUrls, requestBodies };
    for (const [where, texts] of Object.entries(haystacks)) {
      for (const secret of secrets) {
        const leaks = texts.filter((t) => t.includes(secret));
        expect(leaks, `${where} contain a secret`).toEqual([]);
      }
    }
  });
});
