import { PhpublishError } from '../errors/index.js';
import { armoredKeySecrets, armorKind } from './armor.js';
import { countArmorBlocks, readKeyText } from './key-text.js';

export const PRIVATE_KEY_VARIABLE = 'PHPUBLISH_GPG_PRIVATE_KEY';
/**
 * The passphrase's variable. Its name contains PRIVATE so that semantic-release, which masks the
 * values of variables named like /token|password|credential|secret|private/i, masks it in every
 * plugin's output.
 */
export const PASSPHRASE_VARIABLE = 'PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE';
/** The passphrase's former name, still read when the new one is not set (resolveConfig says to rename it). */
export const LEGACY_PASSPHRASE_VARIABLE = 'PHPUBLISH_GPG_PASSPHRASE';

/** The secret inputs of signing, as read; nothing is parsed or decrypted yet. */
export interface SigningKeyMaterial {
  /** The armored key, with what CI systems do to key text undone (see `inspectSigningKeyText`). */
  armoredKey: string;
  /** Where the key came from, as the user names it (for messages): a variable or an option. */
  keySource: string;
  /** `undefined` when none was given; may be empty when the variable is set but empty. */
  passphrase?: string;
  passphraseSource: string;
  /** What was done to the text to read it (a byte order mark dropped, base64 decoded): for the log. */
  notices?: readonly string[];
}

export interface SigningKeyMaterialInput {
  env: Record<string, string | undefined>;
  /** `signing.key` / `signing.passphrase`: when set they win over the variables. */
  key?: string;
  passphrase?: string;
}

export interface ReadSigningKeyMaterial {
  /** Undefined when no key is configured anywhere (or it is unusable: see `problems`). */
  material?: SigningKeyMaterial;
  /** Problems visible without parsing: set-but-empty, a public key, text that is no private key. */
  problems: PhpublishError[];
  /** Everything secret that was read, in every form it could leak in, for the redactor. */
  secrets: string[];
}

/**
 * Reads the private key and passphrase from the options or the environment. Pure and synchronous:
 * the key is parsed and decrypted later by `loadSigningKey`, but anything secret is returned in
 * `secrets` at once so that it is redacted before anything can print it.
 */
export function readSigningKeyMaterial(input: SigningKeyMaterialInput): ReadSigningKeyMaterial {
  const fromOptions = input.key !== undefined;
  const armoredKey = fromOptions ? input.key : input.env[PRIVATE_KEY_VARIABLE];
  const keySource = fromOptions ? '`signing.key`' : PRIVATE_KEY_VARIABLE;
  const passphraseFromOptions = input.passphrase !== undefined;
  const envPassphrase = passphraseFromEnv(input.env);
  const passphrase = passphraseFromOptions ? input.passphrase : envPassphrase.value;
  const passphraseSource = passphraseFromOptions ? '`signing.passphrase`' : envPassphrase.source;

  const secrets = keyTextSecrets(armoredKey);
  if (passphrase !== undefined && passphrase !== '') secrets.push(passphrase);
  // Also the variables when the options won (and both names): all are secrets of this run either way.
  if (fromOptions) secrets.push(...keyTextSecrets(input.env[PRIVATE_KEY_VARIABLE]));
  for (const name of [PASSPHRASE_VARIABLE, LEGACY_PASSPHRASE_VARIABLE]) {
    const value = input.env[name];
    if (value) secrets.push(value);
  }

  if (armoredKey === undefined) return { problems: [], secrets };
  const inspected = inspectSigningKeyText(armoredKey, keySource);
  const { problems } = inspected;
  if (problems.length > 0 || inspected.armoredKey === undefined) return { problems, secrets };
  return {
    material: {
      armoredKey: inspected.armoredKey,
      keySource,
      passphraseSource,
      ...(passphrase === undefined ? {} : { passphrase }),
      ...(inspected.notices.length > 0 ? { notices: inspected.notices } : {}),
    },
    problems,
    secrets,
  };
}

/**
 * The passphrase from the environment: PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE, else its former name
 * PHPUBLISH_GPG_PASSPHRASE (resolveConfig tells the user to rename it).
 */
function passphraseFromEnv(env: Record<string, string | undefined>): { value?: string; source: string } {
  const value = env[PASSPHRASE_VARIABLE];
  const legacy = env[LEGACY_PASSPHRASE_VARIABLE];
  if (value === undefined && legacy !== undefined) return { value: legacy, source: LEGACY_PASSPHRASE_VARIABLE };
  return { ...(value === undefined ? {} : { value }), source: PASSPHRASE_VARIABLE };
}

/** A key's text in every form it could leak in: as given, and decoded or re-indented for parsing. */
export function keyTextSecrets(text: string | undefined): string[] {
  if (text === undefined) return [];
  return [...new Set([...armoredKeySecrets(text), ...armoredKeySecrets(readKeyText(text, '').text)])];
}

/**
 * The checks that need no parsing, shared by `readSigningKeyMaterial` (early, for every problem at
 * once) and `loadSigningKey` (for callers that pass text directly): empty, text that is no armor
 * (with why: base64, binary, line breaks lost), a public key, several blocks in one secret.
 */
export function inspectSigningKeyText(
  text: string,
  source: string,
): { armoredKey?: string; notices: string[]; problems: PhpublishError[] } {
  if (text.trim() === '') return { notices: [], problems: [new PhpublishError('SIGNING_KEY_EMPTY', { source })] };
  const read = readKeyText(text, source);
  const { notices } = read;
  if (read.problem) {
    return { notices, problems: [new PhpublishError('SIGNING_KEY_MALFORMED', { source, problem: read.problem })] };
  }
  const blocks = countArmorBlocks(read.text);
  if (blocks > 1) {
    return {
      armoredKey: read.text,
      notices,
      problems: [new PhpublishError('SIGNING_KEY_AMBIGUOUS', { source, count: blocks, what: 'armored blocks' })],
    };
  }
  const kind = armorKind(read.text);
  if (kind === 'public-key') {
    return { armoredKey: read.text, notices, problems: [new PhpublishError('SIGNING_KEY_NOT_PRIVATE', { source })] };
  }
  if (kind === 'other') {
    const problem = 'it has no -----BEGIN PGP PRIVATE KEY BLOCK----- line';
    return { notices, problems: [new PhpublishError('SIGNING_KEY_MALFORMED', { source, problem })] };
  }
  return { armoredKey: read.text, notices, problems: [] };
}
