import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sandboxAudit } from '../audit.js';
import { receivedRequests } from '../http/request-log.js';

const UPDATE = '/api/update-package';
const NO_PACKAGE = 'Could not find a package that matches this request (does user maintain the package?)';
const BAD_CREDENTIALS = 'Missing or invalid username/apiToken in request';

interface Accepted {
  status: string;
  jobs: string[];
  type: string;
}
const accepted = async (response: Response) => (await response.json()) as Accepted;

describe('when a client notifies Packagist through update-package', () => {
  let fx: PackagistFixture;
  beforeEach(async () => {
    fx = await startPackagistFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  const expectError = async (response: Response, status: number, message: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ status: 'error', message });
  };

  it('accepts a Bearer SAFE token and a JSON body, and answers 202 with one job', async () => {
    const response = await fx.postJson(UPDATE, { repository: REPOSITORY_URL });
    expect(response.status).toBe(202);
    const body = await accepted(response);
    expect(body).toEqual({ status: 'success', jobs: [expect.stringMatching(/^[0-9a-f]{40}$/)], type: 'manual' });
  });

  it('accepts the MAIN token too', async () => {
    const response = await fx.postJson(UPDATE, { repository: REPOSITORY_URL }, fx.alice.mainToken);
    expect(response.status).toBe(202);
  });

  it('serves /api/github and /api/bitbucket the same way', async () => {
    for (const path of ['/api/github', '/api/bitbucket']) {
      expect((await fx.postJson(path, { repository: REPOSITORY_URL })).status).toBe(202);
    }
  });

  it('answers GET with 405', async () => {
    for (const path of [UPDATE, '/api/github', '/api/bitbucket', '/api/create-package']) {
      const response = await fetch(`${fx.packagist.url}${path}`);
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    }
  });

  it('reuses the queued job for a second notification before the crawl starts', async () => {
    await fx.cleanup();
    fx = await startPackagistFixture({ sandbox: { crawlDelayMs: 60_000 } });
    const first = await accepted(await fx.postJson(UPDATE, { repository: REPOSITORY_URL }));
    const second = await accepted(await fx.postJson(UPDATE, { repository: REPOSITORY_URL }));
    expect(second.jobs).toEqual(first.jobs);
  });

  describe('when the payload is not where Packagist reads it', () => {
    it('ignores a JSON body whose Content-Type has parameters (406 Missing payload parameter)', async () => {
      const response = await fx.post(UPDATE, {
        headers: {
          'content-type': 'application/json; charset=utf-8',
          authorization: `Bearer alice:${fx.alice.safeToken}`,
        },
        body: JSON.stringify({ repository: REPOSITORY_URL }),
      });
      await expectError(response, 406, 'Missing payload parameter');
    });

    it('ignores a JSON body sent as text/plain or without Content-Type', async () => {
      for (const headers of [{ 'content-type': 'text/plain' }, {}] as Record<string, string>[]) {
        const response = await fx.post(UPDATE, { headers, body: JSON.stringify({ repository: REPOSITORY_URL }) });
        await expectError(response, 406, 'Missing payload parameter');
      }
    });

    it('treats an empty object, an empty list, a scalar and invalid JSON as no payload', async () => {
      for (const body of ['{}', '[]', '"https://github.com/acme/hello"', '0', '{not json']) {
        const response = await fx.post(UPDATE, { headers: { 'content-type': 'application/json' }, body });
        await expectError(response, 406, 'Missing payload parameter');
      }
    });

    it('reads the form field payload, with credentials in form fields', async () => {
      const form = new URLSearchParams({
        payload: JSON.stringify({ repository: { url: REPOSITORY_URL } }),
        username: 'alice',
        apiToken: fx.alice.safeToken,
      });
      const response = await fx.post(UPDATE, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      expect(response.status).toBe(202);
    });

    it('answers 406 Missing or invalid payload for a JSON object of another shape', async () => {
      for (const payload of [{ repo: REPOSITORY_URL }, { repository: 42 }, { repository: { html_url: 'x' } }, [1]]) {
        await expectError(await fx.postJson(UPDATE, payload), 406, 'Missing or invalid payload');
      }
    });
  });

  describe('when the repository URL cannot be parsed', () => {
    it.each([
      'https://alice:ghp_secret@github.com/acme/hello',
      'ssh://github.com/acme/hello',
      'php://filter/resource=/etc/passwd',
      'https://github.com',
      'https://github.com/acme hello',
    ])('rejects %s with 406 before looking at credentials', async (url) => {
      // No credentials at all: the URL is checked first, so this is 406, not 403.
      const response = await fx.post(UPDATE, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ repository: url }),
      });
      await expectError(response, 406, 'Could not parse payload repository URL');
    });
  });

  describe('when the credentials are missing or wrong', () => {
    const body = JSON.stringify({ repository: REPOSITORY_URL });

    it('answers 403 without credentials', async () => {
      const response = await fx.post(UPDATE, { headers: { 'content-type': 'application/json' }, body });
      await expectError(response, 403, BAD_CREDENTIALS);
    });

    it('answers 403 for a wrong token, an unknown user or a token of another user', async () => {
      for (const [username, token] of [
        ['alice', 'f'.repeat(40)],
        ['mallory', fx.alice.safeToken],
        ['alice', fx.bob.safeToken],
      ] as const) {
        await expectError(
          await fx.postJson(UPDATE, { repository: REPOSITORY_URL }, token, username),
          403,
          BAD_CREDENTIALS,
        );
      }
    });

    it('ignores a Bearer value without a colon, and a lowercase bearer scheme', async () => {
      for (const authorization of [`Bearer ${fx.alice.safeToken}`, `bearer alice:${fx.alice.safeToken}`]) {
        const response = await fx.post(UPDATE, {
          headers: { 'content-type': 'application/json', authorization },
          body,
        });
        await expectError(response, 403, BAD_CREDENTIALS);
      }
    });

    it('never reads credentials from a JSON body', async () => {
      const response = await fx.post(UPDATE, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ repository: REPOSITORY_URL, username: 'alice', apiToken: fx.alice.safeToken }),
      });
      await expectError(response, 403, BAD_CREDENTIALS);
    });

    it('accepts query credentials (the GitLab integration), and Bearer overrides them', async () => {
      const query = `?username=alice&apiToken=${fx.alice.safeToken}`;
      expect(
        (await fx.post(`${UPDATE}${query}`, { headers: { 'content-type': 'application/json' }, body })).status,
      ).toBe(202);
      const overridden = await fx.post(`${UPDATE}${query}`, {
        headers: { 'content-type': 'application/json', authorization: `Bearer alice:${'0'.repeat(40)}` },
        body,
      });
      await expectError(overridden, 403, BAD_CREDENTIALS);
    });

    it('refuses a disabled account', async () => {
      const carol = fx.packagist.addUser({ username: 'carol', active: false });
      fx.packagist.addPackage({
        name: 'acme/other',
        repositoryUrl: 'https://github.com/acme/other',
        maintainers: ['carol'],
      });
      const response = await fx.postJson(
        UPDATE,
        { repository: 'https://github.com/acme/other' },
        carol.mainToken,
        'carol',
      );
      await expectError(response, 403, BAD_CREDENTIALS);
    });
  });

  describe('when matching the URL to the user’s packages', () => {
    it.each([
      'https://github.com/acme/hello',
      'http://github.com/acme/hello',
      'https://github.com/acme/hello.git',
      'https://github.com/acme/hello/',
      'git@github.com:acme/hello.git',
      'ssh://git@github.com:22/acme/hello.git',
      'git://github.com/acme/hello',
      'github.com/acme/hello',
      'https://GitHub.com/ACME/Hello',
      'https://api.github.com/repos/acme/hello',
      'https://packagist.org/packages/acme/hello',
    ])('matches %s', async (url) => {
      expect((await fx.postJson(UPDATE, { repository: url })).status).toBe(202);
    });

    it.each([
      'https://www.github.com/acme/hello',
      'https://gitlab.com/acme/hello',
      'https://github.com/acme/hello.git/',
      'https://github.com/acme/hello-world',
      'https://github.com/acme',
    ])('does not match %s (404)', async (url) => {
      await expectError(await fx.postJson(UPDATE, { repository: url }), 404, NO_PACKAGE);
    });

    it('answers 404 to a valid user who does not maintain the package', async () => {
      await expectError(
        await fx.postJson(UPDATE, { repository: REPOSITORY_URL }, fx.bob.safeToken, 'bob'),
        404,
        NO_PACKAGE,
      );
    });

    it('queues one job per package in a monorepo', async () => {
      fx.packagist.addPackage({
        name: 'acme/hello-extra',
        repositoryUrl: 'git@github.com:acme/hello.git',
        maintainers: ['alice'],
      });
      const body = await accepted(await fx.postJson(UPDATE, { repository: REPOSITORY_URL }));
      expect(body.jobs).toHaveLength(2);
      expect(new Set(body.jobs).size).toBe(2);
    });

    it('reads the GitLab push event shape', async () => {
      fx.packagist.addPackage({
        name: 'acme/lab',
        repositoryUrl: 'https://gitlab.com/acme/lab',
        maintainers: ['alice'],
      });
      const response = await fx.postJson(UPDATE, { project: { git_http_url: 'https://gitlab.com/acme/lab.git' } });
      expect(response.status).toBe(202);
    });

    it('reads the Bitbucket push event shape', async () => {
      fx.packagist.addPackage({
        name: 'acme/bucket',
        repositoryUrl: 'https://bitbucket.org/acme/bucket',
        maintainers: ['alice'],
      });
      const response = await fx.postJson(UPDATE, {
        repository: { links: { html: { href: 'https://bitbucket.org/acme/bucket' } } },
      });
      expect(response.status).toBe(202);
    });
  });

  describe('when a GitHub webhook is signed with the user’s token', () => {
    const sign = async (secret: string, body: string) => {
      const { createHmac } = await import('node:crypto');
      return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    };
    const hookBody = JSON.stringify({ repository: { url: REPOSITORY_URL, id: 1234 } });

    it('accepts a signature made with the SAFE token (github_user_secret)', async () => {
      const response = await fx.post(`${UPDATE}?username=alice`, {
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': await sign(fx.alice.safeToken, hookBody),
        },
        body: hookBody,
      });
      expect(response.status).toBe(202);
      expect((await accepted(response)).type).toBe('github_user_secret');
    });

    it('refuses a wrong signature with Packagist’s message', async () => {
      const response = await fx.post(`${UPDATE}?username=alice`, {
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': await sign('wrong', hookBody) },
        body: hookBody,
      });
      await expectError(
        response,
        403,
        'Secret should be the Packagist API Token for the Packagist user "alice". Signature verification failed.',
      );
    });

    it('checks an unsigned-by-user hook against Packagist’s own secret', async () => {
      const response = await fx.post(UPDATE, {
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': await sign('not-the-app-secret', hookBody),
        },
        body: hookBody,
      });
      await expectError(
        response,
        403,
        'Invalid github signature. Delete this webhook and recreate it using the manual account sync trigger from https://packagist.org/about#how-to-update-packages',
      );
    });
  });

  it('escapes its JSON like Symfony’s JsonResponse (slashes, quotes, tags)', async () => {
    const body = JSON.stringify({ repository: { url: REPOSITORY_URL } });
    const response = await fx.post('/api/update-package?username=al%3Cice%22', {
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      body,
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toBe(
      '{"status":"error","message":"Invalid github signature. Delete this webhook and recreate it using the manual account sync trigger from https:\\/\\/packagist.org\\/about#how-to-update-packages"}',
    );
    fx.packagist.addUser({ username: 'd<a"n&é' });
    const named = await fx.post(`/api/update-package?username=${encodeURIComponent('d<a"n&é')}`, {
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      body,
    });
    expect(await named.text()).toBe(
      '{"status":"error","message":"Secret should be the Packagist API Token for the Packagist user \\u0022d\\u003Ca\\u0022n\\u0026\\u00e9\\u0022. Signature verification failed."}',
    );
  });
});

// This file sends tokens in query strings on purpose (Packagist's legacy authentication), so its
// requests are kept out of the suite-wide check that clients never put a token in a URL.
afterEach(() => {
  sandboxAudit.requestUrls.length = 0;
  receivedRequests.length = 0; // and out of the suite's leak scan
});
