import { PhpublishError } from '../errors/index.js';

/** An in-toto subject: a name and the digests of what it names. */
export interface Subject {
  name: string;
  digest: Record<string, string>;
}

/** A named SHA-256, as the archive step reports the zip and the content tree. */
export interface NamedDigest {
  name: string;
  /** 64 lowercase hex digits. */
  sha256: string;
}

/** What one attestation vouches for: the dist zip's bytes and the package's contents. */
export interface AttestationSubjects {
  zip: NamedDigest;
  contentDigest: NamedDigest;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** `phpublish-tree-v1:sha256:<hex>`: the versioned content-tree digest of the archive step. */
const CONTENT_DIGEST = /^(phpublish-tree-v\d+):sha256:([0-9a-f]{64})$/;
const PACKAGE_NAME = /^[a-z0-9]([_.-]?[a-z0-9]+)*\/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$/;

/** The parts of a content digest string; throws ATTEST_SUBJECTS_INVALID when it is not one. */
export function parseContentDigest(digest: string): { format: string; sha256: string } {
  const match = CONTENT_DIGEST.exec(digest.trim());
  if (!match) {
    throw new PhpublishError('ATTEST_SUBJECTS_INVALID', {
      problem: `"${digest}" is not a content digest of the form phpublish-tree-v1:sha256:<64 hex digits>`,
    });
  }
  return { format: match[1]!, sha256: match[2]! };
}

/**
 * The names phpublish gives a release's files and subjects (documented in docs/attestation.md#subjects):
 * `acme/hello` 1.2.0 → zip `acme-hello-1.2.0.zip`, bundle `acme-hello-1.2.0.sigstore.json`, and the
 * content subject `phpublish-tree-v1:acme/hello@1.2.0` (its prefix names the digest's definition).
 */
export function releaseFileNames(packageName: string, version: string): { zip: string; bundle: string } {
  if (!PACKAGE_NAME.test(packageName)) {
    throw new PhpublishError('ATTEST_SUBJECTS_INVALID', {
      problem: `"${packageName}" is not a vendor/name package name`,
    });
  }
  if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/.test(version)) {
    throw new PhpublishError('ATTEST_SUBJECTS_INVALID', { problem: `"${version}" is not usable in a file name` });
  }
  const base = `${packageName.replace('/', '-')}-${version}`;
  return { zip: `${base}.zip`, bundle: `${base}.sigstore.json` };
}

/** The subjects of a release from its package name, version and the two digests of the archive step. */
export function releaseSubjects(input: {
  packageName: string;
  version: string;
  zipSha256: string;
  contentDigest: string;
}): AttestationSubjects {
  const { format, sha256 } = parseContentDigest(input.contentDigest);
  return {
    zip: { name: releaseFileNames(input.packageName, input.version).zip, sha256: input.zipSha256 },
    contentDigest: { name: `${format}:${input.packageName}@${input.version}`, sha256 },
  };
}

/** The in-toto subjects, zip first; validates the digests. */
export function toInTotoSubjects(subjects: AttestationSubjects): Subject[] {
  const list = [subjects.zip, subjects.contentDigest];
  for (const subject of list) {
    if (!SHA256_HEX.test(subject.sha256)) {
      throw new PhpublishError('ATTEST_SUBJECTS_INVALID', {
        problem: `the SHA-256 of ${subject.name} is not 64 lowercase hex digits`,
      });
    }
    if (subject.name.trim() === '')
      throw new PhpublishError('ATTEST_SUBJECTS_INVALID', { problem: 'a subject has no name' });
  }
  if (subjects.zip.name === subjects.contentDigest.name) {
    throw new PhpublishError('ATTEST_SUBJECTS_INVALID', { problem: 'the zip and the content need distinct names' });
  }
  return list.map((subject) => ({ name: subject.name, digest: { sha256: subject.sha256 } }));
}
