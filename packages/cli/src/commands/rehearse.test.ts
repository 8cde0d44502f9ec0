import { describe, expect, it, onTestFailed } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { main } from '../main.js';
import type { RehearsalResult } from './rehearse.js';

describe('phpublish rehearse --sample', () => {
  it('releases the bundled sample into the local Packagist and installs it with Composer', async () => {
    let stdout = '';
    let stderr = '';
    onTestFailed(() => {
      console.error(`stderr of the rehearsal:\n${stderr}`);
    });
    const code = await main({
      argv: ['rehearse', '--sample', '--json'],
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
    });
    expect(stderr).not.toContain('internal error');
    expect(code).toBe(EXIT.ok);
    const result = JSON.parse(stdout) as RehearsalResult;
    expect(result.package).toBe('phpublish-sample/hello');
    expect(result.version).toBe('v1.0.0');
    expect(result.signedTag.object).toMatch(/^[0-9a-f]{40}$/);
    expect(result.signedTag.signer).toMatch(/^[0-9A-F]{40}$/i);
    expect(result.packagist).toMatchObject({ notified: 'update-package', confirmation: 'served' });
    expect(result.packagist.entry?.source?.reference).toBe(result.commit);
    // export-ignore in the sample's .gitattributes keeps tests/ out of the dist Composer installed.
    expect(result.installedFiles).toEqual(['README.md', 'composer.json', 'src/Greeter.php']);
    expect(stderr).toContain('Preflight passed');
  });
});
