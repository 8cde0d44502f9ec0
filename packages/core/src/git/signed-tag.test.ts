import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, gitEnv } from '@phpublish/testing/git';
import {
  freshGnupgHome,
  type GnupgHome,
  generateTestKey,
  run,
  type TestKey,
  type TestKeyKind,
} from '@phpublish/testing/pgp';
import { createBareRemote, createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { loadSigningKey, type SigningKey } from '../pgp/signing-key.js';
import { loadTrustedKeys, type TrustedKeys, trustSigningKey } from '../pgp/trusted-keys.js';
import { createSignedTag, pushTag, readTagObject, verifyTag, verifyTagObject } from './signed-tag.js';
import { parseTagObject } from './tag-object.js';

const PASSPHRASE = 'tag signing passphrase 42';

interface Signer {
  test: TestKey;
  key: SigningKey;
}

const signers = new Map<string, Signer>();
const variants: Array<[TestKeyKind, boolean]> = [
  ['ed25519', false],
  ['ed25519', true],
  ['rsa2048', false],
  ['rsa2048', true],
  ['rsa3072', false],
  ['rsa3072', true],
  ['rsa4096', false],
  ['rsa4096', true],
];
const variantName = ([kind, protectedKey]: [TestKeyKind, boolean]) =>
  `${kind}${protectedKey ? ' with passphrase' : ''}`;

beforeAll(async () => {
  // RSA 4096 generation is slow: every key once per file, in parallel.
  await Promise.all(
    variants.map(async ([kind, protectedKey]) => {
      const test = await generateTestKey(kind, protectedKey ? { passphrase: PASSPHRASE } : {});
      const key = await loadSigningKey({
        armoredKey: test.armoredPrivateKey,
        keySource: 'PHPUBLISH_GPG_PRIVATE_KEY',
        passphraseSource: 'PHPUBLISH_GPG_PASSPHRASE',
        ...(test.passphrase ? { passphrase: test.passphrase } : {}),
      });
      signers.set(variantName([kind, protectedKey]), { test, key });
    }),
  );
}, 180_000);

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function track<T extends { cleanup(): Promise<unknown> }>(value: T): T {
  cleanups.push(() => value.cleanup());
  return value;
}

const ed25519 = () => signers.get('ed25519')!;
const env = gitEnv();

async function repoWithSignedTag(signer: Signer, tag = 'v1.0.0'): Promise<PhpPackageRepo> {
  const repo = track(await createPhpPackageRepo({ name: 'acme/hello' }));
  await createSignedTag({ cwd: repo.dir, env, tag, message: `Release ${tag}`, key: signer.key });
  return repo;
}

/** `git verify-tag` exactly as a consumer runs it: stock git, real gpg, nothing configured. */
async function gitVerifyTagWithGnupg(repo: PhpPackageRepo, gnupg: GnupgHome, tag = 'v1.0.0') {
  return run('git', ['verify-tag', '--raw', tag], { cwd: repo.dir, env: { ...env, ...gnupg.env } });
}

describe('when signing a release tag', () => {
  it.each(variants.map(variantName))(
    'makes a tag that stock git verify-tag accepts under GnuPG 2.2 (%s)',
    async (name) => {
      const signer = signers.get(name)!;
      const repo = await repoWithSignedTag(signer);
      const gnupg = track(await freshGnupgHome());
      await gnupg.importPublicKey(signer.test.armoredPublicKey);
      const verified = await gitVerifyTagWithGnupg(repo, gnupg);
      expect(verified.exitCode, verified.stderr).toBe(0);
      expect(verified.stderr).toContain('[GNUPG:] GOODSIG ');
      expect(verified.stderr).toContain(`[GNUPG:] VALIDSIG ${signer.key.signingFingerprint} `);
      // A plain signature: no openpgp.js salt notation for GnuPG to print.
      expect(verified.stderr).not.toContain('NOTATION');
    },
  );

  it.each(variants.map(variantName))("makes a tag that Sequoia's sqv accepts (%s)", async (name) => {
    const signer = signers.get(name)!;
    const repo = await repoWithSignedTag(signer);
    const tagObject = await readTagObject({ cwd: repo.dir, env, tag: 'v1.0.0' });
    const dir = track(await makeTempDir('phpublish-sqv-'));
    await writeFile(join(dir.path, 'keyring.asc'), signer.test.armoredPublicKey);
    await writeFile(join(dir.path, 'tag.sig'), tagObject.signature!);
    await writeFile(join(dir.path, 'tag.payload'), tagObject.payload);
    const files = ['tag.sig', 'tag.payload'].map((f) => join(dir.path, f));
    const verified = await run('sqv', ['--keyring', join(dir.path, 'keyring.asc'), ...files]);
    expect(verified.exitCode, verified.stderr).toBe(0);
    expect(verified.stdout.trim()).toBe(signer.key.signingFingerprint);
    // And sqv rejects the same signature over other bytes.
    await writeFile(join(dir.path, 'tag.payload'), Buffer.concat([tagObject.payload, Buffer.from('x')]));
    expect((await run('sqv', ['--keyring', join(dir.path, 'keyring.asc'), ...files])).exitCode).not.toBe(0);
  });

  it('signs exactly the bytes of the tag git itself would write, and stores them with the signature', async () => {
    const repo = track(await createPhpPackageRepo({ name: 'acme/hello' }));
    const signed = await createSignedTag({
      cwd: repo.dir,
      env,
      tag: 'v1.0.0',
      message: 'Release v1.0.0\n\n- first release  \n\n',
      key: ed25519().key,
    });
    expect(signed).toMatchObject({ tag: 'v1.0.0', ref: 'refs/tags/v1.0.0', commit: repo.head, created: true });
    // The same tag, unsigned, written by git itself with the same identity and clock.
    await git(
      repo.dir,
      ['tag', '--annotate', '--cleanup=whitespace', '-m', 'Release v1.0.0\n\n- first release  \n\n', 'plain'],
      { env },
    );
    const plain = Buffer.from(await git(repo.dir, ['cat-file', 'tag', 'plain'], { env }));
    const ours = await readTagObject({ cwd: repo.dir, env, tag: 'v1.0.0' });
    expect(ours.payload.toString()).toBe(plain.toString().replace('tag plain\n', 'tag v1.0.0\n'));
    expect(ours.raw.toString()).toBe(`${ours.payload.toString()}${ours.signature}`);
    expect(ours.signature).toMatch(/^-----BEGIN PGP SIGNATURE-----\n\n[\s\S]+\n-----END PGP SIGNATURE-----\n$/);
    expect(ours.tagger).toBe('Phpublish Test <test@phpublish.invalid> 1767225600 +0000');
    expect(await git(repo.dir, ['rev-parse', 'v1.0.0^{commit}'], { env })).toBe(`${repo.head}\n`);
    expect((await git(repo.dir, ['fsck', '--strict', '--no-progress'], { env })).trim()).toBe('');
  });

  it('leaves an existing tag signed by the same key alone on a re-run', async () => {
    const repo = await repoWithSignedTag(ed25519());
    const first = await git(repo.dir, ['rev-parse', 'refs/tags/v1.0.0'], { env });
    const again = await createSignedTag({
      cwd: repo.dir,
      env,
      tag: 'v1.0.0',
      message: 'Release v1.0.0',
      key: ed25519().key,
    });
    expect(again.created).toBe(false);
    expect(`${again.oid}\n`).toBe(first);
  });

  it('never moves a tag that points at another commit', async () => {
    const repo = await repoWithSignedTag(ed25519());
    await repo.commit({ 'README.md': '# Hello\n' });
    const error = await createSignedTag({
      cwd: repo.dir,
      env,
      tag: 'v1.0.0',
      message: 'Release',
      key: ed25519().key,
      replaceExisting: true,
    }).catch((e) => e);
    expect(isPhpublishError(error, 'TAG_EXISTS_AT_OTHER_COMMIT')).toBe(true);
  });

  it('replaces a lightweight tag at the same commit only when asked to', async () => {
    const repo = track(await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] }));
    const input = { cwd: repo.dir, env, tag: 'v1.0.0', message: 'Release v1.0.0', key: ed25519().key };
    const refused = await createSignedTag(input).catch((e) => e);
    expect(isPhpublishError(refused, 'TAG_EXISTS_UNSIGNED')).toBe(true);
    const signed = await createSignedTag({ ...input, replaceExisting: true });
    expect(signed.created).toBe(true);
    expect((await git(repo.dir, ['cat-file', '-t', 'v1.0.0'], { env })).trim()).toBe('tag');
  });

  it('refuses an invalid tag name, a missing commit and an empty message, with their codes', async () => {
    const repo = track(await createPhpPackageRepo({ name: 'acme/hello' }));
    const base = { cwd: repo.dir, env, message: 'Release', key: ed25519().key };
    const codes = await Promise.all([
      createSignedTag({ ...base, tag: 'v1..0' }).catch((e) => e.code),
      createSignedTag({ ...base, tag: 'v1.0.0', target: 'no-such-branch' }).catch((e) => e.code),
      createSignedTag({ ...base, tag: 'v1.0.0', message: ' \n\n' }).catch((e) => e.code),
      createSignedTag({ ...base, tag: 'v1.0.0', message: 'x\n-----BEGIN PGP SIGNATURE-----\n' }).catch((e) => e.code),
    ]);
    expect(codes).toEqual(['TAG_NAME_INVALID', 'TAG_TARGET_NOT_FOUND', 'TAG_MESSAGE_INVALID', 'TAG_MESSAGE_INVALID']);
  });

  it('pushes the tag, treats a re-push as done, and never overwrites a different remote tag', async () => {
    const repo = await repoWithSignedTag(ed25519());
    const remote = track(await createBareRemote());
    expect(await pushTag({ cwd: repo.dir, env, tag: 'v1.0.0', remote: remote.dir })).toEqual({ pushed: true });
    expect(await git(remote.dir, ['rev-parse', 'refs/tags/v1.0.0'], { env })).toBe(
      await git(repo.dir, ['rev-parse', 'refs/tags/v1.0.0'], { env }),
    );
    expect(await pushTag({ cwd: repo.dir, env, tag: 'v1.0.0', remote: remote.dir })).toEqual({ pushed: false });

    const other = await repoWithSignedTag(signers.get('rsa2048')!);
    const error = await pushTag({ cwd: other.dir, env, tag: 'v1.0.0', remote: remote.dir }).catch((e) => e);
    expect(isPhpublishError(error, 'TAG_PUSH_FAILED')).toBe(true);
    expect(error.message).toMatch(/rejected|already exists/);
  });

  it('reads a remote that looks like an option as a name, never as an option of git push', async () => {
    const repo = await repoWithSignedTag(ed25519());
    const marker = join(repo.dir, 'receive-pack-ran');
    const error = await pushTag({ cwd: repo.dir, env, tag: 'v1.0.0', remote: `--receive-pack=touch ${marker}` }).catch(
      (e) => e,
    );
    expect(isPhpublishError(error, 'TAG_PUSH_FAILED')).toBe(true);
    // git was told the remote's name (and refused it as a path), not handed an option.
    expect(error.message).toMatch(/failed: .*'--receive-pack=touch /);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('when verifying a tag', () => {
  let trusted: TrustedKeys;
  beforeAll(async () => {
    trusted = await loadTrustedKeys({ keys: [{ armored: ed25519().test.armoredPublicKey, source: 'test' }] });
  });

  it('returns the signer and the commit for a tag signed by a trusted key', async () => {
    const repo = await repoWithSignedTag(ed25519());
    const verified = await verifyTag({ cwd: repo.dir, env, tag: 'v1.0.0', trusted });
    expect(verified).toMatchObject({
      tag: 'v1.0.0',
      object: repo.head,
      type: 'commit',
      keyExpired: false,
      signer: { fingerprint: ed25519().key.fingerprint, trust: 'full', userId: ed25519().test.userId },
      signature: { signatureClass: 0, publicKeyAlgorithm: 22, version: 4 },
    });
  });

  it('accepts a tag made by git tag -s with real GnuPG', async () => {
    const repo = track(await createPhpPackageRepo({ name: 'acme/hello' }));
    // GnuPG makes its own key here (which needs its agent); our verifier must accept what stock tools produce.
    const gnupg = track(await freshGnupgHome({ agent: true }));
    const gpgEnv = { ...env, ...gnupg.env };
    const made = await run(
      'gpg',
      ['--batch', '--passphrase', '', '--quick-gen-key', 'Bob <bob@phpublish.invalid>', 'ed25519', 'sign', 'never'],
      {
        env: { ...process.env, ...gnupg.env },
      },
    );
    expect(made.exitCode, made.stderr).toBe(0);
    const signedByGit = await run(
      'git',
      ['tag', '-s', '-u', 'bob@phpublish.invalid', '-m', 'Release v1.0.0', 'v1.0.0'],
      { cwd: repo.dir, env: gpgEnv },
    );
    expect(signedByGit.exitCode, signedByGit.stderr).toBe(0);
    const bob = (
      await run('gpg', ['--batch', '--armor', '--export', 'bob@phpublish.invalid'], {
        env: { ...process.env, ...gnupg.env },
      })
    ).stdout;
    const verified = await verifyTag({
      cwd: repo.dir,
      env,
      tag: 'v1.0.0',
      trusted: await loadTrustedKeys({ keys: [{ armored: bob, source: 'bob' }] }),
    });
    expect(verified.signer.userId).toBe('Bob <bob@phpublish.invalid>');
  });

  it('refuses a lightweight tag, an unsigned annotated tag and a missing tag, with their codes', async () => {
    const repo = track(
      await createPhpPackageRepo({ name: 'acme/hello', tags: ['light', { name: 'plain', annotated: true }] }),
    );
    const codes = await Promise.all(
      ['light', 'plain', 'missing'].map((tag) => verifyTag({ cwd: repo.dir, env, tag, trusted }).catch((e) => e.code)),
    );
    expect(codes).toEqual(['TAG_NOT_ANNOTATED', 'TAG_NOT_SIGNED', 'TAG_NOT_FOUND']);
  });

  it('refuses a tag signed by a key that is not trusted', async () => {
    const repo = await repoWithSignedTag(signers.get('rsa2048')!);
    const error = await verifyTag({ cwd: repo.dir, env, tag: 'v1.0.0', trusted }).catch((e) => e);
    expect(isPhpublishError(error, 'TAG_SIGNER_UNTRUSTED')).toBe(true);
    expect(error.message).toContain(signers.get('rsa2048')!.key.keyId);
  });

  it('accepts only pinned fingerprints when fingerprints are given', async () => {
    const repo = await repoWithSignedTag(ed25519());
    const keys = [ed25519(), signers.get('rsa2048')!].map((s) => ({
      armored: s.test.armoredPublicKey,
      source: 'test',
    }));
    const pinnedOther = await loadTrustedKeys({ keys, fingerprints: [signers.get('rsa2048')!.key.fingerprint] });
    const refused = await verifyTag({ cwd: repo.dir, env, tag: 'v1.0.0', trusted: pinnedOther }).catch((e) => e);
    expect(isPhpublishError(refused, 'TAG_SIGNER_UNTRUSTED')).toBe(true);
    const spaced = ed25519()
      .key.fingerprint.replace(/(.{4})/g, '$1 ')
      .toLowerCase();
    const pinned = await loadTrustedKeys({ keys, fingerprints: [spaced] });
    await expect(verifyTag({ cwd: repo.dir, env, tag: 'v1.0.0', trusted: pinned })).resolves.toMatchObject({
      tag: 'v1.0.0',
    });
    await expect(loadTrustedKeys({ keys, fingerprints: ['ABCD'] })).rejects.toMatchObject({
      code: 'TRUSTED_KEY_INVALID',
    });
  });

  it('refuses a signed tag copied under another name', async () => {
    const repo = await repoWithSignedTag(ed25519());
    const oid = (await git(repo.dir, ['rev-parse', 'refs/tags/v1.0.0'], { env })).trim();
    await git(repo.dir, ['update-ref', 'refs/tags/v2.0.0', oid], { env });
    const error = await verifyTag({ cwd: repo.dir, env, tag: 'v2.0.0', trusted }).catch((e) => e);
    expect(isPhpublishError(error, 'TAG_NAME_MISMATCH')).toBe(true);
  });

  it('cannot verify anything without keys, and says so', async () => {
    const repo = await repoWithSignedTag(ed25519());
    const error = await verifyTag({ cwd: repo.dir, env, tag: 'v1.0.0', trusted: { keys: [], given: 0 } }).catch(
      (e) => e,
    );
    expect(isPhpublishError(error, 'SIGNING_NO_TRUSTED_KEYS')).toBe(true);
  });
});

describe('when a signed tag was tampered with', () => {
  /** Writes `raw` as a tag object (bypassing mktag's checks, as an attacker could) under refs/tags/v1.0.0. */
  async function replaceTagObject(repo: PhpPackageRepo, raw: Buffer): Promise<void> {
    const oid = (
      await git(repo.dir, ['hash-object', '-t', 'tag', '-w', '--literally', '--stdin'], {
        env,
        input: raw.toString('latin1'),
      })
    ).trim();
    await git(repo.dir, ['update-ref', 'refs/tags/v1.0.0', oid], { env });
  }

  function changeOneByte(raw: Buffer, offset: number): Buffer {
    const copy = Buffer.from(raw);
    const original = String.fromCharCode(copy[offset]!);
    // Stay within the same alphabet (hex digits, base64, letters), so that only the meaning changes.
    const replacement = /[0-9a-f]/.test(original)
      ? ((Number.parseInt(original, 16) + 1) % 16).toString(16)
      : original === 'A'
        ? 'B'
        : 'A';
    copy[offset] = replacement.charCodeAt(0);
    return copy;
  }

  const tamperings: Array<[string, (raw: Buffer) => number]> = [
    ['one byte of the message', (raw) => raw.indexOf('Release v1.0.0') + 9],
    ['one byte of the object line', (raw) => raw.indexOf('object ') + 7 + 20],
    [
      'one byte of the signature',
      (raw) => {
        // A base64 character in the last body line: the signature value itself, not its header.
        const text = raw.toString('latin1');
        const checksum = text.lastIndexOf('\n=');
        const lastBodyLine = text.lastIndexOf('\n', checksum - 1) + 1;
        return lastBodyLine + Math.max(0, checksum - lastBodyLine - 8);
      },
    ],
  ];

  for (const name of ['ed25519', 'rsa3072 with passphrase']) {
    it.each(tamperings)(
      `changing %s makes verification fail with TAG_SIGNATURE_BAD, for us and for GnuPG (${name})`,
      async (_what, offsetOf) => {
        const signer = signers.get(name)!;
        const repo = await repoWithSignedTag(signer);
        const original = await readTagObject({ cwd: repo.dir, env, tag: 'v1.0.0' });
        const tampered = changeOneByte(original.raw, offsetOf(original.raw));
        expect(tampered.equals(original.raw)).toBe(false);
        await replaceTagObject(repo, tampered);

        const error = await verifyTag({
          cwd: repo.dir,
          env,
          tag: 'v1.0.0',
          trusted: trustSigningKey(signer.key),
        }).catch((e) => e);
        expect(error.code).toBe('TAG_SIGNATURE_BAD');

        const gnupg = track(await freshGnupgHome());
        await gnupg.importPublicKey(signer.test.armoredPublicKey);
        const byGnupg = await gitVerifyTagWithGnupg(repo, gnupg);
        expect(byGnupg.exitCode).not.toBe(0);
        expect(byGnupg.stderr).not.toContain('[GNUPG:] GOODSIG');
      },
    );
  }

  it('reports a signature whose armor no longer parses as TAG_SIGNATURE_MALFORMED', async () => {
    const repo = await repoWithSignedTag(ed25519());
    const original = await readTagObject({ cwd: repo.dir, env, tag: 'v1.0.0' });
    // The signature's body cut after its first 20 characters: the packet ends mid-way.
    const signature = original.signature!.replace(/\n\n([A-Za-z0-9+/]{20})[\s\S]*?\n=/, '\n\n$1\n=');
    const broken = Buffer.concat([original.payload, Buffer.from(signature, 'latin1')]);
    const error = await verifyTagObject(broken, { tag: 'v1.0.0', trusted: trustSigningKey(ed25519().key) }).catch(
      (e) => e,
    );
    expect(error.code).toBe('TAG_SIGNATURE_MALFORMED');
  });

  it('reports the same codes from the bytes alone, without git', async () => {
    const repo = await repoWithSignedTag(ed25519());
    const { raw } = await readTagObject({ cwd: repo.dir, env, tag: 'v1.0.0' });
    const trusted = trustSigningKey(ed25519().key);
    await expect(verifyTagObject(raw, { tag: 'v1.0.0', trusted })).resolves.toMatchObject({ tag: 'v1.0.0' });
    const tampered = changeOneByte(raw, raw.indexOf('Release v1.0.0') + 9);
    await expect(verifyTagObject(tampered, { tag: 'v1.0.0', trusted })).rejects.toMatchObject({
      code: 'TAG_SIGNATURE_BAD',
    });
    expect(parseTagObject(tampered).message).not.toBe(parseTagObject(raw).message);
  });
});

afterAll(() => {
  signers.clear();
});

export type { TempDir };
