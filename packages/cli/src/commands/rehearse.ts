import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createReleaseContext,
  createSignedTag,
  generateThrowawayKey,
  git,
  notifyPackagist,
  type PackagistOutcome,
  preflight,
  readComposerJson,
  trustSigningKey,
  verifyTag,
} from '@phpublish/core';
import { installWithComposer, startSandboxPackagist } from '@phpublish/sandbox';
import { EXIT } from '../exit-codes.js';
import { type CommandIo, stderrLogger, table } from '../io.js';
import type { Command } from '../main.js';

const SAMPLE_DIR = new URL('../../sample/', import.meta.url);
/** A fixed identity for the rehearsal's own commits and tags. */
const REHEARSAL_GIT_ENV = {
  GIT_AUTHOR_NAME: 'phpublish rehearsal',
  GIT_AUTHOR_EMAIL: 'rehearsal@phpublish.invalid',
  GIT_COMMITTER_NAME: 'phpublish rehearsal',
  GIT_COMMITTER_EMAIL: 'rehearsal@phpublish.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export interface RehearsalResult {
  package: string;
  version: string;
  commit: string;
  signedTag: { object: string; signer: string };
  packagist: PackagistOutcome;
  installedFiles: string[];
}

export const rehearseCommand: Command = {
  summary: 'Rehearse a release end to end against local stand-ins (no real service, no real remote)',
  usage: 'phpublish rehearse [--sample] [--version <tag>] [--json]',
  help: [
    'Copies the repository (or, with --sample, a bundled sample package) into a temporary folder, tags the',
    'release there, starts a local Packagist on 127.0.0.1 with a throwaway account, notifies it and waits',
    'until it serves the version at the tagged commit, then installs the package with Composer from it.',
    'Your repository, its remote and every real service are left untouched; everything is removed afterwards.',
    '',
    'Options:',
    '  --sample          rehearse the bundled sample package instead of the repository in the current folder',
    '  --version <tag>   the tag to rehearse (default: v1.0.0, or the next patch after the latest tag)',
    '  --json            print the result as JSON on stdout',
  ].join('\n'),
  options: { sample: { type: 'boolean' }, version: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values }, io: CommandIo) {
    const logger = stderrLogger(io);
    const work = await mkdtemp(join(tmpdir(), 'phpublish-rehearse-'));
    const packagist = await startSandboxPackagist();
    try {
      const repo = join(work, 'repo');
      if (values['sample']) {
        await cp(SAMPLE_DIR, repo, { recursive: true });
        await git(['init', '-q', '-b', 'main'], { cwd: repo, env: gitEnv(io) });
        await git(['add', '-A'], { cwd: repo, env: gitEnv(io) });
        await git(['commit', '-q', '-m', 'Initial release of the sample'], { cwd: repo, env: gitEnv(io) });
      } else {
        await git(['clone', '-q', '--no-hardlinks', io.cwd, repo], { cwd: work, env: gitEnv(io) });
      }
      const version = (values['version'] as string | undefined) ?? (await defaultVersion(repo, io));
      const commit = await git(['rev-parse', 'HEAD'], { cwd: repo, env: gitEnv(io) });
      const composer = await readComposerJson(repo);
      const repositoryUrl = `https://github.com/${String(composer.name ?? 'rehearsal/package')}`;

      logger.info(
        `Rehearsing ${String(composer.name)} ${version} at ${commit.slice(0, 12)} against a local Packagist (${packagist.url}).`,
      );
      const account = packagist.addUser({ username: 'rehearsal' });
      packagist.addRemote(repositoryUrl, repo);
      if (typeof composer.name === 'string') {
        packagist.addPackage({ name: composer.name, repositoryUrl, maintainers: [account.username] });
      }
      // A throwaway maintainer key: the tag is signed exactly as a real release's would be.
      const key = await generateThrowawayKey({ name: 'phpublish rehearsal', email: 'rehearsal@phpublish.invalid' });
      const context = createReleaseContext({
        cwd: repo,
        env: {
          PACKAGIST_USERNAME: account.username,
          PACKAGIST_API_TOKEN: account.safeToken,
          PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
        },
        options: {
          packagist: {
            mode: 'token',
            url: packagist.url,
            repoUrl: packagist.url,
            repositoryUrl,
            confirm: { timeout: 60 },
          },
        },
        logger,
        product: 'phpublish-rehearse',
      });
      const { target, signingKey } = await preflight(context, { release: { version, commit }, attest: false });
      logger.success(
        'Preflight passed: configuration, credentials, signing key, composer.json, repository URL, Packagist reachable.',
      );
      if (!signingKey) throw new Error('the rehearsal key was not loaded');
      const signed = await createSignedTag({
        cwd: repo,
        env: gitEnv(io),
        tag: version,
        target: commit,
        message: `Release ${version}`,
        key: signingKey,
      });
      const verified = await verifyTag({
        cwd: repo,
        env: gitEnv(io),
        tag: version,
        trusted: trustSigningKey(signingKey),
      });
      logger.success(
        `Tagged ${version} as an OpenPGP-signed annotated tag by key ${signed.signerFingerprint.slice(-16)} and verified it (in the rehearsal copy only).`,
      );
      const outcome = await notifyPackagist(context, target, { version, commit });

      const { files: installedFiles } = await installWithComposer({
        repositoryUrl: packagist.url,
        packageName: target.packageName,
        version,
        workDir: join(work, 'composer'),
        path: io.env['PATH'],
      });
      logger.success(
        `Composer installed ${target.packageName} ${version} from the local Packagist (${installedFiles.length} files).`,
      );

      const result: RehearsalResult = {
        package: target.packageName,
        version,
        commit,
        signedTag: { object: signed.oid, signer: verified.signer.fingerprint },
        packagist: outcome,
        installedFiles,
      };
      if (values['json']) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else io.stdout.write(`\n${summary(result)}\n`);
      return EXIT.ok;
    } finally {
      await packagist.close();
      await rm(work, { recursive: true, force: true });
    }
  },
};

function gitEnv(io: CommandIo): Record<string, string | undefined> {
  return { PATH: io.env['PATH'], HOME: io.env['HOME'], ...REHEARSAL_GIT_ENV };
}

async function defaultVersion(repo: string, io: CommandIo): Promise<string> {
  const tags = (await git(['tag', '--list', '--sort=-v:refname'], { cwd: repo, env: gitEnv(io) }))
    .split('\n')
    .filter((t) => /^v?\d+\.\d+\.\d+$/.test(t));
  const latest = tags[0];
  if (!latest) return 'v1.0.0';
  const [major, minor, patch] = latest.replace(/^v/, '').split('.').map(Number);
  return `${latest.startsWith('v') ? 'v' : ''}${major}.${minor}.${(patch ?? 0) + 1}`;
}

function summary(r: RehearsalResult): string {
  const served = r.packagist.confirmation === 'served';
  return [
    `Rehearsal of ${r.package} ${r.version}`,
    '',
    table([
      ['layer', 'result', 'detail'],
      ['Packagist notification', r.packagist.notified === 'off' ? 'skipped' : 'done', describeNotified(r.packagist)],
      [
        'Packagist confirmation',
        served ? 'passed' : 'NOT CONFIRMED',
        served ? `served at ${r.commit.slice(0, 12)}` : r.packagist.confirmation,
      ],
      ['Composer install', 'passed', `${r.installedFiles.length} files: ${r.installedFiles.join(', ')}`],
      [
        'Signed tag',
        'passed',
        `tag object ${r.signedTag.object.slice(0, 12)} signed by ${r.signedTag.signer.slice(-16)}`,
      ],
      ['Attestation', 'not built yet', 'comes with the attestation layer'],
    ]),
  ].join('\n');
}

function describeNotified(outcome: PackagistOutcome): string {
  switch (outcome.notified) {
    case 'update-package':
      return `update-package with a SAFE token, job ${outcome.jobs[0]?.slice(0, 8) ?? '?'}`;
    case 'created-and-updated':
      return 'create-package, then update-package';
    case 'already-served':
      return 'already served: nothing sent';
    case 'github-app':
      return 'no token: relied on the GitHub App';
    default:
      return 'off';
  }
}
