import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AttestationSandbox, startAttestationSandbox } from '@phpublish/sandbox';
import { git, gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { type BareRemote, createBareRemote } from '@phpublish/testing/php-package-repo';
import { afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { runCli } from './testing/run-cli.js';

let key: TestKey;
let fixture: PackagistFixture;
let services: AttestationSandbox;
let remote: BareRemote;

beforeAll(async () => {
  key = await generateTestKey('ed25519', { passphrase: 'open sesame' });
});

beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
  services = await startAttestationSandbox();
  services.github.addRepository('acme/hello');
  services.github.createRelease('acme/hello', 'v1.0.0');
  remote = await createBareRemote();
  await fixture.repo.git(['remote', 'add', 'origin', remote.dir]);
  await fixture.repo.git(['push', '-q', 'origin', 'main']);
});

afterEach(async () => {
  await services.close();
  await fixture.cleanup();
  await remote.cleanup();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  const job = services.githubIssuer.gitHubActionsJob({ repository: 'acme/hello', sha: fixture.repo.head });
  return {
    ...gitEnv(),
    ...job.env,
    GITHUB_API_URL: services.github.url,
    GITHUB_TOKEN: services.github.issueToken('acme/hello', { contents: 'write', attestations: 'write' }),
    PACKAGIST_USERNAME: 'alice',
    PACKAGIST_API_TOKEN: fixture.alice.safeToken,
    PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
    PHPUBLISH_GPG_PASSPHRASE: 'open sesame',
    ...extra,
  };
}

async function writeConfig(): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
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

async function run(argv: string[], environment: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  onTestFailed(() => console.error(`stdout:\n${stdout}\nstderr:\n${stderr}`));
  const cli = await runCli(argv, { cwd: fixture.repo.dir, env: environment });
  ({ stdout, stderr } = cli);
  const code = cli.code;
  return { code, stdout, stderr };
}

describe('phpublish publish', () => {
  it('tags, signs, pushes, attests, notifies and confirms; a re-run changes nothing', async () => {
    await writeConfig();
    const first = await run(['publish', 'v1.0.0', '--json'], env());
    expect(first.code).toBe(EXIT.ok);
    const { posture, zip, contentDigest } = JSON.parse(first.stdout);
    expect(posture.signedTag.signerFingerprint).toBe(key.fingerprint);
    expect(posture.attestation.stored).toEqual(['github-release-asset', 'github-attestation-store']);
    expect(posture.packagist).toMatchObject({ notified: 'update-package', confirmation: 'served' });
    expect(zip.name).toBe('acme-hello-1.0.0.zip');
    expect(contentDigest).toMatch(/^phpublish-tree-v1:sha256:/);
    expect((await git(remote.dir, ['cat-file', '-t', 'v1.0.0'])).trim()).toBe('tag');
    // The attested zip and its bundle are both on the release.
    const assets = services.github.releaseAssets('acme/hello', 'v1.0.0');
    expect(assets.map((a) => a.name).sort()).toEqual(['acme-hello-1.0.0.sigstore.json', 'acme-hello-1.0.0.zip']);
    const { createHash } = await import('node:crypto');
    const attachedZip = assets.find((a) => a.name.endsWith('.zip'))!;
    expect(createHash('sha256').update(attachedZip.content).digest('hex')).toBe(zip.sha256);

    const second = await run(['publish', 'v1.0.0', '--json'], env());
    expect(second.code).toBe(EXIT.ok);
    expect(second.stderr).toContain('Already pushed: v1.0.0');
    expect(second.stderr).toContain('not signing again');
    expect(second.stderr).toContain('Dist zip: already attached to release v1.0.0');
    expect(JSON.parse(second.stdout).posture.packagist.notified).toBe('already-served');
    expect(services.github.attestations('acme/hello')).toHaveLength(1);
    expect(fixture.packagist.requests.filter((r) => r.url === '/api/update-package')).toHaveLength(1);
    for (const output of [first.stderr, second.stderr, first.stdout]) {
      expect(output).not.toContain(fixture.alice.safeToken);
      expect(output).not.toContain('open sesame');
    }
  });

  it('--dry-run checks everything and changes nothing', async () => {
    await writeConfig();
    const { code, stderr } = await run(['publish', 'v1.0.0', '--dry-run'], env());
    expect(code).toBe(EXIT.ok);
    expect(stderr).toMatch(/Would release acme\/hello v1\.0\.0 at [0-9a-f]{12}: signed tag/);
    expect(await git(remote.dir, ['tag', '--list'])).toBe('');
    expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });
});

describe('phpublish publish, when the command line names something that cannot be released', () => {
  it.each([
    [['publish'], 'phpublish publish: name the tag to release, e.g. v1.2.3.'],
    [['publish', 'v1.0.0', 'v1.0.1'], 'phpublish publish: unexpected argument "v1.0.1": name one tag.'],
    [['publish', '--', '--x'], 'phpublish publish: "--x" is not a tag name: it starts with "-".'],
    [['publish', 'v1..0'], '"v1..0" is not a tag name'],
    [['publish', 'v1.0.0 '], '"v1.0.0 " is not a tag name'],
    [['publish', 'v1.0.0.lock'], 'is not a tag name: a part of it starts with "." or ends with ".lock"'],
    [['publish', 'v1.0.0', '--commit', ''], 'phpublish publish: --commit needs a value.'],
    [
      ['publish', 'v1.0.0', '--commit=--all'],
      'phpublish publish: --commit "--all" cannot be used: it starts with "-".',
    ],
    [
      ['publish', 'v1.0.0', '--remote=--receive-pack=touch /tmp/x'],
      '--remote "--receive-pack=touch /tmp/x" cannot be used',
    ],
    [['publish', 'v1.0.0', '--remote', 'origin', '--remote', 'other'], 'phpublish publish: --remote is given twice.'],
    [['notify', '--', '-x'], 'phpublish notify: "-x" is not a tag name: it starts with "-".'],
    [['notify'], 'phpublish notify: name the tag to notify Packagist of, e.g. v1.2.3.'],
    [['doctor', '--config', ''], 'phpublish doctor: --config needs a value.'],
    [['doctor', 'extra'], 'phpublish doctor: unexpected argument "extra": this command takes options only.'],
  ])('%j says what is wrong, with the usage line, and exits 2', async (argv, message) => {
    await writeConfig();
    const { code, stderr } = await run(argv, env());
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(message);
    expect(stderr).toMatch(/Usage: phpublish (publish|notify|doctor)/);
    expect(await git(remote.dir, ['tag', '--list'])).toBe('');
  });

  it('says that --commit names no commit, not that there is no such tag', async () => {
    await writeConfig();
    const { code, stderr } = await run(['publish', 'v1.0.0', '--commit', 'deadbeef', '--dry-run'], env());
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain('PUBLISH_COMMIT_NOT_FOUND: --commit "deadbeef" names no commit in this repository.');
    expect(stderr).not.toContain('TAG_NOT_FOUND');
  });

  it('refuses --commit when the tag already exists at another commit', async () => {
    await writeConfig();
    const first = fixture.repo.head;
    await fixture.repo.tag('v1.0.0');
    const second = await fixture.repo.commit({ 'NEXT.txt': 'next\n' });
    const { code, stderr } = await run(['publish', 'v1.0.0', '--commit', second, '--dry-run'], env());
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain(`PUBLISH_TAG_AT_OTHER_COMMIT: Tag v1.0.0 already exists at ${first}`);
    // The same commit, named another way, is fine: a re-run (of the job that was started for it)…
    const again = await run(['publish', 'v1.0.0', '--commit', first, '--dry-run'], env({ GITHUB_SHA: first }));
    expect(again.code).toBe(EXIT.ok);
    // …but not from a job started for a later commit: its attestation would name that one.
    const later = await run(['publish', 'v1.0.0', '--commit', first, '--dry-run'], env());
    expect(later.code).toBe(EXIT.failed);
    expect(later.stderr).toContain(`ATTEST_OTHER_COMMIT: v1.0.0 points at ${first}`);
  });

  it('takes only a tag as the tag: a branch spelled like it is not released', async () => {
    await writeConfig();
    const old = fixture.repo.head;
    await fixture.repo.git(['branch', 'v2.0.0', old]);
    const head = await fixture.repo.commit({ 'NEXT.txt': 'next\n' });
    const { code, stderr } = await run(['publish', 'v2.0.0', '--dry-run'], env());
    expect(code).toBe(EXIT.ok);
    expect(stderr).toContain(`Would release acme/hello v2.0.0 at ${head.slice(0, 12)}`);
  });

  it('refuses a device or a pipe as the options file at once, and an option given twice in it', async () => {
    const pipe = join(fixture.repo.dir, 'options.pipe');
    execFileSync('mkfifo', [pipe]);
    for (const [argv, problem] of [
      [['notify', 'v1.0.0', '--config', '/dev/zero'], 'it is a character device (like /dev/zero or a terminal)'],
      [['doctor', '--config', pipe], 'it is a named pipe (FIFO), not a regular file'],
      [['publish', 'v1.0.0', '--dry-run', '--config', 'missing.json'], 'it does not exist (ENOENT)'],
    ] as const) {
      const { code, stderr } = await run([...argv], env());
      expect(code).toBe(EXIT.failed);
      expect(stderr).toContain('CONFIG_FILE_UNREADABLE: The options file');
      expect(stderr).toContain(problem);
    }
    await writeFile(
      join(fixture.repo.dir, 'twice.json'),
      '{"attest": {"enabled": true},\n "packagist": {}, "attest": {"enabled": false}}',
    );
    const twice = await run(['publish', 'v1.0.0', '--dry-run', '--config', 'twice.json'], env());
    expect(twice.code).toBe(EXIT.failed);
    expect(twice.stderr).toContain(
      'it is not valid JSON: attest is given twice in the same object (line 2, column 19)',
    );
  });
});

describe('phpublish doctor', () => {
  it('shows every layer in order when everything is configured', async () => {
    await writeConfig();
    const { code, stdout } = await run(['doctor', '--json'], env());
    expect(code).toBe(EXIT.ok);
    const rows = JSON.parse(stdout) as { area: string; status: string }[];
    expect(rows.map((r) => [r.area, r.status])).toEqual([
      ['Configuration', 'ok'],
      ['Package', 'ok'],
      ['Signed tags', 'ok'],
      ['Attestation', 'ok'],
      ['Packagist', 'warning'],
    ]);
  });

  it('names each problem by code and still fills in every row', async () => {
    await writeConfig();
    const broken = env({ PHPUBLISH_GPG_PASSPHRASE: 'wrong' });
    delete broken['ACTIONS_ID_TOKEN_REQUEST_URL'];
    const { code, stdout } = await run(['doctor', '--json'], broken);
    expect(code).toBe(EXIT.failed);
    const rows = JSON.parse(stdout) as { area: string; status: string; codes: string[] }[];
    expect(rows.find((r) => r.area === 'Signed tags')?.codes).toEqual(['SIGNING_PASSPHRASE_WRONG']);
    expect(rows.find((r) => r.area === 'Attestation')?.status).toBe('problem');
    expect(rows.find((r) => r.area === 'Packagist')?.status).toBe('warning');
    expect(stdout).not.toContain('wrong"');
  });
});
