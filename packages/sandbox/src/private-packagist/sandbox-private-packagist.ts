import type { JsonWebKey } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { sandboxAudit } from '../audit.js';
import {
  headerValue,
  jsonResponse,
  metadataJsonResponse,
  type SandboxRequest,
  type SandboxResponse,
} from '../http/exchange.js';
import { FaultInjector, type FaultRule } from '../http/faults.js';
import type { RecordedRequest } from '../http/request-log.js';
import { startStandInServer } from '../http/server.js';
import { type JwtClaims, verifyJwt } from '../oidc/jwt.js';
import { MetadataFiles } from '../packagist/metadata-dumper.js';
import { handleMetadataFile } from '../packagist/read-routes.js';
import { PACKAGIST_METADATA_DUMP, phpJsonEncode } from '../php-json.js';
import {
  type ArtifactPackage,
  ArtifactRejected,
  artifactPackageMetadata,
  readArtifact,
  type StoredArtifact,
} from './artifacts.js';
import { canonicalRequest, parseHmacAuthorization, signatureMatches } from './hmac.js';
import { matchPublisher, type PublisherMismatch, type TrustedPublisher } from './trusted-publishers.js';
import { VcsPackages } from './vcs-packages.js';

export interface SandboxPrivatePackagistOptions {
  /** The CI token issuer whose tokens the exchange accepts (GitHub Actions' token service in real life). */
  readonly githubIssuer: { readonly issuer: string; readonly jwksUrl: string };
  /** Lifetime of an exchanged credential; 15 minutes, like Private Packagist's. */
  readonly credentialLifetimeSeconds?: number;
  /** How far a signed request's timestamp may be from the server's clock; 300 s by default. */
  readonly timestampWindowSeconds?: number;
  readonly clock?: { now(): number };
  readonly log?: (line: string) => void;
  /**
   * How often the stand-in of the webhook that Private Packagist's code-hosting synchronisation
   * installs looks for pushed tags of VCS packages; 100 ms by default, 0 for no webhook (then only
   * `syncVcsPackage` updates them).
   */
  readonly vcsWebhookIntervalMs?: number;
  readonly host?: string;
  readonly port?: number;
}

export interface SandboxPrivatePackagist {
  /** `http://127.0.0.1:<port>`: the API (`/api/…`) and each organisation's Composer repository (`/<org>/`). */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** The audience the older `/api/oidc/audience` endpoint names (the instance's). */
  readonly instanceAudience: string;
  addOrganization(name: string): void;
  /** The audience an organisation's tokens must carry. */
  audienceFor(organization: string): string;
  /** A workflow allowed to publish one package of the organisation (the organisation is created if needed). */
  addTrustedPublisher(organization: string, publisher: TrustedPublisher): void;
  /** The Composer repository of an organisation, for Composer's `repositories` (no trailing slash). */
  repositoryUrl(organization: string): string;
  /** The versions an organisation's package has, as published (`v1.0.0`), with their artifact's sha256. */
  versions(organization: string, packageName: string): { version: string; sha256: string }[];
  /**
   * A VCS package of the organisation, read from a local git directory standing in for its repository
   * URL. Its tags are picked up by the webhook stand-in (see `vcsWebhookIntervalMs`); trusted
   * publishing does not apply to it.
   */
  addVcsPackage(organization: string, init: { name: string; repositoryUrl: string; gitDir: string }): void;
  /** Synchronises a VCS package now, as its webhook would. */
  syncVcsPackage(organization: string, packageName: string): Promise<void>;
  /** The tagged versions of a VCS package and the commits they point at. */
  vcsVersions(organization: string, packageName: string): { version: string; reference: string }[];
  /** Credentials the exchange issued: the key only (the secret stays inside). */
  readonly issuedKeys: readonly string[];
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

interface Credential {
  readonly key: string;
  readonly secret: string;
  readonly organization: string;
  readonly packageName: string;
  readonly expiresAt: number;
  readonly seenNonces: Set<string>;
}

interface Organization {
  readonly name: string;
  readonly publishers: TrustedPublisher[];
  /** By lowercase package name. */
  readonly packages: Map<string, ArtifactPackage>;
  /** Uploaded before their package existed, by id: usable only by the credential that uploaded them. */
  readonly pending: Map<number, { artifact: StoredArtifact; key: string }>;
}

const AUDIENCE_PATH = /^\/api\/oidc\/audience(?:\/([^/]+))?$/;
const EXCHANGE_PATH = /^\/api\/oidc\/token-exchange\/([^/]+)\/([^/]+\/[^/]+)$/;
const PACKAGE_ARTIFACTS_PATH = /^\/api\/packages\/([^/]+\/[^/]+)\/artifacts\/$/;
const REPOSITORY_PATH =
  /^\/([^/]+)\/(packages\.json|p2\/([^/]+\/[^/]+?)\.json|dists\/([^/]+\/[^/]+)\/([0-9a-f]{40})\.zip)$/;

const message = (status: number, text: string) => jsonResponse(status, { message: text });

/**
 * A local Private Packagist (packagist.com, or self-hosted) where phpublish meets it for trusted
 * publishing of artifact packages: the OIDC audience, the token exchange that checks a GitHub Actions
 * token against the issuer's JWKS and the organisation's trusted publishers, the publishing endpoints
 * behind `PACKAGIST-HMAC-SHA256` request signatures (timestamp window, one use per nonce), and each
 * organisation's Composer repository serving the uploaded zips.
 */
export async function startSandboxPrivatePackagist(
  options: SandboxPrivatePackagistOptions,
): Promise<SandboxPrivatePackagist> {
  const clock = options.clock ?? { now: () => Date.now() };
  const log = options.log ?? (() => {});
  const lifetimeMs = (options.credentialLifetimeSeconds ?? 15 * 60) * 1000;
  const windowSeconds = options.timestampWindowSeconds ?? 300;
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  const organizations = new Map<string, Organization>();
  const credentials = new Map<string, Credential>();
  const files = new MetadataFiles();
  let baseUrl = '';
  let nextArtifactId = 1;
  const vcs = new VcsPackages({
    baseUrl: () => baseUrl,
    now: () => clock.now(),
    write: (key, json) => files.write(key, json, clock.now()),
    log,
  });

  const organization = (name: string) => {
    let org = organizations.get(name);
    if (!org) {
      org = { name, publishers: [], packages: new Map(), pending: new Map() };
      organizations.set(name, org);
    }
    return org;
  };
  const instanceAudience = () => new URL(baseUrl).host;
  const audienceFor = (org: string) => `${instanceAudience()}/${org}`;
  const distUrl = (org: string, name: string) => (artifact: StoredArtifact) =>
    `${baseUrl}/${org}/dists/${name}/${artifact.sha1}.zip`;
  const dump = (org: Organization, pkg: ArtifactPackage) =>
    files.write(`${org.name}/${pkg.name}`, artifactPackageMetadata(pkg, distUrl(org.name, pkg.name)), clock.now());

  const fetchJwks = async (): Promise<{ keys: JsonWebKey[] }> => {
    const answer = await fetch(options.githubIssuer.jwksUrl);
    if (!answer.ok) throw new Error(`the issuer's JWKS answered ${answer.status}`);
    return (await answer.json()) as { keys: JsonWebKey[] };
  };

  const MISMATCH_TEXT: Record<PublisherMismatch, string> = {
    'no-publisher': 'no trusted publisher is configured for this package',
    repository: "the token's repository is not the trusted publisher's",
    workflow: "the token's workflow is not the trusted publisher's",
    environment: "the token's environment is not the trusted publisher's",
  };

  const exchange = async (request: SandboxRequest, orgName: string, packageName: string) => {
    const org = organizations.get(orgName);
    if (!org) return message(404, 'Organization not found.');
    const bearer = /^Bearer\s+(\S+)$/i.exec(headerValue(request, 'authorization') ?? '')?.[1];
    if (!bearer) return message(401, 'An OIDC token is required as a bearer token.');
    let claims: JwtClaims;
    try {
      claims = verifyJwt(bearer, await fetchJwks(), Math.floor(clock.now() / 1000));
    } catch (error) {
      return message(401, `Invalid OIDC token: ${(error as Error).message}.`);
    }
    if (claims['iss'] !== options.githubIssuer.issuer) return message(401, 'Invalid OIDC token: unknown issuer.');
    const audiences = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
    if (!audiences.includes(audienceFor(org.name)) && !audiences.includes(instanceAudience())) {
      return message(401, 'Invalid OIDC token: wrong audience.');
    }
    const match = matchPublisher(org.publishers, packageName, claims);
    if ('mismatch' in match) return message(403, `Trusted publishing refused: ${MISMATCH_TEXT[match.mismatch]}.`);
    const credential: Credential = {
      key: randomBytes(16).toString('hex'),
      secret: randomBytes(32).toString('hex'),
      organization: org.name,
      packageName: match.publisher.packageName.toLowerCase(),
      expiresAt: clock.now() + lifetimeMs,
      seenNonces: new Set(),
    };
    credentials.set(credential.key, credential);
    sandboxAudit.issuedSecrets.add(credential.key);
    sandboxAudit.issuedSecrets.add(credential.secret);
    log(`private packagist: credential issued for ${credential.packageName} in ${org.name}`);
    return jsonResponse(200, { key: credential.key, secret: credential.secret });
  };

  /** The credential that signed this request, or the refusal. */
  const authenticate = (request: SandboxRequest): Credential | SandboxResponse => {
    const auth = parseHmacAuthorization(headerValue(request, 'authorization'));
    if (!auth) return message(401, 'A PACKAGIST-HMAC-SHA256 signature is required.');
    const credential = credentials.get(auth.key);
    if (!credential || credential.expiresAt <= clock.now()) return message(401, 'Unknown or expired API key.');
    const now = Math.floor(clock.now() / 1000);
    if (!/^\d+$/.test(auth.timestamp) || Math.abs(now - Number(auth.timestamp)) > windowSeconds) {
      return message(401, 'The request timestamp is outside the allowed window.');
    }
    const host = new URL(`http://${headerValue(request, 'host') ?? ''}`).hostname;
    const canonical = canonicalRequest({
      method: request.method,
      host,
      path: request.path,
      ...auth,
      body: request.body,
    });
    if (!signatureMatches(canonical, credential.secret, auth.signature)) {
      return message(401, 'The request signature does not match.');
    }
    // Checked after the signature, so that nobody can burn a nonce they could not sign.
    if (credential.seenNonces.has(auth.cnonce)) return message(401, 'This cnonce was already used.');
    credential.seenNonces.add(auth.cnonce);
    return credential;
  };

  const upload = async (request: SandboxRequest): Promise<StoredArtifact | SandboxResponse> => {
    try {
      return await readArtifact(nextArtifactId++, request.body, headerValue(request, 'x-filename') ?? '');
    } catch (error) {
      if (error instanceof ArtifactRejected) return message(400, error.message);
      throw error;
    }
  };

  /** Adds an artifact as a version; the same zip again is accepted, another zip for a version is not. */
  const addVersion = (org: Organization, pkg: ArtifactPackage, artifact: StoredArtifact) => {
    const existing = pkg.versions.get(artifact.normalizedVersion);
    if (existing && existing.artifact.sha256 !== artifact.sha256) {
      return message(409, `Version ${artifact.version} already exists with another artifact.`);
    }
    if (!existing) pkg.versions.set(artifact.normalizedVersion, { artifact, createdAt: clock.now() });
    dump(org, pkg);
    log(`private packagist: ${pkg.name} ${artifact.version} published in ${org.name}`);
    return undefined;
  };

  const publishing = async (request: SandboxRequest): Promise<SandboxResponse | undefined> => {
    const packageArtifacts = PACKAGE_ARTIFACTS_PATH.exec(request.path);
    const isApi = packageArtifacts || request.path === '/api/packages/artifacts/' || request.path === '/api/packages/';
    if (!isApi) return undefined;
    if (request.method !== 'POST') return message(405, 'Method Not Allowed');
    const credential = authenticate(request);
    if ('status' in credential) return credential;
    const org = organization(credential.organization);

    if (packageArtifacts) {
      const name = decodeURIComponent(packageArtifacts[1]!).toLowerCase();
      if (name !== credential.packageName) return message(403, 'This API key may not publish this package.');
      if (vcs.has(org.name, name)) return message(400, 'Artifacts can only be added to artifact packages.');
      const pkg = org.packages.get(name);
      if (!pkg) return message(404, 'Package not found.');
      const artifact = await upload(request);
      if ('status' in artifact) return artifact;
      if (String(artifact.composer['name']).toLowerCase() !== name) {
        return message(400, 'The package name in the artifact does not match the package.');
      }
      const refused = addVersion(org, pkg, artifact);
      return refused ?? jsonResponse(201, { id: artifact.id });
    }
    if (request.path === '/api/packages/artifacts/') {
      const artifact = await upload(request);
      if ('status' in artifact) return artifact;
      if (String(artifact.composer['name']).toLowerCase() !== credential.packageName) {
        return message(403, 'This API key may not publish this package.');
      }
      org.pending.set(artifact.id, { artifact, key: credential.key });
      return jsonResponse(201, { id: artifact.id });
    }
    // POST /api/packages/: a new artifact package from uploaded artifacts.
    let body: { repoType?: unknown; artifactIds?: unknown };
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      return message(400, 'The body is not JSON.');
    }
    const ids = body.artifactIds;
    if (body.repoType !== 'artifact' || !Array.isArray(ids) || ids.length === 0) {
      return message(400, 'Expected {"repoType": "artifact", "artifactIds": [...]}.');
    }
    const artifacts = ids.map((id) => org.pending.get(Number(id)));
    if (artifacts.some((entry) => !entry || entry.key !== credential.key)) return message(404, 'Artifact not found.');
    const name = credential.packageName;
    if (org.packages.has(name) || vcs.has(org.name, name)) return message(409, 'The package already exists.');
    const pkg: ArtifactPackage = { name, versions: new Map() };
    for (const entry of artifacts) {
      const refused = addVersion(org, pkg, entry!.artifact);
      if (refused) return refused;
    }
    for (const id of ids) org.pending.delete(Number(id));
    org.packages.set(name, pkg);
    return jsonResponse(201, { name, repoType: 'artifact' });
  };

  const repository = async (request: SandboxRequest, match: RegExpExecArray): Promise<SandboxResponse> => {
    const org = organizations.get(match[1]!);
    if (!org || (request.method !== 'GET' && request.method !== 'HEAD')) return message(404, 'Not Found');
    if (match[2] === 'packages.json') {
      const root = {
        packages: [],
        'metadata-url': `${baseUrl}/${org.name}/p2/%package%.json`,
        'available-packages': [...org.packages.keys(), ...vcs.names(org.name).map((n) => n.toLowerCase())],
      };
      return metadataJsonResponse(200, phpJsonEncode(root, PACKAGIST_METADATA_DUMP));
    }
    if (match[3]) return handleMetadataFile(request, `${org.name}/${match[3].toLowerCase()}`, files);
    if (vcs.has(org.name, match[4]!)) return serveVcsDist(org.name, match[4]!, match[5]!);
    const pkg = org.packages.get(match[4]!.toLowerCase());
    const entry = pkg && [...pkg.versions.values()].find((v) => v.artifact.sha1 === match[5]);
    if (!entry) return message(404, 'Not Found');
    return { status: 200, headers: { 'content-type': 'application/zip' }, body: entry.artifact.zip };
  };

  /** A VCS package's dist: the zip of any commit of its repository, like a code host's zipball. */
  const serveVcsDist = async (org: string, name: string, commit: string): Promise<SandboxResponse> => {
    const zip = await vcs.dist(org, name, commit);
    if (!zip) return message(404, 'Not Found');
    return { status: 200, headers: { 'content-type': 'application/zip' }, body: zip };
  };

  const handle = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const audience = AUDIENCE_PATH.exec(request.path);
    if (audience) {
      if (request.method !== 'GET') return message(405, 'Method Not Allowed');
      if (audience[1] === undefined) return jsonResponse(200, { audience: instanceAudience() });
      if (!organizations.has(audience[1])) return message(404, 'Organization not found.');
      return jsonResponse(200, { audience: audienceFor(audience[1]) });
    }
    const exchangeMatch = EXCHANGE_PATH.exec(request.path);
    if (exchangeMatch) {
      if (request.method !== 'POST') return message(405, 'Method Not Allowed');
      return exchange(request, exchangeMatch[1]!, decodeURIComponent(exchangeMatch[2]!));
    }
    const published = await publishing(request);
    if (published) return published;
    const repo = REPOSITORY_PATH.exec(request.path);
    if (repo) return repository(request, repo);
    return message(404, 'Not Found');
  };

  const server = await startStandInServer({
    name: 'private-packagist',
    linePrefix: 'private packagist: ',
    host: options.host,
    port: options.port,
    faults,
    handle,
    requests,
    secrets: () => [...credentials.values()].flatMap((c) => [c.key, c.secret]),
    log,
  });
  baseUrl = server.url;
  const webhookInterval = options.vcsWebhookIntervalMs ?? 100;
  if (webhookInterval > 0) vcs.watch(webhookInterval);

  return {
    url: server.url,
    requests,
    get instanceAudience() {
      return instanceAudience();
    },
    addOrganization: (name) => void organization(name),
    audienceFor,
    addTrustedPublisher: (org, publisher) => void organization(org).publishers.push(publisher),
    repositoryUrl: (org) => `${baseUrl}/${org}`,
    versions: (org, packageName) => {
      const pkg = organizations.get(org)?.packages.get(packageName.toLowerCase());
      return pkg
        ? [...pkg.versions.values()].map((v) => ({ version: v.artifact.version, sha256: v.artifact.sha256 }))
        : [];
    },
    addVcsPackage: (org, init) => {
      organization(org);
      vcs.add(org, init);
    },
    syncVcsPackage: (org, name) => vcs.sync(org, name),
    vcsVersions: (org, name) => vcs.versions(org, name),
    get issuedKeys() {
      return [...credentials.keys()];
    },
    injectFault: (rule) => faults.arm(rule),
    clearFaults: () => faults.clear(),
    close: async () => {
      await vcs.close();
      await server.close();
    },
  };
}
