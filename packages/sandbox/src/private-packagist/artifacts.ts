import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { minifyVersions } from '../packagist/metadata-minifier.js';
import type { SandboxPackage, StoredVersion } from '../packagist/packages.js';
import { phpVersionCompare } from '../packagist/version-compare.js';
import { toV2Array, versionFieldsFrom } from '../packagist/version-fields.js';
import { tryNormalizeVersion } from '../packagist/version-parser.js';
import { PACKAGIST_METADATA_DUMP, phpJsonEncode } from '../php-json.js';

const run = promisify(execFile);

/** An uploaded zip, before and after it became a version of a package. */
export interface StoredArtifact {
  readonly id: number;
  readonly zip: Buffer;
  readonly fileName: string;
  readonly sha1: string;
  readonly sha256: string;
  readonly composer: Record<string, unknown>;
  /** The version as published (`v1.2.0`), from composer.json's `version` or the file name. */
  readonly version: string;
  readonly normalizedVersion: string;
}

/** Why an upload cannot become a version, as the API's 400 message says it. */
export class ArtifactRejected extends Error {}

/** `composer.json` at the root of the zip or in its single top-level folder, parsed. */
async function composerJsonOf(zip: Buffer): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'sandbox-artifact-'));
  try {
    const file = join(dir, 'artifact.zip');
    await writeFile(file, zip);
    let names: string[];
    try {
      names = (await run('unzip', ['-Z1', file], { maxBuffer: 64 * 1024 * 1024 })).stdout.split('\n');
    } catch {
      throw new ArtifactRejected('The artifact is not a zip file.');
    }
    const path = names.filter((n) => /^([^/]+\/)?composer\.json$/.test(n)).sort((a, b) => a.length - b.length)[0];
    if (!path) throw new ArtifactRejected('The artifact has no composer.json.');
    const { stdout } = await run('unzip', ['-p', file, path], { maxBuffer: 16 * 1024 * 1024 });
    const parsed: unknown = JSON.parse(stdout);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ArtifactRejected) throw error;
    throw new ArtifactRejected('The composer.json in the artifact is not valid JSON.');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The version an artifact publishes: composer.json's `version` when it has one, else the version at
 * the end of the uploaded file name (`acme-hello-1.2.0.zip`). The second rule is the sandbox's
 * assumption (the reference notes do not say how Private Packagist names a version without one).
 */
function versionOf(composer: Record<string, unknown>, fileName: string): string {
  if (typeof composer['version'] === 'string' && composer['version'] !== '') return composer['version'];
  const fromName = /-(v?\d[^/]*?)\.zip$/i.exec(fileName)?.[1];
  if (fromName) return fromName;
  throw new ArtifactRejected('The artifact names no version (composer.json has none and neither has its file name).');
}

/** Reads and checks an upload; the id is the caller's. */
export async function readArtifact(id: number, zip: Buffer, fileName: string): Promise<StoredArtifact> {
  const composer = await composerJsonOf(zip);
  if (
    typeof composer['name'] !== 'string' ||
    !/^[a-z0-9]([_.-]?[a-z0-9]+)*\/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$/.test(composer['name'])
  ) {
    throw new ArtifactRejected('The composer.json in the artifact has no valid package name.');
  }
  const version = versionOf(composer, fileName);
  const normalizedVersion = tryNormalizeVersion(version);
  if (!normalizedVersion || normalizedVersion.startsWith('dev-')) {
    throw new ArtifactRejected(`"${version}" is not a release version.`);
  }
  return {
    id,
    zip,
    fileName,
    sha1: createHash('sha1').update(zip).digest('hex'),
    sha256: createHash('sha256').update(zip).digest('hex'),
    composer,
    version,
    normalizedVersion,
  };
}

/** An artifact package: its versions, each one artifact. */
export interface ArtifactPackage {
  readonly name: string;
  readonly versions: Map<string, { artifact: StoredArtifact; createdAt: number }>;
}

/** The p2 file of an artifact package: dist-only versions whose dist is the uploaded zip itself. */
export function artifactPackageMetadata(pkg: ArtifactPackage, distUrl: (artifact: StoredArtifact) => string): string {
  const entries = [...pkg.versions.values()].sort((a, b) =>
    phpVersionCompare(b.artifact.normalizedVersion, a.artifact.normalizedVersion),
  );
  // The same fields Packagist derives from a composer.json, through its own helpers.
  const asPackage: SandboxPackage = {
    name: pkg.name,
    vendor: pkg.name.replace(/\/.*$/, ''),
    repository: '',
    maintainers: new Set(),
    remoteId: undefined,
    frozen: undefined,
    abandoned: undefined,
    crawledAt: undefined,
    versions: new Map(),
  };
  const versions = entries.map(({ artifact, createdAt }) => {
    const fields = versionFieldsFrom(artifact.composer, {
      source: { url: '', reference: '' },
      dist: { url: distUrl(artifact), reference: artifact.sha1, shasum: artifact.sha1 },
    });
    const stored = {
      prettyVersion: artifact.version,
      normalizedVersion: artifact.normalizedVersion,
      development: false,
      defaultBranch: false,
      reference: artifact.sha1,
      fields,
      releasedAt: createdAt,
      createdAt,
      updatedAt: createdAt,
      softDeletedAt: undefined,
      lastBlockedReference: undefined,
    } satisfies StoredVersion;
    const { source: _artifactsHaveNoSource, ...v2 } = toV2Array(asPackage, stored);
    return v2;
  });
  return phpJsonEncode(
    { minified: 'composer/2.0', packages: { [pkg.name]: minifyVersions(versions) }, 'security-advisories': [] },
    PACKAGIST_METADATA_DUMP,
  );
}
