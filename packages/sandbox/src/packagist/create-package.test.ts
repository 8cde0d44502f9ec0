import { type PackagistFixture, startPackagistFixture } from '@phpublish/testing/packagist';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const CREATE = '/api/create-package';

describe('when a client submits a new package through create-package', () => {
  let fx: PackagistFixture;
  const repos: PhpPackageRepo[] = [];
  beforeEach(async () => {
    fx = await startPackagistFixture({ known: false });
  });
  afterEach(async () => {
    await fx.cleanup();
    for (const repo of repos.splice(0)) await repo.cleanup();
  });

  const create = (body: unknown, token = fx.alice.mainToken, username = 'alice') =>
    fx.postJson(CREATE, body, token, username);
  const expectRepositoryError = async (response: Response, message: string | RegExp) => {
    expect(response.status).toBe(406);
    const body = (await response.json()) as { status: string; message: Record<string, string> };
    expect(Object.keys(body)).toEqual(['status', 'message']);
    expect(body.status).toBe('error');
    expect(Object.keys(body.message)).toEqual(['repository']);
    if (typeof message === 'string') expect(body.message.repository).toBe(message);
    else expect(body.message.repository).toMatch(message);
  };
  const backedRepo = async (url: string, files: Record<string, string | null>) => {
    const repo = await createPhpPackageRepo({ name: 'acme/other', files });
    repos.push(repo);
    fx.packagist.addRemote(url, repo.dir);
    return repo;
  };

  it('creates the package with a MAIN token: 202 with no job, and alice maintains it', async () => {
    const response = await create({ repository: 'https://github.com/acme/hello' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'success' });
    // Known but not crawled: update-package now finds it for alice, and only for her.
    const update = await fx.postJson('/api/update-package', { repository: 'https://github.com/acme/hello' });
    expect(update.status).toBe(202);
    const forBob = await fx.postJson(
      '/api/update-package',
      { repository: 'https://github.com/acme/hello' },
      fx.bob.safeToken,
      'bob',
    );
    expect(forBob.status).toBe(404);
  });

  it('publishes an empty p2 file at once and no versions until a crawl', async () => {
    await create({ repository: 'git@github.com:acme/hello.git' });
    const p2 = await fx.getJson('/p2/acme/hello.json');
    expect(p2.status).toBe(200);
    expect(p2.body).toEqual({ minified: 'composer/2.0', packages: { 'acme/hello': [] }, 'security-advisories': [] });
    const root = await fx.getJson('/packages.json');
    expect((root.body as { 'available-packages': string[] })['available-packages']).toEqual(['acme/hello']);
  });

  it('accepts the older {repository: {url}} shape', async () => {
    expect((await create({ repository: { url: 'https://github.com/acme/hello' } })).status).toBe(202);
  });

  it('refuses a SAFE token with 406 (not 403)', async () => {
    const response = await create({ repository: 'https://github.com/acme/hello' }, fx.alice.safeToken);
    expect(response.status).toBe(406);
    expect(await response.json()).toEqual({
      status: 'error',
      message: 'Missing or invalid username/apiToken in request',
    });
  });

  it('refuses missing credentials with 406', async () => {
    const response = await fx.post(CREATE, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repository: 'https://github.com/acme/hello' }),
    });
    expect(response.status).toBe(406);
    expect(await response.json()).toEqual({
      status: 'error',
      message: 'Missing or invalid username/apiToken in request',
    });
  });

  it('checks the payload before the token', async () => {
    const wrongShape = await create({ url: 'https://github.com/acme/hello' }, 'bad');
    expect(await wrongShape.json()).toEqual({ status: 'error', message: '{repository: string} expected in payload' });
    const noPayload = await fx.post(CREATE, {
      headers: {
        'content-type': 'application/json; charset=utf-8',
        authorization: `Bearer alice:${fx.alice.mainToken}`,
      },
      body: JSON.stringify({ repository: 'https://github.com/acme/hello' }),
    });
    expect(noPayload.status).toBe(406);
    expect(await noPayload.json()).toEqual({ status: 'error', message: 'Missing payload parameter' });
  });

  it('reports a repository it cannot read', async () => {
    await expectRepositoryError(
      await create({ repository: 'https://github.com/acme/missing' }),
      'No valid/supported repository was found at the given URL',
    );
  });

  it('reports a user@host URL', async () => {
    await expectRepositoryError(
      await create({ repository: 'https://alice:secret@example.com/acme/hello.git' }),
      'URLs with user@host are not supported, use a read-only public URL',
    );
  });

  it('reports an http:// URL outside GitHub', async () => {
    await expectRepositoryError(
      await create({ repository: 'http://example.com/acme/hello.git' }),
      'Non-secure HTTP URLs are not supported, make sure you use an HTTPS or SSH URL',
    );
  });

  it('reports a default branch without composer.json', async () => {
    await backedRepo('https://github.com/acme/other', { 'composer.json': null });
    await expectRepositoryError(
      await create({ repository: 'https://github.com/acme/other' }),
      'No composer.json was found in the main branch.',
    );
  });

  it('reports a composer.json without a name', async () => {
    await backedRepo('https://github.com/acme/other', { 'composer.json': '{"description": "no name"}' });
    await expectRepositoryError(
      await create({ repository: 'https://github.com/acme/other' }),
      'The package name was not found in the composer.json, make sure there is a name present.',
    );
  });

  it('reports a composer.json that is not JSON', async () => {
    await backedRepo('https://github.com/acme/other', { 'composer.json': '{"name": ' });
    await expectRepositoryError(
      await create({ repository: 'https://github.com/acme/other' }),
      /^We had problems parsing your composer.json file, the parser reports: &quot;HEAD:composer.json&quot; does not contain valid JSON/,
    );
  });

  it.each(['php', 'api', 'sdk', 'token', 'composer'])('reports the reserved vendor %s', async (vendor) => {
    await backedRepo('https://github.com/acme/other', { 'composer.json': JSON.stringify({ name: `${vendor}/tool` }) });
    await expectRepositoryError(
      await create({ repository: 'https://github.com/acme/other' }),
      vendor === 'composer'
        ? 'The vendor name composer is blocked, if you think this is a mistake please get in touch with us.'
        : `The vendor name ${vendor} is reserved, please use another name or reach out to us if you have a legitimate use for it.`,
    );
  });

  it('reports an invalid or uppercase name', async () => {
    await backedRepo('https://github.com/acme/other', { 'composer.json': JSON.stringify({ name: 'Acme/HelloWorld' }) });
    await expectRepositoryError(
      await create({ repository: 'https://github.com/acme/other' }),
      'The package name Acme/HelloWorld is invalid, it should not contain uppercase characters. We suggest using acme/hello-world instead.',
    );
  });

  it('reports a name that exists, with Packagist’s HTML link', async () => {
    expect((await create({ repository: 'https://github.com/acme/hello' })).status).toBe(202);
    const again = await create({ repository: 'https://github.com/acme/hello' });
    await expectRepositoryError(
      again,
      'A package with the name <a href="/packages/acme/hello">acme/hello</a> already exists. You should update the name property in your composer.json file.',
    );
  });

  it('reports a vendor claimed by someone else', async () => {
    expect((await create({ repository: 'https://github.com/acme/hello' })).status).toBe(202);
    await backedRepo('https://github.com/bob/other', { 'composer.json': JSON.stringify({ name: 'acme/other' }) });
    const response = await create({ repository: 'https://github.com/bob/other' }, fx.bob.mainToken, 'bob');
    await expectRepositoryError(
      response,
      /^The vendor name "acme" was already claimed by someone else on Packagist.org\./,
    );
  });

  it('lets the vendor’s maintainer add another package in it', async () => {
    expect((await create({ repository: 'https://github.com/acme/hello' })).status).toBe(202);
    await backedRepo('https://github.com/acme/other', { 'composer.json': JSON.stringify({ name: 'acme/other' }) });
    expect((await create({ repository: 'https://github.com/acme/other' })).status).toBe(202);
  });

  it('stores the normalised GitHub URL, so update-package matches its usual forms', async () => {
    expect((await create({ repository: 'git@github.com:acme/hello.git' })).status).toBe(202);
    const crawl = await fx.packagist.crawlNow('acme/hello');
    expect(crawl.status).toBe('completed');
    const p2 = await fx.getJson('/p2/acme/hello.json');
    const [latest] = (p2.body as { packages: Record<string, Array<Record<string, unknown>>> }).packages['acme/hello']!;
    expect(latest?.['source']).toEqual({
      url: 'https://github.com/acme/hello.git',
      type: 'git',
      reference: fx.repo.head,
    });
  });

  describe('when a cron delay is configured', () => {
    it('crawls the created package by itself after that delay', async () => {
      await fx.cleanup();
      fx = await startPackagistFixture({ known: false, sandbox: { cronDelayMs: 10 } });
      expect((await create({ repository: 'https://github.com/acme/hello' })).status).toBe(202);
      await fx.packagist.idle();
      const p2 = await fx.getJson('/p2/acme/hello.json');
      const versions = (p2.body as { packages: Record<string, unknown[]> }).packages['acme/hello'];
      expect(versions).toHaveLength(1);
    });
  });
});
