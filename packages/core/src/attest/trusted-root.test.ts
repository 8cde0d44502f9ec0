import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import {
  publicGoodTrustedRoot,
  shippedPublicGoodRoot,
  type TrustedRootJson,
  trustMaterialFrom,
} from './trusted-root.js';

let dir: string;
/** A loopback "TUF mirror" that has nothing: every request is a 404 (what a refresh meets offline or behind a proxy). */
let emptyMirror: Server;
let mirrorUrl: string;
let mirrorRequests = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'phpublish-trusted-root-'));
  emptyMirror = createServer((_request, response) => {
    mirrorRequests++;
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => emptyMirror.listen(0, '127.0.0.1', resolve));
  mirrorUrl = `http://127.0.0.1:${(emptyMirror.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => emptyMirror.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const cacheFolder = async (name: string) => {
  const folder = join(dir, name);
  await rm(folder, { recursive: true, force: true });
  return folder;
};

/** The shipped root with one more certificate authority whose validity starts at `start`. */
function withAuthorityFrom(start: string): TrustedRootJson {
  const root = structuredClone(shippedPublicGoodRoot());
  const authorities = root['certificateAuthorities'] as { validFor: { start: string } }[];
  authorities.push({ ...structuredClone(authorities.at(-1)!), validFor: { start } });
  return root;
}

describe('publicGoodTrustedRoot', () => {
  describe('when nothing is cached and no refresh is asked for', () => {
    it('is the trusted_root.json shipped in @sigstore/tuf’s TUF seed, usable as trust material', async () => {
      const root = await publicGoodTrustedRoot();
      expect(root).toEqual(shippedPublicGoodRoot());
      expect(root['mediaType']).toMatch(/^application\/vnd\.dev\.sigstore\.trustedroot\+json/);
      const material = await trustMaterialFrom(root);
      expect(material.certificateAuthorities.length).toBeGreaterThan(0);
      expect(material.tlogs.length).toBeGreaterThan(0);
    });
  });

  describe('when the cache folder holds a root a refresh kept', () => {
    it('uses the cached root when it is newer than the shipped one', async () => {
      const cachePath = await cacheFolder('newer');
      const newer = withAuthorityFrom('2099-01-01T00:00:00Z');
      await writeCache(cachePath, JSON.stringify(newer));
      expect(await publicGoodTrustedRoot({ cachePath })).toEqual(newer);
    });

    it('keeps the shipped root when the cached one is older (a cache from an older phpublish)', async () => {
      const cachePath = await cacheFolder('older');
      const older = structuredClone(shippedPublicGoodRoot());
      older['timestampAuthorities'] = [];
      older['tlogs'] = (older['tlogs'] as { baseUrl: string }[]).filter(
        (log) => log.baseUrl === 'https://rekor.sigstore.dev',
      );
      await writeCache(cachePath, JSON.stringify(older));
      expect(await publicGoodTrustedRoot({ cachePath })).toEqual(shippedPublicGoodRoot());
    });

    it('ignores a damaged or foreign cached file', async () => {
      const cachePath = await cacheFolder('damaged');
      await writeCache(cachePath, '{"certificateAuthorities": [');
      expect(await publicGoodTrustedRoot({ cachePath })).toEqual(shippedPublicGoodRoot());
      await writeCache(cachePath, '{"hello": "world"}');
      expect(await publicGoodTrustedRoot({ cachePath })).toEqual(shippedPublicGoodRoot());
    });
  });

  describe('when a refresh is asked for but the TUF repository cannot be reached', () => {
    it('says why and uses the offline root: a refresh is never required', async () => {
      const cachePath = await cacheFolder('offline');
      const problems: string[] = [];
      const root = await publicGoodTrustedRoot({
        cachePath,
        refresh: true,
        tufMirrorUrl: mirrorUrl,
        onRefreshFailed: (problem) => problems.push(problem),
      });
      expect(root).toEqual(shippedPublicGoodRoot());
      expect(problems).toHaveLength(1);
      // The refresh really went to the repository (and met 404s): the failure is the network's.
      expect(mirrorRequests).toBeGreaterThan(0);
      // Nothing unverified was kept for the next run.
      await expect(readFile(join(cachePath, 'public-good-trusted-root.json'))).rejects.toThrow();
    });
  });
});

describe('trustMaterialFrom', () => {
  it('refuses a root that is not JSON, with its code', async () => {
    const error = await trustMaterialFrom('{not json').catch((e: unknown) => e);
    expect(isPhpublishError(error, 'ATTEST_TRUSTED_ROOT_INVALID')).toBe(true);
  });
});

async function writeCache(cachePath: string, text: string) {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(cachePath, { recursive: true });
  await writeFile(join(cachePath, 'public-good-trusted-root.json'), text);
}
