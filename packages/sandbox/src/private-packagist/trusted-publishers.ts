import type { JwtClaims } from '../oidc/jwt.js';

/** A trusted publisher as an organisation admin configures it on Private Packagist (GitHub Actions only). */
export interface TrustedPublisher {
  /** `vendor/name`: the package this workflow may publish. */
  readonly packageName: string;
  /** GitHub user or organisation owning the repository. */
  readonly owner: string;
  /** Repository name (without the owner). */
  readonly repository: string;
  /** File name of the workflow in `.github/workflows/`, e.g. `release.yml`. */
  readonly workflow: string;
  /** GitHub Actions environment the job must run in, when set. */
  readonly environment?: string;
}

/** Why a token matches no publisher of the package: the first claim that differs, for the 403 message. */
export type PublisherMismatch = 'no-publisher' | 'repository' | 'workflow' | 'environment';

const text = (claims: JwtClaims, name: string) => (typeof claims[name] === 'string' ? (claims[name] as string) : '');

/** `owner/repo/.github/workflows/file.yml@ref` → `owner/repo/.github/workflows/file.yml`, lowercased. */
function workflowPath(ref: string): string {
  const at = ref.indexOf('@');
  return (at === -1 ? '' : ref.slice(0, at)).toLowerCase();
}

/**
 * Whether the claims of a verified GitHub Actions token match one of the package's publishers. Owner
 * and repository are compared whole and case-insensitively (GitHub's names are); the workflow is the
 * file the run started from (`workflow_ref`) or the reusable workflow the job runs (`job_workflow_ref`),
 * both in the publisher's repository; an environment, when configured, must be the job's.
 */
export function matchPublisher(
  publishers: readonly TrustedPublisher[],
  packageName: string,
  claims: JwtClaims,
): { publisher: TrustedPublisher } | { mismatch: PublisherMismatch } {
  const candidates = publishers.filter((p) => p.packageName.toLowerCase() === packageName.toLowerCase());
  if (candidates.length === 0) return { mismatch: 'no-publisher' };
  let closest: PublisherMismatch = 'repository';
  const rank: Record<PublisherMismatch, number> = { 'no-publisher': 0, repository: 1, workflow: 2, environment: 3 };
  for (const publisher of candidates) {
    const repository = `${publisher.owner}/${publisher.repository}`.toLowerCase();
    if (text(claims, 'repository').toLowerCase() !== repository) continue;
    const expected = `${repository}/.github/workflows/${publisher.workflow.toLowerCase()}`;
    const workflows = [text(claims, 'workflow_ref'), text(claims, 'job_workflow_ref')].map(workflowPath);
    if (!workflows.includes(expected)) {
      if (rank.workflow > rank[closest]) closest = 'workflow';
      continue;
    }
    if (
      publisher.environment !== undefined &&
      text(claims, 'environment').toLowerCase() !== publisher.environment.toLowerCase()
    ) {
      closest = 'environment';
      continue;
    }
    return { publisher };
  }
  return { mismatch: closest };
}
