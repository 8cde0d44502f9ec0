import { sandboxAudit, startSandboxOidcIssuer } from '@phpublish/sandbox';
import {
  type AttestFixture,
  PACKAGE,
  type Run,
  SUBJECTS,
  startAttestFixture,
  withEnv,
} from '@phpublish/testing/attest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestRelease } from './attest-release.js';
import { detectCiPlatform } from './ci.js';
import { httpDeps } from './deps.js';
import { obtainIdentityToken } from './id-token.js';
import { signStatement } from './sign.js';
import { provenanceStatement } from './statement.js';
import { toInTotoSubjects } from './subjects.js';

/**
 * Every place an identity token could escape to: log lines, and error messages with their remedies,
 * details, stacks and causes. The scenarios succeed and fail in every way that handles a token; one
 * test at the end checks every token the sandbox issued (ID tokens, request tokens, API tokens).
 */
let fixture: AttestFixture;
const errorTexts: string[] = [];
const codes: string[] = [];

beforeAll(async () => {
  fixture = await startAttestFixture();
});
afterAll(async () => {
  await fixture.close();
});

function collectError(error: unknown): void {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && !seen.has(current)) {
    seen.add(current);
    const e = current as Error & {
      format?: () => string;
      details?: string;
      remedy?: string;
      errors?: unknown[];
      code?: string;
    };
    if (seen.size === 1 && e.code) codes.push(e.code);
    errorTexts.push(String(e.message), String(e.stack), e.format?.() ?? '', e.details ?? '', e.remedy ?? '');
    for (const inner of e.errors ?? []) collectError(inner);
    current = e.cause;
  }
}

async function attempt(run: Run, version = '1.0.0', tag = 'v1.0.0'): Promise<void> {
  try {
    await attestRelease(run.config, { release: { packageName: PACKAGE, version, tag }, subjects: SUBJECTS }, run.deps);
  } catch (error) {
    collectError(error);
  }
}

describe('identity tokens', () => {
  it('runs the scenarios', async () => {
    // Successes on both forges (their log lines are checked too).
    await attempt(fixture.gitHubRun());
    await attempt(fixture.gitLabRun());

    // Fulcio refuses a token from an issuer it does not trust.
    const stranger = await startSandboxOidcIssuer();
    const strangerJob = stranger.gitHubActionsJob({ repository: 'acme/hello' });
    const run = fixture.gitHubRun({}, { config: { storeReleaseAsset: false } });
    await attempt(withEnv(run, { ...run.env, ...strangerJob.env }));
    await stranger.close();

    // Rekor keeps failing after Fulcio has seen the token.
    fixture.sandbox.sigstore.injectFault('rekor', { path: '/api/v1/log/entries', fault: { status: 500 }, times: 10 });
    await attempt(fixture.gitHubRun({}, { config: { storeReleaseAsset: false } }));

    // The token service fails, with the request token in the job's environment.
    fixture.sandbox.githubIssuer.injectFault({
      path: /idtoken$/,
      fault: { status: 500, body: '{"message":"boom"}' },
      times: 2,
    });
    await attempt(fixture.gitHubRun({}, { config: { storeReleaseAsset: false } }));

    // A GitLab token for another audience.
    const gitlab = fixture.gitLabRun();
    const wrongAudience = fixture.sandbox.gitlabIssuer.gitLabCiJob(
      { projectPath: 'acme/hello' },
      { audience: 'other' },
    );
    fixture.sandbox.gitlab.createRelease('acme/hello', 'v1.0.1');
    await attempt(
      withEnv(gitlab, { ...gitlab.env, SIGSTORE_ID_TOKEN: wrongAudience.env['SIGSTORE_ID_TOKEN']! }),
      '1.0.1',
      'v1.0.1',
    );

    // sigstore-js itself puts an unreadable token into its error message.
    const github = fixture.gitHubRun();
    const identity = await obtainIdentityToken({
      platform: detectCiPlatform(github.env)!,
      env: github.env,
      tokenVariable: 'SIGSTORE_ID_TOKEN',
      http: httpDeps(github.deps, 5),
      redactor: github.deps.redactor,
    });
    const unreadable = `${identity.token.split('.')[0]}.bm90LWpzb24.${identity.token.split('.')[2]}`;
    github.deps.redactor.add(unreadable);
    sandboxAudit.issuedSecrets.add(unreadable);
    try {
      await signStatement({
        statement: provenanceStatement(toInTotoSubjects(SUBJECTS), {
          buildDefinition: { buildType: 'x', externalParameters: {} },
          runDetails: { builder: { id: 'x' } },
        }),
        identity: { ...identity, token: unreadable },
        endpoints: { fulcioUrl: github.config.fulcioUrl, rekorUrl: github.config.rekorUrl },
        timeoutMs: 5000,
        redactor: github.deps.redactor,
      });
    } catch (error) {
      collectError(error);
    }

    expect(codes).toEqual([
      'ATTEST_SIGNING_FAILED',
      'ATTEST_SIGNING_FAILED',
      'ATTEST_ID_TOKEN_REQUEST_FAILED',
      'ATTEST_ID_TOKEN_INVALID',
      'ATTEST_ID_TOKEN_INVALID',
    ]);
  });

  it('never appear in a log line or an error', () => {
    const secrets = [...sandboxAudit.issuedSecrets];
    // Each JWT also by its signature alone: a token cut across lines must not leak either.
    const forms = secrets.flatMap((secret) => {
      const parts = secret.split('.');
      return parts.length === 3 ? [secret, parts[2]!] : [secret];
    });
    expect(fixture.logLines.length).toBeGreaterThan(4);
    const texts = [...fixture.logLines, ...errorTexts];
    const leaks = texts.filter((text) => forms.some((secret) => text.includes(secret)));
    expect(leaks).toEqual([]);
  });
});
