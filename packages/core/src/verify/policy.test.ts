import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@phpublish/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError, type PhpublishError } from '../errors/index.js';
import { generateTestKey, type TestKey } from '../pgp/testing/keys.js';
import { loadPolicy, policyEntryFor } from './policy.js';
import { policyJsonSchema } from './policy-schema.js';

let dir: TempDir;
let key: TestKey;
let other: TestKey;

beforeAll(async () => {
  dir = await makeTempDir('phpublish-policy-');
  [key, other] = await Promise.all([generateTestKey('ed25519'), generateTestKey('ed25519')]);
  await mkdir(join(dir.path, 'keys'));
  await writeFile(join(dir.path, 'keys', 'acme.asc'), key.armoredPublicKey);
  await writeFile(join(dir.path, 'keys', 'both.asc'), `${key.armoredPublicKey}\n${other.armoredPublicKey}`);
  await writeFile(join(dir.path, 'keys', 'garbage.asc'), 'not a key');
  await writeFile(join(dir.path, 'root.json'), JSON.stringify({ mediaType: 'trusted-root' }));
});

afterAll(async () => {
  await dir.cleanup();
});

const identity = { repository: 'acme/{name}', workflow: '.github/workflows/release.yml' };

async function policyFile(content: unknown, name = `policy-${Math.random().toString(16).slice(2)}.json`) {
  const file = join(dir.path, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function refusal(content: unknown): Promise<PhpublishError> {
  const file = await policyFile(content);
  const error = await loadPolicy({ file, cwd: dir.path }).catch((e: unknown) => e);
  if (!isPhpublishError(error, 'VERIFY_POLICY_INVALID'))
    throw new Error(`expected VERIFY_POLICY_INVALID, got ${error}`);
  return error;
}

describe('loadPolicy', () => {
  describe('when the policy is valid', () => {
    it('reads key files and the trusted root relative to the policy file, and applies defaults', async () => {
      const file = await policyFile({
        trustedRoot: 'root.json',
        packages: { 'acme/*': { keys: ['keys/acme.asc'], identities: [identity] } },
      });
      const policy = await loadPolicy({ file: file.replace(`${dir.path}/`, ''), cwd: dir.path });
      const entry = policyEntryFor(policy, 'acme/hello')!;
      expect(entry.key).toBe('acme/*');
      expect(entry.trustedKeys.keys.map((k) => k.fingerprint)).toEqual([key.fingerprint]);
      expect(entry.trustedRoot).toEqual({ mediaType: 'trusted-root' });
      expect(entry.identities[0]).toMatchObject({ platform: 'github-actions', repository: 'acme/{name}' });
      expect(entry).toMatchObject({ requireSignedTag: true, requireAttestation: true });
    });

    it('prefers the package’s own entry to its vendor’s, and covers nothing else', async () => {
      const file = await policyFile({
        packages: {
          'acme/*': { keys: ['keys/acme.asc'], identities: [identity] },
          'acme/legacy': { keys: ['keys/acme.asc'], requireAttestation: false },
        },
      });
      const policy = await loadPolicy({ file, cwd: dir.path });
      expect(policyEntryFor(policy, 'acme/legacy')?.key).toBe('acme/legacy');
      expect(policyEntryFor(policy, 'ACME/Hello')?.key).toBe('acme/*');
      expect(policyEntryFor(policy, 'other/hello')).toBeUndefined();
      expect(policyEntryFor(policy, 'acme/legacy')?.trustedRoot).toBeUndefined();
    });

    it('pins keys to the fingerprints given', async () => {
      const file = await policyFile({
        packages: {
          'acme/hello': {
            keys: ['keys/both.asc'],
            fingerprints: [other.fingerprint.toLowerCase()],
            identities: [identity],
          },
        },
      });
      const entry = policyEntryFor(await loadPolicy({ file, cwd: dir.path }), 'acme/hello')!;
      expect(entry.trustedKeys.keys.map((k) => k.fingerprint)).toEqual([other.fingerprint]);
      expect(entry.trustedKeys.given).toBe(2);
    });
  });

  describe('when the policy cannot be used', () => {
    it('reports every problem at once', async () => {
      const error = await refusal({
        colour: 'blue',
        packages: {
          'acme/hello': { keys: ['keys/missing.asc'], fingerprints: ['ABC'], identities: [] },
          'other/*': { keys: [], identities: [{ repository: 'not a repo', workflow: '' }] },
          'Not A Name': { keys: ['keys/acme.asc'], requireAttestation: false },
        },
      });
      const text = error.message;
      expect(text).toContain('unknown field `colour`');
      expect(text).toContain('requireAttestation needs at least one identity');
      expect(text).toContain('requireSignedTag needs at least one key file');
      expect(text).toContain('must be owner/name');
      expect(text).toContain('must be vendor/name or vendor/*');
    });

    it('reports unreadable key files, keys that are no keys, bad fingerprints and missing roots', async () => {
      const error = await refusal({
        trustedRoot: 'nowhere.json',
        packages: {
          'acme/hello': { keys: ['keys/missing.asc'], fingerprints: ['ABC'], identities: [identity] },
          'acme/other': { keys: ['keys/garbage.asc'], identities: [identity] },
        },
      });
      expect(error.message).toMatch(/packages\["acme\/hello"\]\.keys\[0\]: .*missing\.asc cannot be read \(ENOENT\)/);
      expect(error.message).toContain('packages["acme/hello"].fingerprints[0]: "ABC" is not a 40-hex-digit');
      expect(error.message).toMatch(
        /packages\["acme\/other"\]\.keys: .*garbage\.asc is not a usable OpenPGP public key/,
      );
      expect(error.message).toMatch(/trustedRoot: .*nowhere\.json cannot be read/);
    });

    it('refuses a file that is not JSON, or is missing', async () => {
      expect((await refusal('{ "packages": ')).message).toContain('it is not valid JSON');
      const missing = await loadPolicy({ file: 'missing.json', cwd: dir.path }).catch((e: PhpublishError) => e);
      expect((missing as PhpublishError).message).toContain('it cannot be read (ENOENT)');
    });
  });
});

describe('policyJsonSchema', () => {
  it('describes the file users write, with an $id for editors', () => {
    const schema = policyJsonSchema() as { $id: string; required?: string[]; properties: Record<string, unknown> };
    expect(schema.$id).toBe('https://github.com/phpublish/phpublish/blob/main/docs/policy.schema.json');
    expect(schema.required).toEqual(['packages']);
    expect(Object.keys(schema.properties)).toEqual([
      '$schema',
      'packagistUrl',
      'githubApiUrl',
      'trustedRoot',
      'packages',
    ]);
  });
});
