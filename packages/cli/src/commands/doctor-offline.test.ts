import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type AttestationSandbox, type RecordedRequest, startAttestationSandbox } from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { runCli } from './testing/run-cli.js';

// doctor is often run offline. Each service it asks (Packagist, its OIDC exchange, Private Packagist,
// the GitHub API, the CI's token service) is asked once and briefly, and a row whose service never
// answered says `offline?` — instead of waiting out a release's retries (about 7 s per service).
// "Once" is counted by the stand-ins (every attempt they received), never by the wall clock.

let key: TestKey;
let fixture: PackagistFixture;
let services: AttestationSandbox;

beforeAll(async () => {
  key = await generateTestKey('ed25519');
});

afterEach(async () => {
  await services?.close();
  await fixture?.cleanup();
});

/** A loopback port nothing listens on (connections are refused). */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Every request of a stand-in that hangs up never answers (longer than doctor waits). */
const NEVER_ANSWER = { path: /.*/, fault: { hangMs: 60_000 }, times: 100 } as const;

/** The sandboxes, a GitHub Actions release job of acme/hello, and doctor's config (with `overrides`). */
async function start(overrides: { attest?: Record<string, unknown>; packagist?: Record<string, unknown> } = {}) {
  services = await startAttestationSandbox();
  fixture = await startPackagistFixture({
    tags: [],
    sandbox: { offerOidcExchange: { issuers: [services.githubIssuer] } },
  });
  fixture.packagist.addTrustedPublisher({ package: 'acme/hello', repository: 'acme/hello', workflow: 'release.yml' });
  services.github.addRepository('acme/hello');
  await writeFile(
    join(fixture.repo.dir, 'phpublish.config.json'),
    JSON.stringify({
      // One second per attempt keeps the silent-server cases short; doctor's own cap is 5 s.
      attest: { githubApiUrl: services.github.url, requestTimeout: 1, ...overrides.attest },
      packagist: {
        url: fixture.packagist.url,
        repoUrl: fixture.packagist.url,
        repositoryUrl: REPOSITORY_URL,
        requestTimeout: 1,
        ...overrides.packagist,
      },
    }),
  );
}

function env(overrides: Record<string, string> = {}): Record<string, string> {
  const job = services.githubIssuer.gitHubActionsJob({ repository: 'acme/hello', sha: fixture.repo.head });
  return {
    ...gitEnv(),
    ...job.env,
    GITHUB_API_URL: services.github.url,
    GITHUB_TOKEN: services.github.issueToken('acme/hello', { contents: 'write', attestations: 'write' }),
    PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
    PACKAGIST_USERNAME: 'alice',
    PACKAGIST_API_TOKEN: fixture.alice.safeToken,
    ...overrides,
  };
}

interface Row {
  area: string;
  status: string;
  detail: string;
  codes: string[];
  offline?: boolean;
}

async function doctor(environment: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  onTestFailed(() => console.error(`stdout:\n${stdout}\nstderr:\n${stderr}`));
  const cli = await runCli(['doctor', '--json'], { cwd: fixture.repo.dir, env: environment });
  ({ stdout, stderr } = cli);
  const code = cli.code;
  // Not one retry: the release's retry notices ("retrying in 1 s") never appear.
  expect(stderr).not.toContain('retrying in');
  return { code, rows: JSON.parse(stdout) as Row[] };
}

/** The same request twice would be a retry: each request a stand-in received is distinct. */
function expectEachAskedOnce(requests: readonly RecordedRequest[]): void {
  const asked = requests.map((r) => `${r.method} ${r.url}`);
  expect(asked.length).toBeGreaterThan(0);
  expect(asked).toEqual([...new Set(asked)]);
}

function expectOfflineRow(rows: Row[], area: string, code: string): Row {
  const row = rows.find((r) => r.area === area);
  expect(row).toMatchObject({ status: 'problem', offline: true, codes: expect.arrayContaining([code]) });
  expect(row?.detail).toContain(`offline? ${code}: `);
  return row!;
}

describe('phpublish doctor, offline', () => {
  describe('when every service answers', () => {
    it('says nothing of being offline', async () => {
      await start();
      const { rows } = await doctor(env());
      expect(rows.filter((r) => r.offline || r.detail.includes('offline?'))).toEqual([]);
    });
  });

  describe('when Packagist is on a closed port', () => {
    it('tries once and says offline? with PACKAGIST_UNREACHABLE', async () => {
      await start({ packagist: { url: await closedPort(), repoUrl: await closedPort() } });
      const { code, rows } = await doctor(env());
      expect(code).toBe(EXIT.failed);
      const row = expectOfflineRow(rows, 'Packagist', 'PACKAGIST_UNREACHABLE');
      expect(row.detail).toContain('after 1 attempt: connection refused');
    });
  });

  describe('when Packagist never answers', () => {
    it('asks each URL once, gives up after the timeout, and says offline?', async () => {
      await start();
      fixture.packagist.injectFault(NEVER_ANSWER);
      const { code, rows } = await doctor(env());
      expect(code).toBe(EXIT.failed);
      const row = expectOfflineRow(rows, 'Packagist', 'PACKAGIST_UNREACHABLE');
      expect(row.detail).toContain('no answer within 1 s');
      expectEachAskedOnce(fixture.packagist.requests);
    });

    it('caps a long packagist.requestTimeout to a brief one', async () => {
      await start({ packagist: { requestTimeout: 600 } });
      fixture.packagist.injectFault(NEVER_ANSWER);
      const { rows } = await doctor(env());
      expect(expectOfflineRow(rows, 'Packagist', 'PACKAGIST_UNREACHABLE').detail).toContain('no answer within 5 s');
      expectEachAskedOnce(fixture.packagist.requests);
    });
  });

  describe('when Packagist’s OIDC exchange never answers (packagist.oidc: required)', () => {
    it('asks once and says offline? with PACKAGIST_OIDC_NOT_OFFERED', async () => {
      await start({ packagist: { oidc: 'required' } });
      fixture.packagist.injectFault({ ...NEVER_ANSWER, path: /^\/api\/oidc\// });
      const { rows } = await doctor(env());
      expectOfflineRow(rows, 'Packagist', 'PACKAGIST_OIDC_NOT_OFFERED');
      expectEachAskedOnce(fixture.packagist.requests);
    });
  });

  describe('when the CI’s token service never answers (packagist.oidc: required)', () => {
    it('asks once and says offline? with PACKAGIST_OIDC_NO_CI_TOKEN', async () => {
      await start({ packagist: { oidc: 'required' } });
      services.githubIssuer.injectFault(NEVER_ANSWER);
      const { rows } = await doctor(env());
      expectOfflineRow(rows, 'Packagist', 'PACKAGIST_OIDC_NO_CI_TOKEN');
      expectEachAskedOnce(services.githubIssuer.requests);
    });

    it('says the same for a token service on a closed port', async () => {
      await start({ packagist: { oidc: 'required' } });
      const url = `${await closedPort()}/_apis/idtoken?api-version=2.0`;
      const { rows } = await doctor(env({ ACTIONS_ID_TOKEN_REQUEST_URL: url }));
      expect(expectOfflineRow(rows, 'Packagist', 'PACKAGIST_OIDC_NO_CI_TOKEN').detail).toContain('connection refused');
    });
  });

  describe('when the GitHub API never answers', () => {
    it('asks each URL once and says offline? in the Attestation row', async () => {
      await start();
      services.github.injectFault(NEVER_ANSWER);
      const { code, rows } = await doctor(env());
      expect(code).toBe(EXIT.failed);
      expectOfflineRow(rows, 'Attestation', 'ATTEST_STORE_FAILED');
      expectEachAskedOnce(services.github.requests);
    });

    it('says the same for a GitHub API on a closed port', async () => {
      const closed = await closedPort();
      await start({ attest: { githubApiUrl: closed } });
      const { rows } = await doctor(env({ GITHUB_API_URL: closed }));
      expect(expectOfflineRow(rows, 'Attestation', 'ATTEST_STORE_FAILED').detail).toContain('connection refused');
    });
  });

  describe('when Private Packagist never answers (packagist.mode: private-packagist)', () => {
    it('asks each URL once and says offline? with PRIVATE_PACKAGIST_UNREACHABLE', async () => {
      await start();
      // The sandbox Packagist, silenced, stands in for an organisation's Private Packagist.
      const silent = fixture.packagist.url;
      await writeFile(
        join(fixture.repo.dir, 'phpublish.config.json'),
        JSON.stringify({
          attest: { enabled: false },
          packagist: {
            mode: 'private-packagist',
            requestTimeout: 1,
            repositoryUrl: REPOSITORY_URL,
            privatePackagist: { organization: 'acme', url: silent, repositoryUrl: `${silent}/acme` },
          },
        }),
      );
      fixture.packagist.injectFault(NEVER_ANSWER);
      const { rows } = await doctor(env());
      expectOfflineRow(rows, 'Packagist', 'PRIVATE_PACKAGIST_UNREACHABLE');
      expectEachAskedOnce(fixture.packagist.requests);
    });
  });
});
