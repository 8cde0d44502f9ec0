import { execFile } from 'node:child_process';

/** Runs a PHP snippet with the CLI (php-cli is a prerequisite of the project) and resolves to its output. */
export function runPhp(script: string, input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('php', ['-r', script], { encoding: 'utf8' }, (error, stdout, stderr) =>
      error ? reject(new Error(`php failed: ${stderr || error.message}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}
