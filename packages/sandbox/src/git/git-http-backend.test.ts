import { gitEnv } from '@phpublish/testing/git';
import { createPhpPackageRepo, type PhpPackageRepo } from '@phpublish/testing/php-package-repo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxGitHttpBackend, startSandboxGitHttpBackend } from './git-http-backend.js';

let repo: PhpPackageRepo;
let server: SandboxGitHttpBackend;

beforeAll(async () => {
  repo = await createPhpPackageRepo({ name: 'acme/hello', tags: ['v1.0.0'] });
  server = await startSandboxGitHttpBackend({ env: gitEnv() });
  server.addRepository('/acme/hello.git', repo.dir);
});
afterAll(async () => {
  await server.close();
  await repo.cleanup();
});

const advertisement = () => fetch(`${server.url}/acme/hello.git/info/refs?service=git-upload-pack`);

describe('when a test arms a fault at the git http-backend (the fault API every stand-in has)', () => {
  it('answers matching requests with it, and serves git’s own answer once the faults are cleared', async () => {
    server.injectFault({ method: 'GET', path: /\/info\/refs$/, times: 2, fault: { status: 503, body: 'busy' } });
    const faulted = await advertisement();
    expect([faulted.status, await faulted.text()]).toEqual([503, 'busy']);

    server.clearFaults();
    const cleared = await advertisement();
    expect(cleared.status).toBe(200);
    expect(cleared.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
    expect(await cleared.text()).toContain('refs/tags/v1.0.0');

    // A fault that needs the real answer: half of it, then the connection closed.
    server.injectFault({ path: /\/info\/refs$/, fault: { truncate: true } });
    await expect(advertisement().then((r) => r.text())).rejects.toThrow();
  });
});
