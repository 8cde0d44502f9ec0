// The process of git's `gpg.program` (started by phpublish-gpg.ts): the protocol lives in pgp/
// (runGpgProgram); this only wires the process.
import { readFile } from 'node:fs/promises';
// Only the OpenPGP part of core: git starts this program for every signature, so it must start fast.
import { runGpgProgram } from '../pgp/index.js';
import { writeStatusToFd } from './status-fd.js';

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const result = await runGpgProgram({
  args: process.argv.slice(2),
  env: process.env,
  readStdin,
  readFile: (path) => readFile(path),
});
if (result.status) writeStatusToFd(result.status.fd, result.status.text, process.stderr);
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
