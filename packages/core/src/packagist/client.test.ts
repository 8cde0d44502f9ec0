import { codeOf } from '@phpublish/testing/errors';
import { type PackagistFixture, REPOSITORY_URL as REPO_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { createPhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { virtualClock } from '../clock.js';
import { silentLogger } from '../log/index.js';
import { PHPUBLISH_VERSION } from '../version.js';
import { PackagistClient } from './client.js';
import { waitForVersion } from './confirm.js';

let fixture: PackagistFixture;
let packagist: PackagistFixture['packagist'];
let repo: PackagistFixture['repo'];
let user: PackagistFixture['alice'];
let agent: Agent;

beforeEach(async () => {
  fixture = await startPackagistFixture();
  ({ packagist, repo, alice: user } = fixture);
  agent = new Agent();
});

afterEach(async () => {
  await agent.close();
  await fixture.cleanup();
});

function client(overrides: { token?: string; username?: string; timeoutMs?: number } = {}) {
  const clock = virtualClock({ realTimeScale: 0.01 });
  return {
    clock,
    client: new PackagistClient({
      apiUrl: packagist.url,
      repoUrl: packagist.url,
      dispatcher: agent,
      clock,
      userAgent: `phpublish/${PHPUBLISH_VERSION} (test)`,
      credentials: { username: overrides.username ?? 'alice', token: overrides.token ?? user.safeToken },
      timeoutMs: overrides.timeoutMs ?? 2000,
    }),
  };
}

describe('PackagistClient.updatePackage', () => {
  describe('when the SAFE token of a maintainer is used', () => {
    it('gets 202 with a job, sending the token only in the Authorization header', async () => {
      const { client: c } = client();
      const result = await c.updatePackage(REPO_URL);
      expect(result.type).toBe('manual');
      expect(result.jobs).toHaveLength(1);
      expect(result.jobs[0]).toMatch(/^[a-f0-9]{40}$/);
      const [request] = packagist.requests.filter((r) => r.method === 'POST');
      expect(request?.url).toBe('/api/update-package');
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.headers['authorization']).toBe('<redacted>');
      expect(request?.headers['user-agent']).toBe(`phpublish/${PHPUBLISH_VERSION} (test)`);
      expect(JSON.parse(request?.body ?? '')).toEqual({ repository: REPO_URL });
    });

    it('matches the package whatever the URL form', async () => {
      const { client: c } = client();
      await expect(c.updatePackage('git@github.com:Acme/Hello.git')).resolves.toMatchObject({ type: 'manual' });
    });
  });

  describe('when Packagist refuses', () => {
    it('maps a wrong token (403) to PACKAGIST_AUTH_REJECTED', async () => {
      expect(await codeOf(client({ token: 'f'.repeat(40) }).client.updatePackage(REPO_URL))).toBe(
        'PACKAGIST_AUTH_REJECTED',
      );
    });

    it('maps a package the user does not maintain (404) to PACKAGIST_PACKAGE_NOT_FOUND', async () => {
      const { bob } = fixture;
      expect(await codeOf(client({ username: 'bob', token: bob.safeToken }).client.updatePackage(REPO_URL))).toBe(
        'PACKAGIST_PACKAGE_NOT_FOUND',
      );
    });

    it('maps an unparsable repository URL (406) to PACKAGIST_REPOSITORY_URL_REJECTED', async () => {
      expect(await codeOf(client().client.updatePackage('https://github.com'))).toBe(
        'PACKAGIST_REPOSITORY_URL_REJECTED',
      );
    });

    it.each([
      [{ status: 'error', message: 'Missing payload parameter' }, 'PACKAGIST_PAYLOAD_REJECTED'],
      [{ status: 'error', message: 'Missing or invalid payload' }, 'PACKAGIST_PAYLOAD_REJECTED'],
      [{ status: 'error', message: { repository: 'The <b>repository</b> is invalid' } }, 'PACKAGIST_PAYLOAD_REJECTED'],
    ])('maps 406 %j to %s', async (body, code) => {
      packagist.injectFault({ path: '/api/update-package', fault: { status: 406, body: JSON.stringify(body) } });
      const error = await client()
        .client.updatePackage(REPO_URL)
        .catch((e) => e);
      expect(error.code).toBe(code);
      expect(error.message).not.toContain('<b>');
    });
  });

  describe('when Packagist is unwell', () => {
    it('waits out a short 429 and succeeds', async () => {
      packagist.injectFault({
        path: '/api/update-package',
        fault: { status: 429, headers: { 'retry-after': '2' }, body: '' },
      });
      const { client: c, clock } = client();
      await expect(c.updatePackage(REPO_URL)).resolves.toMatchObject({ type: 'manual' });
      expect(clock.sleeps).toEqual([2000]);
    });

    it('gives up at once on a 429 with a year-long Retry-After', async () => {
      packagist.injectFault({
        path: '/api/update-package',
        fault: { status: 429, headers: { 'retry-after': '31536000' }, body: 'Too Many Requests' },
      });
      const error = await client()
        .client.updatePackage(REPO_URL)
        .catch((e) => e);
      expect(error.code).toBe('PACKAGIST_RATE_LIMITED');
      expect(error.message).toContain('31536000 s');
    });

    it('retries 5xx and succeeds when Packagist recovers', async () => {
      packagist.injectFault({
        path: '/api/update-package',
        times: 2,
        fault: { status: 502, body: '<html>Bad Gateway</html>' },
      });
      await expect(client().client.updatePackage(REPO_URL)).resolves.toMatchObject({ type: 'manual' });
    });

    it('reports PACKAGIST_UNAVAILABLE after bounded retries of 5xx', async () => {
      packagist.injectFault({
        path: '/api/update-package',
        times: 10,
        fault: { status: 503, body: '<html>down</html>' },
      });
      const error = await client()
        .client.updatePackage(REPO_URL)
        .catch((e) => e);
      expect(error.code).toBe('PACKAGIST_UNAVAILABLE');
      expect(error.message).toBe('Packagist answered HTTP 503 4 times in a row (down).');
    });

    it('retries a reset connection, then reports PACKAGIST_UNREACHABLE', async () => {
      packagist.injectFault({ path: '/api/update-package', times: 10, fault: { reset: true } });
      const error = await client()
        .client.updatePackage(REPO_URL)
        .catch((e) => e);
      expect(error.code).toBe('PACKAGIST_UNREACHABLE');
      expect(error.message).toContain('connection closed by the server before it answered');
    });

    it('retries a request that got no answer in time', async () => {
      packagist.injectFault({ path: '/api/update-package', times: 1, fault: { hangMs: 5000 } });
      await expect(client({ timeoutMs: 200 }).client.updatePackage(REPO_URL)).resolves.toMatchObject({
        type: 'manual',
      });
    });

    it('maps a 200 whose body is not JSON (a proxy page) to PACKAGIST_BAD_RESPONSE', async () => {
      packagist.injectFault({ path: '/api/update-package', fault: { status: 200, body: '<html>Sign in</html>' } });
      expect(await codeOf(client().client.updatePackage(REPO_URL))).toBe('PACKAGIST_BAD_RESPONSE');
    });

    it('maps a 404 page that is not Packagist’s JSON (a wrong URL) to PACKAGIST_BAD_RESPONSE', async () => {
      packagist.injectFault({ path: '/api/update-package', fault: { status: 404, body: '<html>Not Found</html>' } });
      expect(await codeOf(client().client.updatePackage(REPO_URL))).toBe('PACKAGIST_BAD_RESPONSE');
    });
  });
});

describe('PackagistClient.createPackage', () => {
  it('creates with the main token', async () => {
    const other = await createPhpPackageRepo({ name: 'acme/other' });
    try {
      packagist.addRemote('https://github.com/acme/other', other.dir);
      const { client: c } = client({ token: user.mainToken });
      await expect(c.createPackage('https://github.com/acme/other')).resolves.toEqual({ created: true });
      // Created, but not crawled: no version is listed until an update is requested.
      const metadata = await c.getVersions('acme/other');
      expect(metadata.state === 'not-found' || (metadata.state === 'found' && metadata.versions.length === 0)).toBe(
        true,
      );
    } finally {
      await other.cleanup();
    }
  });

  it('refuses the SAFE token with PACKAGIST_MAIN_TOKEN_REQUIRED', async () => {
    expect(await codeOf(client().client.createPackage('https://github.com/acme/other'))).toBe(
      'PACKAGIST_MAIN_TOKEN_REQUIRED',
    );
  });

  it('treats "already exists" as done, and reports other validation messages with their field', async () => {
    const { client: c } = client({ token: user.mainToken });
    await expect(c.createPackage(REPO_URL)).resolves.toEqual({ created: false });
    const error = await c.createPackage('https://github.com/acme/nowhere').catch((e) => e);
    expect(error.code).toBe('PACKAGIST_CREATE_REJECTED');
    expect(error.message).toContain('(repository)');
  });

  it('does not repeat a create that failed with a 500 (it may have been saved)', async () => {
    packagist.injectFault({
      path: '/api/create-package',
      times: 3,
      fault: { status: 500, body: '{"status":"error","message":"Error saving package"}' },
    });
    const error = await client({ token: user.mainToken })
      .client.createPackage('https://github.com/acme/other')
      .catch((e) => e);
    expect(error.code).toBe('PACKAGIST_UNAVAILABLE');
    expect(packagist.requests.filter((r) => r.url === '/api/create-package')).toHaveLength(1);
  });
});

describe('PackagistClient jobs and metadata', () => {
  it('follows a job to completion and then finds the version at the tagged commit', async () => {
    const { client: c } = client();
    const { jobs } = await c.updatePackage(REPO_URL);
    expect((await c.getJob('0'.repeat(40))).status).toBe('running');
    await packagist.crawlNow('acme/hello');
    const job = await c.getJob(jobs[0]!);
    expect(job.status).toBe('completed');
    const result = await c.getVersions('acme/hello');
    expect(result.state).toBe('found');
    if (result.state !== 'found') return;
    expect(result.versions.find((v) => v.version === 'v1.0.0')?.source?.reference).toBe(repo.head);
    // Unchanged content: the next conditional request is answered 304.
    await expect(c.getVersions('acme/hello', { ifModifiedSince: result.lastModified })).resolves.toEqual({
      state: 'not-modified',
    });
  });

  it('maps metadata that is not JSON to PACKAGIST_METADATA_INVALID', async () => {
    packagist.injectFault({ path: '/p2/acme/hello.json', fault: { status: 200, body: '{"packages":' } });
    expect(await codeOf(client().client.getVersions('acme/hello'))).toBe('PACKAGIST_METADATA_INVALID');
  });
});

describe('PackagistClient, when an answer cannot be used', () => {
  it('says access was refused, not the credentials, for a 403 on metadata it sent none with', async () => {
    packagist.injectFault({
      path: '/p2/acme/hello.json',
      fault: { status: 403, body: '{"status":"error","message":"Forbidden"}' },
    });
    // The client holds credentials, but metadata requests never carry them.
    const error = await client()
      .client.getVersions('acme/hello')
      .catch((e) => e);
    expect(error.code).toBe('PACKAGIST_ACCESS_DENIED');
    expect(error.message).toContain('/p2/acme/hello.json refused access (HTTP 403: Forbidden)');
    expect(error.message).not.toContain('refused the credentials');
  });

  it('says the same of a refused job page, which is public too', async () => {
    packagist.injectFault({ path: /^\/jobs\//, fault: { status: 401, body: 'Unauthorized' } });
    expect(await codeOf(client().client.getJob('a'.repeat(40)))).toBe('PACKAGIST_ACCESS_DENIED');
  });

  it.each([
    ['jobs that are numbers', '{"status":"success","jobs":[1],"type":"manual"}'],
    ['no jobs', '{"status":"success","type":"manual"}'],
    ['a type that is an object', '{"status":"success","jobs":["ab"],"type":{}}'],
  ])('refuses an update-package answer with %s as PACKAGIST_BAD_RESPONSE', async (_what, body) => {
    packagist.injectFault({ path: '/api/update-package', fault: { status: 202, body } });
    const error = await client()
      .client.updatePackage(REPO_URL)
      .catch((e) => e);
    expect(error.code).toBe('PACKAGIST_BAD_RESPONSE');
    expect(error.message).toContain('jobs');
  });

  it('refuses a job answer whose status is not text', async () => {
    packagist.injectFault({ path: /^\/jobs\//, fault: { status: 200, body: '{"status":5,"message":"x"}' } });
    expect(await codeOf(client().client.getJob('a'.repeat(40)))).toBe('PACKAGIST_BAD_RESPONSE');
  });

  it('refuses metadata larger than its limit once, without retrying it', async () => {
    packagist.injectFault({ path: '/p2/acme/hello.json', times: 5, fault: { status: 200, body: ' '.repeat(4096) } });
    const clock = virtualClock({ realTimeScale: 0.01 });
    const limited = new PackagistClient({
      apiUrl: packagist.url,
      repoUrl: packagist.url,
      dispatcher: agent,
      clock,
      userAgent: 'phpublish-test',
      limits: { metadata: 1024 },
    });
    expect(await codeOf(limited.getVersions('acme/hello'))).toBe('REMOTE_ANSWER_TOO_LARGE');
    expect(packagist.requests.filter((r) => r.url === '/p2/acme/hello.json')).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('waitForVersion, when Packagist serves the version at something that is not a commit', () => {
  it.each([['HEAD'], ['main'], ['abc1234']])('refuses %s with PACKAGIST_REFERENCE_NOT_COMMIT', async (reference) => {
    await packagist.crawlNow('acme/hello');
    const served = await fixture.getJson('/p2/acme/hello.json');
    const document = served.body as { packages: Record<string, Record<string, unknown>[]> };
    const entry = document.packages['acme/hello']![0]!;
    entry['source'] = { ...(entry['source'] as object), reference };
    packagist.injectFault({
      path: '/p2/acme/hello.json',
      times: 10,
      fault: { status: 200, body: JSON.stringify(document) },
    });
    const { client: c, clock } = client();
    const error = await waitForVersion({
      client: c,
      clock,
      logger: silentLogger,
      packageName: 'acme/hello',
      version: String(entry['version']),
      commit: repo.head,
      timeoutMs: 60_000,
    }).catch((e) => e);
    expect(error.code).toBe('PACKAGIST_REFERENCE_NOT_COMMIT');
    expect(error.message).toContain(`the reference "${reference}", which is not a full commit id`);
  });
});
