import { writeFile } from 'node:fs/promises';
import { type AttestationSandbox, startAttestationSandbox } from '@phpublish/sandbox';
import { git, gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { type BareRemote, createBareRemote } from '@phpublish/testing/php-package-repo';
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { runCli } from './testing/run-cli.js';

let key: TestKey;
let fixture: PackagistFixture;
let services: AttestationSandbox;
let remote: BareRemote;

beforeAll(async () => {
  key = await generateTestKey('ed25519');
});

/** A repository ready to release from GitHub Actions; Packagist offers the OIDC exchange or not. */
async function start({ offerOidc }: { offerOidc: boolean }) {
  services = await startAttestationSandbox();
  fixture = await startPackagistFixture({
    tags: [],
    sandbox: offerOidc ? { offerOidcExchange: { issuers: [services.githubIssuer] } } : {},
  });
  if (offerOidc) {
    fixture.packagist.addTrustedPublisher({ package: 'acme/hello', repository: 'acme/hello', workflow: 'release.yml' });
  }
  services.github.addRepository('acme/hello');
  services.github.createRelease('acme/hello', 'v1.0.0');
  remote = await createBareRemote();
  await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
  await fixture.repo.git(['push', '-q', 'origin', 'main']);
  await writeFile(
    `${fixture.repo.dir}/phpublish.config.json`,
    JSON.stringify({
      attest: {
        fulcioUrl: services.sigstore.fulcioUrl,
        rekorUrl: services.sigstore.rekorUrl,
        githubApiUrl: services.github.url,
      },
      packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, confirm: { timeout: 30 } },
    }),
  );
}

afterEach(async () => {
  await services?.close();
  await fixture?.cleanup();
  await remote?.cleanup();
});

/** A GitHub Actions release job with `id-token: write`; the Packagist token only when asked for. */
function env(packagistToken: boolean): Record<string, string> {
  const job = services.githubIssuer.gitHubActionsJob({ repository: 'acme/hello', sha: fixture.repo.head });
  return {
    ...gitEnv(),
    ...job.env,
    GITHUB_API_URL: services.github.url,
    GITHUB_TOKEN: services.github.issueToken('acme/hello', { contents: 'write', attestations: 'write' }),
    PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
    ...(packagistToken ? { PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: fixture.alice.safeToken } : {}),
  };
}

async function run(argv: string[], environment: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  onTestFailed(() => console.error(`stdout:\n${stdout}\nstderr:\n${stderr}`));
  const cli = await runCli(argv, { cwd: fixture.repo.dir, env: environment });
  ({ stdout, stderr } = cli);
  const code = cli.code;
  return { code, stdout, stderr };
}

/** No CI token, exchanged credential or API token in what the command printed. */
function expectNoSecrets(output: string, environment: Record<string, string>) {
  expect(output).not.toMatch(/pkgtp_/);
  expect(output).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  for (const name of ['ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'PACKAGIST_API_TOKEN', 'GITHUB_TOKEN']) {
    if (environment[name]) expect(output).not.toContain(environment[name]);
  }
}

describe('phpublish publish --oidc', () => {
  it('publishes with OIDC only: no PACKAGIST_* variable in the environment at all', async () => {
    await start({ offerOidc: true });
    const environment = env(false);
    expect(Object.keys(environment).filter((name) => name.startsWith('PACKAGIST_'))).toEqual([]);
    const { code, stdout, stderr } = await run(['publish', 'v1.0.0', '--oidc', '--json'], environment);
    expect(code).toBe(EXIT.ok);
    const { posture } = JSON.parse(stdout);
    expect(posture.packagist).toMatchObject({
      notified: 'update-package',
      confirmation: 'served',
      credential: 'oidc',
      oidcOffered: true,
    });
    expect(stderr).toContain('short-lived credential from the OIDC token exchange');
    expect((await git(remote.dir, ['cat-file', '-t', 'v1.0.0'])).trim()).toBe('tag');
    expectNoSecrets(`${stdout}\n${stderr}`, environment);
  });

  it('prints the posture row of the short-lived credential', async () => {
    await start({ offerOidc: true });
    const { code, stdout } = await run(['publish', 'v1.0.0', '--oidc'], env(false));
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(
      /✅ Packagist notification +update-package with a short-lived OIDC credential \(trusted publishing: no stored secret\)/,
    );
  });

  it('fails with PACKAGIST_OIDC_NOT_OFFERED where Packagist has no exchange (packagist.org today), even with a token', async () => {
    await start({ offerOidc: false });
    const environment = env(true);
    const { code, stderr } = await run(['publish', 'v1.0.0', '--oidc'], environment);
    expect(code).not.toBe(EXIT.ok);
    expect(stderr).toContain('PACKAGIST_OIDC_NOT_OFFERED');
    expect(fixture.packagist.requests.filter((r) => r.url === '/api/update-package')).toEqual([]);
    expect(fixture.packagist.sawSecret(fixture.alice.safeToken)).toBe(false);
    expectNoSecrets(stderr, environment);
  });
});

describe('phpublish publish (packagist.oidc: auto, the default)', () => {
  it('uses the token where Packagist has no exchange, with one line saying so', async () => {
    await start({ offerOidc: false });
    const { code, stdout, stderr } = await run(['publish', 'v1.0.0', '--json'], env(true));
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout).posture.packagist).toMatchObject({ credential: 'api-token', oidcOffered: false });
    expect(stderr.split('\n').filter((line) => line.includes('OIDC'))).toHaveLength(1);
    expect(stderr).toContain('offers no OIDC token exchange); using the API token.');
  });

  it('uses OIDC where Packagist offers it, never sends the token, and says to remove it from the CI secrets', async () => {
    await start({ offerOidc: true });
    const environment = env(true);
    const { code, stdout, stderr } = await run(['publish', 'v1.0.0', '--json'], environment);
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout).posture.packagist.credential).toBe('oidc');
    expect(stderr).toMatch(/PACKAGIST_API_TOKEN \(Packagist’s apiToken\) is deprecated/);
    expect(fixture.packagist.sawSecret(fixture.alice.safeToken)).toBe(false);
    expectNoSecrets(`${stdout}\n${stderr}`, environment);
  });
});
