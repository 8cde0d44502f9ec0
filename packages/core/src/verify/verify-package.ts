import { join } from 'node:path';
import { isPhpublishError, PhpublishError } from '../errors/index.js';
import { answerDeadline } from '../http/index.js';
import { CONTENT_CODES } from './attestation-check.js';
import { findAcceptedAttestation } from './attestation-step.js';
import { checkTagSignatureCached } from './cached-checks.js';
import { installedContent } from './content.js';
import { isFetchableTagName, isFetchableUrl } from './fetch-tag.js';
import { describeIdentity, identityPolicyFor } from './identities.js';
import { lockProblemRows, type VerifyTarget } from './lock.js';
import type { ResolvedPolicyEntry } from './policy.js';
import { contentDigestOfTaggedCommit } from './released-content.js';
import { type CheckResult, failed, notChecked, type PackageReport, passed, skipped } from './report.js';
import { isDevVersion, type ReleaseFacts, resolveRelease } from './resolve-release.js';
import type { VerifySession } from './session.js';
import { checkTagTarget } from './tag-checks.js';
import type { TagSource } from './tag-source.js';

/**
 * Runs a check; a coded error becomes its failed row. Anything else is a defect: it fails the check
 * that was running with VERIFY_INTERNAL_ERROR, so the row says where, and the other checks and
 * packages go on.
 */
async function guarded<T>(
  packageName: string,
  check: CheckResult['check'],
  run: () => Promise<T>,
): Promise<{ value: T } | { row: CheckResult }> {
  try {
    return { value: await run() };
  } catch (error) {
    if (isPhpublishError(error)) return { row: failed(check, error) };
    const reason = `${check} check: ${String((error as Error)?.message ?? error).split('\n')[0]}`;
    return {
      row: failed(check, new PhpublishError('VERIFY_INTERNAL_ERROR', { packageName, reason }, { cause: error })),
    };
  }
}

/**
 * Verifies one package the policy covers, along the chain: Packagist metadata → commit → tag
 * (exists, points at the commit, signed by a trusted key, named for the version) → attestation
 * (from a trusted identity, for this release) → content (what Composer installs is attested). The
 * tag and the attestation branches run side by side; each check reports on its own.
 */
export async function verifyPackage(
  target: VerifyTarget,
  entry: ResolvedPolicyEntry,
  session: VerifySession,
  worker: { scratch: string; tags: TagSource },
): Promise<PackageReport> {
  const report: PackageReport = {
    packageName: target.packageName,
    ...(target.version ? { version: target.version } : {}),
    status: 'verified',
    policyEntry: entry.key,
    checks: [],
  };
  const log = (message: string) => session.deps.logger.info(`${target.packageName}: ${message}`);
  // A composer.lock entry that does not say what is installed fails alone, before anything is fetched.
  const lockRows = lockProblemRows(target);
  if (lockRows) {
    report.checks.push(...lockRows);
    return finish(report);
  }

  log(`reading the Packagist metadata${target.version ? ` of ${target.version}` : ''}`);
  let facts: ReleaseFacts | undefined;
  const resolved = await guarded(target.packageName, 'packagist', () => resolveRelease(target, session));
  if ('value' in resolved) {
    facts = resolved.value.facts;
    report.checks.push(
      resolved.value.problem ? failed('packagist', resolved.value.problem) : passed('packagist', resolved.value.detail),
    );
  } else {
    report.checks.push(resolved.row);
    facts = factsFromLock(target);
  }
  if (!facts) {
    for (const check of ['tag', 'signature', 'attestation', 'content'] as const) {
      report.checks.push(skipped(check, 'needs the version’s commit from the metadata'));
    }
    return finish(report);
  }
  report.version = facts.version;
  report.commit = facts.commit;

  const [tagRows, attestationRows] = await Promise.all([
    tagChecks(facts, entry, session, worker.tags, log),
    attestationChecks(facts, entry, session, worker.scratch, log),
  ]);
  const contentRows = await signedCommitContent(facts, entry, session, worker.scratch, tagRows, log);
  report.checks.push(...tagRows, ...(contentRows ?? attestationRows));
  return finish(report);
}

/**
 * When the policy requires a signed tag but no attestation, nothing else ties the dist to the
 * release: what Composer installs is compared with what git exports of the signed commit. Only
 * once the tag and its signature have passed; without them the content stays unchecked.
 * `undefined` when the policy asks for something else (the attestation branch reports the content).
 */
async function signedCommitContent(
  facts: ReleaseFacts,
  entry: ResolvedPolicyEntry,
  session: VerifySession,
  scratch: string,
  tagRows: readonly CheckResult[],
  log: (message: string) => void,
): Promise<CheckResult[] | undefined> {
  if (entry.requireAttestation || !entry.requireSignedTag) return undefined;
  const attestation = notChecked('attestation', `not required by the policy (${entry.key})`);
  const source = fetchableSource(facts);
  if (!tagRows.every((row) => row.status === 'passed') || 'problem' in source) {
    return [attestation, skipped('content', 'needs a signed commit to compare the dist with')];
  }
  log(`downloading ${facts.distUrl ? session.deps.redactor.redact(facts.distUrl) : 'the dist'}`);
  const content = await guarded(facts.packageName, 'content', () =>
    installedContent(facts, session, join(scratch, 'dist.zip')),
  );
  if ('row' in content) return [attestation, content.row];
  log(`fetching the tree of ${facts.version} to compare the dist with the signed commit`);
  const released = await guarded(facts.packageName, 'content', () =>
    contentDigestOfTaggedCommit({
      dir: join(scratch, 'released'),
      url: source.url,
      tag: facts.version,
      commit: facts.commit,
      env: session.deps.env,
      timeoutMs: answerDeadline(session.http),
    }),
  );
  if ('row' in released) return [attestation, released.row];
  const short = (digest: string) => `${digest.slice(0, 'phpublish-tree-v1:sha256:'.length + 16)}…`;
  if (released.value.contentDigest !== content.value.contentDigest) {
    const error = new PhpublishError('VERIFY_CONTENT_NOT_RELEASED', {
      packageName: facts.packageName,
      version: facts.version,
      commit: facts.commit,
      installed: short(content.value.contentDigest),
      released: short(released.value.contentDigest),
    });
    return [attestation, failed('content', error)];
  }
  return [
    attestation,
    passed(
      'content',
      `the dist's ${content.value.files} files (${short(content.value.contentDigest)}) are what git exports of the signed commit`,
    ),
  ];
}

function finish(report: PackageReport): PackageReport {
  report.status = report.checks.some((c) => c.status === 'failed') ? 'failed' : 'verified';
  return report;
}

/** With composer.lock, what is installed is known even when Packagist cannot be asked. */
function factsFromLock(target: VerifyTarget): ReleaseFacts | undefined {
  const locked = target.locked;
  if (!locked?.reference || isDevVersion(locked.version)) return undefined;
  return {
    packageName: target.packageName,
    version: locked.version,
    commit: locked.reference,
    ...(locked.sourceUrl ? { sourceUrl: locked.sourceUrl } : {}),
    ...(locked.sourceType ? { sourceType: locked.sourceType } : {}),
    ...(locked.distUrl ? { distUrl: locked.distUrl } : {}),
    ...(locked.distType ? { distType: locked.distType } : {}),
  };
}

/** The git repository to fetch the tag from, or why there is none that may be fetched. */
function fetchableSource(facts: ReleaseFacts): { url: string } | { problem: string } {
  const url = facts.sourceUrl;
  if (!url || (facts.sourceType && facts.sourceType !== 'git'))
    return { problem: 'the metadata names no git repository' };
  if (!isFetchableUrl(url)) return { problem: `phpublish fetches tags over https, ssh or git only, not from ${url}` };
  if (!isFetchableTagName(facts.version)) return { problem: `"${facts.version}" cannot be a tag name` };
  return { url };
}

async function tagChecks(
  facts: ReleaseFacts,
  entry: ResolvedPolicyEntry,
  session: VerifySession,
  tags: TagSource,
  log: (message: string) => void,
): Promise<CheckResult[]> {
  if (!entry.requireSignedTag) {
    const reason = `not required by the policy (${entry.key}): nothing vouches for the tag`;
    return [notChecked('tag', reason), notChecked('signature', reason)];
  }
  const tag = facts.version;
  const source = fetchableSource(facts);
  if ('problem' in source) {
    const error = new PhpublishError('VERIFY_SOURCE_MISSING', {
      packageName: facts.packageName,
      version: tag,
      problem: source.problem,
    });
    return [failed('tag', error), skipped('signature', 'no tag to check')];
  }
  const { url } = source;

  log(`fetching tag ${tag} from ${session.deps.redactor.redact(url)}`);
  const fetched = await guarded(facts.packageName, 'tag', () => tags.fetch(url, tag));
  if ('row' in fetched) return [fetched.row, skipped('signature', 'no tag to check')];
  const rows: CheckResult[] = [];
  const target = await guarded(facts.packageName, 'tag', async () =>
    checkTagTarget(tag, fetched.value, { url, commit: facts.commit }),
  );
  rows.push('row' in target ? target.row : passed('tag', target.value));
  const tagObject = fetched.value;
  if (tagObject.kind === 'missing') return [...rows, skipped('signature', 'no tag to check')];

  const signature = await guarded(facts.packageName, 'signature', () =>
    checkTagSignatureCached(session.cache, tag, tagObject, {
      trusted: entry.trustedKeys,
      now: new Date(session.deps.clock.now()),
    }),
  );
  if ('row' in signature) return [...rows, signature.row];
  const { signer, signature: made, keyExpiredSince } = signature.value;
  rows.push(
    passed(
      'signature',
      `signed by ${signer.fingerprint}${signer.userId ? ` (${signer.userId})` : ''} on ${made.created.toISOString()}`,
      keyExpiredSince ? `the key ${signer.fingerprint} has expired since it signed this tag` : undefined,
    ),
  );
  return rows;
}

async function attestationChecks(
  facts: ReleaseFacts,
  entry: ResolvedPolicyEntry,
  session: VerifySession,
  scratch: string,
  log: (message: string) => void,
): Promise<CheckResult[]> {
  if (!entry.requireAttestation) {
    const reason = `not required by the policy (${entry.key}): nothing ties the dist to the release`;
    return [notChecked('attestation', reason), notChecked('content', reason)];
  }
  log(`downloading ${facts.distUrl ? session.deps.redactor.redact(facts.distUrl) : 'the dist'}`);
  const content = await guarded(facts.packageName, 'content', () =>
    installedContent(facts, session, join(scratch, 'dist.zip')),
  );
  if ('row' in content) return [skipped('attestation', 'needs the content of what Composer installs'), content.row];

  const identities = entry.identities.map((identity) => identityPolicyFor(identity, facts.packageName, facts.version));
  const attestation = await guarded(facts.packageName, 'attestation', () =>
    findAcceptedAttestation({
      facts,
      identities,
      entry,
      contentDigest: content.value.contentDigest,
      session,
      log,
    }),
  );

  const digest = `${content.value.contentDigest.slice(0, 'phpublish-tree-v1:sha256:'.length + 16)}…`;
  if ('row' in attestation) {
    const row = attestation.row;
    if (row.code && CONTENT_CODES.has(row.code)) {
      // Authentic, from a trusted identity and for this release: only the files differ.
      const identity = describeIdentity(identities[0]!);
      return [
        passed('attestation', `made by ${identity} for ${facts.packageName} ${facts.version}`),
        { ...row, check: 'content' },
      ];
    }
    return [row, skipped('content', 'no accepted attestation to compare with')];
  }
  const { accepted, zip } = attestation.value;
  return [
    passed(
      'attestation',
      `made by ${accepted.signer.subjectAlternativeName} (issuer ${accepted.signer.issuer}), found in ${accepted.where}`,
    ),
    passed(
      'content',
      `the dist's ${content.value.files} files (${digest}) are attested${zip ? `, and so is ${zip.name}` : ''}`,
    ),
  ];
}
