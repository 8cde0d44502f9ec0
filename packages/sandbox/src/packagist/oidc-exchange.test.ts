import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gitHubActionsClaims, gitLabCiClaims } from '../oidc/claims.js';
import { type SandboxOidcIssuer, startSandboxOidcIssuer } from '../oidc/oidc-issuer.js';

const EXCHANGE = '/api/oidc/exchange';
const UPDATE = '/api/update-package';

let github: SandboxOidcIssuer;
let gitlab: SandboxOidcIssuer;
/** An issuer the exchange does not trust, with its own keys. */
let stranger: SandboxOidcIssuer;
/** An issuer whose clock is an hour behind: its tokens have long expired. */
let stale: SandboxOidcIssuer;

beforeAll(async () => {
  github = await startSandboxOidcIssuer();
  gitlab = await startSandboxOidcIssuer();
  stranger = await startSandboxOidcIssuer();
  stale = await startSandboxOidcIssuer({ clock: { now: () => Date.now() - 3_600_000 } });
});
afterAll(async () => {
  for (const issuer of [github, gitlab, stranger, stale]) await issuer.close();
});

describe('when packagist.org’s OIDC exchange is not offered (the default)', () => {
  let fx: PackagistFixture;
  beforeEach(async () => {
    fx = await startPackagistFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('answers 404 on both methods, as packagist.org does today', async () => {
    expect((await fetch(`${fx.packagist.url}${EXCHANGE}`)).status).toBe(404);
    expect((await fx.post(EXCHANGE, { body: '{}' })).status).toBe(404);
    expect(fx.packagist.oidcAudience).toBeUndefined();
    expect(() =>
      fx.packagist.addTrustedPublisher({ package: 'acme/hello', repository: 'acme/hello', workflow: 'release.yml' }),
    ).toThrow(/offerOidcExchange/);
  });
});

describe('when the sandbox offers the OIDC exchange', () => {
  let fx: PackagistFixture;
  let nowMs: number;
  beforeEach(async () => {
    nowMs = Date.now();
    fx = await startPackagistFixture({
      sandbox: {
        clock: { now: () => nowMs },
        offerOidcExchange: { issuers: [github, gitlab], audience: 'packagist.test' },
      },
    });
    fx.packagist.addPackage({
      name: 'acme/other',
      repositoryUrl: 'https://github.com/acme/other',
      maintainers: ['alice'],
    });
    fx.packagist.addTrustedPublisher({ package: 'acme/hello', repository: 'acme/hello', workflow: 'release.yml' });
    fx.packagist.addTrustedPublisher({
      package: 'acme/hello',
      repository: 'acme/hello-gl',
      workflow: '.gitlab-ci.yml',
      environment: 'packagist',
    });
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  const gitHubToken = (overrides: Record<string, unknown> = {}, audience = 'packagist.test', issuer = github) =>
    issuer.mint({ ...gitHubActionsClaims({ repository: 'acme/hello' }), ...overrides }, { audience });
  const gitLabToken = (overrides: Record<string, unknown> = {}) =>
    gitlab.mint(
      { ...gitLabCiClaims({ projectPath: 'acme/hello-gl' }), environment: 'packagist', ...overrides },
      { audience: 'packagist.test' },
    );
  const exchange = (token: string | undefined, body: unknown = { package: 'acme/hello' }) =>
    fx.post(EXCHANGE, {
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const refusal = async (response: Response) => ({
    status: response.status,
    message: ((await response.json()) as { message: string }).message,
  });
  const credentialFor = async (token: string) => {
    const response = await exchange(token);
    expect(response.status).toBe(200);
    return (await response.json()) as { username: string; token: string; package: string; expiresIn: number };
  };
  const update = (credential: { username: string; token: string }, repository = REPOSITORY_URL) =>
    fx.postJson(UPDATE, { repository }, credential.token, credential.username);

  it('says on GET which audience and issuers it accepts', async () => {
    const { status, body } = await fx.getJson(EXCHANGE);
    expect(status).toBe(200);
    expect(body).toEqual({
      audience: 'packagist.test',
      issuers: [github.issuer, gitlab.issuer],
      credentialLifetime: 600,
    });
    expect(fx.packagist.oidcAudience).toBe('packagist.test');
  });

  it('exchanges a GitHub Actions token of the trusted workflow for a 10-minute credential that update-package accepts', async () => {
    const credential = await credentialFor(gitHubToken());
    expect(credential).toEqual({
      username: 'trusted-publisher',
      token: expect.stringMatching(/^pkgtp_[A-Za-z0-9_-]{43}$/),
      package: 'acme/hello',
      expiresIn: 600,
    });
    const response = await update(credential);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      status: 'success',
      jobs: [expect.stringMatching(/^[0-9a-f]{40}$/)],
      type: 'trusted_publisher',
    });
  });

  it('exchanges a GitLab id_tokens token of the trusted project, configuration file and environment', async () => {
    expect((await update(await credentialFor(gitLabToken()))).status).toBe(202);
  });

  it('accepts the workflow of a job in a deployment environment when the publisher names none', async () => {
    expect((await exchange(gitHubToken({ environment: 'production' }))).status).toBe(200);
  });

  describe('when the token does not come from a trusted publisher of the package', () => {
    it('refuses another repository (its sub and workflow_ref agreeing with it)', async () => {
      const token = github.mint(gitHubActionsClaims({ repository: 'mallory/hello' }), { audience: 'packagist.test' });
      expect(await refusal(await exchange(token))).toEqual({
        status: 403,
        message:
          'No trusted publisher of acme/hello matches this token (repository mallory/hello, workflow .github/workflows/release.yml, environment (none))',
      });
    });

    it('refuses another workflow of the same repository', async () => {
      const token = github.mint(
        gitHubActionsClaims({ repository: 'acme/hello', workflowPath: '.github/workflows/ci.yml' }),
        {
          audience: 'packagist.test',
        },
      );
      expect((await refusal(await exchange(token))).status).toBe(403);
    });

    it('refuses a job outside the publisher’s environment, or in none', async () => {
      expect(
        (await refusal(await exchange(gitLabToken({ environment: 'staging' }), { package: 'acme/hello' }))).status,
      ).toBe(403);
      expect((await refusal(await exchange(gitLabToken({ environment: undefined })))).status).toBe(403);
    });

    it('refuses a token whose sub names another repository than its repository claim', async () => {
      const response = await exchange(gitHubToken({ sub: 'repo:mallory/hello:ref:refs/tags/v1.0.0' }));
      expect(await refusal(response)).toEqual({
        status: 401,
        message: 'Invalid OIDC token: its sub does not name its repository',
      });
    });

    it('refuses a trusted publisher’s token for another package', async () => {
      expect((await refusal(await exchange(gitHubToken(), { package: 'acme/other' }))).status).toBe(403);
    });
  });

  describe('when the token itself is not acceptable', () => {
    it('refuses another audience (a token minted for Sigstore)', async () => {
      expect(await refusal(await exchange(gitHubToken({}, 'sigstore')))).toEqual({
        status: 401,
        message: 'Invalid OIDC token: its audience is not "packagist.test"',
      });
    });

    it('refuses an expired token', async () => {
      const token = gitHubToken({}, 'packagist.test', stale);
      // The stale issuer is not trusted either: trust its keys to see the expiry itself.
      await fx.cleanup();
      fx = await startPackagistFixture({
        sandbox: { offerOidcExchange: { issuers: [stale], audience: 'packagist.test' } },
      });
      fx.packagist.addTrustedPublisher({ package: 'acme/hello', repository: 'acme/hello', workflow: 'release.yml' });
      expect(await refusal(await exchange(token))).toEqual({
        status: 401,
        message: 'Invalid OIDC token: the token has expired',
      });
    });

    it('refuses an issuer it does not trust, and a signature that does not verify', async () => {
      expect(await refusal(await exchange(gitHubToken({}, 'packagist.test', stranger)))).toEqual({
        status: 401,
        message: 'Invalid OIDC token: its issuer is not trusted',
      });
      // The stranger's signature on the trusted issuer's claims.
      const [head, payload] = gitHubToken().split('.');
      const forged = `${head}.${payload}.${gitHubToken({}, 'packagist.test', stranger).split('.')[2]}`;
      expect(await refusal(await exchange(forged))).toEqual({
        status: 401,
        message: 'Invalid OIDC token: the token signature does not verify',
      });
    });

    it('refuses a replayed token: one token, one credential', async () => {
      const token = gitHubToken();
      expect((await exchange(token)).status).toBe(200);
      expect(await refusal(await exchange(token))).toEqual({
        status: 401,
        message: 'Invalid OIDC token: it was already exchanged',
      });
    });

    it('refuses a request without a token, or without an existing package', async () => {
      expect((await refusal(await exchange(undefined))).status).toBe(401);
      expect((await refusal(await exchange('not-a-jwt'))).status).toBe(401);
      expect((await refusal(await exchange(gitHubToken(), {}))).status).toBe(400);
      expect((await refusal(await exchange(gitHubToken(), { package: 'acme/nope' }))).status).toBe(400);
    });
  });

  describe('when the credential is used', () => {
    it('is refused after ten minutes', async () => {
      const credential = await credentialFor(gitHubToken());
      nowMs += 600_000;
      expect(await refusal(await update(credential))).toEqual({
        status: 403,
        message: 'The trusted publisher credential has expired',
      });
    });

    it('is refused for another package’s repository', async () => {
      const credential = await credentialFor(gitHubToken());
      expect(await refusal(await update(credential, 'https://github.com/acme/other'))).toEqual({
        status: 403,
        message: 'The trusted publisher credential is valid for acme/hello only',
      });
    });

    it('is refused when guessed, and by create-package', async () => {
      const credential = await credentialFor(gitHubToken());
      // The same credential but its last character.
      const last = credential.token.endsWith('A') ? 'B' : 'A';
      expect((await update({ ...credential, token: `${credential.token.slice(0, -1)}${last}` })).status).toBe(403);
      const created = await fx.postJson(
        '/api/create-package',
        { repository: REPOSITORY_URL },
        credential.token,
        credential.username,
      );
      expect(created.status).toBe(406);
    });

    it('never appears in the request log', async () => {
      const ciToken = gitHubToken();
      const credential = await credentialFor(ciToken);
      await update(credential);
      const logged = JSON.stringify(fx.packagist.requests);
      expect(logged).not.toContain(credential.token);
      expect(logged).not.toContain(ciToken.split('.')[2]);
      expect(fx.packagist.sawSecret(credential.token)).toBe(true);
    });
  });
});
