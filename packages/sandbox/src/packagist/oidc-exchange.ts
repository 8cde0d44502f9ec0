import type { JsonWebKey } from 'node:crypto';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { headerValue, jsonResponse, type SandboxRequest, type SandboxResponse } from '../http/exchange.js';
import { decodeJwt, type JwtClaims, verifyJwt } from '../oidc/jwt.js';
import type { PackageRegistry } from './packages.js';

/**
 * The OIDC token exchange packagist.org does not have yet, as a reference of what it would need
 * (docs/oidc.md): a CI job's ID token, checked against the trusted publishers registered for a
 * package, is exchanged for a short-lived credential that update-package accepts for that package only.
 */

/** An OIDC issuer the exchange trusts (GitHub's and GitLab's token services; the sandbox issuers in tests). */
export interface TrustedOidcIssuerKeys {
  /** The `iss` claim of its tokens. */
  readonly issuer: string;
  /** Where its signing keys are published. */
  readonly jwksUrl: string;
}

export interface OidcExchangeOptions {
  readonly issuers: readonly TrustedOidcIssuerKeys[];
  /** The `aud` the CI token must carry; the sandbox's own URL by default (packagist.org would use its origin). */
  readonly audience?: string;
  /** How long a minted credential is accepted; 600 s by default. */
  readonly credentialLifetimeSeconds?: number;
}

/** Who may publish a package without a stored token: one CI workflow of one repository (and environment). */
export interface TrustedPublisher {
  readonly package: string;
  /** `owner/name` (GitHub) or `group/project` (GitLab). */
  readonly repository: string;
  /** The workflow file: `release.yml`, `.github/workflows/release.yml` or `.gitlab-ci.yml`. */
  readonly workflow: string;
  /** The CI deployment environment the job must run in, when set. */
  readonly environment?: string;
}

/** The user name update-package's `Authorization: Bearer <username>:<token>` carries with a minted credential. */
export const TRUSTED_PUBLISHER_USERNAME = 'trusted-publisher';
/** Minted credentials start with this, so that they can never be mistaken for (or collide with) API tokens. */
const CREDENTIAL_PREFIX = 'pkgtp_';

interface MintedCredential {
  readonly packageName: string;
  readonly expiresAtMs: number;
}

export type CredentialCheck =
  | { readonly ok: true; readonly packageName: string }
  | { readonly ok: false; readonly message: string };

const refuse = (status: number, message: string) => jsonResponse(status, { status: 'error', message });

const sameSecret = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** `release.yml` → `.github/workflows/release.yml`; a path is kept as written. */
function workflowPath(workflow: string): string {
  return workflow.includes('/') || workflow === '.gitlab-ci.yml' ? workflow : `.github/workflows/${workflow}`;
}

/** What a token says about where it was issued: repository, workflow file and environment, per CI. */
export function publisherClaims(
  claims: JwtClaims,
): { repository: string; workflow: string; environment?: string } | { problem: string } {
  const text = (name: string) => (typeof claims[name] === 'string' ? (claims[name] as string) : '');
  const sub = text('sub');
  const environment = text('environment') || undefined;
  if (text('repository')) {
    // GitHub: workflow_ref is `<owner>/<name>/<path>@<ref>`, the workflow the run started from.
    const repository = text('repository');
    const prefix = `${repository}/`;
    const workflowRef = text('workflow_ref');
    if (!sub.startsWith(`repo:${repository}:`)) return { problem: 'its sub does not name its repository' };
    if (!workflowRef.startsWith(prefix) || !workflowRef.includes('@')) {
      return { problem: 'its workflow_ref is not a workflow of its repository' };
    }
    return { repository, workflow: workflowRef.slice(prefix.length, workflowRef.lastIndexOf('@')), environment };
  }
  if (text('project_path')) {
    // GitLab: ci_config_ref_uri is `<host>/<project>//<path>@<ref>`.
    const repository = text('project_path');
    const uri = text('ci_config_ref_uri');
    const marker = `/${repository}//`;
    if (!sub.startsWith(`project_path:${repository}:`)) return { problem: 'its sub does not name its project' };
    const at = uri.indexOf(marker);
    if (at === -1 || !uri.includes('@')) return { problem: 'its ci_config_ref_uri is not a file of its project' };
    return { repository, workflow: uri.slice(at + marker.length, uri.lastIndexOf('@')), environment };
  }
  return { problem: 'it names no repository (neither `repository` nor `project_path`)' };
}

export class OidcExchange {
  readonly #options: OidcExchangeOptions;
  readonly #audience: string;
  readonly #packages: PackageRegistry;
  readonly #now: () => number;
  readonly #onSecret: (secret: string) => void;
  readonly #publishers: TrustedPublisher[] = [];
  readonly #credentials = new Map<string, MintedCredential>();
  /** `iss` + `jti` of every token already exchanged: a token is good for one credential only. */
  readonly #usedTokenIds = new Set<string>();

  constructor(init: {
    options: OidcExchangeOptions;
    baseUrl: string;
    packages: PackageRegistry;
    now: () => number;
    onSecret: (secret: string) => void;
  }) {
    this.#options = init.options;
    this.#audience = init.options.audience ?? init.baseUrl;
    this.#packages = init.packages;
    this.#now = init.now;
    this.#onSecret = init.onSecret;
  }

  get audience(): string {
    return this.#audience;
  }

  addTrustedPublisher(publisher: TrustedPublisher): void {
    if (!this.#packages.byName(publisher.package)) {
      throw new Error(`sandbox Packagist: no package ${publisher.package}; addPackage first`);
    }
    this.#publishers.push({ ...publisher, workflow: workflowPath(publisher.workflow) });
  }

  /** Every credential minted so far (for the log scrubber). */
  secrets(): string[] {
    return [...this.#credentials.keys()];
  }

  /** GET /api/oidc/exchange: how a client learns that the exchange exists and which audience to ask for. */
  describe(): SandboxResponse {
    return jsonResponse(200, {
      audience: this.#audience,
      issuers: this.#options.issuers.map((i) => i.issuer),
      credentialLifetime: this.#lifetimeSeconds(),
    });
  }

  /** POST /api/oidc/exchange: `Authorization: Bearer <CI ID token>`, body `{"package":"vendor/name"}`. */
  async exchange(request: SandboxRequest): Promise<SandboxResponse> {
    const authorization = headerValue(request, 'authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!token) return refuse(401, 'Missing Authorization: Bearer <OIDC ID token>');
    let packageName: unknown;
    try {
      packageName = (JSON.parse(request.body.toString('utf8')) as { package?: unknown }).package;
    } catch {
      packageName = undefined;
    }
    if (typeof packageName !== 'string' || !this.#packages.byName(packageName)) {
      return refuse(400, '{"package": "<vendor/name>"} of an existing package expected in the body');
    }

    let claims: JwtClaims;
    try {
      claims = await this.#verify(token);
    } catch (error) {
      return refuse(401, `Invalid OIDC token: ${(error as Error).message}`);
    }
    const audiences = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
    if (!audiences.includes(this.#audience)) {
      return refuse(401, `Invalid OIDC token: its audience is not ${JSON.stringify(this.#audience)}`);
    }
    const identity = publisherClaims(claims);
    if ('problem' in identity) return refuse(401, `Invalid OIDC token: ${identity.problem}`);
    const tokenId = typeof claims['jti'] === 'string' ? `${String(claims['iss'])} ${claims['jti']}` : undefined;
    if (!tokenId) return refuse(401, 'Invalid OIDC token: it has no jti, so its replay could not be refused');
    if (this.#usedTokenIds.has(tokenId)) return refuse(401, 'Invalid OIDC token: it was already exchanged');

    const name = this.#packages.byName(packageName)!.name;
    const publisher = this.#publishers.find(
      (p) =>
        p.package.toLowerCase() === name.toLowerCase() &&
        p.repository.toLowerCase() === identity.repository.toLowerCase() &&
        p.workflow === identity.workflow &&
        (p.environment === undefined || p.environment === identity.environment),
    );
    if (!publisher) {
      return refuse(
        403,
        `No trusted publisher of ${name} matches this token (repository ${identity.repository}, workflow ${identity.workflow}, environment ${identity.environment ?? '(none)'})`,
      );
    }
    this.#usedTokenIds.add(tokenId);
    const credential = `${CREDENTIAL_PREFIX}${randomBytes(32).toString('base64url')}`;
    const lifetime = this.#lifetimeSeconds();
    this.#credentials.set(credential, { packageName: name, expiresAtMs: this.#now() + lifetime * 1000 });
    this.#onSecret(credential);
    return jsonResponse(200, {
      username: TRUSTED_PUBLISHER_USERNAME,
      token: credential,
      package: name,
      expiresIn: lifetime,
    });
  }

  /** Whether update-package's credentials are a minted one; undefined when they are not (an API token, or none). */
  checkCredential(username: string | undefined, token: string | undefined): CredentialCheck | undefined {
    if (username !== TRUSTED_PUBLISHER_USERNAME || !token?.startsWith(CREDENTIAL_PREFIX)) return undefined;
    const minted = [...this.#credentials].find(([value]) => sameSecret(value, token))?.[1];
    if (!minted) return { ok: false, message: 'Unknown trusted publisher credential' };
    if (this.#now() >= minted.expiresAtMs)
      return { ok: false, message: 'The trusted publisher credential has expired' };
    return { ok: true, packageName: minted.packageName };
  }

  #lifetimeSeconds(): number {
    return this.#options.credentialLifetimeSeconds ?? 600;
  }

  /** The signature against the issuer's published keys (fetched each time: keys rotate), expiry and nbf. */
  async #verify(token: string): Promise<JwtClaims> {
    const { claims } = decodeJwt(token);
    const issuer = this.#options.issuers.find((i) => i.issuer === claims['iss']);
    if (!issuer) throw new Error('its issuer is not trusted');
    const response = await fetch(issuer.jwksUrl);
    if (!response.ok) throw new Error(`the issuer's keys could not be read (HTTP ${response.status})`);
    const jwks = (await response.json()) as { keys: JsonWebKey[] };
    return verifyJwt(token, jwks, Math.floor(this.#now() / 1000));
  }
}
