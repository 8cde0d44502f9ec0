import { sandboxAudit, secretsInRequestUrls } from '@phpublish/sandbox';
import { afterAll, expect } from 'vitest';

// After every test file: no token the sandbox issued ever appeared in the URL of a request it
// received, whatever the test was about. (Tokens belong in the Authorization header only.)
afterAll(() => {
  const leaks = secretsInRequestUrls().map(({ url }) => url.replace(/[0-9a-f]{40}/gi, '<token>'));
  expect(leaks, 'request URLs that carried a token').toEqual([]);
  sandboxAudit.requestUrls.length = 0;
});
