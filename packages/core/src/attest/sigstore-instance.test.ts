import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxSigstore } from '@phpublish/sandbox';
import {
  type AttestFixture,
  GITHUB_REPOSITORY,
  type Run,
  SUBJECTS,
  startAttestFixture,
  withEnv,
  ZIP_SHA256,
} from '@phpublish/testing/attest';
import { codeOf } from '@phpublish/testing/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestSchema } from '../config/attest-schema.js';
import { isPhpublishError } from '../errors/index.js';
import { detectCiPlatform } from './ci.js';
import { httpDeps } from './deps.js';
import { obtainIdentityToken } from './id-token.js';
import { gitHubActionsPolicy } from './identity-policy.js';
import { provenanceFor } from './provenance.js';
import { type SigstoreBundle, type SigstoreEndpoints, signStatement } from './sign.js';
import {
  chooseSigstoreInstance,
  repositoryVisibility,
  sigstoreInstanceFor,
  sigstoreInstanceProblem,
} from './sigstore-instance.js';
import { provenanceStatement } from './statement.js';
import { toInTotoSubjects } from './subjects.js';
import type { TrustedRootJson } from './trusted-root.js';
import { verifyAttestation } from './verify.js';

/** GitHub's own instance for private repositories, trusting the sandbox's GitHub Actions issuer: Fulcio and a TSA, no Rekor. */
const startGitHubInstance = (issuer: string) =>
  startSandboxSigstore({
    instance: 'github',
    issuers: [{ issuer, provider: 'github-workflow', serverUrl: 'https://github.com' }],
  });

let fixture: AttestFixture;
let githubInstance: Awaited<ReturnType<typeof startGitHubInstance>>;
let dir: string;

beforeAll(async () => {
  fixture = await startAttestFixture();
  githubInstance = await startGitHubInstance(fixture.sandbox.githubIssuer.issuer);
  dir = await mkdtemp(join(tmpdir(), 'phpublish-instance-'));
});

afterAll(async () => {
  await githubInstance.close();
  await fixture.close();
  await rm(dir, { recursive: true, force: true });
});

/** The run's configuration with GitHub's instance at the sandbox's stand-in. */
function withGitHubInstance(run: Run, sigstore: 'auto' | 'public-good' | 'github' = 'auto'): Run {
  return {
    ...run,
    config: {
      ...run.config,
      sigstore,
      githubFulcioUrl: githubInstance.fulcioUrl,
      githubTsaUrl: githubInstance.tsaUrl,
    },
  };
}

/** What attestRelease does: the ID token, the instance for this job, the statement signed there. */
async function signInItsInstance(run: Run): Promise<{ bundle: SigstoreBundle; instance: SigstoreEndpoints }> {
  const platform = detectCiPlatform(run.env)!;
  const identity = await obtainIdentityToken({
    platform,
    env: run.env,
    tokenVariable: 'SIGSTORE_ID_TOKEN',
    http: httpDeps(run.deps, 5),
    redactor: run.deps.redactor,
  });
  const instance = await sigstoreInstanceFor(run.config, { platform, env: run.env, claims: identity.claims });
  const statement = provenanceStatement(
    toInTotoSubjects(SUBJECTS),
    provenanceFor(platform, identity.claims, run.env, new Date()),
  );
  const bundle = await signStatement({
    statement,
    identity,
    endpoints: instance,
    timeoutMs: 5000,
    redactor: run.deps.redactor,
  });
  return { bundle, instance };
}

const verifyWith = (bundle: SigstoreBundle, trustedRoot: TrustedRootJson) =>
  codeOf(
    verifyAttestation({
      bundle,
      trustedRoot,
      policy: gitHubActionsPolicy({
        repository: GITHUB_REPOSITORY,
        workflow: '.github/workflows/release.yml',
        ref: 'refs/tags/v1.0.0',
        issuer: fixture.sandbox.githubIssuer.issuer,
      }),
      subjects: { zip: { name: 'acme-hello-1.0.0.zip', sha256: ZIP_SHA256 } },
    }),
  );

async function eventFile(name: string, event: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof event === 'string' ? event : JSON.stringify(event));
  return path;
}

describe('when a private repository releases', () => {
  it('signs with GitHub’s instance: nothing reaches the public transparency log', async () => {
    const rekorBefore = fixture.sandbox.sigstore.requests.rekor.length;
    const fulcioBefore = fixture.sandbox.sigstore.requests.fulcio.length;
    const { bundle, instance } = await signInItsInstance(
      withGitHubInstance(fixture.gitHubRun({ visibility: 'private' })),
    );
    expect(instance).toEqual({ name: 'github', fulcioUrl: githubInstance.fulcioUrl, tsaUrl: githubInstance.tsaUrl });
    // Not even the public instance's Fulcio saw the identity.
    expect(fixture.sandbox.sigstore.requests.rekor).toHaveLength(rekorBefore);
    expect(fixture.sandbox.sigstore.requests.fulcio).toHaveLength(fulcioBefore);
    expect(githubInstance.requests.fulcio.length).toBeGreaterThan(0);
    expect(githubInstance.requests.tsa.length).toBeGreaterThan(0);
    const material = (bundle as { verificationMaterial: Record<string, unknown[] | undefined> }).verificationMaterial;
    expect(material['tlogEntries'] ?? []).toHaveLength(0);
  });

  it('signs an internal repository’s release there too', async () => {
    const { instance } = await signInItsInstance(withGitHubInstance(fixture.gitHubRun({ visibility: 'internal' })));
    expect(instance.rekorUrl).toBeUndefined();
  });

  it('verifies with GitHub’s trusted root, and fails with a coded error against the public-good one', async () => {
    const { bundle } = await signInItsInstance(withGitHubInstance(fixture.gitHubRun({ visibility: 'private' })));
    expect(await verifyWith(bundle, githubInstance.trustedRoot)).toBe('resolved');
    expect(await verifyWith(bundle, fixture.sandbox.sigstore.trustedRoot)).toBe('ATTEST_TLOG_INVALID');
  });

  it('does not accept a public-good bundle with GitHub’s trusted root', async () => {
    const { bundle, instance } = await signInItsInstance(withGitHubInstance(fixture.gitHubRun()));
    expect(instance.name).toBe('public-good');
    expect(await verifyWith(bundle, fixture.sandbox.sigstore.trustedRoot)).toBe('resolved');
    expect(await verifyWith(bundle, githubInstance.trustedRoot)).toBe('ATTEST_TLOG_INVALID');
    // Without its log entry it is still not GitHub's: its timestamp is not from GitHub's TSA (nor its certificate from GitHub's CA).
    const unlogged = structuredClone(bundle) as SigstoreBundle & { verificationMaterial: { tlogEntries: unknown[] } };
    unlogged.verificationMaterial.tlogEntries = [];
    expect(await verifyWith(unlogged, githubInstance.trustedRoot)).toBe('ATTEST_TIMESTAMP_INVALID');
  });

  it('refuses to sign into the public log when the endpoints were chosen without looking (the last guard)', async () => {
    const run = fixture.gitHubRun({ visibility: 'private' });
    const rekorBefore = fixture.sandbox.sigstore.requests.rekor.length;
    const fulcioBefore = fixture.sandbox.sigstore.requests.fulcio.length;
    const platform = detectCiPlatform(run.env)!;
    const identity = await obtainIdentityToken({
      platform,
      env: run.env,
      tokenVariable: 'SIGSTORE_ID_TOKEN',
      http: httpDeps(run.deps, 5),
      redactor: run.deps.redactor,
    });
    const sign = (endpoints: SigstoreEndpoints) =>
      signStatement({
        statement: provenanceStatement(
          toInTotoSubjects(SUBJECTS),
          provenanceFor(platform, identity.claims, run.env, new Date()),
        ),
        identity,
        endpoints,
        timeoutMs: 5000,
        redactor: run.deps.redactor,
      });
    const publicGood = { fulcioUrl: run.config.fulcioUrl, rekorUrl: run.config.rekorUrl };
    expect(await codeOf(sign(publicGood))).toBe('ATTEST_PRIVATE_PUBLIC_LOG');
    expect(fixture.sandbox.sigstore.requests.fulcio).toHaveLength(fulcioBefore);
    expect(fixture.sandbox.sigstore.requests.rekor).toHaveLength(rekorBefore);
    // Chosen explicitly (`attest.sigstore: public-good`), it is the user's call.
    expect(await codeOf(sign({ ...publicGood, publicLogAccepted: true }))).toBe('resolved');
  });

  it('uses the public-good instance when `attest.sigstore: public-good` says so', async () => {
    const run = withGitHubInstance(fixture.gitHubRun({ visibility: 'private' }), 'public-good');
    const rekorBefore = fixture.sandbox.sigstore.requests.rekor.length;
    const { instance } = await signInItsInstance(run);
    expect(instance).toMatchObject({ name: 'public-good', publicLogAccepted: true });
    expect(fixture.sandbox.sigstore.requests.rekor.length).toBeGreaterThan(rekorBefore);
  });
});

describe('when the visibility is not known', () => {
  it('stops before signing rather than go public (fail closed)', async () => {
    const run = withGitHubInstance(fixture.gitHubRun());
    const platform = detectCiPlatform(run.env)!;
    // A token without the claim (an older GitHub Enterprise Server) and no event file.
    const code = await codeOf(sigstoreInstanceFor(run.config, { platform, env: run.env, claims: {} }));
    expect(code).toBe('ATTEST_VISIBILITY_UNKNOWN');
  });

  it('takes the event payload’s visibility when the token says nothing', async () => {
    const run = withGitHubInstance(fixture.gitHubRun());
    const env = { ...run.env, GITHUB_EVENT_PATH: await eventFile('private.json', { repository: { private: true } }) };
    const instance = await sigstoreInstanceFor(run.config, { platform: 'github-actions', env, claims: {} });
    expect(instance.name).toBe('github');
  });
});

describe('repositoryVisibility', () => {
  const github = async (claim: string | undefined, event: unknown) => {
    const env: Record<string, string> = {};
    if (event !== undefined) env['GITHUB_EVENT_PATH'] = await eventFile(`event-${Math.random()}.json`, event);
    return repositoryVisibility({
      platform: 'github-actions',
      env,
      claims: claim === undefined ? {} : { repository_visibility: claim },
    });
  };

  it('reads the token’s claim and the event’s repository', async () => {
    expect(await github('public', undefined)).toBe('public');
    expect(await github('private', undefined)).toBe('private');
    expect(await github(undefined, { repository: { visibility: 'internal' } })).toBe('internal');
    expect(await github(undefined, { repository: { private: false } })).toBe('public');
  });

  it('takes the more private answer when they disagree', async () => {
    expect(await github('public', { repository: { visibility: 'private' } })).toBe('private');
    expect(await github('internal', { repository: { visibility: 'public' } })).toBe('internal');
  });

  it('is unknown when nothing says it, or an answer is not a visibility', async () => {
    expect(await github(undefined, undefined)).toBeUndefined();
    expect(await github(undefined, { repository: {} })).toBeUndefined();
    expect(await github(undefined, 'not json')).toBeUndefined();
    expect(await github('secret', { repository: { visibility: 'public' } })).toBeUndefined();
  });

  it('reads GitLab’s claim and CI_PROJECT_VISIBILITY', async () => {
    const gitlab = (claim: string | undefined, variable: string | undefined) =>
      repositoryVisibility({
        platform: 'gitlab-ci',
        env: variable === undefined ? {} : { CI_PROJECT_VISIBILITY: variable },
        claims: claim === undefined ? {} : { project_visibility: claim },
      });
    expect(await gitlab('public', 'public')).toBe('public');
    expect(await gitlab(undefined, 'private')).toBe('private');
    expect(await gitlab('internal', undefined)).toBe('internal');
    expect(await gitlab(undefined, undefined)).toBeUndefined();
  });
});

describe('chooseSigstoreInstance', () => {
  const config = (sigstore: 'auto' | 'public-good' | 'github') => attestSchema.parse({ sigstore });
  const choose = (
    sigstore: 'auto' | 'public-good' | 'github',
    platform: 'github-actions' | 'gitlab-ci',
    visibility: 'public' | 'private' | 'internal' | undefined,
  ) => {
    try {
      return chooseSigstoreInstance(config(sigstore), { platform, visibility, repository: 'acme/hello' }).name;
    } catch (error) {
      if (isPhpublishError(error)) return error.code;
      throw error;
    }
  };

  it('chooses as actions/attest does, with GitHub’s real endpoints by default', () => {
    expect(choose('auto', 'github-actions', 'public')).toBe('public-good');
    expect(choose('auto', 'github-actions', 'private')).toBe('github');
    expect(choose('auto', 'github-actions', 'internal')).toBe('github');
    expect(
      chooseSigstoreInstance(config('github'), { platform: 'github-actions', visibility: undefined, repository: '' }),
    ).toEqual({ name: 'github', fulcioUrl: 'https://fulcio.githubapp.com', tsaUrl: 'https://timestamp.githubapp.com' });
  });

  it('never goes public by default when it cannot tell, nor for a private GitLab project', () => {
    expect(choose('auto', 'github-actions', undefined)).toBe('ATTEST_VISIBILITY_UNKNOWN');
    expect(choose('auto', 'gitlab-ci', undefined)).toBe('ATTEST_VISIBILITY_UNKNOWN');
    expect(choose('auto', 'gitlab-ci', 'private')).toBe('ATTEST_PRIVATE_NO_INSTANCE');
    expect(choose('auto', 'gitlab-ci', 'internal')).toBe('ATTEST_PRIVATE_NO_INSTANCE');
    expect(choose('auto', 'gitlab-ci', 'public')).toBe('public-good');
  });

  it('follows an explicit choice, except GitHub’s instance outside GitHub Actions', () => {
    expect(choose('public-good', 'gitlab-ci', 'private')).toBe('public-good');
    expect(choose('public-good', 'github-actions', undefined)).toBe('public-good');
    expect(choose('github', 'github-actions', 'public')).toBe('github');
    expect(choose('github', 'gitlab-ci', 'private')).toBe('ATTEST_GITHUB_INSTANCE_UNAVAILABLE');
  });
});

describe('when a GitLab job of a private project signs', () => {
  it('refuses with a coded error before anything is sent', async () => {
    const run = fixture.gitLabRun({ visibility: 'private' });
    const fulcioBefore = fixture.sandbox.sigstore.requests.fulcio.length;
    expect(await codeOf(signInItsInstance(run))).toBe('ATTEST_PRIVATE_NO_INSTANCE');
    expect(await codeOf(signInItsInstance(withEnv(run, { ...run.env, CI_PROJECT_VISIBILITY: 'private' })))).toBe(
      'ATTEST_PRIVATE_NO_INSTANCE',
    );
    expect(fixture.sandbox.sigstore.requests.fulcio).toHaveLength(fulcioBefore);
  });
});

describe('sigstoreInstanceProblem (preflight)', () => {
  const config = (sigstore: 'auto' | 'public-good' | 'github' = 'auto', enabled = true) =>
    attestSchema.parse({ sigstore, enabled });
  const codeIn = async (problem: Promise<{ code: string } | undefined>) => (await problem)?.code ?? 'none';

  it('reports a private GitLab project before anything is published', async () => {
    const env = { CI_PROJECT_VISIBILITY: 'private', CI_PROJECT_PATH: 'acme/hello' };
    expect(await codeIn(sigstoreInstanceProblem(config(), { platform: 'gitlab-ci', env }))).toBe(
      'ATTEST_PRIVATE_NO_INSTANCE',
    );
    expect(await codeIn(sigstoreInstanceProblem(config('public-good'), { platform: 'gitlab-ci', env }))).toBe('none');
    expect(await codeIn(sigstoreInstanceProblem(config('auto', false), { platform: 'gitlab-ci', env }))).toBe('none');
    expect(await codeIn(sigstoreInstanceProblem(config('github'), { platform: 'gitlab-ci', env }))).toBe(
      'ATTEST_GITHUB_INSTANCE_UNAVAILABLE',
    );
  });

  it('leaves an unknown visibility to the ID token when there is none yet, not when there is one', async () => {
    expect(await codeIn(sigstoreInstanceProblem(config(), { platform: 'github-actions', env: {} }))).toBe('none');
    expect(await codeIn(sigstoreInstanceProblem(config(), { platform: 'github-actions', env: {}, claims: {} }))).toBe(
      'ATTEST_VISIBILITY_UNKNOWN',
    );
  });
});
