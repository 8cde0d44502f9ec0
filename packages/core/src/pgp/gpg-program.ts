import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { Redactor } from '../log/index.js';
import { PHPUBLISH_VERSION } from '../version.js';
import { PRIVATE_KEY_BEGIN } from './armor.js';
import { type GpgInvocation, GpgUsageProblem, parseGpgArguments } from './gpg-arguments.js';
import { keyTextSecrets, PRIVATE_KEY_VARIABLE, readSigningKeyMaterial } from './key-material.js';
import { matchKeySelector } from './key-selector.js';
import { readKeyText } from './key-text.js';
import { signDetached } from './sign.js';
import { loadSigningKey } from './signing-key.js';
import { loadTrustedKeys, type TrustedKey, type TrustedKeySource } from './trusted-keys.js';
import { type SignatureVerification, verifyDetached } from './verify.js';

/** Armored public keys that `--verify` accepts besides the signing key's own. */
export const TRUSTED_KEYS_VARIABLE = 'PHPUBLISH_GPG_TRUSTED_KEYS';

/** What phpublish-gpg gets from its process; passed in, so that the logic is testable without one. */
export interface GpgProgramInput {
  args: readonly string[];
  env: Record<string, string | undefined>;
  readStdin(): Promise<Uint8Array>;
  readFile(path: string): Promise<Uint8Array>;
  now?: () => Date;
}

/** What to write where. Status lines are already routed to stdout or stderr for fds 1 and 2. */
export interface GpgProgramResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Status lines for another descriptor (`--status-fd=3`). */
  status?: { fd: number; text: string };
}

/** GnuPG's exit codes: 0 good, 1 bad signature, 2 any other error. */
const EXIT_OK = 0;
const EXIT_BAD_SIGNATURE = 1;
const EXIT_ERROR = 2;

class Output {
  readonly #status: string[] = [];
  readonly #messages: string[] = [];
  stdout = '';

  status(line: string): void {
    this.#status.push(`[GNUPG:] ${line}\n`);
  }

  message(line: string): void {
    this.#messages.push(`phpublish-gpg: ${line}\n`);
  }

  error(error: PhpublishError): void {
    this.#messages.push(`phpublish-gpg: ${error.format()}\n`);
  }

  result(exitCode: number, statusFd: number | undefined, redactor: Redactor): GpgProgramResult {
    const status = this.#status.join('');
    const messages = this.#messages.join('');
    // Redact everything that leaves, whatever went wrong: the last line of defence for key material.
    const clean = (text: string) => (text === '' ? text : redactor.redact(text));
    const base = { exitCode, stdout: this.stdout, stderr: clean(messages) };
    if (statusFd === undefined || status === '') return base;
    if (statusFd === 1) return { ...base, stdout: this.stdout + clean(status) };
    if (statusFd === 2) return { ...base, stderr: clean(status) + base.stderr };
    return { ...base, status: { fd: statusFd, text: clean(status) } };
  }
}

/**
 * The `gpg.program` protocol, as pure logic: arguments, environment and input in; what to print
 * and the exit code out. Signs with PHPUBLISH_GPG_PRIVATE_KEY (+ PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE) and
 * verifies against that key's public half and PHPUBLISH_GPG_TRUSTED_KEYS. Never throws.
 */
export async function runGpgProgram(input: GpgProgramInput): Promise<GpgProgramResult> {
  const redactor = new Redactor();
  const { secrets } = readSigningKeyMaterial({ env: input.env });
  for (const secret of secrets) redactor.add(secret);
  // A private key pasted where public keys belong is refused, and must not be printed either.
  const trustedKeys = input.env[TRUSTED_KEYS_VARIABLE] ?? '';
  if (readKeyText(trustedKeys, TRUSTED_KEYS_VARIABLE).text.includes(PRIVATE_KEY_BEGIN)) {
    for (const secret of keyTextSecrets(trustedKeys)) redactor.add(secret);
  }
  const output = new Output();

  let invocation: GpgInvocation;
  try {
    invocation = parseGpgArguments(input.args);
  } catch (error) {
    if (!(error instanceof GpgUsageProblem)) throw error;
    output.error(new PhpublishError('GPG_PROGRAM_USAGE', { problem: error.message }));
    return output.result(EXIT_ERROR, undefined, redactor);
  }
  const now = input.now ?? (() => new Date());
  try {
    switch (invocation.mode) {
      case 'version':
        output.stdout = `phpublish-gpg ${PHPUBLISH_VERSION}\nImplements the part of gpg (GnuPG) 2.2's interface that git uses, with openpgp.js.\n`;
        return output.result(EXIT_OK, undefined, redactor);
      case 'help':
        output.stdout =
          'Usage: phpublish-gpg --status-fd=N -bsau <key>        sign standard input (key: PHPUBLISH_GPG_PRIVATE_KEY)\n' +
          '       phpublish-gpg --status-fd=N --verify <sig> -    verify standard input\n' +
          '       phpublish-gpg --check-key [-u <key>]            check the key and passphrase, and say what is wrong\n';
        return output.result(EXIT_OK, undefined, redactor);
      case 'check':
        return output.result(await check(invocation, input, now(), output), undefined, redactor);
      case 'sign':
        return output.result(await sign(invocation, input, now(), output), invocation.statusFd, redactor);
      case 'verify':
        return output.result(await verify(invocation, input, now(), output), invocation.statusFd, redactor);
    }
  } catch (error) {
    if (isPhpublishError(error)) output.error(error);
    else output.message(`internal error: ${String((error as Error)?.message ?? error)}`);
    return output.result(EXIT_ERROR, invocation.statusFd, redactor);
  }
}

/**
 * The key from the environment, checked and decrypted, with the part that signs chosen for `-u`
 * (another key's fingerprint is refused; `<id>!` is that exact (sub)key) — by the same function
 * for `--check-key` and for signing, so that what the check says is what signing does.
 */
async function signingKeyFor(invocation: GpgInvocation, input: GpgProgramInput, now: Date, output: Output) {
  const { material, problems } = readSigningKeyMaterial({ env: input.env });
  if (problems.length > 0) throw problems[0];
  if (!material) throw new PhpublishError('SIGNING_KEY_MISSING');
  const { localUser } = invocation;
  const key = await loadSigningKey(material, { now, ...(localUser === undefined ? {} : { selector: localUser }) });
  for (const notice of key.notices) output.message(`note: ${notice}`);
  if (localUser !== undefined && matchKeySelector(key, localUser) === 'other-user-id') {
    // phpublish-gpg holds exactly one key, so a name that is not on it cannot mean another key of
    // ours: it is git's default (the committer, often a bot account). Refusing would only produce
    // git 2.39's bare "gpg failed to sign the data", which hides this program's messages.
    output.message(
      `note: git asked for "${invocation.localUser}", which is not a user ID of ${key.fingerprint}; signing with that key, the only one phpublish-gpg holds (set user.signingKey to its fingerprint to be explicit)`,
    );
  }
  return key;
}

async function check(invocation: GpgInvocation, input: GpgProgramInput, now: Date, output: Output): Promise<number> {
  const key = await signingKeyFor(invocation, input, now, output);
  const subkey = key.signingFingerprint === key.fingerprint ? '' : `, with its subkey ${key.signingFingerprint}`;
  output.message(`key ${key.fingerprint} (${key.algorithm}, ${key.userId}) is ready to sign${subkey}`);
  return EXIT_OK;
}

async function sign(invocation: GpgInvocation, input: GpgProgramInput, now: Date, output: Output): Promise<number> {
  const key = await signingKeyFor(invocation, input, now, output);
  const data = await input.readStdin();
  const signature = await signDetached(key, data, { now });
  output.stdout = signature.armored;
  output.status(`KEY_CONSIDERED ${key.fingerprint} 0`);
  output.status(`BEGIN_SIGNING H${signature.hashAlgorithm}`);
  // The line git waits for (sign_buffer_gpg): without it git reports "gpg failed to sign the data".
  output.status(
    `SIG_CREATED D ${signature.publicKeyAlgorithm} ${signature.hashAlgorithm} ${hex2(signature.signatureClass)} ${seconds(signature.created)} ${signature.signingFingerprint}`,
  );
  return EXIT_OK;
}

async function verify(invocation: GpgInvocation, input: GpgProgramInput, now: Date, output: Output): Promise<number> {
  const [signatureFile, dataFile] = invocation.files as [string, string];
  const armoredSignature = Buffer.from(await input.readFile(signatureFile)).toString('utf8');
  const data = dataFile === '-' ? await input.readStdin() : await input.readFile(dataFile);

  const sources: TrustedKeySource[] = [];
  // Our own key as signing reads it (base64 decoded, indentation undone); only its public half is used.
  const own = readSigningKeyMaterial({ env: input.env });
  for (const problem of own.problems.filter((p) => p.code !== 'SIGNING_KEY_EMPTY')) output.error(problem);
  if (own.material) {
    sources.push({
      armored: own.material.armoredKey,
      source: PRIVATE_KEY_VARIABLE,
      trust: 'ultimate',
      privateKeyAllowed: true,
    });
  }
  const trustedKeys = input.env[TRUSTED_KEYS_VARIABLE];
  if (trustedKeys?.trim()) sources.push({ armored: trustedKeys, source: TRUSTED_KEYS_VARIABLE });
  // One unreadable source must not hide the others: report it and verify with the rest.
  const keys: TrustedKey[] = [];
  for (const source of sources) {
    try {
      keys.push(...(await loadTrustedKeys({ keys: [source] })).keys);
    } catch (error) {
      if (!isPhpublishError(error)) throw error;
      output.error(error);
    }
  }
  const trusted = { keys, given: keys.length };
  const result = await verifyDetached({ data, armoredSignature, trusted, now });
  return report(result, output, trusted.given === 0);
}

/** GnuPG's status lines for each outcome, as git parses them (gpg-interface.c, parse_gpg_output). */
function report(result: SignatureVerification, output: Output, noKeysAtAll: boolean): number {
  if (result.status === 'malformed') {
    output.status('NODATA 1');
    output.message(`no valid OpenPGP signature found: ${result.problem}`);
    return EXIT_ERROR;
  }
  const { signature } = result;
  // git matches "\n[GNUPG:] GOODSIG ": the verdict must not be the first line, as with GnuPG.
  output.status('NEWSIG');
  output.message(`Signature made ${signature.created.toISOString()}`);
  output.message(`               using key ${signature.issuerFingerprint ?? signature.issuerKeyId}`);
  if (result.status === 'no-public-key') {
    output.status(
      `ERRSIG ${signature.issuerKeyId} ${signature.publicKeyAlgorithm} ${signature.hashAlgorithm} ${hex2(signature.signatureClass)} ${seconds(signature.created)} 9 ${signature.issuerFingerprint ?? '-'}`,
    );
    output.status(`NO_PUBKEY ${signature.issuerKeyId}`);
    output.message(
      noKeysAtAll
        ? `Can't check signature: no public keys (set ${PRIVATE_KEY_VARIABLE} or ${TRUSTED_KEYS_VARIABLE})`
        : `Can't check signature: key ${signature.issuerKeyId} is not among the trusted keys (${PRIVATE_KEY_VARIABLE}, ${TRUSTED_KEYS_VARIABLE})`,
    );
    return EXIT_ERROR;
  }
  const { signer } = result;
  output.status(`KEY_CONSIDERED ${signer.fingerprint} 0`);
  const who = `${signer.signingKeyId} ${signer.userId}`;
  const validSig = `VALIDSIG ${signer.signingFingerprint} ${signature.created.toISOString().slice(0, 10)} ${seconds(signature.created)} 0 ${signature.version} 0 ${signature.publicKeyAlgorithm} ${signature.hashAlgorithm} ${hex2(signature.signatureClass)} ${signer.fingerprint}`;
  const trustLine = signer.trust === 'ultimate' ? 'TRUST_ULTIMATE 0 pgp' : 'TRUST_FULLY 0 pgp';
  switch (result.status) {
    case 'bad':
      output.status(`BADSIG ${who}`);
      output.message(`BAD signature from "${signer.userId}" (${result.reason})`);
      return EXIT_BAD_SIGNATURE;
    case 'revoked-key':
      if (!result.valid) {
        output.status(`BADSIG ${who}`);
        output.message(`BAD signature from "${signer.userId}"`);
        return EXIT_BAD_SIGNATURE;
      }
      output.status(`REVKEYSIG ${who}`);
      output.status(validSig);
      output.message(`Signature from "${signer.userId}", but this key has been revoked: do not trust it`);
      // GnuPG exits 0 here; a revoked key must fail any caller that looks at the exit code only.
      return EXIT_BAD_SIGNATURE;
    case 'good':
      output.status(`${result.keyExpired ? 'EXPKEYSIG' : 'GOODSIG'} ${who}`);
      output.status(validSig);
      output.status(trustLine);
      output.message(`Good signature from "${signer.userId}" [${signer.trust}]`);
      if (result.keyExpired) output.message('Note: this key has expired since it made the signature');
      return EXIT_OK;
  }
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
