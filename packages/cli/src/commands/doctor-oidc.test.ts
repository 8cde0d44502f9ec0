import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AttestationSandbox, startAttestationSandbox } from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { runCli } from './testing/run-cli.js';

// doctor's Packagist row says which credential update-package would get (a short-lived OIDC
// credential or the long-lived token), found without exchanging anything or sending any token; the
// dry run says the same without asking Packagist anything.

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

/** The sandbox Packagist, offering the OIDC exchange (with acme/hello's release workflow as trusted publisher) or not. */
async function start({ offerOidc, packagist = {} }: { offerOidc: boolean; packagist?: Record<string, unknown> }) {
  services = await startAttestationSandbox();
  fixture = await startPackagistFixture({
    tags: [],
    sandbox: offerOidc ? { offerOidcExchange: { issuers: [services.githubIssuer] } } : {},
  });
  if (offerOidc) {
    fixture.packagist.addTrustedPublisher({ package: 'acme/hello', repository: 'acme/hello', workflow: 'release.yml' });
  }
  await writeFile(
    join(fixture.repo.dir, 'phpublish.config.json'),
    JSON.stringify({
      attest: { enabled: false },
      packagist: {
        url: fixture.packagist.url,
        repoUrl: fixture.packagist.url,
        repositoryUrl: REPOSITORY_URL,
        ...packagist,
      },
    }),
  );
}

/** A GitHub Actions release job (with `id-token: write` unless told otherwise); the Packagist token only when asked for. */
function env({ token, idToken = true }: { token: boolean; idToken?: boolean }): Record<string, string> {
  const job = services.githubIssuer.gitHubActionsJob({ repository: 'acme/hello', sha: fixture.repo.head });
  const environment: Record<string, string> = {
    ...gitEnv(),
    ...job.env,
    PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
    ...(token ? { PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: fixture.alice.safeToken } : {}),
  };
  if (!idToken) {
    delete environment['ACTIONS_ID_TOKEN_REQUEST_URL'];
    delete environment['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  }
  return environment;
}

async function run(argv: string[], environment: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  onTestFailed(() => console.error(`phpublish ${argv.join(' ')}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
  const cli = await runCli(argv, { cwd: fixture.repo.dir, env: environment });
  ({ stdout, stderr } = cli);
  const code = cli.code;
  return { code, stdout, stderr };
}

async function packagistRow(environment: Record<string, string>) {
  const { code, stdout, stderr } = await run(['doctor', '--json'], environment);
  const rows = JSON.parse(stdout) as { area: string; status: string; detail: string; codes: string[] }[];
  // Nothing was exchanged, and neither the job's ID token nor the API token was sent or printed.
  expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
  expect(fixture.packagist.sawSecret(fixture.alice.safeToken)).toBe(false);
  expect(`${stdout}${stderr}`).not.toMatch(/pkgtp_|eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  expect(`${stdout}${stderr}`).not.toContain(fixture.alice.safeToken);
  return { code, row: rows.find((row) => row.area === 'Packagist') };
}

describe('phpublish doctor, the Packagist credential', () => {
  describe('when Packagist offers the OIDC exchange and the job has id-token: write', () => {
    it('says update-package gets a short-lived OIDC credential, with no token configured', async () => {
      await start({ offerOidc: true });
      const { code, row } = await packagistRow(env({ token: false }));
      expect(code).toBe(EXIT.ok);
      expect(row).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('short-lived OIDC credential'),
        codes: [],
      });
      expect(row?.detail).toContain('no stored secret');
    });

    it('warns that the configured API token is deprecated and will not be sent', async () => {
      await start({ offerOidc: true });
      const { code, row } = await packagistRow(env({ token: true }));
      expect(code).toBe(EXIT.ok);
      expect(row).toMatchObject({ status: 'warning', detail: expect.stringContaining('short-lived OIDC credential') });
      expect(row?.detail).toMatch(/PACKAGIST_API_TOKEN is deprecated .* remove PACKAGIST_API_TOKEN/);
    });
  });

  describe('when Packagist offers the exchange but the job lacks id-token: write', () => {
    it('warns with PACKAGIST_OIDC_NO_CI_TOKEN that updates fall back to the token (packagist.oidc: auto)', async () => {
      await start({ offerOidc: true });
      const { code, row } = await packagistRow(env({ token: true, idToken: false }));
      expect(code).toBe(EXIT.ok);
      expect(row).toMatchObject({ status: 'warning', codes: ['PACKAGIST_OIDC_NO_CI_TOKEN'] });
      expect(row?.detail).toContain('fall back to a long-lived API token');
    });

    it('is a problem with packagist.oidc: required', async () => {
      await start({ offerOidc: true, packagist: { oidc: 'required' } });
      const { code, row } = await packagistRow(env({ token: false, idToken: false }));
      expect(code).toBe(EXIT.failed);
      expect(row).toMatchObject({ status: 'problem', codes: ['PACKAGIST_OIDC_NO_CI_TOKEN'] });
    });
  });

  describe('when Packagist offers no OIDC exchange (packagist.org today)', () => {
    it('says updates use the long-lived token because no exchange is offered', async () => {
      await start({ offerOidc: false });
      const { code, row } = await packagistRow(env({ token: true }));
      expect(code).toBe(EXIT.ok);
      expect(row).toMatchObject({ status: 'warning', codes: [] });
      expect(row?.detail).toMatch(/long-lived API token.*offers no OIDC token exchange/);
    });

    it('is a problem with PACKAGIST_OIDC_NOT_OFFERED under packagist.oidc: required', async () => {
      await start({ offerOidc: false, packagist: { oidc: 'required' } });
      const { code, row } = await packagistRow(env({ token: true }));
      expect(code).toBe(EXIT.failed);
      expect(row).toMatchObject({ status: 'problem', codes: ['PACKAGIST_OIDC_NOT_OFFERED'] });
    });
  });

  describe('when packagist.oidc is off', () => {
    it('says the token is used and never asks Packagist about the exchange', async () => {
      await start({ offerOidc: true, packagist: { oidc: 'off' } });
      const { code, row } = await packagistRow(env({ token: true }));
      expect(code).toBe(EXIT.ok);
      expect(row).toMatchObject({ status: 'warning', detail: expect.stringContaining('(packagist.oidc: off)') });
      expect(fixture.packagist.requests.filter((r) => r.url.startsWith('/api/oidc/'))).toEqual([]);
    });
  });
});

describe('phpublish publish --dry-run, the Packagist step', () => {
  it('with packagist.oidc: auto, says OIDC is used if Packagist offers it, without asking it', async () => {
    await start({ offerOidc: true });
    const { code, stderr } = await run(['publish', 'v1.0.0', '--dry-run'], env({ token: true }));
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain(
      'then call Packagist update-package with a short-lived OIDC credential if Packagist offers its OIDC token exchange (packagist.oidc: auto), else call it with the API token',
    );
    expect(fixture.packagist.requests.filter((r) => r.url.startsWith('/api/oidc/'))).toEqual([]);
  });

  it('with --oidc (packagist.oidc: required) and no token, says update-package gets a short-lived OIDC credential', async () => {
    await start({ offerOidc: true });
    const { code, stderr } = await run(['publish', 'v1.0.0', '--dry-run', '--oidc'], env({ token: false }));
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain(
      'then call Packagist update-package with a short-lived OIDC credential (packagist.oidc: required)',
    );
    const sentence = stderr.slice(stderr.indexOf('Would release'));
    expect(sentence).toContain('signed tag, zip without attestation, Packagist through its OIDC token exchange.');
    expect(sentence).not.toContain('GitHub App');
  });

  it('with packagist.oidc: off, says update-package with the token as before', async () => {
    await start({ offerOidc: false, packagist: { oidc: 'off' } });
    const { code, stderr } = await run(['publish', 'v1.0.0', '--dry-run'], env({ token: true }));
    expect(code).toBe(EXIT.ok);
    expect(stderr).toMatch(/then call Packagist update-package and wait/);
  });
});
