import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { sandboxAudit } from '@phpublish/sandbox';
import {
  clearLeakScan,
  describeLeaks,
  findLeaks,
  recordedPlaces,
  recordFilesForLeakScan,
  recordForLeakScan,
  registeredSecrets,
  registerSecret,
  type TestSecret,
} from '@phpublish/testing/leak-scan';
import { FIXTURE_PASSPHRASE, fixtureSecretLines } from '@phpublish/testing/pgp';
import { afterAll, expect } from 'vitest';
import { receivedRequests } from './packages/sandbox/src/http/request-log.js';

// The suite's leak scan (packages/testing/src/leak-scan/leak-scan.ts), once per test file: every secret the
// file's tests used is looked for in everything that left phpublish's hands. This file feeds it:
// - the process's own output (console and standard streams) and what tests record (CLI output);
// - every request the stand-ins received, minus the credentials in their proper places;
// - every file left in this test file's own temp folder once its tests have cleaned up, and the
//   objects of every git repository there (bare remotes also hand theirs over when removed).

// Each test file gets its own temp folder, so that what is left in it afterwards is this file's.
const suiteTemp = tmpdir();
const fileTemp = mkdtempSync(join(suiteTemp, 'pt-'));
process.env['TMPDIR'] = fileTemp;

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    recordForLeakScan(`the test process's ${stream === process.stdout ? 'stdout' : 'stderr'}`, Buffer.from(chunk));
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    recordForLeakScan(`console.${method} of a test`, format(...args));
    original(...args);
  };
}

/** The shape of a secret the sandbox issued, for a label that says what it was without showing it. */
function issuedLabel(value: string, index: number): string {
  if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(value)) return `ID token #${index} the sandbox's issuer minted`;
  if (/^[0-9a-f]+$/.test(value)) return `token or key #${index} the sandbox issued (${value.length} hex digits)`;
  return `secret #${index} the sandbox issued (${value.length} characters)`;
}

/** Secrets every test may use: the OpenPGP fixture keys (each secret line of their armor) and their passphrase. */
const FIXTURE_KEY_FILES = [
  'default-rsa.secret.asc',
  'default-ed25519.secret.asc',
  'subkey-signer.secret-subkeys.asc',
  'multi.secret.asc',
  'sq.secret.asc',
  'sq.protected.asc',
];

afterAll(async () => {
  registerSecret('the fixture keys’ passphrase', FIXTURE_PASSPHRASE);
  for (const file of FIXTURE_KEY_FILES) {
    fixtureSecretLines(file).forEach((line, index) => {
      registerSecret(`line ${index + 1} of the fixture private key ${file}`, line);
    });
  }
  for (const request of receivedRequests.splice(0)) {
    recordForLeakScan(`the URL of a request to a stand-in (${request.where})`, request.url);
    recordForLeakScan(`the headers of a request to a stand-in (${request.where})`, request.headers);
    recordForLeakScan(`the body of a request to a stand-in (${request.where})`, request.body);
  }
  await recordFilesForLeakScan(fileTemp);
  const issued: TestSecret[] = [...sandboxAudit.issuedSecrets].map((value, index) => ({
    label: issuedLabel(value, index + 1),
    value,
  }));
  const leaks = findLeaks([...registeredSecrets(), ...issued], recordedPlaces());
  clearLeakScan();
  process.env['TMPDIR'] = suiteTemp;
  rmSync(fileTemp, { recursive: true, force: true, maxRetries: 3 });
  expect(describeLeaks(leaks), 'secrets found where they must never be').toBe('');
});
