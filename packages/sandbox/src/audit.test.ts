import { describe, expect, it } from 'vitest';
import { sandboxAudit, secretsInRequestUrls } from './audit.js';
import { receivedRequests } from './http/request-log.js';
import { startSandboxPackagist } from './index.js';

describe('sandboxAudit', () => {
  it('finds a token a client put in a URL', async () => {
    const packagist = await startSandboxPackagist();
    try {
      const { safeToken } = packagist.addUser({ username: 'leaky' });
      await fetch(`${packagist.url}/api/update-package?username=leaky&apiToken=${safeToken}`, { method: 'POST' });
      expect(secretsInRequestUrls().map((l) => l.secret)).toEqual([safeToken]);
    } finally {
      await packagist.close();
      // This leak was on purpose: keep it out of the suite-wide check.
      sandboxAudit.requestUrls.length = 0;
      receivedRequests.length = 0; // and out of the suite's leak scan
    }
  });
});
