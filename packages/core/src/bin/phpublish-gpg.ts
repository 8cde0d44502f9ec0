#!/usr/bin/env node
// git's `gpg.program`: signs and verifies with openpgp.js, with the key from PHPUBLISH_GPG_PRIVATE_KEY.
// It ships with core (not the CLI) so that every host adapter can hand it to git: see
// `gpgProgramScript` in release/git-signing-environment.ts. The protocol lives in pgp/ (runGpgProgram);
// this only wires the process.
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
