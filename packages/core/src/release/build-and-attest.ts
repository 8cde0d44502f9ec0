import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArchive } from '../archive/index.js';
import { describeError } from '../archive/output-file.js';
import { detectCiPlatform } from '../attest/ci.js';
import { httpDeps } from '../attest/deps.js';
import { gitHubApiFor } from '../attest/forges.js';
import { publishDraftRelease, storeZipAsset } from '../attest/github-store.js';
import { type AttestReleaseResult, attestRelease } from '../attest/index.js';
import { releaseFileNames, releaseSubjects } from '../attest/subjects.js';
import { PhpublishError } from '../errors/index.js';
import { attestDepsFor, type ReleaseContext } from './context.js';
import type { PackagistTarget } from './packagist-target.js';

export interface ReleaseArtifacts {
  zip: { name: string; sha256: string; bytes: number };
  contentDigest: string;
  attestation?: AttestReleaseResult;
}

/** The zip's own temporary folder; a temp folder that cannot hold one (not a folder, read-only, full) is coded. */
async function makeWorkDir(): Promise<string> {
  const prefix = join(tmpdir(), 'phpublish-dist-');
  try {
    return await mkdtemp(prefix);
  } catch (error) {
    throw new PhpublishError(
      'ARCHIVE_OUTPUT_FAILED',
      { file: `${prefix}…`, problem: describeError(error) },
      { cause: error },
    );
  }
}

/** `v1.2.3` → `1.2.3`: file names and subjects carry the version, not the tag. */
export function versionOfTag(tag: string): string {
  return tag.replace(/^v(?=\d)/i, '');
}

/**
 * Builds the reproducible dist zip of the tagged commit (its sha256 and content-tree digest), then,
 * when attestation is on, signs the provenance of both and stores it. Safe to re-run: the zip is
 * rebuilt byte for byte, and an attestation already stored for the same subjects is reused.
 */
export async function buildAndAttest(
  context: ReleaseContext,
  { target, tag, commit }: { target: PackagistTarget; tag: string; commit: string },
): Promise<ReleaseArtifacts> {
  const version = versionOfTag(tag);
  const names = releaseFileNames(target.packageName, version);
  const workDir = await makeWorkDir();
  try {
    const archive = await buildArchive({
      cwd: context.cwd,
      env: context.env,
      ref: commit,
      outFile: join(workDir, names.zip),
    });
    context.logger.success(
      `Dist zip ${names.zip}: sha256 ${archive.sha256}, ${archive.files} files, content ${archive.contentDigest}.`,
    );
    const artifacts: ReleaseArtifacts = {
      zip: { name: names.zip, sha256: archive.sha256, bytes: archive.bytes },
      contentDigest: archive.contentDigest,
    };
    const attestOptions = context.config.options.attest;
    if (!attestOptions.enabled) {
      context.logger.info('Attestation: off (attest.enabled is false).');
      return artifacts;
    }
    const deps = attestDepsFor(context);
    artifacts.attestation = await attestRelease(
      attestOptions,
      {
        release: { packageName: target.packageName, version, tag, commit },
        subjects: releaseSubjects({
          packageName: target.packageName,
          version,
          zipSha256: archive.sha256,
          contentDigest: archive.contentDigest,
        }),
      },
      deps,
    );
    // The zip the provenance speaks of, beside its bundle: consumers can download what was attested
    // (not when the bundle could not go onto the release either: a published immutable release).
    const bundleOnRelease = artifacts.attestation.stored.some((store) => store.target === 'github-release-asset');
    if (detectCiPlatform(context.env) === 'github-actions' && attestOptions.storeReleaseAsset && bundleOnRelease) {
      const token = context.env['GITHUB_TOKEN'] ?? context.env['GH_TOKEN'] ?? '';
      const api = gitHubApiFor({
        env: context.env,
        config: attestOptions,
        token,
        http: httpDeps(deps, attestOptions.requestTimeout),
        redactor: context.redactor,
      });
      const outcome = await storeZipAsset(api, {
        tag,
        assetName: names.zip,
        content: await readFile(join(workDir, names.zip)),
        sha256: archive.sha256,
      });
      context.logger.info(
        `Dist zip: ${outcome.state === 'stored' ? 'attached' : 'already attached'} to release ${tag}.`,
      );
      // Where release immutability is on, the zip and bundle went onto the draft: published last.
      if ((await publishDraftRelease(api, tag)).state === 'published') {
        context.logger.info(`Release ${tag}: published, with the zip and bundle on it (immutable releases).`);
      }
    }
    return artifacts;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
