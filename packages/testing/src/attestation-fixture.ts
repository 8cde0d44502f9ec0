/**
 * The attestation sandbox wired for core's tests: CI jobs on both forges, options pointing at the
 * local services, and deps with a memory logger. Only for phpublish's own tests.
 */

import { systemClock } from '@phpublish/core';
import {
  type AttestationSubjects,
  type AttestConfig,
  type AttestDeps,
  attestSchema,
  releaseSubjects,
} from '@phpublish/core/attest';
import { type Logger, Redactor, redactingLogger } from '@phpublish/core/log';
import {
  type AttestationSandbox,
  type GitHubActionsJob,
  type GitLabCiJob,
  startAttestationSandbox,
} from '@phpublish/sandbox';
import { Agent } from 'undici';

export const PACKAGE = 'acme/hello';
export const VERSION = '1.0.0';
export const TAG = 'v1.0.0';
export const GITHUB_REPOSITORY = 'acme/hello';
export const GITLAB_PROJECT = 'acme/hello';
export const ZIP_SHA256 = 'a1'.repeat(32);
export const CONTENT_DIGEST = `phpublish-tree-v1:sha256:${'c3'.repeat(32)}`;
export const SUBJECTS: AttestationSubjects = releaseSubjects({
  packageName: PACKAGE,
  version: VERSION,
  zipSha256: ZIP_SHA256,
  contentDigest: CONTENT_DIGEST,
});

export interface Run {
  env: Record<string, string>;
  config: AttestConfig;
  deps: AttestDeps & { lines: string[]; redactor: Redactor };
}

/** The same run with other environment variables (both the env and the deps see them). */
export function withEnv(run: Run, env: Record<string, string>): Run {
  return { ...run, env, deps: { ...run.deps, env } };
}

export interface AttestFixture {
  sandbox: AttestationSandbox;
  agent: Agent;
  /** Every log line of every run, for the secrets check. */
  logLines: string[];
  /** A GitHub Actions release job of acme/hello with `id-token: write`, and a GITHUB_TOKEN with these permissions. */
  gitHubRun(
    job?: Partial<GitHubActionsJob>,
    options?: {
      permissions?: { contents?: 'read' | 'write'; attestations?: 'read' | 'write' };
      config?: Partial<AttestConfig>;
    },
  ): Run;
  /** A GitLab CI release job of acme/hello with `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`. */
  gitLabRun(job?: Partial<GitLabCiJob>, options?: { config?: Partial<AttestConfig> }): Run;
  close(): Promise<void>;
}

export async function startAttestFixture(options: { tsa?: boolean } = {}): Promise<AttestFixture> {
  const sandbox = await startAttestationSandbox({ tsa: options.tsa });
  sandbox.github.addRepository(GITHUB_REPOSITORY);
  sandbox.github.createRelease(GITHUB_REPOSITORY, TAG);
  sandbox.gitlab.addProject(GITLAB_PROJECT);
  sandbox.gitlab.createRelease(GITLAB_PROJECT, TAG);
  const agent = new Agent();
  const logLines: string[] = [];

  const config = (overrides: Partial<AttestConfig> = {}): AttestConfig => ({
    ...attestSchema.parse({
      fulcioUrl: sandbox.sigstore.fulcioUrl,
      rekorUrl: sandbox.sigstore.rekorUrl,
      ...(sandbox.sigstore.tsaUrl ? { tsaUrl: sandbox.sigstore.tsaUrl } : {}),
      githubApiUrl: sandbox.github.url,
      gitlabApiUrl: sandbox.gitlab.apiUrl,
      requestTimeout: 5,
    }),
    ...overrides,
  });

  const deps = (env: Record<string, string>): Run['deps'] => {
    const lines: string[] = [];
    const write = (level: string) => (message: string) => {
      lines.push(`${level}: ${message}`);
      logLines.push(`${level}: ${message}`);
    };
    const sink: Logger = { info: write('info'), warn: write('warn'), error: write('error'), success: write('success') };
    const redactor = new Redactor();
    return {
      env,
      dispatcher: agent,
      clock: systemClock,
      userAgent: 'phpublish-test',
      redactor,
      logger: redactingLogger(sink, redactor),
      // Keep failing tests fast: two attempts, short waits.
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
      lines,
    };
  };

  return {
    sandbox,
    agent,
    logLines,
    gitHubRun: (job = {}, runOptions = {}) => {
      const ci = sandbox.githubIssuer.gitHubActionsJob({ repository: GITHUB_REPOSITORY, ...job });
      const token = sandbox.github.issueToken(
        GITHUB_REPOSITORY,
        runOptions.permissions ?? {
          contents: 'write',
          attestations: 'write',
        },
      );
      const env = { ...ci.env, GITHUB_API_URL: sandbox.github.url, GITHUB_TOKEN: token };
      return { env, config: config(runOptions.config), deps: deps(env) };
    },
    gitLabRun: (job = {}, runOptions = {}) => {
      const ci = sandbox.gitlabIssuer.gitLabCiJob({ projectPath: GITLAB_PROJECT, ...job });
      const env = {
        ...ci.env,
        CI_API_V4_URL: sandbox.gitlab.apiUrl,
        CI_JOB_TOKEN: sandbox.gitlab.issueJobToken(GITLAB_PROJECT),
      };
      return { env, config: config(runOptions.config), deps: deps(env) };
    },
    close: async () => {
      await agent.close();
      await sandbox.close();
    },
  };
}
