import { sandboxAudit } from '@phpublish/sandbox';
import { describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import type { HostRehearsalResult, RehearsalResult } from './rehearse.js';
import { runCli } from './testing/run-cli.js';

describe('phpublish rehearse --sample', () => {
  it('releases the bundled sample through every layer against the local stand-ins', async () => {
    let stdout = '';
    let stderr = '';
    onTestFailed(() => {
      console.error(`stderr of the rehearsal:\n${stderr}`);
    });
    const cli = await runCli(['rehearse', '--sample', '--json'], {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    });
    ({ stdout, stderr } = cli);
    const code = cli.code;
    expect(stderr).not.toContain('internal error');
    expect(code).toBe(EXIT.ok);
    const result = JSON.parse(stdout) as RehearsalResult;
    expect(result.package).toBe('phpublish-sample/hello');
    expect(result.version).toBe('v1.0.0');
    expect(result.posture.signedTag).toMatchObject({ signerFingerprint: expect.stringMatching(/^[0-9A-F]{40}$/) });
    expect(result.posture.attestation).toEqual({ stored: ['github-release-asset', 'github-attestation-store'] });
    expect(result.posture.packagist).toMatchObject({ notified: 'update-package', confirmation: 'served' });
    expect(result.posture.packagist?.entry?.source?.reference).toBe(result.commit);
    expect(result.zip.name).toBe('phpublish-sample-hello-1.0.0.zip');
    expect(result.contentDigest).toMatch(/^phpublish-tree-v1:sha256:[0-9a-f]{64}$/);
    // export-ignore in the sample's .gitattributes keeps tests/ out of the dist Composer installed.
    expect(result.installedFiles).toEqual(['README.md', 'composer.json', 'src/Greeter.php']);
    expect(stderr).toContain('Preflight passed');
    // The consumer's check of the same release passes every link of the chain.
    const report = result.verify as { packages: { status: string; checks: { check: string; status: string }[] }[] };
    expect(report.packages).toHaveLength(1);
    expect(report.packages[0]?.checks.map((c) => [c.check, c.status])).toEqual([
      ['packagist', 'passed'],
      ['tag', 'passed'],
      ['signature', 'passed'],
      ['attestation', 'passed'],
      ['content', 'passed'],
    ]);
    // The throwaway token and key never show.
    expect(stderr).not.toMatch(/BEGIN PGP PRIVATE KEY BLOCK-----\n/);
  });
});

describe('phpublish rehearse --sample --host <tool>', () => {
  it.each([
    ['release-it', /git\.pushRepo → the rehearsal's bare remote/],
    ['semantic-release', /@semantic-release\/github left out/],
  ])(
    'releases the sample with the real %s and its configuration for the sample, found beside the CLI',
    async (host, override) => {
      let stdout = '';
      let stderr = '';
      onTestFailed(() => {
        console.error(`stderr of the rehearsal:\n${stderr}`);
      });
      const cli = await runCli(['rehearse', '--sample', '--host', host, '--json'], {
        cwd: process.cwd(),
        env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
      });
      ({ stdout, stderr } = cli);
      const code = cli.code;
      expect(stderr).not.toContain('internal error');
      expect(code).toBe(EXIT.ok);
      const result = JSON.parse(stdout) as HostRehearsalResult;
      expect(result).toMatchObject({ host, package: 'phpublish-sample/hello', version: 'v1.0.0' });
      expect(result.zip?.name).toBe('phpublish-sample-hello-1.0.0.zip');
      expect(result.summary).toMatch(/✅ \| Packagist confirmation/);
      expect(result.overridden.join('\n')).toMatch(override);
      const report = result.verify as { packages: { status: string }[] };
      expect(report.packages[0]?.status).toBe('verified');
      expect(stderr).not.toMatch(/BEGIN PGP PRIVATE KEY BLOCK-----\n/);
    },
    180_000,
  );
});

describe('phpublish rehearse --sample --host changesets', () => {
  it('versions the sample with the real changesets, tags it with changesets, and publishes with phpublish-changesets', async () => {
    let stdout = '';
    let stderr = '';
    onTestFailed(() => {
      console.error(`stderr of the rehearsal:\n${stderr}`);
    });
    const cli = await runCli(['rehearse', '--sample', '--host', 'changesets', '--json'], {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    });
    ({ stdout, stderr } = cli);
    const code = cli.code;
    expect(stderr).not.toContain('internal error');
    expect(code).toBe(EXIT.ok);
    const result = JSON.parse(stdout) as HostRehearsalResult;
    // The sample's changeset is a minor one on 0.0.0; changesets names the root package's tag v<version>.
    expect(result).toMatchObject({ host: 'changesets', package: 'phpublish-sample/hello', version: 'v0.1.0' });
    expect(result.tagObject).toContain('-----BEGIN PGP SIGNATURE-----');
    // changesets/action makes the GitHub release after the publish step: the bundle goes to the attestation store.
    expect(result.summary).toMatch(/✅ \| Attestation \| SLSA provenance stored: github-attestation-store/);
    expect(result.summary).toMatch(/✅ \| Packagist confirmation/);
    expect(result.overridden.join('\n')).toMatch(/`changeset version` committed/);
    const report = result.verify as { packages: { status: string }[] };
    expect(report.packages[0]?.status).toBe('verified');
  }, 180_000);
});

describe('phpublish rehearse --sample --oidc', () => {
  it('notifies the local Packagist through its OIDC token exchange, with no Packagist token in the release', async () => {
    let stdout = '';
    let stderr = '';
    onTestFailed(() => {
      console.error(`stderr of the rehearsal:\n${stderr}`);
    });
    const cli = await runCli(['rehearse', '--sample', '--oidc', '--json'], {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    });
    ({ stdout, stderr } = cli);
    const code = cli.code;
    expect(stderr).not.toContain('internal error');
    expect(code).toBe(EXIT.ok);
    const result = JSON.parse(stdout) as RehearsalResult;
    expect(result.posture.packagist).toMatchObject({
      notified: 'update-package',
      confirmation: 'served',
      credential: 'oidc',
      oidcOffered: true,
    });
    expect(stderr).toContain('short-lived credential from the OIDC token exchange');
    // No token was there to find: no deprecation warning, and no exchanged credential or ID token shows.
    expect(stderr).not.toContain('deprecated');
    expect(`${stdout}${stderr}`).not.toMatch(/pkgtp_|eyJ[\w-]+\.[\w-]+\.[\w-]+/);
    const report = result.verify as { packages: { status: string }[] };
    expect(report.packages[0]?.status).toBe('verified');
  });

  it('prints the posture row of the short-lived credential', async () => {
    let stdout = '';
    const cli = await runCli(['rehearse', '--sample', '--oidc'], {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    });
    ({ stdout } = cli);
    const code = cli.code;
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(
      /Packagist notification +update-package with a short-lived OIDC credential \(trusted publishing: no stored secret\)/,
    );
  });
});

describe('phpublish rehearse --sample --host <tool> --oidc', () => {
  it.each(['release-it', 'semantic-release'])(
    'releases the sample with the real %s, its plugin notifying Packagist through the OIDC exchange only',
    async (host) => {
      let stdout = '';
      let stderr = '';
      onTestFailed(() => {
        console.error(`stderr of the rehearsal:\n${stderr}`);
      });
      const cli = await runCli(['rehearse', '--sample', '--host', host, '--oidc', '--json'], {
        cwd: process.cwd(),
        env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
      });
      ({ stdout, stderr } = cli);
      const code = cli.code;
      expect(stderr).not.toContain('internal error');
      expect(code).toBe(EXIT.ok);
      const result = JSON.parse(stdout) as HostRehearsalResult;
      expect(result.summary).toMatch(
        /update-package with a short-lived OIDC credential \(trusted publishing: no stored secret\)/,
      );
      expect(result.overridden.join('\n')).toMatch(
        /packagist\.oidc, .*OIDC token exchange only, no token in the environment/,
      );
      expect(stderr).toContain('short-lived credential from the OIDC token exchange');
      expect(stderr).not.toContain('deprecated');
      expect(`${stdout}${stderr}`).not.toMatch(/pkgtp_|eyJ[\w-]+\.[\w-]+\.[\w-]+/);
      const report = result.verify as { packages: { status: string }[] };
      expect(report.packages[0]?.status).toBe('verified');
    },
    180_000,
  );
});

describe('phpublish rehearse --sample --oidc private-packagist', () => {
  it('publishes the zip to the local Private Packagist with trusted publishing only, and Composer fetches that zip', async () => {
    let stdout = '';
    let stderr = '';
    onTestFailed(() => {
      console.error(`stderr of the rehearsal:\n${stderr}`);
    });
    const cli = await runCli(['rehearse', '--sample', '--oidc', 'private-packagist', '--json'], {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    });
    ({ stdout, stderr } = cli);
    const code = cli.code;
    expect(stderr).not.toContain('internal error');
    expect(code).toBe(EXIT.ok);
    const result = JSON.parse(stdout) as RehearsalResult;
    expect(result.posture?.packagist).toMatchObject({
      notified: 'artifact-package-created',
      confirmation: 'served',
      credential: 'oidc',
    });
    // verify checks versions built from a git commit; the artifact is compared with the released zip instead.
    expect(result.steps.map((s) => [s.step, s.status])).toEqual([
      ['copy', 'passed'],
      ['release', 'passed'],
      ['Composer fetch', 'passed'],
      ['served artifact', 'passed'],
      ['phpublish verify', 'skipped'],
    ]);
    expect(result.steps[3]?.detail).toContain(`sha256:${result.zip?.sha256}, the released zip`);
    expect(result.installedFiles).toEqual(['README.md', 'composer.json', 'src/Greeter.php']);
    expect(stderr).toContain('organisation rehearsal-org trusts');
    // No exchanged key, secret, ID token or request signature shows.
    expect(`${stdout}${stderr}`).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+|Signature=|PACKAGIST-HMAC-SHA256 /);
    for (const secret of sandboxAudit.issuedSecrets) {
      expect(`${stdout}${stderr}`.includes(secret), 'an issued secret was printed').toBe(false);
    }
  });

  it('prints the posture row of the short-lived credential', async () => {
    let stdout = '';
    const cli = await runCli(['rehearse', '--sample', '--oidc', 'private-packagist'], {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    });
    ({ stdout } = cli);
    const code = cli.code;
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(
      /Packagist notification +artifact upload to Private Packagist with a short-lived OIDC credential \(trusted publishing: no stored secret\)/,
    );
  });

  it.each([
    [['rehearse', '--sample', 'private-packagist'], /--oidc private-packagist/],
    [['rehearse', '--sample', '--oidc', 'packagist.com'], /unexpected argument "packagist.com"/],
    [['rehearse', '--sample', '--oidc', 'private-packagist', '--host', 'release-it'], /cannot be used with --host/],
  ])('refuses %j as wrong usage', async (argv, message) => {
    let stderr = '';
    const cli = await runCli(argv, {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    });
    ({ stderr } = cli);
    const code = cli.code;
    expect(code).toBe(EXIT.usage);
    expect(stderr).toMatch(message);
  });
});
