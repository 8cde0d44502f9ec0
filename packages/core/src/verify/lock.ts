import { isAbsolute, resolve } from 'node:path';
import { PhpublishError } from '../errors/index.js';
import { INPUT_LIMITS, InputFileProblem, quoteValue as quoted, readInputJson } from '../input/index.js';
import { isCommitId } from '../packagist/version.js';
import { type CheckResult, failed, skipped } from './report.js';

/** What composer.lock says about one package: exactly what `composer install` would fetch. */
export interface LockedPackage {
  version: string;
  /**
   * The commit (`source.reference`, else `dist.reference`); kept as written even when it is no
   * commit id (as JSON text when it is not even a string), so that it never verifies.
   */
  reference?: string;
  sourceUrl?: string;
  sourceType?: string;
  distUrl?: string;
  distType?: string;
  /** From `packages-dev`. */
  dev: boolean;
  /**
   * Why this entry cannot be verified as written (a field of the wrong type, a reference that is
   * not a commit id), with where it is (`packages[3]`): this package fails, the others go on.
   */
  problem?: { where: string; problem: string };
}

/** One package to verify: from the command line (a name and maybe a version) or from composer.lock. */
export interface VerifyTarget {
  packageName: string;
  /** The version as written (`v1.2.0`); absent: the newest stable version Packagist lists. */
  version?: string;
  locked?: LockedPackage;
}

/**
 * The rows of a package whose composer.lock entry cannot be verified as written: its own
 * VERIFY_LOCK_ENTRY_INVALID, every later check skipped. `undefined` for a good entry.
 */
export function lockProblemRows(target: VerifyTarget): CheckResult[] | undefined {
  const problem = target.locked?.problem;
  if (!problem) return undefined;
  const error = new PhpublishError('VERIFY_LOCK_ENTRY_INVALID', { packageName: target.packageName, ...problem });
  const reason = 'composer.lock does not say what is installed';
  return [
    failed('packagist', error),
    ...(['tag', 'signature', 'attestation', 'content'] as const).map((check) => skipped(check, reason)),
  ];
}

/** The packages of a composer.lock (and its `packages-dev` unless `dev: false`), in file order. */
export async function readComposerLock(input: { file: string; cwd: string; dev: boolean }): Promise<VerifyTarget[]> {
  const file = isAbsolute(input.file) ? input.file : resolve(input.cwd, input.file);
  const invalid = (problem: string, cause?: unknown) =>
    new PhpublishError('VERIFY_LOCK_INVALID', { file, problem }, cause === undefined ? undefined : { cause });
  let data: unknown;
  try {
    // Strict: a package or a reference given twice (JSON.parse keeps the last) is refused.
    data = await readInputJson(file, { maxBytes: INPUT_LIMITS.lock });
  } catch (error) {
    if (error instanceof InputFileProblem) throw invalid(`it ${error.message}`, error);
    throw error;
  }
  if (!isObject(data) || !Array.isArray(data['packages'])) throw invalid('it has no "packages" list');
  const devList = data['packages-dev'];
  if (devList !== undefined && devList !== null && !Array.isArray(devList)) {
    throw invalid('its "packages-dev" is not a list');
  }
  const lists: [string, unknown[]][] = [['packages', data['packages']]];
  if (input.dev && Array.isArray(devList)) lists.push(['packages-dev', devList]);

  const targets: VerifyTarget[] = [];
  for (const [listName, list] of lists) {
    for (const [index, raw] of list.entries()) {
      const where = `${listName}[${index}]`;
      // Without a name there is no package to report on: the file is not what Composer writes.
      if (!isObject(raw)) throw invalid(`${where} is not an object`);
      if (typeof raw['name'] !== 'string' || raw['name'] === '') throw invalid(`${where} has no name`);
      targets.push(lockedTarget(raw, raw['name'], where, listName === 'packages-dev'));
    }
  }
  return targets;
}

/**
 * One entry; its problems, if any, go into `locked.problem` for its own row. What is kept of a bad
 * entry still fails on its own (a reference that is no commit id, an empty version), so nothing
 * bad is verified as something else even where `locked.problem` is not looked at.
 */
function lockedTarget(raw: Record<string, unknown>, name: string, where: string, dev: boolean): VerifyTarget {
  const problems: string[] = [];
  const field = (path: string, value: unknown): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value;
    problems.push(`its ${path} is ${quoted(value)}, not a string`);
    return undefined;
  };
  const part = (key: 'source' | 'dist'): Record<string, unknown> => {
    const value = raw[key];
    if (value === undefined || value === null) return {};
    if (isObject(value)) return value;
    problems.push(`its ${key} is ${quoted(value)}, not an object`);
    return {};
  };

  const version = field('version', raw['version']);
  if (version === undefined && problems.length === 0) problems.push('it has no version');
  const source = part('source');
  const dist = part('dist');
  // The commit Composer checks out: source.reference, else dist.reference.
  const present = (value: unknown) => value !== undefined && value !== null && value !== '';
  const [referenceField, rawReference] = present(source['reference'])
    ? ['source.reference', source['reference']]
    : ['dist.reference', dist['reference']];
  let reference: string | undefined;
  if (typeof rawReference === 'string' && rawReference !== '') {
    reference = rawReference;
    if (!isCommitId(reference)) {
      problems.push(
        `its ${referenceField} ${quoted(reference)} is not a full commit id (40 or 64 lowercase hexadecimal digits)`,
      );
    }
  } else if (present(rawReference)) {
    // Kept as JSON text: never a commit id, so it can never verify as one.
    reference = JSON.stringify(rawReference);
    problems.push(`its ${referenceField} is ${quoted(rawReference)}, not a string`);
  }
  const sourceUrl = field('source.url', source['url']);
  const sourceType = field('source.type', source['type']);
  const distUrl = field('dist.url', dist['url']);
  const distType = field('dist.type', dist['type']);
  return {
    packageName: name.toLowerCase(),
    // Never absent: no version would mean "the newest", which is not what is installed.
    version: version ?? '',
    locked: {
      version: version ?? '',
      dev,
      ...(reference ? { reference } : {}),
      ...(sourceUrl ? { sourceUrl } : {}),
      ...(sourceType ? { sourceType } : {}),
      ...(distUrl ? { distUrl } : {}),
      ...(distType ? { distType } : {}),
      ...(problems.length > 0 ? { problem: { where, problem: problems.join('; ') } } : {}),
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
