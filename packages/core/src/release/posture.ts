import type { PackagistOutcome } from './notify-packagist.js';

/** What protected a release, layer by layer, for the log, the CI job summary and release notes. */
export interface ReleasePosture {
  packageName: string;
  version: string;
  commit: string;
  signedTag?: { signerFingerprint: string } | { unsigned: true };
  attestation?: { stored: string[] } | { skipped: string };
  packagist?: PackagistOutcome;
  /** How Packagist was authenticated. */
  packagistCredential?: 'token' | 'github-app' | 'private-packagist' | 'off';
}

export type PostureStatus = 'protected' | 'partial' | 'unprotected' | 'skipped';

export interface PostureRow {
  layer: string;
  status: PostureStatus;
  detail: string;
}

const MARK: Record<PostureStatus, string> = { protected: '✅', partial: '⚠️', unprotected: '❌', skipped: '➖' };

export function postureRows(p: ReleasePosture): PostureRow[] {
  const rows: PostureRow[] = [];
  if (p.signedTag && 'signerFingerprint' in p.signedTag) {
    rows.push({
      layer: 'Signed tag',
      status: 'protected',
      detail: `${p.version} is an OpenPGP-signed annotated tag (key ${p.signedTag.signerFingerprint})`,
    });
  } else {
    rows.push({
      layer: 'Signed tag',
      status: 'unprotected',
      detail: 'the tag is not signed: set PHPUBLISH_GPG_PRIVATE_KEY to sign release tags',
    });
  }
  if (p.attestation && 'stored' in p.attestation) {
    rows.push({
      layer: 'Attestation',
      status: 'protected',
      detail: `SLSA provenance stored: ${p.attestation.stored.join(', ')}`,
    });
  } else {
    rows.push({
      layer: 'Attestation',
      status: 'unprotected',
      detail:
        p.attestation && 'skipped' in p.attestation ? p.attestation.skipped : 'no build provenance for this release',
    });
  }
  const outcome = p.packagist;
  if (!outcome || outcome.notified === 'off') {
    rows.push({ layer: 'Packagist', status: 'skipped', detail: 'not notified (packagist.mode is off)' });
  } else {
    const shortLived = outcome.credential === 'oidc';
    const artifact = outcome.notified === 'artifact-uploaded' || outcome.notified === 'artifact-package-created';
    const how = artifact
      ? 'artifact upload to Private Packagist with a short-lived OIDC credential (trusted publishing: no stored secret)'
      : outcome.notified === 'github-app'
        ? 'no token used: the Packagist GitHub App updates the package'
        : outcome.notified === 'repository-sync'
          ? 'no credential used: Private Packagist’s code-hosting synchronisation updates the VCS package'
          : outcome.notified === 'already-served'
            ? 'already served: nothing sent'
            : shortLived
              ? 'update-package with a short-lived OIDC credential (trusted publishing: no stored secret)'
              : outcome.oidcOffered
                ? 'update-package with a long-lived API token, deprecated: Packagist offers OIDC trusted publishing, so remove PACKAGIST_API_TOKEN from the CI secrets'
                : 'update-package with a long-lived API token (Packagist has no trusted publishing yet)';
    rows.push({
      layer: 'Packagist notification',
      status:
        outcome.notified === 'github-app' ||
        outcome.notified === 'repository-sync' ||
        outcome.notified === 'already-served' ||
        shortLived
          ? 'protected'
          : 'partial',
      detail: how,
    });
    rows.push({
      layer: 'Packagist confirmation',
      status: outcome.confirmation === 'served' ? 'protected' : 'unprotected',
      detail:
        outcome.confirmation === 'served'
          ? artifact
            ? `serves ${p.version} with the released zip`
            : `serves ${p.version} at the tagged commit ${p.commit.slice(0, 12)}`
          : outcome.confirmation === 'timed-out-warned'
            ? 'not seen serving the version before the timeout'
            : 'not checked (packagist.confirm.enabled is false)',
    });
  }
  return rows;
}

/** A plain-text table for logs. */
export function postureText(p: ReleasePosture): string {
  const rows = postureRows(p);
  const width = Math.max(...rows.map((r) => r.layer.length));
  return [
    `Release posture of ${p.packageName} ${p.version}:`,
    ...rows.map((r) => `  ${MARK[r.status]} ${r.layer.padEnd(width)}  ${r.detail}`),
  ].join('\n');
}

/** Markdown for GitHub's job summary and release notes. */
export function postureMarkdown(p: ReleasePosture): string {
  const rows = postureRows(p);
  return [
    `### Release posture of \`${p.packageName}\` ${p.version}`,
    '',
    '| | layer | detail |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${MARK[r.status]} | ${r.layer} | ${r.detail.replace(/\|/g, '\\|')} |`),
    '',
    '<sub>Reported by [phpublish](https://github.com/phpublish/phpublish).</sub>',
    '',
  ].join('\n');
}
