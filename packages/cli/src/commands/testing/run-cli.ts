import { recordForLeakScan } from '@phpublish/testing/leak-scan';
import { main } from '../../main.js';

/** What a run of the CLI gave: its exit code and everything it wrote. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `phpublish <argv>` in this process, as `main()` with the output captured. */
export async function runCli(
  argv: string[],
  { cwd, env }: { cwd: string; env: Record<string, string | undefined> },
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main({
    argv,
    cwd,
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  // Everything the CLI printed goes to the suite's leak scan (vitest.leak-scan.setup.ts).
  recordForLeakScan(`the output of phpublish ${argv[0] ?? ''}`, `${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}
