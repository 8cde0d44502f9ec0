import { type SandboxOidcIssuer, secretsInRequestUrls, startSandboxOidcIssuer } from '@phpublish/sandbox';
import { type PackagistFixture, startPackagistFixture } from '@phpublish/testing/packagist';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { virtualClock } from '../clock.js';
import { memoryLogger } from '../log/index.js';
import { createReleaseContext } from '../release/context.js';
import type { PackagistOutcome } from '../release/notify-packagist.js';
import { notifyPackagist } from '../release/notify-packagist.js';
import { postureRows } from '../release/posture.js';
import { preflight } from '../release/preflight.js';
import { PACKAGIST_ID_TOKEN_VARIABLE, preflightPackagistOidc } from './oidc.js';

let issuer: SandboxOidcIssuer;
let fixture: PackagistFixture;
/** What the test started, to stop after it. */
let started: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  issuer = await startSandboxOidcIssuer();
});
afterAll(async () => {
  await issuer.close();
});
afterEach(async () => {
  for (const thing of started.reverse()) await thing.close();
  started = [];
});

interface Setup {
  /** Whether the sandbox Packagist offers the exchange (with acme/hello's trusted publisher registered). */
  offered?: boolean;
  ci?: 'github' | 'github-without-id-token' | 'gitlab' | 'none';
  /** The long-lived token in the environment too (the SAFE one), or not at all. */
  token?: boolean;
  packagist?: Record<string, unknown>;
  publisher?: { repository: string; workflow: string; environment?: string };
}

async function setup(options: Setup = {}) {
  fixture = await startPackagistFixture({
    sandbox: options.offered === false ? {} : { offerOidcExchange: { issuers: [issuer] } },
  });
  started.push({ close: fixture.cleanup });
  if (options.offered !== false) {
    fixture.packagist.addTrustedPublisher({
      package: 'acme/hello',
      ...(options.publisher ?? { repository: 'acme/hello', workflow: 'release.yml' }),
    });
  }
  const agent = new Agent();
  started.push(agent);
  const ci = options.ci ?? 'github';
  let env: Record<string, string> = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/hello' };
  if (ci === 'github' || ci === 'github-without-id-token') {
    env = { ...env, ...issuer.gitHubActionsJob({ repository: 'acme/hello' }).env };
    if (ci === 'github-without-id-token') {
      delete env['ACTIONS_ID_TOKEN_REQUEST_URL'];
      delete env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
    }
  }
  if (ci === 'gitlab') {
    const audience = fixture.packagist.oidcAudience ?? 'none';
    env = {
      ...issuer.gitLabCiJob({ projectPath: 'acme/hello' }, { variable: PACKAGIST_ID_TOKEN_VARIABLE, audience }).env,
      // The package's repository is on GitHub; the release runs in GitLab CI (a mirror).
      CI_PROJECT_URL: 'https://github.com/acme/hello',
    };
  }
  if (options.token) {
    env['PACKAGIST_USERNAME'] = 'alice';
    env['PACKAGIST_API_TOKEN'] = fixture.alice.safeToken;
  }
  const logger = memoryLogger();
  const context = createReleaseContext({
    cwd: fixture.repo.dir,
    env,
    logger,
    clock: virtualClock({ startMs: Date.now(), realTimeScale: 0.01 }),
    dispatcher: agent,
    options: {
      attest: { enabled: false },
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, ...options.packagist },
    },
  });
  const release = async () => {
    const { target } = await preflight(context);
    return notifyPackagist(context, target, { version: 'v1.0.0', commit: fixture.repo.head });
  };
  /** The error of a release, whether the preflight caught it (alone) or notification did. */
  const failure = async () => {
    const error = await release().then(
      () => undefined,
      (e: unknown) => e as Error & { code: string; format(): string; errors?: unknown[] },
    );
    expect(error).toBeDefined();
    if (error instanceof AggregateError) {
      expect(error.errors).toHaveLength(1);
      return error.errors[0] as Error & { code: string; format(): string };
    }
    return error!;
  };
  const log = () => logger.lines.join('\n');
  const checkFirst = async () =>
    (await preflightPackagistOidc({ ...context, options: context.config.options.packagist })).map((e) => e.code);
  return { context, logger, log, release, failure, env, checkFirst };
}

/** The posture table's row that says which credential Packagist got. */
const notificationRow = (packagist: PackagistOutcome) =>
  postureRows({ packageName: 'acme/hello', version: 'v1.0.0', commit: fixture.repo.head, packagist }).find(
    (row) => row.layer === 'Packagist notification',
  );

const requestsTo = (path: string, method = 'POST') =>
  fixture.packagist.requests.filter((r) => r.method === method && r.url === path);

/** No secret of any kind in what phpublish said or where it sent it. */
function expectNoSecretIn(text: string, env: Record<string, string>) {
  expect(text).not.toMatch(/pkgtp_/);
  expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  for (const name of ['PACKAGIST_API_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', PACKAGIST_ID_TOKEN_VARIABLE]) {
    if (env[name]) expect(text).not.toContain(env[name]);
  }
  expect(secretsInRequestUrls()).toEqual([]);
}

describe('when Packagist offers the OIDC token exchange (packagist.oidc: auto)', () => {
  it('publishes from GitHub Actions with OIDC only, no token anywhere in the environment', async () => {
    const { release, log, env } = await setup();
    expect(env['PACKAGIST_API_TOKEN']).toBeUndefined();
    const outcome = await release();
    expect(outcome).toMatchObject({
      notified: 'update-package',
      confirmation: 'served',
      credential: 'oidc',
      oidcOffered: true,
    });
    expect(requestsTo('/api/oidc/exchange')).toHaveLength(1);
    expect(requestsTo('/api/update-package')).toHaveLength(1);
    expect(log()).toContain('short-lived credential from the OIDC token exchange');
    expect(log()).not.toContain('deprecated');
    expectNoSecretIn(log(), env);
    expect(notificationRow(outcome)).toEqual({
      layer: 'Packagist notification',
      status: 'protected',
      detail: 'update-package with a short-lived OIDC credential (trusted publishing: no stored secret)',
    });
  });

  it('never sends the long-lived token once it has a short-lived one, and says the token is deprecated', async () => {
    const { release, log, env } = await setup({ token: true });
    const outcome = await release();
    expect(outcome.credential).toBe('oidc');
    expect(fixture.packagist.sawSecret(fixture.alice.safeToken)).toBe(false);
    expect(log()).toMatch(
      /warn: PACKAGIST_API_TOKEN \(Packagist’s apiToken\) is deprecated.*Remove PACKAGIST_API_TOKEN/,
    );
    expectNoSecretIn(log(), env);
  });

  it('publishes from GitLab CI with the PACKAGIST_ID_TOKEN id_tokens variable', async () => {
    const { release } = await setup({
      ci: 'gitlab',
      publisher: { repository: 'acme/hello', workflow: '.gitlab-ci.yml' },
    });
    expect(await release()).toMatchObject({ credential: 'oidc', confirmation: 'served' });
  });

  it('falls back to the token with a warning when Packagist refuses the exchange (no trusted publisher matches)', async () => {
    const { release, log, env } = await setup({
      token: true,
      publisher: { repository: 'acme/hello', workflow: 'other.yml' },
    });
    const outcome = await release();
    expect(outcome).toMatchObject({ credential: 'api-token', oidcOffered: true, confirmation: 'served' });
    expect(log()).toMatch(/warn: Packagist: OIDC not used \(Packagist refused .*\); using the API token\./);
    expectNoSecretIn(log(), env);
    expect(notificationRow(outcome)).toMatchObject({
      status: 'partial',
      detail: expect.stringMatching(/long-lived API token, deprecated: Packagist offers OIDC trusted publishing/),
    });
  });

  it('falls back to the token with a notice when the job may not request an ID token, without asking Packagist', async () => {
    const { release, log } = await setup({ token: true, ci: 'github-without-id-token' });
    expect(await release()).toMatchObject({ credential: 'api-token', oidcOffered: false });
    expect(log()).toContain(
      'info: Packagist: OIDC not used (the GitHub Actions job lacks the `id-token: write` permission)',
    );
    expect(requestsTo('/api/oidc/exchange', 'GET')).toEqual([]);
  });

  it('refuses a job that is not the configured publisher before sending its token anywhere', async () => {
    const { failure } = await setup({
      packagist: { oidcPublisher: { repository: 'acme/hello', workflow: 'publish.yml', environment: 'packagist' } },
    });
    const error = await failure();
    expect(error.code).toBe('PACKAGIST_OIDC_PUBLISHER_MISMATCH');
    expect(error.message).toContain('workflow .github/workflows/release.yml, not .github/workflows/publish.yml');
    expect(error.message).toContain('environment (none), not packagist');
    expect(requestsTo('/api/oidc/exchange')).toEqual([]);
  });

  it('accepts a job that is the configured publisher', async () => {
    const { release } = await setup({
      packagist: { oidcPublisher: { repository: 'ACME/hello', workflow: 'release.yml' } },
    });
    expect((await release()).credential).toBe('oidc');
  });

  it('reports update-package refusing the credential as such, not as a bad API token', async () => {
    const { release } = await setup();
    fixture.packagist.injectFault({
      path: '/api/update-package',
      fault: {
        status: 403,
        body: JSON.stringify({ status: 'error', message: 'The trusted publisher credential has expired' }),
      },
    });
    const error = await release().catch((e) => e);
    expect(error.code).toBe('PACKAGIST_OIDC_CREDENTIAL_REJECTED');
    expect(error.message).toContain('The trusted publisher credential has expired');
  });
});

describe('when Packagist offers no OIDC token exchange (packagist.org today)', () => {
  it('auto: falls back to the token with a one-line notice', async () => {
    const { release, log } = await setup({ offered: false, token: true });
    const outcome = await release();
    expect(outcome).toMatchObject({ credential: 'api-token', oidcOffered: false, confirmation: 'served' });
    expect(notificationRow(outcome)).toMatchObject({
      status: 'partial',
      detail: 'update-package with a long-lived API token (Packagist has no trusted publishing yet)',
    });
    const notices = log()
      .split('\n')
      .filter((line) => line.includes('OIDC'));
    expect(notices).toEqual([
      `info: Packagist: OIDC not used (${fixture.packagist.url} offers no OIDC token exchange); using the API token.`,
    ]);
    expect(requestsTo('/api/update-package')).toHaveLength(1);
  });

  it('required: fails with PACKAGIST_OIDC_NOT_OFFERED and sends nothing', async () => {
    const { failure } = await setup({ offered: false, token: true, packagist: { oidc: 'required' } });
    const error = await failure();
    expect(error.code).toBe('PACKAGIST_OIDC_NOT_OFFERED');
    expect(error.message).toContain('GET /api/oidc/exchange answered HTTP 404');
    expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('off: never asks', async () => {
    const { release } = await setup({ offered: false, token: true, packagist: { oidc: 'off' } });
    expect((await release()).credential).toBe('api-token');
    expect(requestsTo('/api/oidc/exchange', 'GET')).toEqual([]);
  });
});

describe('when packagist.oidc is required and OIDC cannot be used', () => {
  it('fails outside a CI with an ID token', async () => {
    const { failure } = await setup({ ci: 'none', token: true, packagist: { oidc: 'required' } });
    const error = await failure();
    expect(error.code).toBe('PACKAGIST_OIDC_NO_CI_TOKEN');
    expect(error.message).toContain('not running in GitHub Actions or GitLab CI');
  });

  it('fails when the exchange refuses, with the registry’s reason and no token in the message', async () => {
    const { failure, env } = await setup({
      token: true,
      packagist: { oidc: 'required' },
      publisher: { repository: 'acme/other', workflow: 'release.yml' },
    });
    const error = await failure();
    expect(error.code).toBe('PACKAGIST_OIDC_EXCHANGE_REFUSED');
    expect(error.message).toContain('No trusted publisher of acme/hello matches this token');
    expect(requestsTo('/api/update-package')).toEqual([]);
    expectNoSecretIn(error.format(), env);
  });

  it('fails when packagist.mode never calls update-package', async () => {
    const { failure } = await setup({ packagist: { oidc: 'required', mode: 'github-app' } });
    expect((await failure()).code).toBe('PACKAGIST_OIDC_MODE_CONFLICT');
  });
});

describe('when the OIDC path is checked in preflight, before anything is tagged', () => {
  it('required: reports a registry without the exchange', async () => {
    const { checkFirst } = await setup({ offered: false, token: true, packagist: { oidc: 'required' } });
    expect(await checkFirst()).toEqual(['PACKAGIST_OIDC_NOT_OFFERED']);
  });

  it('required: reports a job without an ID token, and a mode that never calls update-package', async () => {
    expect(
      await (await setup({ ci: 'github-without-id-token', packagist: { oidc: 'required' } })).checkFirst(),
    ).toEqual(['PACKAGIST_OIDC_NO_CI_TOKEN']);
    await Promise.all(started.splice(0).map((thing) => thing.close()));
    expect(await (await setup({ packagist: { oidc: 'required', mode: 'github-app' } })).checkFirst()).toEqual([
      'PACKAGIST_OIDC_MODE_CONFLICT',
    ]);
  });

  it('reports a job that is not the configured publisher, in auto mode too', async () => {
    const { checkFirst } = await setup({
      packagist: { oidcPublisher: { repository: 'acme/other', workflow: 'release.yml' } },
    });
    expect(await checkFirst()).toEqual(['PACKAGIST_OIDC_PUBLISHER_MISMATCH']);
  });

  it('passes a job that can publish, without exchanging its token (which would use it up)', async () => {
    const { checkFirst, release } = await setup({ packagist: { oidc: 'required' } });
    expect(await checkFirst()).toEqual([]);
    expect(requestsTo('/api/oidc/exchange')).toEqual([]);
    expect((await release()).credential).toBe('oidc');
  });

  it('auto without a publisher: asks nothing of the registry', async () => {
    const { checkFirst } = await setup({ offered: false, token: true });
    expect(await checkFirst()).toEqual([]);
    expect(fixture.packagist.requests.filter((r) => r.url === '/api/oidc/exchange')).toEqual([]);
  });
});
