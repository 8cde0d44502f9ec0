import { spawn } from 'node:child_process';

/**
 * Runs a release tool's program with Node, in `cwd`, with exactly `env` (nothing of this process's
 * environment), and passes its output on as it comes. Resolves with its exit code.
 */
export function runTool(input: {
  program: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  output: { write(text: string): void };
}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [input.program, ...input.args], {
      cwd: input.cwd,
      env: input.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => input.output.write(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => input.output.write(chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}
