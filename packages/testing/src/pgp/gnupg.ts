/**
 * A real GnuPG with a fresh, empty home for one test: consumers' view of our signatures. Only for
 * phpublish's own tests.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GnupgHome {
  readonly home: string;
  /** Variables that make gpg (and git's gpg) use this home. */
  readonly env: { GNUPGHOME: string };
  importPublicKey(armored: string): Promise<void>;
  cleanup(): Promise<void>;
}

export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string | Uint8Array } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv | undefined, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** `agent: true` lets gpg start its agent (needed to make or use secret keys); it is stopped on cleanup. */
export async function freshGnupgHome({ agent = false }: { agent?: boolean } = {}): Promise<GnupgHome> {
  const home = await mkdtemp(join(tmpdir(), 'phpublish-gnupg-'));
  await chmod(home, 0o700);
  // Verification needs no agent; without this, gpg 2.2 starts one on the first key import.
  if (!agent) await writeFile(join(home, 'gpg.conf'), 'no-autostart\n');
  const env = { GNUPGHOME: home };
  return {
    home,
    env,
    async importPublicKey(armored) {
      const file = join(home, 'import.asc');
      await writeFile(file, armored);
      const result = await run('gpg', ['--batch', '--quiet', '--import', file], { env: { ...process.env, ...env } });
      if (result.exitCode !== 0) throw new Error(`gpg --import failed: ${result.stderr}`);
    },
    async cleanup() {
      await run('gpgconf', ['--kill', 'all'], { env: { ...process.env, ...env } }).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
}
