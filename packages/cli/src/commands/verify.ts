import { access, appendFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PHPUBLISH_VERSION, systemClock, userAgent } from '@phpublish/core';
import { parseAnswerLimits } from '@phpublish/core/http';
import { Redactor, redactingLogger } from '@phpublish/core/log';
import {
  type AllVersionsReport,
  CHECK_TITLES,
  createVerifyAgent,
  defaultCacheDir,
  loadPolicy,
  type PackageReport,
  POLICY_FILE_NAME,
  parseSince,
  readComposerLock,
  type VerifyReport,
  type VerifyTarget,
  verifyAllVersions,
  verifyPackages,
} from '@phpublish/core/verify';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { type CommandIo, stderrLogger, table } from '../io.js';

const PACKAGE_NAME = /^[a-z0-9]([_.-]?[a-z0-9]+)*\/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$/;

export const verifyCommand: Command = {
  usage: [
    'phpublish verify <vendor/name> [version] [--policy <file>] [--json]',
    '       phpublish verify --lock <composer.lock> [--policy <file>] [--no-dev] [--strict] [--json]',
    '       phpublish verify <vendor/name> --all-versions [--since <date|version>] [--policy <file>] [--json]',
    '       (either form: [--cache-dir <dir> | --no-cache])',
  ].join('\n'),
  help: [
    'Checks the whole chain for a version (the newest stable one when none is given), or for every',
    'package of a composer.lock at its locked commit:',
    '  packagist    Packagist lists the version, at the commit composer.lock pins',
    '  tag          the repository has the version’s tag, pointing at that commit',
    '  signature    the tag is signed, for this version, by a key the policy trusts, valid when it signed',
    '  attestation  a Sigstore attestation of this release, made by the identity the policy names',
    '  content      what Composer installs (the dist zip) is what the attestation covers',
    'The policy (docs/verify.md, schema docs/policy.schema.json) says per package or vendor which keys',
    'and release identities are trusted and what is required. Packages it does not cover are listed as',
    'not covered.',
    '',
    'Options:',
    '  --policy <file>          the policy (default: phpublish.policy.json in the current folder)',
    '  --lock <file>            verify every package of this composer.lock',
    '  --no-dev                 with --lock: leave out packages-dev',
    '  --strict                 packages the policy does not cover fail',
    '  --all-versions           the maintainers’ monitor: every release Packagist serves for the package (tags,',
    '                           stable and pre-release; dev branches are not releases and are left out), each',
    '                           verified; exit 1 when one is not signed by the policy’s keys or not attested by',
    '                           its release workflow (e.g. pushed with a stolen Packagist token). With',
    '                           $GITHUB_STEP_SUMMARY set, a table of the versions is appended to it',
    '  --since <date|version>   with --all-versions: only versions released on or after this date (the',
    '                           metadata’s `time`, e.g. 2026-01-31) or from this version on (Composer’s order)',
    '  --concurrency <n>        packages verified at once (default 8)',
    '  --request-timeout <s>    seconds one request may wait for an answer (default 30); a whole answer, and a',
    '                           fetch handed to git, may take 4 times as long',
    '  --threads <n>            threads that share the packages (default: one per CPU but one, at most 4)',
    '  --packagist-url <url>    Composer repository with p2 metadata (default: the policy’s, else https://repo.packagist.org)',
    '  --github-api-url <url>   GitHub’s API, for attestations (default: the policy’s, else https://api.github.com)',
    '  --gitlab-api-url <url>   GitLab’s API, for attestations of GitLab CI identities (default: the policy’s, else',
    '                           each identity’s server + /api/v4)',
    '  --max-size <kind>=<size>[,…]',
    '                           the largest answer read, by kind: metadata (default 32MiB), api (16MiB),',
    '                           bundle (16MiB), dist (512MiB); e.g. --max-size metadata=64MiB,dist=1GiB',
    '  --json                   print the report as JSON on stdout',
    '  --cache-dir <dir>        where checks that passed are cached (default: $XDG_CACHE_HOME/phpublish,',
    '                           else ~/.cache/phpublish); metadata, tags and dists are always fetched anew',
    '  --no-cache               neither read nor write the cache',
    '  --refresh-trusted-root   update the public-good Sigstore root through its TUF repository (network)',
    '                           and keep it in the cache; by default the root shipped with phpublish (or a',
    '                           newer one an earlier refresh kept) is used, offline',
    '',
    'Exit codes: 0 everything covered verified, 1 a check failed, 2 wrong usage, 70 internal error.',
    'Environment: GITHUB_TOKEN or GH_TOKEN (optional) for GitHub’s API, GITLAB_TOKEN (optional, private projects)',
    'for GitLab’s; git uses your git configuration.',
  ].join('\n'),
  options: {
    policy: { type: 'string' },
    lock: { type: 'string' },
    'no-dev': { type: 'boolean' },
    strict: { type: 'boolean' },
    'all-versions': { type: 'boolean' },
    since: { type: 'string' },
    concurrency: { type: 'string' },
    threads: { type: 'string' },
    'request-timeout': { type: 'string' },
    'packagist-url': { type: 'string' },
    'github-api-url': { type: 'string' },
    'gitlab-api-url': { type: 'string' },
    'max-size': { type: 'string' },
    json: { type: 'boolean' },
    'cache-dir': { type: 'string' },
    'no-cache': { type: 'boolean' },
    'refresh-trusted-root': { type: 'boolean' },
  },
  allowPositionals: true,
  integers: { concurrency: { min: 1, max: 64 }, threads: { min: 1, max: 16 }, 'request-timeout': { min: 1, max: 600 } },
  urls: ['packagist-url', 'github-api-url', 'gitlab-api-url'],
  async run({ values, positionals }, io: CommandIo) {
    const usage = (problem: string) => {
      io.stderr.write(`phpublish verify: ${problem}\n\nUsage: ${this.usage}\n`);
      return EXIT.usage;
    };
    const lock = values['lock'] as string | undefined;
    const [name, version, ...extra] = positionals;
    if (lock === undefined && name === undefined) return usage('name a package, or pass --lock <composer.lock>.');
    if (lock !== undefined && positionals.length > 0) return usage('give either a package or --lock, not both.');
    if (extra.length > 0) return usage(`unexpected argument "${extra[0]}".`);
    if (name !== undefined && !PACKAGE_NAME.test(name)) {
      return usage(`"${name}" is not a package name (vendor/name, lowercase).`);
    }
    if (lock === undefined && values['no-dev']) return usage('--no-dev applies to --lock only.');
    const allVersions = Boolean(values['all-versions']);
    const sinceOption = values['since'] as string | undefined;
    if (allVersions && (lock !== undefined || version !== undefined)) {
      return usage('--all-versions checks every version of one package: name the package alone.');
    }
    if (sinceOption !== undefined && !allVersions) return usage('--since applies to --all-versions only.');
    const since = sinceOption === undefined ? undefined : parseSince(sinceOption);
    if (since && 'problem' in since) return usage(`--since: ${since.problem}.`);
    const cacheDirOption = values['cache-dir'] as string | undefined;
    if (values['no-cache'] && cacheDirOption !== undefined) return usage('give either --cache-dir or --no-cache.');
    if (cacheDirOption === '') return usage('--cache-dir needs a folder.');
    const cacheDir = values['no-cache']
      ? undefined
      : cacheDirOption !== undefined
        ? resolve(io.cwd, cacheDirOption)
        : defaultCacheDir(io.env, process.platform);
    // Whole numbers in range and URLs are checked by main() (`integers`, `urls` above).
    const concurrency = (values['concurrency'] as number | undefined) ?? 8;
    // One thread per CPU but one (left to git and this thread), at most 4.
    const threads = (values['threads'] as number | undefined) ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    const requestTimeout = values['request-timeout'] as number | undefined;
    const maxSize = values['max-size'] as string | undefined;
    const maxSizes = maxSize === undefined ? { limits: {} } : parseAnswerLimits(maxSize);
    if ('problem' in maxSizes) return usage(`--max-size: ${maxSizes.problem}.`);
    const policyFile = (values['policy'] as string | undefined) ?? (await defaultPolicy(io.cwd));
    if (!policyFile) {
      return usage(`no policy: pass --policy <file> or create ${POLICY_FILE_NAME} (see docs/verify.md).`);
    }

    const redactor = new Redactor();
    const logger = redactingLogger(stderrLogger(io), redactor);
    const policy = await loadPolicy({ file: policyFile, cwd: io.cwd });
    const targets: VerifyTarget[] =
      lock === undefined
        ? [{ packageName: name!, ...(version ? { version } : {}) }]
        : await readComposerLock({ file: lock, cwd: io.cwd, dev: !values['no-dev'] });
    const agent = createVerifyAgent();
    const endpoints = {
      ...(values['packagist-url'] ? { packagistUrl: values['packagist-url'] as string } : {}),
      ...(values['github-api-url'] ? { githubApiUrl: values['github-api-url'] as string } : {}),
      ...(values['gitlab-api-url'] ? { gitlabApiUrl: values['gitlab-api-url'] as string } : {}),
    };
    const deps = {
      cwd: io.cwd,
      env: io.env,
      clock: systemClock,
      dispatcher: agent,
      userAgent: userAgent('phpublish-verify'),
      logger,
      redactor,
      tempDir: io.env['TMPDIR'] || tmpdir(),
      limits: maxSizes.limits,
      ...(requestTimeout !== undefined ? { timeoutMs: requestTimeout * 1000 } : {}),
      ...(cacheDir ? { cache: { dir: cacheDir, phpublishVersion: PHPUBLISH_VERSION } } : {}),
      ...(values['refresh-trusted-root'] ? { refreshTrustedRoot: true } : {}),
    };
    let report: VerifyReport;
    try {
      report = allVersions
        ? await verifyAllVersions(
            { packageName: name!, policy, concurrency, threads, endpoints, ...(since ? { since } : {}) },
            deps,
          )
        : await verifyPackages(
            { targets, policy, concurrency, threads, strict: Boolean(values['strict']), endpoints },
            deps,
          );
    } finally {
      await agent.close();
    }

    for (const pkg of report.packages) {
      for (const check of pkg.checks) {
        if (check.warning) logger.warn(`${pkg.packageName} ${pkg.version ?? ''}: ${check.warning}`);
      }
    }
    if (values['json']) io.stdout.write(redactor.redact(`${JSON.stringify(report, null, 2)}\n`));
    else if ('allVersions' in report) io.stdout.write(redactor.redact(monitorText(report as AllVersionsReport)));
    else io.stdout.write(redactor.redact(lock === undefined ? singleText(report) : lockText(report)));
    const jobSummary = io.env['GITHUB_STEP_SUMMARY'];
    if (allVersions && jobSummary) {
      await appendFile(jobSummary, redactor.redact(monitorSummary(report as AllVersionsReport)));
    }
    return report.summary.failed > 0 ? EXIT.failed : EXIT.ok;
  },
};

async function defaultPolicy(cwd: string): Promise<string | undefined> {
  const file = join(cwd, POLICY_FILE_NAME);
  try {
    await access(file);
    return file;
  } catch {
    return undefined;
  }
}

const RESULT: Record<string, string> = {
  passed: 'passed',
  failed: 'FAILED',
  skipped: 'skipped',
  'not-checked': 'NOT CHECKED',
};

/** `attestation, content` when the policy turned those checks off; never counted as passed. */
function notCheckedList(pkg: PackageReport): string {
  return pkg.checks
    .filter((c) => c.status === 'not-checked')
    .map((c) => CHECK_TITLES[c.check])
    .join(', ');
}

function checksTable(pkg: PackageReport): string {
  return table([
    ['check', 'result', 'detail'],
    ...pkg.checks.map((c) => [
      CHECK_TITLES[c.check],
      c.warning ? 'passed (!)' : (RESULT[c.status] ?? c.status),
      c.code ? `${c.code}: ${c.detail}` : c.warning ? `${c.detail}; ${c.warning}` : c.detail,
    ]),
  ]);
}

function heading(pkg: PackageReport): string {
  const unchecked = notCheckedList(pkg);
  const status =
    pkg.status === 'verified'
      ? `verified${unchecked ? ` (not checked: ${unchecked})` : ''}`
      : pkg.status === 'failed'
        ? 'FAILED'
        : 'not covered';
  const where = pkg.policyEntry ? ` (policy ${pkg.policyEntry})` : '';
  return `${pkg.packageName}${pkg.version ? ` ${pkg.version}` : ''}${where}: ${status}`;
}

/** What to do about each failure, once per code. */
function remedies(report: VerifyReport): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const pkg of report.packages) {
    for (const check of pkg.checks) {
      if (!check.code || seen.has(check.code)) continue;
      seen.add(check.code);
      lines.push(`${check.code}\n  remedy: ${check.remedy}\n  docs: ${check.docsUrl}`);
    }
  }
  return lines.length === 0 ? '' : `\n${lines.join('\n\n')}\n`;
}

function summaryLine(report: VerifyReport): string {
  const { verified, failed, notCovered } = report.summary;
  const total = report.packages.length;
  return `${total} package${total === 1 ? '' : 's'}: ${verified} verified, ${failed} failed, ${notCovered} not covered (${(report.durationMs / 1000).toFixed(1)} s)`;
}

function singleText(report: VerifyReport): string {
  const pkg = report.packages[0]!;
  if (pkg.status === 'not-covered') {
    return `${heading(pkg)}\nThe policy has no entry for ${pkg.packageName} or its vendor: nothing was verified.\n`;
  }
  return `${heading(pkg)}\n\n${checksTable(pkg)}\n${remedies(report)}`;
}

function lockText(report: VerifyReport): string {
  const rows = report.packages.map((pkg) => {
    const failure = pkg.checks.find((c) => c.status === 'failed');
    const detail =
      pkg.status === 'not-covered'
        ? 'not covered by the policy: not verified'
        : failure
          ? `${CHECK_TITLES[failure.check]}: ${failure.code}`
          : `${pkg.checks.filter((c) => c.status === 'passed').length} checks passed${notCheckedList(pkg) ? `, not checked: ${notCheckedList(pkg)}` : ''} (policy ${pkg.policyEntry})`;
    return [
      pkg.packageName,
      pkg.version ?? '',
      pkg.status === 'failed' ? 'FAILED' : pkg.status === 'verified' ? 'verified' : 'not covered',
      detail,
    ];
  });
  const failures = report.packages.filter((p) => p.status === 'failed' && p.checks.length > 0);
  return [
    table([['package', 'version', 'result', 'detail'], ...rows]),
    ...failures.map((pkg) => `\n${heading(pkg)}\n\n${checksTable(pkg)}`),
    remedies(report),
    `${summaryLine(report)}\n`,
  ].join('\n');
}

/** Why a version failed, in one cell: each failed check and its code. */
function failedChecks(pkg: PackageReport): string {
  return pkg.checks
    .filter((c) => c.status === 'failed')
    .map((c) => `${CHECK_TITLES[c.check]}: ${c.code}`)
    .join('; ');
}

/** The monitor's rows: version, release time, result, why. */
function monitorRows(report: AllVersionsReport): string[][] {
  const times = new Map(report.allVersions.checked.map((v) => [v.version, v.time ?? '']));
  return report.packages.map((pkg) => [
    pkg.version ?? '',
    times.get(pkg.version ?? '') ?? '',
    pkg.status === 'failed' ? 'FAILED' : 'verified',
    pkg.status === 'failed' ? failedChecks(pkg) : notCheckedList(pkg) ? `not checked: ${notCheckedList(pkg)}` : '',
  ]);
}

/** What the monitor left out, and why: said, never silent. */
function scopeLines(report: AllVersionsReport): string[] {
  const { devVersions, beforeSince, since } = report.allVersions;
  return [
    ...(devVersions.length > 0
      ? [
          `Not checked: ${devVersions.length} dev branch${devVersions.length === 1 ? '' : 'es'} (${devVersions.join(', ')}): branches are not releases.`,
        ]
      : ['Dev branches are not releases and are not checked.']),
    ...(beforeSince.length > 0
      ? [
          `Not checked: ${beforeSince.length} version${beforeSince.length === 1 ? '' : 's'} before ${since} (${beforeSince.join(', ')}).`,
        ]
      : []),
  ];
}

function monitorVerdict(report: AllVersionsReport): string {
  const { packageName } = report.allVersions;
  const total = report.packages.length;
  const { failed } = report.summary;
  if (total === 0) return `${packageName}: no released version to check.`;
  return failed === 0
    ? `${packageName}: all ${total} version${total === 1 ? '' : 's'} verified.`
    : `${packageName}: ${failed} of ${total} version${total === 1 ? '' : 's'} FAILED: not signed by the policy’s keys or not attested by its release workflow. A version published outside your release process (a stolen Packagist token?) looks like this.`;
}

function monitorText(report: AllVersionsReport): string {
  const failures = report.packages.filter((p) => p.status === 'failed');
  return [
    ...(report.packages.length > 0 ? [table([['version', 'released', 'result', 'why'], ...monitorRows(report)])] : []),
    ...failures.map((pkg) => `\n${heading(pkg)}\n\n${checksTable(pkg)}`),
    remedies(report),
    ...scopeLines(report),
    `${monitorVerdict(report)} (${(report.durationMs / 1000).toFixed(1)} s)\n`,
  ].join('\n');
}

/** A Markdown table cell: one line, no column breaks. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

/** The monitor's table for $GITHUB_STEP_SUMMARY. */
function monitorSummary(report: AllVersionsReport): string {
  const rows = monitorRows(report).map((row) => `| ${row.map(cell).join(' | ')} |`);
  return [
    `## phpublish monitor: ${report.allVersions.packageName}`,
    '',
    report.summary.failed > 0 ? `**${cell(monitorVerdict(report))}**` : cell(monitorVerdict(report)),
    '',
    ...(rows.length > 0 ? ['| version | released | result | why |', '| --- | --- | --- | --- |', ...rows, ''] : []),
    ...scopeLines(report).map((line) => `${cell(line)}  `),
    '',
  ].join('\n');
}
