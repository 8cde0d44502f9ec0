import { defineErrors, type ErrorDefinition } from './definition.js';

/** A package at a version, as the consumer asked for it (`acme/hello` `v1.2.0`). */
export interface PackageAt {
  packageName: string;
  version: string;
}

/**
 * The consumer side (`phpublish verify`). Parameters are public facts only: package names,
 * versions, commits, fingerprints, URLs without credentials. Remedies speak to the person who
 * installs the package, not to its maintainers.
 */
export const verifyErrors = defineErrors({
  VERIFY_POLICY_INVALID: {
    title: 'The verification policy cannot be used',
    message: (p: { file: string; problems: string[] }) =>
      `The policy ${p.file} cannot be used: ${p.problems.join('; ')}.`,
    remedy: () =>
      'Fix the policy file; docs/policy.schema.json describes every field (add `"$schema"` to the file to have your editor check it).',
    docs: 'verify.md#the-policy-file',
  } satisfies ErrorDefinition<{ file: string; problems: string[] }>,
  VERIFY_LOCK_INVALID: {
    title: 'composer.lock cannot be read',
    message: (p: { file: string; problem: string }) => `${p.file} cannot be used: ${p.problem}.`,
    remedy: () => 'Pass the composer.lock that Composer wrote (`composer update --lock` rewrites it).',
    docs: 'verify.md#verifying-a-composerlock',
  } satisfies ErrorDefinition<{ file: string; problem: string }>,
  VERIFY_NOT_COVERED: {
    title: 'The policy says nothing about this package',
    message: (p: { packageName: string }) =>
      `${p.packageName} is not covered by the policy (no \`${p.packageName}\` or \`${p.packageName.split('/')[0]}/*\` entry), and --strict is on.`,
    remedy: () =>
      'Add an entry for the package or its vendor with the keys and release identities you trust, or run without --strict to accept uncovered packages unverified.',
    docs: 'verify.md#coverage',
  } satisfies ErrorDefinition<{ packageName: string }>,
  VERIFY_MONITOR_NOT_COVERED: {
    title: 'The monitor was asked about a package the policy does not cover',
    message: (p: { packageName: string }) =>
      `--all-versions checks every version of ${p.packageName} against the policy, but it has no \`${p.packageName}\` or \`${p.packageName.split('/')[0]}/*\` entry: nothing would be checked.`,
    remedy: () =>
      'Add an entry for the package or its vendor with the keys that sign its release tags and the release workflow that attests them (docs/verify.md#the-policy-file).',
    docs: 'verify.md#monitoring-every-version',
  } satisfies ErrorDefinition<{ packageName: string }>,
  VERIFY_PACKAGE_NOT_FOUND: {
    title: 'Packagist does not know the package',
    message: (p: { packageName: string; url: string }) => `${p.url} has no metadata for ${p.packageName}.`,
    remedy: () =>
      'Check the package name and `packagistUrl`; a package that is not on Packagist cannot be verified against it.',
    docs: 'verify.md#packagist-metadata',
  } satisfies ErrorDefinition<{ packageName: string; url: string }>,
  VERIFY_VERSION_NOT_LISTED: {
    title: 'Packagist does not list the version',
    message: (p: PackageAt & { known: string[] }) =>
      `Packagist does not list ${p.packageName} ${p.version}${p.known.length > 0 ? ` (it lists ${p.known.slice(0, 5).join(', ')}${p.known.length > 5 ? ', …' : ''})` : ''}.`,
    remedy: () =>
      'Check the version. A version that was listed and is gone was withdrawn (its tag deleted): do not install it.',
    docs: 'verify.md#packagist-metadata',
  } satisfies ErrorDefinition<PackageAt & { known: string[] }>,
  VERIFY_DEV_VERSION: {
    title: 'A branch, not a release, cannot be verified',
    message: (p: PackageAt) =>
      `${p.packageName} ${p.version} is a development version (a branch): there is no release tag or attestation to verify.`,
    remedy: () => 'Require a tagged release of the package, or leave it out of the policy.',
    docs: 'verify.md#packagist-metadata',
  } satisfies ErrorDefinition<PackageAt>,
  VERIFY_REFERENCE_MISMATCH: {
    title: 'composer.lock pins another commit than Packagist serves',
    message: (p: PackageAt & { locked: string; served: string }) =>
      `composer.lock pins ${p.packageName} ${p.version} at commit ${p.locked}, but Packagist serves it at ${p.served}.`,
    remedy: () =>
      'Someone changed composer.lock, or the version moved after you locked it. Do not install from this lock file until you know which commit is right.',
    docs: 'verify.md#packagist-metadata',
  } satisfies ErrorDefinition<PackageAt & { locked: string; served: string }>,
  VERIFY_SOURCE_MISSING: {
    title: 'The metadata names no git repository to read the tag from',
    message: (p: PackageAt & { problem: string }) =>
      `The tag of ${p.packageName} ${p.version} cannot be checked: ${p.problem}.`,
    remedy: () =>
      'Only packages installed from a git repository (GitHub, GitLab, any https or ssh git URL) have release tags; set `requireSignedTag: false` for this package if it has none.',
    docs: 'verify.md#the-release-tag',
  } satisfies ErrorDefinition<PackageAt & { problem: string }>,
  VERIFY_REPOSITORY_UNREACHABLE: {
    title: 'The package’s git repository could not be read',
    message: (p: { url: string; reason: string }) => `git could not fetch from ${p.url}: ${p.reason}.`,
    remedy: () =>
      'Check the network and that the repository is public (or that git has credentials for it), then run again.',
    docs: 'verify.md#the-release-tag',
  } satisfies ErrorDefinition<{ url: string; reason: string }>,
  VERIFY_TAG_MISSING: {
    title: 'The repository has no tag for the version',
    message: (p: { tag: string; url: string; commit: string }) =>
      `Packagist lists version ${p.tag} at commit ${p.commit}, but ${p.url} has no tag ${p.tag}.`,
    remedy: () =>
      'The tag was deleted after Packagist read it, or the metadata does not come from the repository. Do not install this version; ask the maintainers.',
    docs: 'verify.md#the-release-tag',
  } satisfies ErrorDefinition<{ tag: string; url: string; commit: string }>,
  VERIFY_TAG_MOVED: {
    title: 'The tag points at another commit than the one Packagist serves',
    message: (p: { tag: string; expected: string; actual: string }) =>
      `Tag ${p.tag} points at commit ${p.actual}, but the version is served at ${p.expected}: the tag was moved.`,
    remedy: () =>
      'What you would install is not what the tag names now. Do not install this version until the maintainers explain the move (a published version must never move).',
    docs: 'verify.md#the-release-tag',
  } satisfies ErrorDefinition<{ tag: string; expected: string; actual: string }>,
  VERIFY_TAG_FORGED: {
    title: 'The repository sent git objects that contradict its tag',
    message: (p: { tag: string; url: string; oid: string; problem: string }) =>
      `${p.url} names tag ${p.tag} as object ${p.oid}, but ${p.problem}.`,
    remedy: () =>
      'The server, or something between you and it (a proxy, TLS interception), altered what git would have fetched. Do not install this version; fetch the tag with git from another network and tell the maintainers.',
    docs: 'verify.md#the-release-tag',
  } satisfies ErrorDefinition<{ tag: string; url: string; oid: string; problem: string }>,
  VERIFY_TAG_UNSIGNED: {
    title: 'The release tag is not signed',
    message: (p: { tag: string; lightweight: boolean }) =>
      `Tag ${p.tag} is ${p.lightweight ? 'a lightweight tag' : 'an annotated tag without a signature'}: nobody vouched for this release with a key.`,
    remedy: () =>
      'Releases made with phpublish are always signed. An unsigned tag may have been pushed with stolen credentials: do not install it, and tell the maintainers.',
    docs: 'verify.md#the-tag-signature',
  } satisfies ErrorDefinition<{ tag: string; lightweight: boolean }>,
  VERIFY_TAG_UNTRUSTED_KEY: {
    title: 'The tag is signed by a key the policy does not trust',
    message: (p: { tag: string; keyId: string }) =>
      `Tag ${p.tag} is signed by key ${p.keyId}, which is not among the keys the policy trusts for this package.`,
    remedy: () =>
      'If the maintainers announced a new key (check through a channel you trust), add its public key to the policy; otherwise do not install this version.',
    docs: 'verify.md#the-tag-signature',
  } satisfies ErrorDefinition<{ tag: string; keyId: string }>,
  VERIFY_TAG_SIGNATURE_BAD: {
    title: 'The tag signature does not match the tag',
    message: (p: { tag: string; keyId: string }) =>
      `The signature of tag ${p.tag} (key ${p.keyId}) does not match the tag: it was changed after it was signed.`,
    remedy: () => 'Do not install this version; tell the maintainers.',
    docs: 'verify.md#the-tag-signature',
  } satisfies ErrorDefinition<{ tag: string; keyId: string }>,
  VERIFY_KEY_EXPIRED_AT_SIGNING: {
    title: 'The tag was signed with a key that had already expired',
    message: (p: { tag: string; fingerprint: string; expiredAt: string; signedAt: string }) =>
      `Tag ${p.tag} was signed on ${p.signedAt} by ${p.fingerprint}, which had expired on ${p.expiredAt}.`,
    remedy: () =>
      'An expired key must not sign releases: its secret may have been retired carelessly. Do not install this version; ask the maintainers to extend the key (and publish it) or sign with their current key.',
    docs: 'verify.md#the-tag-signature',
  } satisfies ErrorDefinition<{ tag: string; fingerprint: string; expiredAt: string; signedAt: string }>,
  VERIFY_KEY_REVOKED: {
    title: 'The tag is signed by a revoked key',
    message: (p: { tag: string; fingerprint: string }) =>
      `Tag ${p.tag} is signed by ${p.fingerprint}, which its owner has revoked.`,
    remedy: () =>
      'A revoked key may be compromised. Do not install this version; ask for a release signed with the maintainers’ current key.',
    docs: 'verify.md#the-tag-signature',
  } satisfies ErrorDefinition<{ tag: string; fingerprint: string }>,
  VERIFY_TAG_NAME_MISMATCH: {
    title: 'The signed tag was made for another version',
    message: (p: { tag: string; signedFor: string }) =>
      `Tag ${p.tag} holds a tag object signed for "${p.signedFor}": the signature vouches for another version.`,
    remedy: () =>
      'Someone copied a signed tag under a new name to pass other code off as signed. Do not install this version.',
    docs: 'verify.md#the-tag-signature',
  } satisfies ErrorDefinition<{ tag: string; signedFor: string }>,
  VERIFY_TAG_INVALID: {
    title: 'The tag or its signature cannot be read',
    message: (p: { tag: string; problem: string }) => `Tag ${p.tag} cannot be verified: ${p.problem}.`,
    remedy: () => 'The tag was not made by git, or was damaged. Do not install this version.',
    docs: 'verify.md#the-tag-signature',
  } satisfies ErrorDefinition<{ tag: string; problem: string }>,
  VERIFY_ATTESTATION_MISSING: {
    title: 'No attestation was found for the release',
    message: (p: PackageAt & { looked: string[] }) =>
      `No attestation of ${p.packageName} ${p.version} was found (looked ${p.looked.join(' and ')}).`,
    remedy: () =>
      'Releases made through phpublish carry one. Without it nothing proves which workflow built this version: do not install it, or set `requireAttestation: false` for this package if it is never attested.',
    docs: 'verify.md#the-attestation',
  } satisfies ErrorDefinition<PackageAt & { looked: string[] }>,
  VERIFY_ATTESTATION_OTHER_VERSION: {
    title: 'The attestation is for another version of the package',
    message: (p: PackageAt & { attested: string }) =>
      `The attestation offered for ${p.packageName} ${p.version} was made for version ${p.attested}.`,
    remedy: () =>
      'An old release’s genuine attestation was replayed for this version. Do not install it; tell the maintainers.',
    docs: 'verify.md#the-attestation',
  } satisfies ErrorDefinition<PackageAt & { attested: string }>,
  VERIFY_ATTESTATION_OTHER_PACKAGE: {
    title: 'The attestation is for another package',
    message: (p: PackageAt & { attested: string }) =>
      `The attestation offered for ${p.packageName} ${p.version} was made for ${p.attested}.`,
    remedy: () => 'Another package’s attestation was passed off as this one’s. Do not install this version.',
    docs: 'verify.md#the-attestation',
  } satisfies ErrorDefinition<PackageAt & { attested: string }>,
  VERIFY_ATTESTATION_OTHER_COMMIT: {
    title: 'The attestation was made on another commit than the release',
    message: (p: PackageAt & { commit: string; attested: string; where: string }) =>
      `The attestation offered for ${p.packageName} ${p.version} was made on commit ${p.attested} (${p.where}), not on ${p.commit}, the commit that would be installed.`,
    remedy: () =>
      'The release workflow ran on other code than the signed release (someone with push access ran it on their own commit, or the tag was moved while it ran). Do not install this version; tell the maintainers.',
    docs: 'verify.md#the-attestation',
  } satisfies ErrorDefinition<PackageAt & { commit: string; attested: string; where: string }>,
  VERIFY_ATTESTATION_SUBJECTS: {
    title: 'The attestation’s subjects do not describe this release',
    message: (p: PackageAt & { problem: string }) =>
      `The attestation offered for ${p.packageName} ${p.version} cannot vouch for it: ${p.problem}.`,
    remedy: () =>
      'A release attestation names exactly one content subject (`phpublish-tree-v1:<vendor>/<name>@<version>`) and at most the release zip besides. Do not install this version; tell the maintainers.',
    docs: 'attestation.md#subjects',
  } satisfies ErrorDefinition<PackageAt & { problem: string }>,
  VERIFY_CONTENT_NOT_RELEASED: {
    title: 'What Composer installs is not the signed commit',
    message: (p: PackageAt & { commit: string; installed: string; released: string }) =>
      `The dist of ${p.packageName} ${p.version} (${p.installed}) does not hold what git exports of the signed commit ${p.commit} (${p.released}).`,
    remedy: () =>
      'The files you would install are not the signed release (a swapped dist on the mirror or in the lock). Do not install them; download from the repository at the signed tag instead.',
    docs: 'verify.md#the-content',
  } satisfies ErrorDefinition<PackageAt & { commit: string; installed: string; released: string }>,
  VERIFY_DIST_UNAVAILABLE: {
    title: 'What Composer would install cannot be downloaded, or is not a zip',
    message: (p: { url: string; reason: string }) => `Cannot check ${p.url}: ${p.reason}.`,
    remedy: () =>
      'Check the network (and, for GitHub, that the repository is public) and that the metadata or composer.lock names a zip dist, then run again. Without the files nothing can be compared with the release.',
    docs: 'verify.md#the-content',
  } satisfies ErrorDefinition<{ url: string; reason: string }>,
});
