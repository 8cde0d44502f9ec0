import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBareRemote, createPhpPackageRepo } from '../php-package-repo.js';
import { makeTempDir } from '../temp-dir.js';
import { describeLeaks, findLeaks, recordedPlaces, secretForms, type TestSecret } from './leak-scan.js';
import { recordFilesForLeakScan } from './leak-sources.js';

const token: TestSecret = { label: 'alice’s Packagist API token', value: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b' };
const idToken: TestSecret = {
  label: 'a GitHub Actions ID token',
  value: 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3Rva2VuIn0.c2lnbmF0dXJlLW9mLXRoZS1pZC10b2tlbi1pdHNlbGY',
};
const passphrase: TestSecret = { label: 'the key’s passphrase', value: 'correct horse battery staple' };

describe('the leak scan', () => {
  describe('when a secret was planted somewhere', () => {
    it.each([
      ['as is', `updating acme/hello with ${token.value}`],
      ['URL-encoded', `GET /x?q=${encodeURIComponent(passphrase.value)}`],
      ['base64, at every alignment', `Basic ${Buffer.from(`a:${token.value}`).toString('base64')}`],
      ['base64, one byte later', `Basic ${Buffer.from(`ab:${token.value}`).toString('base64')}`],
      ['base64, two bytes later', `Basic ${Buffer.from(`abc:${token.value}`).toString('base64')}`],
      ['base64url', Buffer.from(`{"t":"${passphrase.value}"}`).toString('base64url')],
      ['a JWT’s signature alone', `signature: ${idToken.value.split('.')[2]}`],
    ])('finds it %s, and names the secret by its label only', (_form, text) => {
      const leaks = findLeaks([token, idToken, passphrase], [{ where: 'the body of POST /api/x', text }]);
      expect(leaks.length).toBeGreaterThan(0);
      const report = describeLeaks(leaks);
      expect(report).toContain('found in the body of POST /api/x');
      for (const secret of [token, idToken, passphrase]) expect(report).not.toContain(secret.value);
    });

    it('finds it in the bytes of a buffer', () => {
      const leaks = findLeaks([passphrase], [{ where: 'a file', text: Buffer.from(`pass=${passphrase.value}\n`) }]);
      expect(leaks).toEqual([{ label: passphrase.label, form: 'as is', where: 'a file' }]);
    });

    it('finds it in a file left in a temp folder and in a commit pushed to a bare remote', async () => {
      const temp = await makeTempDir();
      const repo = await createPhpPackageRepo({ name: 'acme/leaky' });
      const remote = await createBareRemote();
      try {
        await mkdir(join(temp.path, 'work'));
        await writeFile(join(temp.path, 'work', 'notes.txt'), `token ${token.value}\n`);
        await repo.commit({ 'secret.txt': `${passphrase.value}\n` }, 'oops');
        await repo.git(['push', '-q', remote.dir, 'main']);
        const before = recordedPlaces().length;
        await recordFilesForLeakScan(temp.path);
        await remote.cleanup();
        const leaks = findLeaks([token, passphrase], recordedPlaces().slice(before));
        expect(leaks).toEqual([
          { label: token.label, form: 'as is', where: 'file work/notes.txt left in a temp folder' },
          { label: passphrase.label, form: 'as is', where: 'git objects of a bare remote' },
        ]);
      } finally {
        await temp.cleanup();
        await repo.cleanup();
        await remote.cleanup();
      }
    });
  });

  describe('when nothing was leaked', () => {
    it('reports nothing, also for text that merely resembles a secret', () => {
      const places = [
        { where: 'stdout', text: `token ${token.value.slice(0, 20)}… redacted` },
        { where: 'a header', text: 'authorization: <redacted>' },
      ];
      expect(findLeaks([token, idToken, passphrase], places)).toEqual([]);
    });
  });

  it('looks for each form of a secret once, and for none shorter than 12 characters (they would match by chance)', () => {
    const forms = secretForms(passphrase.value);
    expect(new Set(forms.map((f) => f.text)).size).toBe(forms.length);
    expect(forms.every((f) => f.text.length >= 12)).toBe(true);
    expect(forms.map((f) => f.form)).toEqual(expect.arrayContaining(['as is', 'URL-encoded', 'base64']));
  });
});
