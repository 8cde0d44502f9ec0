import {
  type SandboxPackagist,
  type SandboxPackagistOptions,
  type SandboxUserCredentials,
  startSandboxPackagist,
} from '@phpublish/sandbox';
import { createPhpPackageRepo, type PhpPackageRepo, type TagSpec } from './php-package-repo.js';

export interface PackagistFixture {
  readonly packagist: SandboxPackagist;
  readonly repo: PhpPackageRepo;
  /** Maintains acme/hello. */
  readonly alice: SandboxUserCredentials;
  /** Maintains nothing. */
  readonly bob: SandboxUserCredentials;
  post(path: string, init: { headers?: Record<string, string>; body?: string }): Promise<Response>;
  /** POST a JSON body with `Authorization: Bearer user:token`, the way phpublish does. */
  postJson(path: string, body: unknown, token?: string, username?: string): Promise<Response>;
  getJson(path: string, headers?: Record<string, string>): Promise<{ status: number; body: unknown; raw: Response }>;
  cleanup(): Promise<void>;
}

export const REPOSITORY_URL = 'https://github.com/acme/hello';

/** A sandbox Packagist that knows user alice, her package acme/hello and its repository (tagged as asked). */
export async function startPackagistFixture(
  options: { tags?: TagSpec[]; known?: boolean; sandbox?: SandboxPackagistOptions } = {},
): Promise<PackagistFixture> {
  const packagist = await startSandboxPackagist({ crawlDelayMs: 5, ...options.sandbox });
  const repo = await createPhpPackageRepo({ name: 'acme/hello', tags: options.tags ?? ['v1.0.0'] });
  packagist.addRemote(REPOSITORY_URL, repo.dir);
  const alice = packagist.addUser({ username: 'alice' });
  const bob = packagist.addUser({ username: 'bob' });
  if (options.known !== false) {
    packagist.addPackage({ name: 'acme/hello', repositoryUrl: REPOSITORY_URL, maintainers: ['alice'] });
  }
  const post = (path: string, init: { headers?: Record<string, string>; body?: string }) =>
    fetch(`${packagist.url}${path}`, { method: 'POST', headers: init.headers, body: init.body });
  return {
    packagist,
    repo,
    alice,
    bob,
    post,
    postJson: (path, body, token = alice.safeToken, username = 'alice') =>
      post(path, {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${username}:${token}` },
        body: JSON.stringify(body),
      }),
    getJson: async (path, headers = {}) => {
      const raw = await fetch(`${packagist.url}${path}`, { headers });
      const text = await raw.text();
      return { status: raw.status, body: text === '' ? undefined : JSON.parse(text), raw };
    },
    cleanup: async () => {
      await packagist.close();
      await repo.cleanup();
    },
  };
}

/** Composer's expansion of minified p2 versions, written independently of the sandbox's minifier. */
export function expandMinified(entries: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const expanded: Record<string, unknown>[] = [];
  let current: Record<string, unknown> = {};
  for (const entry of entries) {
    current = { ...current };
    for (const [key, value] of Object.entries(entry)) {
      if (value === '__unset') delete current[key];
      else current[key] = value;
    }
    expanded.push(current);
  }
  return expanded;
}

/** The expanded versions of acme/hello in a p2 document. */
export function p2Versions(document: unknown, name = 'acme/hello'): Record<string, unknown>[] {
  const doc = document as { minified: string; packages: Record<string, Record<string, unknown>[]> };
  if (doc.minified !== 'composer/2.0') throw new Error('not minified p2 metadata');
  return expandMinified(doc.packages[name] ?? []);
}
