import { type SandboxGitHub, startSandboxGitHub } from '@phpublish/sandbox';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSignedTag } from '../git/index.js';
import { memoryLogger } from '../log/index.js';
import { loadSigningKey } from '../pgp/signing-key.js';
import { ReleaseSession } from './session.js';

// The end of a release session: the posture report (and the GitHub release notes it may update),
// and finishing a release that a previous run tagged but did not get served.

let key: TestKey;
let fixture: PackagistFixture;

beforeAll(async () => {
  key = await generateTestKey('ed25519');
});
beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
});
afterEach(async () => {
  await fixture.cleanup();
});

function input(env: Record<string, string> = {}, options: { report?: { releaseNotes?: boolean } } = {}) {
  const logger = memoryLogger();
  return {
    logger,
    input: {
      cwd: fixture.repo.dir,
      env: gitEnv({
        PACKAGIST_USERNAME: 'alice',
        PACKAGIST_API_TOKEN: fixture.alice.safeToken,
        PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
        ...env,
      }),
      options: {
        attest: { enabled: false },
        packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, repositoryUrl: REPOSITORY_URL },
        ...options,
      },
      logger,
      retry: { attempts: 1 },
    },
  };
}

/** What a previous run left: the signed tag, pushed, and Packagist never told. */
async function tagOfAnInterruptedRun(tag: string) {
  const signingKey = await loadSigningKey({
    armoredKey: key.armoredPrivateKey,
    keySource: 'PHPUBLISH_GPG_PRIVATE_KEY',
    passphraseSource: 'PHPUBLISH_GPG_PRIVATE_KEY_PASSPHRASE',
  });
  await createSignedTag({ cwd: fixture.repo.dir, env: gitEnv(), tag, message: `Release ${tag}`, key: signingKey });
}

const served = async () => {
  const res = await fetch(`${fixture.packagist.url}/p2/acme/hello.json`);
  return res.status === 200 ? JSON.stringify(await res.json()) : '';
};

describe('when a previous run tagged a release but Packagist does not serve it', () => {
  it('a dry run only says it would finish it; a real run publishes it once and reports', async () => {
    await tagOfAnInterruptedRun('v1.0.0');
    const dry = input();
    const session = await ReleaseSession.start(dry.input);
    try {
      expect(await session.finishUnfinishedRelease({ dryRun: true })).toEqual({
        tag: 'v1.0.0',
        commit: fixture.repo.head,
      });
      expect(dry.logger.lines.join('\n')).toMatch(/would finish v1\.0\.0/);
      expect(fixture.packagist.requests.filter((r) => r.method === 'POST')).toEqual([]);
      expect(await served()).not.toContain(fixture.repo.head);
      expect(session.done).toEqual(['preflight']);
    } finally {
      await session.cleanup();
    }

    const real = input();
    const rerun = await ReleaseSession.start(real.input);
    try {
      expect(await rerun.finishUnfinishedRelease()).toEqual({ tag: 'v1.0.0', commit: fixture.repo.head });
      expect(rerun.done).toEqual(expect.arrayContaining(['publish', 'report']));
      expect(await served()).toContain(fixture.repo.head);
      expect(real.logger.lines.join('\n')).toMatch(/finishing v1\.0\.0/);
      // Served now: a third run has nothing to finish.
      expect(await rerun.finishUnfinishedRelease()).toBeUndefined();
    } finally {
      await rerun.cleanup();
    }
  });
});

describe('when the report adds the posture to the GitHub release notes (report.releaseNotes)', () => {
  let github: SandboxGitHub;
  beforeEach(async () => {
    github = await startSandboxGitHub();
    github.addRepository('acme/hello');
  });
  afterEach(async () => github.close());

  function inGitHubActions() {
    return input(
      {
        GITHUB_ACTIONS: 'true',
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: 'acme/hello',
        GITHUB_TOKEN: github.issueToken('acme/hello', { contents: 'write' }),
      },
      { report: { releaseNotes: true } },
    );
  }

  it('adds the table to the notes of the release', async () => {
    await tagOfAnInterruptedRun('v1.0.0');
    github.createRelease('acme/hello', 'v1.0.0');
    const { input: start } = inGitHubActions();
    const session = await ReleaseSession.start(start);
    try {
      await session.publish({ tag: 'v1.0.0', commit: fixture.repo.head });
      await session.report({ print: () => {} });
      expect(github.releaseNotes('acme/hello', 'v1.0.0')).toMatch(/phpublish:posture:start[\s\S]*v1\.0\.0/);
      expect(session.done).toContain('report');
    } finally {
      await session.cleanup();
    }
  });

  it('only warns when the notes cannot be updated: the release is done', async () => {
    await tagOfAnInterruptedRun('v1.0.0');
    // No GitHub release of v1.0.0 exists.
    const { input: start, logger } = inGitHubActions();
    const session = await ReleaseSession.start(start);
    try {
      await session.publish({ tag: 'v1.0.0', commit: fixture.repo.head });
      const printed: string[] = [];
      await session.report({ print: (text) => printed.push(text) });
      expect(printed.join('\n')).toContain('v1.0.0');
      expect(logger.lines.join('\n')).toMatch(/REPORT_RELEASE_NOTES_FAILED[\s\S]*HTTP 404/);
      expect(session.done).toContain('report');
    } finally {
      await session.cleanup();
    }
  });
});
