import { generateKeyPairSync } from 'node:crypto';
import { initializeCA, initializeCTLog, initializeTLog, initializeTSA, tsaHandler } from '@sigstore/mock';
import { sandboxAudit } from '../audit.js';
import type { SandboxRequest, SandboxResponse } from '../http/exchange.js';
import { FaultInjector, type FaultRule } from '../http/faults.js';
import type { RecordedRequest } from '../http/request-log.js';
import { type RunningHttpServer, startStandInServer } from '../http/server.js';
import { bytesOf, fulcioSigningCertHandler, type ServiceAnswer } from './fulcio.js';
import type { TrustedOidcIssuer } from './fulcio-identity.js';
import { rekorCreateEntryHandler, type TLog } from './rekor.js';
import { sandboxTrustedRoot, type TrustedRootJson } from './trusted-root.js';

export type SigstoreService = 'fulcio' | 'rekor' | 'tsa';

export interface SandboxSigstoreOptions {
  /** The OIDC issuers Fulcio accepts tokens from (more can be added with `trustIssuer`). */
  readonly issuers?: readonly TrustedOidcIssuer[];
  /** Run a timestamp authority too; true by default. */
  readonly tsa?: boolean;
  readonly clock?: { now(): number };
  readonly log?: (line: string) => void;
  readonly host?: string;
}

/**
 * Which Sigstore the sandbox stands in for. `public-good` (the default): Fulcio with a CT log, Rekor,
 * and a TSA unless `tsa: false`. `github`: GitHub's own instance for private repositories, Fulcio
 * without CT log, a TSA and no transparency log at all (nothing about the release is public).
 */
export type SandboxSigstoreInstance = 'public-good' | 'github';

export interface SandboxSigstore {
  readonly fulcioUrl: string;
  readonly rekorUrl: string;
  /** Undefined when started with `tsa: false`. */
  readonly tsaUrl: string | undefined;
  /** The trusted root that describes these services (protobuf-specs JSON), for offline verification. */
  readonly trustedRoot: TrustedRootJson;
  /** Every request each service received, oldest first (identity tokens scrubbed). */
  readonly requests: Readonly<Record<SigstoreService, readonly RecordedRequest[]>>;
  trustIssuer(issuer: TrustedOidcIssuer): void;
  injectFault(service: SigstoreService, rule: FaultRule): void;
  /** Disarms the faults not used yet: of one service, or of all three. */
  clearFaults(service?: SigstoreService): void;
  close(): Promise<void>;
}

/** GitHub's instance: no Rekor (no `rekorUrl`, `requests.rekor` stays empty), always a TSA. */
export interface SandboxGitHubSigstore extends Omit<SandboxSigstore, 'rekorUrl' | 'tsaUrl'> {
  readonly rekorUrl: undefined;
  readonly tsaUrl: string;
}

const ecKeyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

const toResponse = (answer: ServiceAnswer): SandboxResponse => ({
  status: answer.status,
  headers: { 'content-type': answer.contentType },
  body: answer.body,
});

const notFound: SandboxResponse = {
  status: 404,
  headers: { 'content-type': 'application/json' },
  body: '{"code":404,"message":"Not Found"}',
};

/**
 * Fulcio, Rekor and a timestamp authority on 127.0.0.1, each on its own port, with real keys and real
 * signatures: @sigstore/mock's CA, CT log, transparency log and TSA served over node:http, with Fulcio's
 * identity checks and Rekor's canonical entries restored. `trustedRoot` describes exactly these services.
 * With `instance: 'github'`, GitHub's instance instead: Fulcio (no SCTs) and a TSA, no Rekor.
 */
export function startSandboxSigstore(
  options?: SandboxSigstoreOptions & { readonly instance?: 'public-good' },
): Promise<SandboxSigstore>;
export function startSandboxSigstore(
  options: SandboxSigstoreOptions & { readonly instance: 'github' },
): Promise<SandboxGitHubSigstore>;
export async function startSandboxSigstore(
  options: SandboxSigstoreOptions & { readonly instance?: SandboxSigstoreInstance } = {},
): Promise<SandboxSigstore | SandboxGitHubSigstore> {
  const github = options.instance === 'github';
  const clock = options.clock ?? { now: () => Date.now() };
  const log = options.log ?? (() => {});
  const issuers: TrustedOidcIssuer[] = [...(options.issuers ?? [])];
  const requests: Record<SigstoreService, RecordedRequest[]> = { fulcio: [], rekor: [], tsa: [] };
  const faults: Record<SigstoreService, FaultInjector> = {
    fulcio: new FaultInjector(),
    rekor: new FaultInjector(),
    tsa: new FaultInjector(),
  };
  // Identity tokens travel in Fulcio request bodies: keep them out of the request log.
  const secrets = () => [...sandboxAudit.issuedSecrets];

  const serve = (service: SigstoreService, routes: Record<string, (body: string) => Promise<ServiceAnswer>>) =>
    startStandInServer({
      name: service,
      linePrefix: `${service}: `,
      host: options.host,
      faults: faults[service],
      handle: async (request: SandboxRequest) => {
        const route = routes[request.path];
        if (!route) return notFound;
        if (request.method !== 'POST') return { ...notFound, status: 405 };
        return toResponse(await route(request.body.toString('utf8')));
      },
      requests: requests[service],
      secrets,
      log,
    });

  // Certificates are checked against the signing time: a root that starts an hour ago tolerates clock skew.
  const validFrom = new Date(clock.now() - 3600_000);
  const ctlog = github ? undefined : await initializeCTLog(ecKeyPair());
  const ca = await initializeCA(ecKeyPair(), ctlog);
  const fulcio = await serve('fulcio', {
    '/api/v2/signingCert': fulcioSigningCertHandler(ca, { issuers: () => issuers, now: () => clock.now() }),
  });

  const rekor = github ? undefined : await startRekor(serve);

  let tsa: RunningHttpServer | undefined;
  let tsaCertificates: Uint8Array[] = [];
  if (github || options.tsa !== false) {
    // The mock stamps `genTime` with milliseconds, and asn1js drops their trailing zeros (".12Z"), which
    // sigstore-js rejects as "invalid time" one time in ten. Real TSAs write three digits or none: this
    // clock, set to the current whole second before each timestamp, makes the mock write none.
    const tsaClock = new Date(clock.now());
    const authority = await initializeTSA(ecKeyPair(), tsaClock);
    const timestamp = tsaHandler(authority);
    tsa = await serve('tsa', {
      [timestamp.path]: async (body) => {
        tsaClock.setTime(Math.floor(clock.now() / 1000) * 1000);
        const answer = await timestamp.fn(body);
        const response = answer.response;
        return {
          status: answer.statusCode,
          contentType: answer.contentType ?? 'text/plain',
          body: typeof response === 'string' ? response : bytesOf(response),
        };
      },
    });
    tsaCertificates = [bytesOf(authority.intCertificate), bytesOf(authority.rootCertificate)];
  }

  const trustedRoot = sandboxTrustedRoot({
    fulcio: { url: fulcio.url, rootCertificate: bytesOf(ca.rootCertificate) },
    ...(ctlog ? { ctlog: { url: fulcio.url, publicKey: ctlog.publicKey } } : {}),
    ...(rekor ? { rekor: { url: rekor.server.url, publicKey: rekor.publicKey } } : {}),
    ...(tsa ? { tsa: { url: tsa.url, certificates: tsaCertificates } } : {}),
    validFrom,
  });

  return {
    fulcioUrl: fulcio.url,
    // Undefined only for GitHub's instance, whose overload says so.
    rekorUrl: rekor?.server.url as string,
    tsaUrl: tsa?.url,
    trustedRoot,
    requests,
    trustIssuer: (issuer) => {
      issuers.push(issuer);
    },
    injectFault: (service, rule) => {
      if (service === 'rekor' && !rekor) throw new Error('GitHub’s Sigstore instance has no Rekor');
      faults[service].arm(rule);
    },
    clearFaults: (service) => {
      for (const name of service ? [service] : (Object.keys(faults) as SigstoreService[])) faults[name].clear();
    },
    close: async () => {
      await Promise.all([fulcio.close(), rekor?.server.close(), tsa?.close()]);
    },
  };
}

/** Rekor on @sigstore/mock's transparency log, with the log's key and its checkpoint origin. */
async function startRekor(
  serve: (
    service: 'rekor',
    routes: Record<string, (body: string) => Promise<ServiceAnswer>>,
  ) => Promise<RunningHttpServer>,
): Promise<{ server: RunningHttpServer; publicKey: Uint8Array }> {
  const rekorKeys = ecKeyPair();
  let tlog: TLog | undefined;
  let origin = '';
  const createEntry = (body: string) =>
    rekorCreateEntryHandler(tlog!, () => ({ privateKey: rekorKeys.privateKey, origin }))(body);
  const server = await serve('rekor', { '/api/v1/log/entries': createEntry });
  tlog = await initializeTLog(server.url, rekorKeys);
  origin = new URL(server.url).host;
  return { server, publicKey: tlog.publicKey };
}
