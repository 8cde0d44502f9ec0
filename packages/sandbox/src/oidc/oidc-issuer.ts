import { createHash, generateKeyPair, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { sandboxAudit } from '../audit.js';
import { headerValue, type SandboxRequest, type SandboxResponse } from '../http/exchange.js';
import { FaultInjector, type FaultRule } from '../http/faults.js';
import type { RecordedRequest } from '../http/request-log.js';
import { startStandInServer } from '../http/server.js';
import { type GitHubActionsJob, type GitLabCiJob, gitHubActionsClaims, gitLabCiClaims } from './claims.js';
import { type JwtClaims, signJwt } from './jwt.js';

export interface SandboxOidcIssuerOptions {
  /**
   * The `iss` of the tokens. By default the issuer's own URL (so that discovery at
   * `<iss>/.well-known/openid-configuration` works as it does for real issuers).
   */
  readonly issuer?: string;
  /** Lifetime of minted tokens; 300 s by default (GitHub's tokens live a few minutes too). */
  readonly tokenLifetimeSeconds?: number;
  readonly clock?: { now(): number };
  readonly log?: (line: string) => void;
  readonly host?: string;
  readonly port?: number;
}

/** A CI job as the code under test sees it: its environment, and the claims its tokens will carry. */
export interface SandboxCiJob {
  /** The variables the CI sets for the job (GitHub: ACTIONS_ID_TOKEN_REQUEST_*; GitLab: the `id_tokens:` variable). */
  readonly env: Record<string, string>;
  readonly claims: JwtClaims;
}

export interface SandboxOidcIssuer {
  /** Base URL of the issuer (discovery, JWKS, token requests). */
  readonly url: string;
  /** The `iss` claim of every token it mints. */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly requests: readonly RecordedRequest[];
  /** A signed ID token with these claims (iss, aud, iat, nbf, exp and jti are added). */
  mint(claims: JwtClaims, options: { audience: string }): string;
  /**
   * A GitHub Actions job that has `permissions: id-token: write`: its env carries ACTIONS_ID_TOKEN_REQUEST_URL
   * and ACTIONS_ID_TOKEN_REQUEST_TOKEN, which this issuer honours like GitHub's token service does.
   */
  gitHubActionsJob(job: GitHubActionsJob): SandboxCiJob;
  /** A GitLab CI job with `id_tokens: <variable>: aud: <audience>` (SIGSTORE_ID_TOKEN / sigstore by default). */
  gitLabCiJob(job: GitLabCiJob, options?: { variable?: string; audience?: string; serverUrl?: string }): SandboxCiJob;
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const generateKeyPairAsync = promisify(generateKeyPair);
const TOKEN_REQUEST_PATH = /^\/_apis\/distributedtask\/hubs\/Actions\/plans\/[0-9a-f-]+\/jobs\/[0-9a-f-]+\/idtoken$/;

/**
 * A local OpenID Connect issuer that stands in for GitHub's and GitLab's CI token services: discovery, a
 * JWKS, real RS256 tokens with each CI's claim set, and GitHub's ACTIONS_ID_TOKEN_REQUEST_URL endpoint.
 */
export async function startSandboxOidcIssuer(options: SandboxOidcIssuerOptions = {}): Promise<SandboxOidcIssuer> {
  const clock = options.clock ?? { now: () => Date.now() };
  const log = options.log ?? (() => {});
  const lifetime = options.tokenLifetimeSeconds ?? 300;
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const jwk = (publicKey as KeyObject).export({ format: 'jwk' });
  const kid = createHash('sha256').update(`${jwk.n}.${jwk.e}`).digest('base64url').slice(0, 16);
  const jwks = { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] };
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN → the claims of that job's tokens. */
  const actionsJobs = new Map<string, JwtClaims>();
  const issued = new Set<string>();
  let baseUrl = '';
  let issuer = '';

  const remember = (secret: string) => {
    issued.add(secret);
    sandboxAudit.issuedSecrets.add(secret);
  };

  const mint = (claims: JwtClaims, { audience }: { audience: string }) => {
    const now = Math.floor(clock.now() / 1000);
    const token = signJwt(
      { jti: randomUUID(), ...claims, iss: issuer, aud: audience, iat: now, nbf: now - 5, exp: now + lifetime },
      { privateKey: privateKey as KeyObject, kid },
    );
    remember(token);
    return token;
  };

  const json = (status: number, value: unknown): SandboxResponse => ({
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(value),
  });

  const handle = async (request: SandboxRequest): Promise<SandboxResponse> => {
    if (request.method !== 'GET') return json(405, { message: 'Method Not Allowed' });
    if (request.path === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        jwks_uri: `${baseUrl}/.well-known/jwks`,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'sha', 'repository', 'project_path'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid'],
      });
    }
    if (request.path === '/.well-known/jwks') return json(200, jwks);
    if (TOKEN_REQUEST_PATH.test(request.path)) {
      // GitHub's token service: the job's request token as a bearer token, the audience as a parameter.
      const authorization = headerValue(request, 'authorization') ?? '';
      const claims = actionsJobs.get(authorization.replace(/^Bearer\s+/i, ''));
      if (!authorization.toLowerCase().startsWith('bearer ') || !claims) {
        return json(401, { message: 'Unauthorized: the request token is missing or not valid for this job' });
      }
      const audience = request.query.get('audience') || `https://github.com/${String(claims['repository_owner'])}`;
      const value = mint(claims, { audience });
      return json(200, { count: value.length, value });
    }
    return json(404, { message: 'Not Found' });
  };

  const server = await startStandInServer({
    name: 'oidc',
    linePrefix: '',
    host: options.host,
    port: options.port,
    faults,
    handle,
    requests,
    secrets: () => [...issued],
    log,
  });
  baseUrl = server.url;
  issuer = options.issuer ?? server.url;

  return {
    url: server.url,
    issuer,
    jwksUrl: `${server.url}/.well-known/jwks`,
    requests,
    mint,
    gitHubActionsJob: (job) => {
      const claims = gitHubActionsClaims(job);
      const requestToken = randomBytes(32).toString('base64url');
      remember(requestToken);
      actionsJobs.set(requestToken, claims);
      const workflowRef = String(claims['workflow_ref']);
      return {
        claims,
        env: {
          GITHUB_ACTIONS: 'true',
          CI: 'true',
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_API_URL: 'https://api.github.com',
          GITHUB_REPOSITORY: job.repository,
          GITHUB_REPOSITORY_OWNER: String(claims['repository_owner']),
          GITHUB_REF: String(claims['ref']),
          GITHUB_SHA: String(claims['sha']),
          GITHUB_WORKFLOW_REF: workflowRef,
          GITHUB_EVENT_NAME: String(claims['event_name']),
          GITHUB_RUN_ID: String(claims['run_id']),
          GITHUB_RUN_ATTEMPT: String(claims['run_attempt']),
          RUNNER_ENVIRONMENT: String(claims['runner_environment']),
          ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/_apis/distributedtask/hubs/Actions/plans/${randomUUID()}/jobs/${randomUUID()}/idtoken?api-version=2.0`,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
        },
      };
    },
    gitLabCiJob: (job, jobOptions = {}) => {
      const serverUrl = jobOptions.serverUrl ?? 'https://gitlab.com';
      const claims = gitLabCiClaims({ host: new URL(serverUrl).host, ...job });
      const token = mint(claims, { audience: jobOptions.audience ?? 'sigstore' });
      const tag: Record<string, string> = claims['ref_type'] === 'tag' ? { CI_COMMIT_TAG: String(claims['ref']) } : {};
      return {
        claims,
        env: {
          GITLAB_CI: 'true',
          CI: 'true',
          CI_SERVER_URL: serverUrl,
          CI_API_V4_URL: `${serverUrl}/api/v4`,
          CI_PROJECT_PATH: job.projectPath,
          CI_PROJECT_URL: `${serverUrl}/${job.projectPath}`,
          CI_PROJECT_ID: String(claims['project_id']),
          CI_COMMIT_SHA: String(claims['sha']),
          CI_COMMIT_REF_NAME: String(claims['ref']),
          ...tag,
          CI_CONFIG_PATH: job.configPath ?? '.gitlab-ci.yml',
          CI_PIPELINE_ID: String(claims['pipeline_id']),
          CI_PIPELINE_SOURCE: String(claims['pipeline_source']),
          CI_JOB_ID: String(claims['job_id']),
          CI_JOB_NAME: 'release',
          CI_JOB_STARTED_AT: new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
          CI_RUNNER_ID: String(claims['runner_id']),
          CI_RUNNER_VERSION: '18.4.0',
          CI_RUNNER_EXECUTABLE_ARCH: 'linux/amd64',
          CI_RUNNER_DESCRIPTION: 'sandbox-runner',
          [jobOptions.variable ?? 'SIGSTORE_ID_TOKEN']: token,
        },
      };
    },
    injectFault: (rule) => faults.arm(rule),
    clearFaults: () => faults.clear(),
    close: () => server.close(),
  };
}
