import { describe, expect, it } from 'vitest';
import { PhpublishAggregateError } from '../errors/index.js';
import { resolveConfig } from './resolve.js';
import { environmentVariables } from './schema.js';

const TOKEN = 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd';

function problems(options: unknown, env: Record<string, string> = {}): string[] {
  try {
    resolveConfig(options, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(PhpublishAggregateError);
    return (error as PhpublishAggregateError).errors.map((e) => e.code);
  }
  return [];
}

describe('resolveConfig', () => {
  describe('when nothing is configured', () => {
    it('applies every default and falls back to GitHub App mode with a notice', () => {
      const config = resolveConfig(undefined, { env: {} });
      expect(config.options).toEqual({
        packagist: {
          mode: 'auto',
          url: 'https://packagist.org',
          repoUrl: 'https://repo.packagist.org',
          createIfMissing: false,
          requestTimeout: 30,
          confirm: { enabled: true, timeout: 600, onTimeout: 'fail' },
          oidc: 'auto',
          privatePackagist: { url: 'https://packagist.com', packageType: 'auto' },
        },
        signing: { trustedKeys: [], trustedFingerprints: [], pushTimeout: 300 },
        attest: {
          enabled: true,
          fulcioUrl: 'https://fulcio.sigstore.dev',
          rekorUrl: 'https://rekor.sigstore.dev',
          sigstore: 'auto',
          githubFulcioUrl: 'https://fulcio.githubapp.com',
          githubTsaUrl: 'https://timestamp.githubapp.com',
          identityTokenVariable: 'SIGSTORE_ID_TOKEN',
          storeReleaseAsset: true,
          storeGitHubAttestation: true,
          storeGitLabReleaseLink: true,
          requestTimeout: 30,
        },
        report: { releaseNotes: false },
      });
      expect(config.signing).toEqual({ enabled: false, trustedKeys: [], trustedFingerprints: [] });
      expect(config.packagist.mode).toBe('github-app');
      expect(config.notices.join('\n')).toMatch(/GitHub App/);
      expect(config.secrets).toEqual([]);
    });
  });

  describe('when credentials are in the environment', () => {
    it('auto mode uses the token and registers it as a secret', () => {
      const config = resolveConfig({}, { env: { PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: TOKEN } });
      expect(config.packagist).toEqual({ mode: 'token', credentials: { username: 'alice', token: TOKEN } });
      expect(config.secrets).toEqual([TOKEN]);
    });

    it('github-app mode never carries credentials', () => {
      const config = resolveConfig(
        { packagist: { mode: 'github-app' } },
        { env: { PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: TOKEN } },
      );
      expect(config.packagist).toEqual({ mode: 'github-app' });
    });

    it('treats empty variables as unset', () => {
      expect(problems({ packagist: { mode: 'token' } }, { PACKAGIST_USERNAME: ' ', PACKAGIST_API_TOKEN: '' })).toEqual([
        'PACKAGIST_CREDENTIALS_MISSING',
      ]);
    });
  });

  describe('when something is wrong', () => {
    it('reports every problem at once, each with its code', () => {
      const codes = problems(
        { packagist: { mode: 'tokens', confirm: { timeout: -1 }, colour: 'blue' }, extra: 1 },
        { PACKAGIST_API_TOKEN: 'ghp_notapackagisttoken', PACKAGIST_USERNAME: 'al ice' },
      );
      expect(codes.sort()).toEqual(
        [
          'CONFIG_INVALID',
          'CONFIG_INVALID',
          'CONFIG_UNKNOWN_OPTION',
          'CONFIG_UNKNOWN_OPTION',
          'PACKAGIST_TOKEN_MALFORMED',
          'PACKAGIST_USERNAME_MALFORMED',
        ].sort(),
      );
    });

    it('names the option path in the message', () => {
      try {
        resolveConfig({ packagist: { confirm: { onTimeout: 'maybe' } } }, { env: {} });
        expect.unreachable();
      } catch (error) {
        const [first] = (error as PhpublishAggregateError).errors;
        expect(first?.message).toContain('`packagist.confirm.onTimeout`');
        expect(first?.docsUrl).toMatch(/configuration\.md#options$/);
      }
    });

    it('token mode without credentials names both variables', () => {
      try {
        resolveConfig({ packagist: { mode: 'token' } }, { env: {} });
        expect.unreachable();
      } catch (error) {
        const [first] = (error as PhpublishAggregateError).errors;
        expect(first?.code).toBe('PACKAGIST_CREDENTIALS_MISSING');
        expect(first?.message).toContain('`PACKAGIST_USERNAME` and `PACKAGIST_API_TOKEN`');
      }
    });

    it('a malformed token is reported without its value', () => {
      const secret = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop';
      try {
        resolveConfig({}, { env: { PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: secret } });
        expect.unreachable();
      } catch (error) {
        const text = (error as PhpublishAggregateError).format();
        expect(text).toContain('PACKAGIST_TOKEN_MALFORMED');
        expect(text).toContain('looks like a GitHub token');
        expect(text).not.toContain(secret);
      }
    });
  });

  describe('when a signing key is configured', () => {
    // Only the shape matters here: the key is parsed and decrypted later (loadSigningKey, preflight).
    const body = [
      'xVgEZ0000000FgkrBgEEAdpHDwEBB0Bexamplexamplexamplexamplexample',
      'AAD/examplesecretbodylineexamplesecretbodyline0000000000000',
    ];
    const KEY = `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${body.join('\n')}\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----\n`;
    const PUBLIC = KEY.replace(/PRIVATE/g, 'PUBLIC');

    it('turns signing on when PHPUBLISH_GPG_PRIVATE_KEY is set, and registers the key, its lines and the passphrase', () => {
      const config = resolveConfig(
        {},
        { env: { PHPUBLISH_GPG_PRIVATE_KEY: KEY, PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE: 'open sesame' } },
      );
      expect(config.signing).toEqual({
        enabled: true,
        key: {
          armoredKey: KEY,
          keySource: 'PHPUBLISH_GPG_PRIVATE_KEY',
          passphrase: 'open sesame',
          passphraseSource: 'PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE',
        },
        trustedKeys: [],
        trustedFingerprints: [],
      });
      expect(config.secrets).toEqual(expect.arrayContaining([KEY, ...body, 'open sesame']));
    });

    describe('when the passphrase is set under its former name PHPUBLISH_GPG_PASSPHRASE', () => {
      it('reads it, registers it as a secret, and says to rename it', () => {
        const config = resolveConfig(
          {},
          { env: { PHPUBLISH_GPG_PRIVATE_KEY: KEY, PHPUBLISH_GPG_PASSPHRASE: 'open sesame' } },
        );
        expect(config.signing.key).toMatchObject({
          passphrase: 'open sesame',
          passphraseSource: 'PHPUBLISH_GPG_PASSPHRASE',
        });
        expect(config.notices).toContainEqual(
          expect.stringMatching(
            /PHPUBLISH_GPG_PASSPHRASE is a former name: rename .* to PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE/,
          ),
        );
        expect(config.notices.join('\n')).not.toContain('open sesame');
        expect(config.secrets).toContain('open sesame');
      });

      it('prefers the new name when both are set, says so, and registers both as secrets', () => {
        const config = resolveConfig(
          {},
          {
            env: {
              PHPUBLISH_GPG_PRIVATE_KEY: KEY,
              PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE: 'the new one',
              PHPUBLISH_GPG_PASSPHRASE: 'the old one',
            },
          },
        );
        expect(config.signing.key).toMatchObject({
          passphrase: 'the new one',
          passphraseSource: 'PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE',
        });
        expect(config.notices).toContainEqual(expect.stringContaining('PHPUBLISH_GPG_PASSPHRASE is set too'));
        expect(config.secrets).toEqual(expect.arrayContaining(['the new one', 'the old one']));
      });
    });

    it('names every secret variable (but the former passphrase name) so that semantic-release masks its value', () => {
      // semantic-release's own rule (lib/hide-sensitive.js): values of variables named like this are masked.
      const masked = /token|password|credential|secret|private/i;
      const secret = environmentVariables.filter((v) => v.secret).map((v) => v.name);
      expect(secret).toContain('PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE');
      expect(secret.filter((name) => !masked.test(name))).toEqual(['PHPUBLISH_GPG_PASSPHRASE']);
    });

    it('prefers `signing.key` and `signing.passphrase` over the variables', () => {
      const config = resolveConfig(
        { signing: { key: KEY, passphrase: 'from options' } },
        { env: { PHPUBLISH_GPG_PASSPHRASE: 'from env!' } },
      );
      expect(config.signing.key).toMatchObject({ keySource: '`signing.key`', passphrase: 'from options' });
      expect(config.secrets).toEqual(expect.arrayContaining(['from options', 'from env!']));
    });

    it('keeps the trusted keys and fingerprints for verification', () => {
      const fingerprint = '0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567';
      const config = resolveConfig(
        { signing: { trustedKeys: [PUBLIC], trustedFingerprints: [fingerprint] } },
        { env: {} },
      );
      expect(config.signing).toEqual({ enabled: false, trustedKeys: [PUBLIC], trustedFingerprints: [fingerprint] });
    });

    it('reports an empty variable, a public key and a missing key with their codes', () => {
      expect(problems({}, { PHPUBLISH_GPG_PRIVATE_KEY: '' })).toEqual(['SIGNING_KEY_EMPTY']);
      expect(problems({}, { PHPUBLISH_GPG_PRIVATE_KEY: PUBLIC })).toEqual(['SIGNING_KEY_NOT_PRIVATE']);
      expect(problems({ signing: { key: 'hello' } })).toEqual(['SIGNING_KEY_MALFORMED']);
      expect(problems({ signing: { enabled: true } })).toEqual(['SIGNING_KEY_MISSING']);
      expect(problems({ signing: { trustedFingerprints: ['ABCD'] } })).toEqual(['CONFIG_INVALID']);
    });

    it('ignores the key entirely when signing is turned off, but still treats it as a secret', () => {
      const config = resolveConfig({ signing: { enabled: false } }, { env: { PHPUBLISH_GPG_PRIVATE_KEY: '' } });
      expect(config.signing.enabled).toBe(false);
      const withKey = resolveConfig({ signing: { enabled: false } }, { env: { PHPUBLISH_GPG_PRIVATE_KEY: KEY } });
      expect(withKey.signing.key).toBeUndefined();
      expect(withKey.secrets).toContain(KEY);
    });

    it('never puts the key or passphrase in an error', () => {
      try {
        resolveConfig(
          { signing: { enabled: 'yes' } },
          { env: { PHPUBLISH_GPG_PRIVATE_KEY: PUBLIC, PHPUBLISH_GPG_PASSPHRASE: 'open sesame' } },
        );
        expect.unreachable();
      } catch (error) {
        const text = (error as PhpublishAggregateError).format();
        expect(text).toContain('SIGNING_KEY_NOT_PRIVATE');
        for (const secret of [...body, 'open sesame']) expect(text).not.toContain(secret);
      }
    });
  });

  it('is pure: the same input gives the same output and the input is not changed', () => {
    const options = { packagist: { mode: 'token' as const } };
    const env = { PACKAGIST_USERNAME: 'alice', PACKAGIST_API_TOKEN: TOKEN };
    const frozen = JSON.stringify({ options, env });
    expect(resolveConfig(options, { env })).toEqual(resolveConfig(options, { env }));
    expect(JSON.stringify({ options, env })).toBe(frozen);
  });
});
