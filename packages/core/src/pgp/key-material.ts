import { PhpublishError } from '../errors/index.js';
import { armoredKeySecrets, armorKind } from './armor.js';

export const PRIVATE_KEY_VARIABLE = 'PHPUBLISH_GPG_PRIVATE_KEY';
export const PASSPHRASE_VARIABLE = 'PHPUBLISH_GPG_PASSPHRASE';

/** The secret inputs of signing, as read; nothing is parsed or decrypted yet. */
export interface SigningKeyMaterial {
  armoredKey: string;
  /** Where the key came from, as the user names it (for messages): a variable or an option. */
  keySource: string;
  /** `undefined` when none was given; may be empty when the variable is set but empty. */
  passphrase?: string;
  passphraseSource: string;
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
  const passphrase = passphraseFromOptions ? input.passphrase : input.env[PASSPHRASE_VARIABLE];
  const passphraseSource = passphraseFromOptions ? '`signing.passphrase`' : PASSPHRASE_VARIABLE;

  const secrets = [...armoredKeySecrets(armoredKey)];
  if (passphrase !== undefined && passphrase !== '') secrets.push(passphrase);
  // Also the variables when the options won: both are secrets of this run either way.
  if (fromOptions) secrets.push(...armoredKeySecrets(input.env[PRIVATE_KEY_VARIABLE]));
  const envPassphrase = input.env[PASSPHRASE_VARIABLE];
  if (passphraseFromOptions && envPassphrase) secrets.push(envPassphrase);

  if (armoredKey === undefined) return { problems: [], secrets };
  const problems: PhpublishError[] = [];
  if (armoredKey.trim() === '') {
    problems.push(new PhpublishError('SIGNING_KEY_EMPTY', { source: keySource }));
  } else {
    const kind = armorKind(armoredKey);
    if (kind === 'public-key') problems.push(new PhpublishError('SIGNING_KEY_NOT_PRIVATE', { source: keySource }));
    else if (kind === 'other') {
      problems.push(
        new PhpublishError('SIGNING_KEY_MALFORMED', {
          source: keySource,
          problem: 'it has no -----BEGIN PGP PRIVATE KEY BLOCK----- line',
        }),
      );
    }
  }
  if (problems.length > 0) return { problems, secrets };
  return {
    material: { armoredKey, keySource, passphraseSource, ...(passphrase === undefined ? {} : { passphrase }) },
    problems,
    secrets,
  };
}
