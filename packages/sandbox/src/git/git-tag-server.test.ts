import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxGitTagServer, startSandboxGitTagServer } from './git-tag-server.js';

let repo: PhpPackageRepo;
let server: SandboxGitTagServer;

beforeAll(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] });
  server = await startSandboxGitTagServer();
  await server.addRepository('/acme/hello.git', repo.dir);
});
afterAll(async () => {
  await server.close();
  await repo.cleanup();
});

const advertisement = () => fetch(`${server.url}/acme/hello.git/info/refs?service=git-upload-pack`);

describe('when a test arms a fault at the git tag server (the fault API every stand-in has)', () => {
  it('answers matching requests with it, as many times as armed, and clearFaults disarms the rest', async () => {
    server.injectFault({ method: 'GET', path: /\/info\/refs$/, times: 2, fault: { status: 503, body: 'busy' } });
    const first = await advertisement();
    expect([first.status, await first.text()]).toEqual([503, 'busy']);

    server.clearFaults();
    const cleared = await advertisement();
    expect(cleared.status).toBe(200);
    expect(await cleared.text()).toContain('version 2');

    server.injectFault({ path: /\/info\/refs$/, fault: { reset: true } });
    await expect(advertisement()).rejects.toThrow();
    expect((await advertisement()).status).toBe(200);
  });
});
