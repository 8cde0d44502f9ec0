/**
 * THE table of the fault matrix: every outbound call a release makes (RELEASE_CALLS), in the order
 * the release makes them, and every fault kind (FAULT_KINDS). fault-matrix.test.ts runs each cell;
 * docs/reliability.md describes each call (a test checks that it names every one). Only for tests.
 */
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fault, FaultRule } from '@phpublish/sandbox';
import type { ReleaseWorld } from './release-world.js';
import { PUSH_TIMEOUT_SECONDS, REQUEST_TIMEOUT_SECONDS, RETRY } from './release-world.js';

/** What a cell must end in; `either` when both are right (a retried call may finish or stop). */
export type Expected = 'finished' | 'stopped' | 'either';

export interface FaultKind {
  readonly name: string;
  /** How many matching requests get it, and the fault; `undefined` for kinds only the git remote has. */
  readonly http?: { readonly times: number; readonly when?: 'before' | 'after'; readonly fault: Fault };
  /** The git remote's pre-receive hook: refuse the push, drop the connection, be slow, or hang. */
  readonly git?: 'reject' | 'hangup' | 'slow' | 'hang';
  readonly expect: Expected;
}

const MiB = 1024 * 1024;
const TIMEOUT_MS = REQUEST_TIMEOUT_SECONDS * 1000;

export const FAULT_KINDS: readonly FaultKind[] = [
  { name: 'latency', http: { times: 1, fault: { hangMs: TIMEOUT_MS / 4 } }, expect: 'finished' },
  { name: 'timeout', http: { times: 1, fault: { hangMs: TIMEOUT_MS * 2.5 } }, expect: 'either' },
  { name: 'connection reset', http: { times: 1, fault: { reset: true } }, expect: 'either' },
  { name: 'reset after handling', http: { times: 1, when: 'after', fault: { reset: true } }, expect: 'either' },
  {
    name: 'slow drip',
    http: { times: 1, fault: { drip: { chunkBytes: 1, intervalMs: TIMEOUT_MS / 4 } } },
    expect: 'either',
  },
  {
    name: '429 with Retry-After',
    http: { times: 1, fault: { status: 429, headers: { 'retry-after': '1' }, body: 'Too Many Requests' } },
    expect: 'finished',
  },
  { name: '429 without Retry-After', http: { times: 1, fault: { status: 429 } }, expect: 'finished' },
  // GitHub's secondary rate limit: a 403 with Retry-After, retried (sigstore-js's own requests do not know it).
  {
    name: '403 rate limit with Retry-After',
    http: {
      times: 1,
      fault: { status: 403, headers: { 'retry-after': '1' }, body: '{"message":"secondary rate limit"}' },
    },
    expect: 'finished',
  },
  { name: '502 once', http: { times: 1, fault: { status: 502, body: '<html>Bad Gateway</html>' } }, expect: 'either' },
  // Longer than the retry policy lasts: every attempt of the call fails.
  { name: '503 burst', http: { times: RETRY.attempts, fault: { status: 503 } }, expect: 'either' },
  { name: '403', http: { times: 1, fault: { status: 403, body: '{"message":"Forbidden"}' } }, expect: 'either' },
  { name: '404', http: { times: 1, fault: { status: 404, body: '{"message":"Not Found"}' } }, expect: 'either' },
  { name: 'truncated body', http: { times: 1, fault: { truncate: true } }, expect: 'either' },
  {
    name: 'garbage body',
    http: { times: 1, when: 'after', fault: { status: 200, body: '\u0000<html>proxy error' } },
    expect: 'either',
  },
  {
    name: 'oversized body',
    http: { times: 1, fault: { oversize: { bytes: 33 * MiB, declared: false } } },
    expect: 'either',
  },
  { name: 'push rejected', git: 'reject', expect: 'stopped' },
  { name: 'push connection dropped', git: 'hangup', expect: 'stopped' },
  { name: 'slow push', git: 'slow', expect: 'finished' },
  // Longer than `signing.pushTimeout`: git (and the hook) are stopped, the release stops, the re-run pushes.
  { name: 'hung push', git: 'hang', expect: 'stopped' },
];

const HTTP_KINDS = FAULT_KINDS.filter((kind) => kind.http).map((kind) => kind.name);
const GIT_KINDS = FAULT_KINDS.filter((kind) => kind.git).map((kind) => kind.name);

type StandIn = 'issuer' | 'fulcio' | 'rekor' | 'tsa' | 'github' | 'gitlab' | 'packagist' | 'private-packagist';

/** The world a call is made in: GitHub Actions and Packagist unless it names another (see startReleaseWorld). */
export type WorldKind = 'github' | 'gitlab' | 'private-packagist';

export interface ReleaseCall {
  readonly name: string;
  readonly world?: WorldKind;
  /** Private Packagist: the release creates the package (a new organisation), so that its creation calls are made. */
  readonly newPackage?: boolean;
  /** Requests of the route the fault lets through first: the call is a later one of the same route. */
  readonly skip?: number;
  /** Which service, and which of its routes (HTTP calls). */
  readonly standIn?: StandIn;
  readonly method?: string;
  readonly path?: RegExp;
  readonly kinds: readonly string[];
  /** Cells whose outcome is known more precisely than the kind's default. */
  readonly expect?: Readonly<Record<string, Expected>>;
  /** Arms `kind` at this call; resolves to a function that disarms it (unused faults included). */
  arm(world: ReleaseWorld, kind: FaultKind): Promise<() => Promise<void>>;
}

/** A path pattern that a test can switch off, so that a fault the run did not use cannot reach the re-run. */
class SwitchablePath extends RegExp {
  on = true;
  override test(text: string): boolean {
    return this.on && super.test(text);
  }
}

function injectorOf(world: ReleaseWorld, standIn: StandIn): (rule: FaultRule) => void {
  const { services, packagist } = world;
  switch (standIn) {
    case 'issuer':
      return (rule) => services.githubIssuer.injectFault(rule);
    case 'fulcio':
    case 'rekor':
    case 'tsa':
      return (rule) => services.sigstore.injectFault(standIn, rule);
    case 'github':
      return (rule) => services.github.injectFault(rule);
    case 'gitlab':
      return (rule) => services.gitlab.injectFault(rule);
    case 'packagist':
      return (rule) => packagist.injectFault(rule);
    case 'private-packagist':
      return (rule) => {
        if (!world.privatePackagist) throw new Error('this world has no Private Packagist');
        world.privatePackagist.injectFault(rule);
      };
  }
}

function httpCall(
  name: string,
  standIn: StandIn,
  method: string,
  path: RegExp,
  expect?: Record<string, Expected>,
  where: Pick<ReleaseCall, 'world' | 'newPackage' | 'skip'> = standIn === 'gitlab' ? { world: 'gitlab' } : {},
): ReleaseCall {
  return {
    name,
    ...where,
    standIn,
    method,
    path,
    kinds: HTTP_KINDS,
    ...(expect ? { expect } : {}),
    arm: async (world, kind) => {
      if (!kind.http) throw new Error(`${kind.name} is not an HTTP fault`);
      const switchable = new SwitchablePath(path.source, path.flags);
      injectorOf(
        world,
        standIn,
      )({ method, path: switchable, ...(where.skip ? { skip: where.skip } : {}), ...kind.http });
      return async () => {
        switchable.on = false;
      };
    },
  };
}

/**
 * The git remote's faults, from its own pre-receive hook: git itself refuses the push (`reject`),
 * the receiving end dies mid-push (`hangup`), it takes a second (`slow`), or it holds the push far
 * longer than the push timeout (`hang`). One push each.
 */
const gitPush: ReleaseCall = {
  name: 'git push of the tag',
  kinds: GIT_KINDS,
  arm: async (world, kind) => {
    const hook = join(world.remote, 'hooks', 'pre-receive');
    const action =
      kind.git === 'reject'
        ? 'echo "pre-receive: refused by the fault matrix" >&2; exit 1'
        : kind.git === 'hangup'
          ? 'kill -9 $PPID; exit 1'
          : kind.git === 'hang'
            ? `sleep ${PUSH_TIMEOUT_SECONDS * 10}; exit 0`
            : 'sleep 1; exit 0';
    await writeFile(hook, `#!/bin/sh\nif [ -f fault-once ]; then rm -f fault-once; ${action}; fi\nexit 0\n`);
    await chmod(hook, 0o755);
    await writeFile(join(world.remote, 'fault-once'), kind.name);
    return async () => {
      await rm(join(world.remote, 'fault-once'), { force: true });
    };
  },
};

/** sigstore-js retries Fulcio, Rekor and TSA requests itself, and not a 403 (GitHub's rate limit answer). */
const SIGSTORE_JS: Record<string, Expected> = { '403 rate limit with Retry-After': 'either' };

const TAG_PATH = String.raw`v\d+\.\d+\.\d+`;

export const RELEASE_CALLS: readonly ReleaseCall[] = [
  gitPush,
  httpCall('GitHub release lookup', 'github', 'GET', new RegExp(`^/repos/acme/hello/releases/tags/${TAG_PATH}$`)),
  httpCall('GitHub immutable-releases setting', 'github', 'GET', /^\/repos\/acme\/hello\/immutable-releases$/),
  httpCall('OIDC token service', 'issuer', 'GET', /\/idtoken$/),
  httpCall('Fulcio signing certificate', 'fulcio', 'POST', /^\/api\/v2\/signingCert$/, SIGSTORE_JS),
  httpCall('Rekor log entry', 'rekor', 'POST', /^\/api\/v1\/log\/entries$/, SIGSTORE_JS),
  httpCall('TSA timestamp', 'tsa', 'POST', /^\/api\/v1\/timestamp$/, SIGSTORE_JS),
  httpCall('GitHub release asset upload', 'github', 'POST', /^\/uploads\/repos\/acme\/hello\/releases\/\d+\/assets$/),
  httpCall('GitHub attestation store', 'github', 'POST', /^\/repos\/acme\/hello\/attestations$/),
  httpCall(
    'GitLab release lookup',
    'gitlab',
    'GET',
    new RegExp(`^/api/v4/projects/acme%2Fhello/releases/${TAG_PATH}$`),
  ),
  httpCall('GitLab package upload', 'gitlab', 'PUT', /^\/api\/v4\/projects\/acme%2Fhello\/packages\/generic\//),
  httpCall(
    'GitLab release link',
    'gitlab',
    'POST',
    new RegExp(`^/api/v4/projects/acme%2Fhello/releases/${TAG_PATH}/assets/links$`),
  ),
  httpCall('Packagist OIDC exchange offer', 'packagist', 'GET', /^\/api\/oidc\/exchange$/),
  httpCall('Packagist update-package', 'packagist', 'POST', /^\/api\/update-package$/),
  httpCall('Packagist job status', 'packagist', 'GET', /^\/jobs\/[0-9a-f]+$/),
  httpCall('Packagist metadata polling', 'packagist', 'GET', /^\/p2\/acme\/hello\.json$/),
  // Private Packagist (packagist.mode: private-packagist), each call in the order a release makes it.
  ...privatePackagistCalls(),
];

/**
 * The calls of a release to Private Packagist, in order: preflight reads the organisation's Composer
 * repository and the OIDC audience; publishing reads both again (what is served, the audience), asks
 * the CI for a token, exchanges it, and uploads the zip — to the existing package, or, for a package
 * the organisation does not have yet, as a new artifact and then the package's creation from it — and
 * reads the repository until it serves the version.
 */
function privatePackagistCalls(): ReleaseCall[] {
  const existing = { world: 'private-packagist' as const };
  const created = { world: 'private-packagist' as const, newPackage: true };
  const call = (
    name: string,
    method: string,
    path: RegExp,
    where: Pick<ReleaseCall, 'world' | 'newPackage' | 'skip'>,
  ) => httpCall(name, 'private-packagist', method, path, undefined, where);
  const repository = /^\/acme-org[^/]*\/p2\/acme\/hello\.json$/;
  const audience = /^\/api\/oidc\/audience\//;
  return [
    call('Private Packagist repository read', 'GET', repository, existing),
    call('Private Packagist OIDC audience', 'GET', audience, existing),
    call('Private Packagist read before publishing', 'GET', repository, { ...existing, skip: 1 }),
    call('Private Packagist OIDC audience at publishing', 'GET', audience, { ...existing, skip: 1 }),
    httpCall('OIDC token service for Private Packagist', 'issuer', 'GET', /\/idtoken$/, undefined, existing),
    call('Private Packagist token exchange', 'POST', /^\/api\/oidc\/token-exchange\//, existing),
    call('Private Packagist artifact upload', 'POST', /^\/api\/packages\/acme\/hello\/artifacts\/$/, existing),
    call('Private Packagist new artifact upload', 'POST', /^\/api\/packages\/artifacts\/$/, created),
    call('Private Packagist package creation', 'POST', /^\/api\/packages\/$/, created),
    call('Private Packagist confirmation read', 'GET', repository, { ...existing, skip: 2 }),
  ];
}
