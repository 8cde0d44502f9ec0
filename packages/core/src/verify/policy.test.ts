import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError, type PhpublishError } from '../errors/index.js';
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
      expect(error.message).toMatch(/packages\["acme\/hello"\]\.keys\[0\]: .*missing\.asc does not exist \(ENOENT\)/);
      expect(error.message).toContain('packages["acme/hello"].fingerprints[0]: "ABC" is not a 40-hex-digit');
      expect(error.message).toMatch(
        /packages\["acme\/other"\]\.keys: .*garbage\.asc is not a usable OpenPGP public key/,
      );
      expect(error.message).toMatch(/trustedRoot: .*nowhere\.json does not exist \(ENOENT\)/);
    });

    it('refuses a file that is not JSON, or is missing', async () => {
      expect((await refusal('{ "packages": ')).message).toContain('it is not valid JSON');
      const missing = await loadPolicy({ file: 'missing.json', cwd: dir.path }).catch((e: PhpublishError) => e);
      expect((missing as PhpublishError).message).toContain('it does not exist (ENOENT)');
    });
  });

  describe('when a key is given twice, at any depth (JSON.parse would keep the last one)', () => {
    const entry = `"keys": ["keys/acme.asc"], "identities": [${JSON.stringify(identity)}]`;
    it.each([
      [
        'a check switched off by a second field',
        `{"packages": {"acme/hello": {${entry}, "requireSignedTag": true, "requireAttestation": true, "requireSignedTag": false}}}`,
        'packages["acme/hello"].requireSignedTag is given twice in the same object',
      ],
      [
        'a package entry replaced by a second one',
        `{"packages": {"acme/hello": {${entry}}, "acme/hello": {"requireSignedTag": false, "requireAttestation": false}}}`,
        'packages["acme/hello"] is given twice',
      ],
      [
        'an identity field',
        `{"packages": {"acme/hello": {"keys": ["keys/acme.asc"], "identities": [{"repository": "acme/hello", "workflow": "a.yml", "workflow": "b.yml"}]}}}`,
        'packages["acme/hello"].identities[0].workflow is given twice',
      ],
      [
        'a top-level field',
        `{"packagistUrl": "https://repo.packagist.org", "packages": {}, "packagistUrl": "http://evil.invalid"}`,
        'packagistUrl is given twice',
      ],
    ])('refuses %s with VERIFY_POLICY_INVALID, naming its path', async (_, content, problem) => {
      expect((await refusal(content)).message).toContain(`it is not valid JSON: ${problem}`);
    });

    it('refuses a trusted root with a key given twice', async () => {
      await writeFile(join(dir.path, 'twice-root.json'), '{"mediaType": "a", "mediaType": "b"}');
      const error = await refusal({ trustedRoot: 'twice-root.json', packages: {} });
      expect(error.message).toMatch(/trustedRoot: .*twice-root\.json is not valid JSON: mediaType is given twice/);
    });
  });

  describe('when a key is "__proto__" (JSON.parse keeps it, the schema would drop it silently)', () => {
    it.each([
      ['{"packages": {"__proto__": {"requireSignedTag": false, "requireAttestation": false}}}', 'packages.__proto__'],
      [`{"__proto__": {"x": 1}, "packages": {}}`, '__proto__'],
    ])('refuses %s', async (content, where) => {
      expect((await refusal(content)).message).toContain(`${where}: a "__proto__" key is not allowed`);
    });
  });

  describe('when the file starts with a UTF-8 byte order mark', () => {
    it('reads the policy, and trusted roots with one too', async () => {
      await writeFile(join(dir.path, 'bom-root.json'), '\ufeff{"mediaType": "bom"}');
      const file = await policyFile(
        `\ufeff${JSON.stringify({ trustedRoot: 'bom-root.json', packages: { 'acme/*': { keys: ['keys/acme.asc'], identities: [identity] } } })}`,
      );
      const entry = policyEntryFor(await loadPolicy({ file, cwd: dir.path }), 'acme/hello')!;
      expect(entry.trustedRoot).toEqual({ mediaType: 'bom' });
    });
  });

  describe('when a file it names is not a regular file', () => {
    it('refuses a device or a directory as the policy, at once', async () => {
      for (const [file, problem] of [
        ['/dev/zero', 'it is a character device'],
        [dir.path, 'it is a directory, not a regular file'],
      ] as const) {
        const error = await loadPolicy({ file, cwd: dir.path }).catch((e: unknown) => e);
        expect(isPhpublishError(error, 'VERIFY_POLICY_INVALID')).toBe(true);
        expect((error as Error).message).toContain(problem);
      }
    });

    it('refuses devices and directories as key files and trusted roots, each with its path', async () => {
      const error = await refusal({
        trustedRoot: '/dev/zero',
        packages: { 'acme/hello': { keys: ['/dev/zero', 'keys'], identities: [identity] } },
      });
      expect(error.message).toContain('packages["acme/hello"].keys[0]: /dev/zero is a character device');
      expect(error.message).toContain(`packages["acme/hello"].keys[1]: ${join(dir.path, 'keys')} is a directory`);
      expect(error.message).toContain('trustedRoot: /dev/zero is a character device');
    });

    it('refuses a key file larger than the limit without reading it all', async () => {
      await writeFile(join(dir.path, 'keys', 'huge.asc'), Buffer.alloc(9 * 1024 * 1024, 'A'));
      const error = await refusal({ packages: { 'acme/hello': { keys: ['keys/huge.asc'], identities: [identity] } } });
      expect(error.message).toMatch(/keys\[0\]: .*huge\.asc is larger than 8 MiB/);
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
      'gitlabApiUrl',
      'trustedRoot',
      'packages',
    ]);
  });
});
