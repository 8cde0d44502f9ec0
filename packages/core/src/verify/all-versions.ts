import { PhpublishError } from '../errors/index.js';
import type { VerifyTarget } from './lock.js';
import { policyEntryFor, type VerifyPolicy } from './policy.js';
import type { VerifyReport } from './report.js';
import { isDevVersion } from './resolve-release.js';
import { createSession, DEFAULT_ENDPOINTS, type VerifyDeps, type VerifyEndpoints } from './session.js';
import { isOnOrAfter, type Since } from './since.js';
import { verifyPackages } from './verify-packages.js';

export interface VerifyAllVersionsInput {
  packageName: string;
  policy: VerifyPolicy;
  /** Only versions released on or after this date, or from this version on (Composer's order). */
  since?: Since;
  endpoints?: Partial<VerifyEndpoints>;
  concurrency?: number;
  threads?: number;
}

/** What the monitor looked at besides the versions it checked (in the report, for the JSON and the table). */
export interface AllVersionsScope {
  packageName: string;
  /** `--since` as given. */
  since?: string;
  /** Every version checked, newest first as Packagist lists them, with its release time when the metadata has one. */
  checked: { version: string; time?: string }[];
  /** Branches (`dev-main`, `2.x-dev`): not releases, so not checked. */
  devVersions: string[];
  /** Versions older than `since`, not checked. */
  beforeSince: string[];
}

export interface AllVersionsReport extends VerifyReport {
  allVersions: AllVersionsScope;
}

/**
 * The maintainers' monitor: every release Packagist serves for one package (tags, stable and
 * pre-release; branches are left out and listed), each verified against the policy through the
 * same pipeline as one version (verifyPackages: the verification cache applies). A version pushed
 * with a stolen Packagist token — unsigned, signed by another key, not attested by the release
 * workflow — fails its row with the reason. The versions are listed from one read of the
 * metadata, and checked against one more read (the verification session's, shared by every
 * version), so what is checked is what Packagist serves now, not one read per version.
 */
export async function verifyAllVersions(input: VerifyAllVersionsInput, deps: VerifyDeps): Promise<AllVersionsReport> {
  const { packageName, policy, since } = input;
  // A monitor of a package the policy does not cover would pass by checking nothing.
  if (!policyEntryFor(policy, packageName)) {
    throw new PhpublishError('VERIFY_MONITOR_NOT_COVERED', { packageName });
  }
  // The same Composer repository verifyPackages will read each version from.
  const packagistUrl = input.endpoints?.packagistUrl ?? policy.packagistUrl ?? DEFAULT_ENDPOINTS.packagistUrl;
  const { packagist } = createSession(deps, { ...DEFAULT_ENDPOINTS, packagistUrl });
  const listed = await packagist.getVersions(packageName);
  if (listed.state !== 'found' || listed.versions.length === 0) {
    const url = `${packagistUrl.replace(/\/+$/, '')}/p2/${packageName}.json`;
    throw new PhpublishError('VERIFY_PACKAGE_NOT_FOUND', { packageName, url });
  }

  const scope: AllVersionsScope = {
    packageName,
    ...(since ? { since: since.text } : {}),
    checked: [],
    devVersions: [],
    beforeSince: [],
  };
  for (const entry of listed.versions) {
    const time = typeof entry['time'] === 'string' && entry['time'] !== '' ? entry['time'] : undefined;
    const version = { version: entry.version, ...(time ? { time } : {}) };
    if (isDevVersion(entry.version)) scope.devVersions.push(entry.version);
    else if (since && !isOnOrAfter(since, version)) scope.beforeSince.push(entry.version);
    else scope.checked.push(version);
  }

  const targets: VerifyTarget[] = scope.checked.map(({ version }) => ({ packageName, version }));
  const report = await verifyPackages(
    {
      targets,
      policy,
      strict: true,
      ...(input.endpoints ? { endpoints: input.endpoints } : {}),
      ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
      ...(input.threads !== undefined ? { threads: input.threads } : {}),
    },
    deps,
  );
  return { ...report, allVersions: scope };
}
