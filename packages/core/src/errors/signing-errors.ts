import { defineErrors, type ErrorDefinition } from './definition.js';

/** Where the private key came from, as the user would name it: `PHPUBLISH_GPG_PRIVATE_KEY` or `signing.key`. */
export interface KeySource {
  source: string;
}

/** Parameters never carry key material or passphrases: fingerprints, key IDs and sources only. */
export const signingErrors = defineErrors({
  SIGNING_KEY_MISSING: {
    title: 'Signing was asked for but no private key is set',
    message: () =>
      'A release tag must be signed, but no OpenPGP private key is set (neither PHPUBLISH_GPG_PRIVATE_KEY nor `signing.key`).',
    remedy: () =>
      'Add the ASCII-armored private key (`gpg --armor --export-secret-keys <fingerprint>`) as the CI secret PHPUBLISH_GPG_PRIVATE_KEY, and its passphrase as PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE; or set `signing.enabled: false`.',
    docs: 'signing.md#loading-keys',
  } satisfies ErrorDefinition<void>,
  SIGNING_KEY_EMPTY: {
    title: 'The private key variable is set but empty',
    message: (p: KeySource) => `${p.source} is set but empty.`,
    remedy: () =>
      'CI systems pass an empty value when a secret is not available to the job (pull requests from forks, a protected environment, a typo in the secret name). Make the secret available to this job, or unset the variable and set `signing.enabled: false`.',
    docs: 'signing.md#loading-keys',
  } satisfies ErrorDefinition<KeySource>,
  SIGNING_KEY_MALFORMED: {
    title: 'The private key is not a readable ASCII-armored OpenPGP key',
    message: (p: KeySource & { problem: string }) => `${p.source} is not a usable OpenPGP private key: ${p.problem}.`,
    remedy: (p) =>
      `Export the key again with \`gpg --armor --export-secret-keys <fingerprint>\` and store the whole output, from -----BEGIN PGP PRIVATE KEY BLOCK----- to -----END PGP PRIVATE KEY BLOCK----- with its line breaks, in ${p.source}.`,
    docs: 'signing.md#loading-keys',
  } satisfies ErrorDefinition<KeySource & { problem: string }>,
  SIGNING_KEY_AMBIGUOUS: {
    title: 'The private key secret holds more than one key',
    message: (p: KeySource & { count: number; what: string; fingerprints?: readonly string[] }) =>
      `${p.source} holds ${p.count} ${p.what}${p.fingerprints?.length ? ` (${p.fingerprints.join(', ')})` : ''}; phpublish cannot tell which one should sign releases.`,
    remedy: (p) =>
      `Store exactly one private key in ${p.source}: \`gpg --armor --export-secret-keys <fingerprint>\` (or \`--export-secret-subkeys\`) with the fingerprint of the release key — without a fingerprint gpg exports every secret key it has. Public keys belong in \`signing.trustedKeys\` or PHPUBLISH_GPG_TRUSTED_KEYS.`,
    docs: 'signing.md#loading-keys',
  } satisfies ErrorDefinition<KeySource & { count: number; what: string; fingerprints?: readonly string[] }>,
  SIGNING_KEY_NOT_PRIVATE: {
    title: 'A public key was given where the private key is needed',
    message: (p: KeySource) => `${p.source} holds a public key; signing needs the private key.`,
    remedy: (p) =>
      `Export the private key with \`gpg --armor --export-secret-keys <fingerprint>\` (not \`--export\`) into ${p.source}. Public keys belong in \`signing.trustedKeys\`, for verification.`,
    docs: 'signing.md#loading-keys',
  } satisfies ErrorDefinition<KeySource>,
  SIGNING_PASSPHRASE_MISSING: {
    title: 'The private key is protected and no passphrase is set',
    message: (p: { fingerprint: string; source: string; empty: boolean }) =>
      `The private key ${p.fingerprint} is protected by a passphrase, and ${p.source} is ${p.empty ? 'set but empty' : 'not set'}.`,
    remedy: () =>
      'Store the passphrase as the CI secret PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE (or `signing.passphrase`), and make it available to this job.',
    docs: 'signing.md#loading-keys',
  } satisfies ErrorDefinition<{ fingerprint: string; source: string; empty: boolean }>,
  SIGNING_PASSPHRASE_WRONG: {
    title: 'The passphrase does not unlock the private key',
    message: (p: { fingerprint: string }) => `The passphrase does not unlock the private key ${p.fingerprint}.`,
    remedy: () =>
      'Check that PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE belongs to this key (no trailing newline or quotes pasted with it). If the key was exported with a different passphrase, update the secret; `gpg --passwd <fingerprint>` changes it.',
    docs: 'signing.md#loading-keys',
  } satisfies ErrorDefinition<{ fingerprint: string }>,
  SIGNING_KEY_UNSUPPORTED: {
    title: 'The key is of a kind that cannot sign release tags',
    // The problem says why: one openpgp.js does not sign with, or one GnuPG 2.2 (Debian 12, Ubuntu 24.04) cannot verify.
    message: (p: { fingerprint: string; problem: string }) =>
      `The key ${p.fingerprint} cannot sign release tags: ${p.problem}.`,
    remedy: () =>
      'Use a v4 Ed25519 key (`gpg --quick-gen-key "Name <email>" ed25519 sign`, or openpgp.js `curve: "ed25519Legacy"`) or a v4 RSA key of 2048 to 4096 bits. Do not use RFC 9580 v6 keys or the new Ed25519/Ed448 algorithms yet.',
    docs: 'signing.md#supported-keys',
  } satisfies ErrorDefinition<{ fingerprint: string; problem: string }>,
  SIGNING_KEY_EXPIRED: {
    title: 'The signing key has expired',
    message: (p: { fingerprint: string; expiredAt: string; primary?: string }) =>
      `The ${p.primary ? `subkey ${p.fingerprint} of key ${p.primary}, asked for exactly with "!",` : `key ${p.fingerprint}`} expired on ${p.expiredAt}.`,
    remedy: (p) =>
      p.primary
        ? `Ask for a subkey that is valid (set \`user.signingKey\` to the primary fingerprint without "!" to let phpublish pick the newest valid signing subkey, as gpg does), or extend this subkey's expiry (\`gpg --quick-set-expire ${p.primary} 1y ${p.fingerprint}\`) and export the key into the CI secret again.`
        : 'Extend the expiry (`gpg --quick-set-expire <fingerprint> 1y` and `gpg --quick-set-expire <fingerprint> 1y "*"` for subkeys), then export the private key into the CI secret again and publish the updated public key where consumers get it.',
    docs: 'signing.md#supported-keys',
  } satisfies ErrorDefinition<{ fingerprint: string; expiredAt: string; primary?: string }>,
  SIGNING_KEY_REVOKED: {
    title: 'The signing key has been revoked',
    message: (p: { fingerprint: string; primary?: string }) =>
      `The ${p.primary ? `subkey ${p.fingerprint} of key ${p.primary}, asked for exactly with "!",` : `key ${p.fingerprint}`} has been revoked; it must not sign anything.`,
    remedy: (p) =>
      p.primary
        ? 'Ask for a subkey that is not revoked, or set `user.signingKey` to the primary fingerprint without "!" to let phpublish pick the newest valid signing subkey, as gpg does.'
        : 'Create a new signing key, store it in PHPUBLISH_GPG_PRIVATE_KEY and publish its public key (and update `signing.trustedKeys`/`signing.trustedFingerprints`).',
    docs: 'signing.md#supported-keys',
  } satisfies ErrorDefinition<{ fingerprint: string; primary?: string }>,
  SIGNING_KEY_CANNOT_SIGN: {
    title: 'The key has no usable signing key or subkey',
    message: (p: { fingerprint: string; reasons?: readonly string[]; requested?: string }) =>
      p.requested
        ? `The key ${p.fingerprint} cannot sign with "${p.requested}", the (sub)key asked for exactly: ${(p.reasons ?? []).join('; ')}.`
        : p.reasons?.length
          ? `The key ${p.fingerprint} has no key or subkey that can sign here: ${p.reasons.join('; ')}.`
          : `The key ${p.fingerprint} has no valid key or subkey with signing capability (it may be encryption-only, or its signing subkey expired, was revoked or was not exported).`,
    remedy: () =>
      'Export a key whose signing part has its secret: `gpg --armor --export-secret-subkeys <fingerprint>` keeps every subkey’s secret and leaves out only the primary key’s, so the key needs a signing subkey (`gpg --quick-add-key <fingerprint> ed25519 sign`); keys on a smartcard cannot be used. To sign with one particular subkey, set `user.signingKey` to its fingerprint followed by "!".',
    docs: 'signing.md#supported-keys',
  } satisfies ErrorDefinition<{ fingerprint: string; reasons?: readonly string[]; requested?: string }>,
  SIGNING_KEY_MISMATCH: {
    title: 'git asked for a key (by fingerprint or key ID) that phpublish-gpg does not hold',
    message: (p: { requested: string; fingerprint: string; userId: string }) =>
      `git asked phpublish-gpg to sign with "${p.requested}", but the key in PHPUBLISH_GPG_PRIVATE_KEY is ${p.fingerprint} (${p.userId}).`,
    remedy: (p) =>
      `Set \`user.signingKey\` to this key's fingerprint (\`git config user.signingKey ${p.fingerprint}\`, or GIT_CONFIG_* variables in CI), or put the key that fingerprint names into PHPUBLISH_GPG_PRIVATE_KEY.`,
    docs: 'signing.md#phpublish-gpg-with-git',
  } satisfies ErrorDefinition<{ requested: string; fingerprint: string; userId: string }>,
  GPG_PROGRAM_USAGE: {
    title: 'phpublish-gpg was called in a way it does not implement',
    message: (p: { problem: string }) => `phpublish-gpg: ${p.problem}.`,
    remedy: () =>
      'phpublish-gpg implements what git uses: `--status-fd=N -bsau <key>` (sign standard input) and `--verify <signature-file> -` (verify standard input). Use it as `gpg.program`, not as a general gpg replacement.',
    docs: 'signing.md#phpublish-gpg-with-git',
  } satisfies ErrorDefinition<{ problem: string }>,
  SIGNING_NO_TRUSTED_KEYS: {
    title: 'There is no public key to verify signatures with',
    message: () => 'There are no public keys to verify tag signatures with.',
    remedy: () =>
      'Set `signing.trustedKeys` to the ASCII-armored public keys of the release signers (fingerprints alone cannot verify a signature), or provide the private key in PHPUBLISH_GPG_PRIVATE_KEY.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<void>,
  TRUSTED_KEY_INVALID: {
    title: 'A trusted key is not a readable OpenPGP public key',
    message: (p: { source: string; problem: string }) =>
      `${p.source} is not a usable OpenPGP public key: ${p.problem}.`,
    remedy: () => 'Use the output of `gpg --armor --export <fingerprint>` for each trusted signer.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<{ source: string; problem: string }>,
  TRUSTED_KEY_PRIVATE: {
    title: 'A private key was given where only public keys belong',
    message: (p: { source: string }) =>
      `${p.source} holds a private (secret) key; keys that verify signatures must be public keys.`,
    remedy: () =>
      'Replace it with the public key only (`gpg --armor --export <fingerprint>`). Whoever could read it could sign as its owner: treat the private key as exposed, and rotate it if the place it was stored is shared.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<{ source: string }>,
  TAG_NAME_INVALID: {
    title: 'The tag name is not a valid git tag name',
    message: (p: { tag: string }) => `"${p.tag}" is not a valid git tag name.`,
    remedy: () => 'Use a tag name like `v1.2.3` (see `git check-ref-format`).',
    docs: 'signing.md#signed-tags',
  } satisfies ErrorDefinition<{ tag: string }>,
  TAG_TARGET_NOT_FOUND: {
    title: 'The commit to tag does not exist',
    message: (p: { target: string }) => `There is no commit "${p.target}" in this repository.`,
    remedy: () => 'Tag a commit that exists locally (fetch it first in shallow CI checkouts).',
    docs: 'signing.md#signed-tags',
  } satisfies ErrorDefinition<{ target: string }>,
  TAG_MESSAGE_INVALID: {
    title: 'The tag message cannot be used',
    message: (p: { problem: string }) => `The tag message cannot be used: ${p.problem}.`,
    remedy: () =>
      'Give the release tag a non-empty message without lines that start with -----BEGIN (they would be taken for a signature).',
    docs: 'signing.md#signed-tags',
  } satisfies ErrorDefinition<{ problem: string }>,
  TAG_EXISTS_AT_OTHER_COMMIT: {
    title: 'The tag already exists at another commit',
    message: (p: { tag: string; expected: string; actual: string }) =>
      `Tag ${p.tag} already exists and points at ${p.actual}, not at ${p.expected}.`,
    remedy: () =>
      'Release tags are never moved (Packagist does not move a published version either): release the change as a new version.',
    docs: 'signing.md#signed-tags',
  } satisfies ErrorDefinition<{ tag: string; expected: string; actual: string }>,
  TAG_EXISTS_UNSIGNED: {
    title: 'The tag already exists but is not signed by this key',
    message: (p: { tag: string; fingerprint: string }) =>
      `Tag ${p.tag} already exists at this commit but is not an annotated tag signed by ${p.fingerprint}.`,
    remedy: () =>
      'Let phpublish replace it (`replaceExisting`) before it is pushed, or delete it (`git tag -d <tag>`) and run again. Do not replace a tag that others may already have fetched.',
    docs: 'signing.md#signed-tags',
  } satisfies ErrorDefinition<{ tag: string; fingerprint: string }>,
  TAG_WRITE_FAILED: {
    title: 'git could not write the signed tag',
    message: (p: { tag: string; reason: string }) => `git could not write tag ${p.tag}: ${p.reason}.`,
    remedy: () =>
      'Check that the repository is writable and that no other process changed the tag at the same time; when git says it has no identity ("Please tell me who you are"), set `user.name` and `user.email` in the job (or let the release tool name the tagger). Then run again.',
    docs: 'signing.md#signed-tags',
  } satisfies ErrorDefinition<{ tag: string; reason: string }>,
  TAG_PUSH_FAILED: {
    title: 'The signed tag could not be pushed',
    message: (p: { tag: string; remote: string; reason: string }) =>
      `Pushing tag ${p.tag} to ${p.remote} failed: ${p.reason}.`,
    remedy: () =>
      'Check the remote and the CI token’s permission to push tags (and tag protection rules). If the remote already has a different tag with this name, release a new version instead of moving it.',
    docs: 'signing.md#signed-tags',
  } satisfies ErrorDefinition<{ tag: string; remote: string; reason: string }>,
  TAG_PUSH_TIMED_OUT: {
    title: 'The remote did not take the tag in time',
    message: (p: { tag: string; remote: string; seconds: number }) =>
      `Pushing tag ${p.tag} to ${p.remote} did not finish within ${p.seconds} s; git was stopped.`,
    remedy: () =>
      'Run the release again: nothing was forced, and a tag the remote did take is found ("Already pushed"). If the remote is slow rather than stuck (a large first push), raise `signing.pushTimeout`.',
    docs: 'reliability.md#push-timeout',
  } satisfies ErrorDefinition<{ tag: string; remote: string; seconds: number }>,
  TAG_NOT_ANNOTATED: {
    title: 'The tag is a lightweight tag, so it cannot carry a signature',
    message: (p: { tag: string }) => `Tag ${p.tag} is a lightweight tag (a plain ref to a commit), not a signed tag.`,
    remedy: () => 'Release tags must be annotated, signed tags: create them with phpublish or `git tag -s`.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<{ tag: string }>,
  TAG_NOT_SIGNED: {
    title: 'The tag has no OpenPGP signature',
    message: (p: { tag: string }) => `Tag ${p.tag} is annotated but carries no OpenPGP signature.`,
    remedy: () => 'Create release tags with phpublish, or with `git tag -s` and phpublish-gpg as `gpg.program`.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<{ tag: string }>,
  TAG_OBJECT_INVALID: {
    title: 'The tag object is not a well-formed git tag',
    message: (p: { tag: string; problem: string }) => `Tag ${p.tag} is not a well-formed tag object: ${p.problem}.`,
    remedy: () => 'The tag was not written by git; do not trust it. Recreate it from a trusted machine.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<{ tag: string; problem: string }>,
  TAG_NAME_MISMATCH: {
    title: 'The signed tag names another version',
    message: (p: { tag: string; actual: string }) =>
      `The ref ${p.tag} holds a tag object signed for "${p.actual}": the signature vouches for another tag name.`,
    remedy: () =>
      'Someone copied a signed tag under a new name. Do not trust this version; ask the maintainers to tag it properly.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<{ tag: string; actual: string }>,
  TAG_SIGNATURE_MALFORMED: {
    title: 'The tag signature cannot be read',
    message: (p: { tag: string; problem: string }) => `The signature of tag ${p.tag} cannot be read: ${p.problem}.`,
    remedy: () => 'The tag was damaged or tampered with; do not trust it.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<{ tag: string; problem: string }>,
  TAG_SIGNATURE_BAD: {
    title: 'The tag signature does not match the tag',
    message: (p: { tag: string; keyId: string }) =>
      `The signature of tag ${p.tag} (key ${p.keyId}) does not match its contents: the tag was changed after it was signed.`,
    remedy: () => 'Do not trust this tag. Fetch it again from the original repository and tell its maintainers.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<{ tag: string; keyId: string }>,
  TAG_SIGNER_UNTRUSTED: {
    title: 'The tag is signed by a key that is not trusted',
    message: (p: { tag: string; keyId: string }) =>
      `Tag ${p.tag} is signed by key ${p.keyId}, which is not among the trusted keys.`,
    remedy: () =>
      'If this key really belongs to the maintainers, add its public key to `signing.trustedKeys` (and its fingerprint to `signing.trustedFingerprints` when you pin them); otherwise do not trust the tag.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<{ tag: string; keyId: string }>,
  TAG_SIGNER_REVOKED: {
    title: 'The tag is signed by a revoked key',
    message: (p: { tag: string; fingerprint: string }) =>
      `Tag ${p.tag} is signed by ${p.fingerprint}, which is revoked.`,
    remedy: () =>
      'A revoked key may have been compromised: do not trust tags it signed. Ask the maintainers for a release signed with their current key.',
    docs: 'signing.md#verification',
  } satisfies ErrorDefinition<{ tag: string; fingerprint: string }>,
});
