import { describe, expect, it } from 'vitest';
import { catalogue } from './catalogue.js';
import { isPhpublishError, PhpublishAggregateError, PhpublishError, throwProblems } from './phpublish-error.js';

describe('PhpublishError', () => {
  it('carries code, message, remedy, docs link and cause', () => {
    const cause = new Error('socket hang up');
    const error = new PhpublishError(
      'PACKAGIST_UNREACHABLE',
      { url: 'https://packagist.org/api/update-package', reason: 'connection refused', attempts: 4 },
      { cause },
    );
    expect(error.code).toBe('PACKAGIST_UNREACHABLE');
    expect(error.cause).toBe(cause);
    expect(isPhpublishError(error, 'PACKAGIST_UNREACHABLE')).toBe(true);
    expect(isPhpublishError(error, 'PACKAGIST_AUTH_REJECTED')).toBe(false);
    expect(error.format()).toMatchInlineSnapshot(`
      "PACKAGIST_UNREACHABLE: Could not reach https://packagist.org/api/update-package after 4 attempts: connection refused.
        remedy: Check the runner’s network and \`packagist.url\`/\`packagist.repoUrl\`; run the release again when Packagist is reachable — it resumes where it stopped.
        docs: https://github.com/phpublish/phpublish/blob/main/docs/troubleshooting.md#packagist-is-down"
    `);
    expect(error.details).toContain('[the documentation](https://github.com/phpublish/phpublish/blob/main/docs/');
    // Hosts print the message and then the details: the details do not say it again.
    expect(error.details).not.toContain(error.message);
    expect(error.details).toContain(error.remedy);
  });

  it('gives every catalogue entry a title, a docs anchor and a remedy', () => {
    for (const [code, entry] of Object.entries(catalogue)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(entry.title.length).toBeGreaterThan(10);
      expect(entry.docs).toMatch(/^[a-z-]+\.md#[a-z0-9-]+$/);
    }
  });
});

describe('throwProblems', () => {
  it('throws nothing for no problems, the error itself for one, an aggregate for several', () => {
    expect(() => throwProblems([])).not.toThrow();
    const one = new PhpublishError('REPOSITORY_URL_MISSING');
    expect(() => throwProblems([one])).toThrow(one);
    const two = new PhpublishError('PACKAGE_NAME_INVALID', { name: 'Foo' });
    try {
      throwProblems([one, two]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PhpublishAggregateError);
      expect((error as PhpublishAggregateError).errors.map((e) => e.code)).toEqual([
        'REPOSITORY_URL_MISSING',
        'PACKAGE_NAME_INVALID',
      ]);
      expect((error as PhpublishAggregateError).message).toBe(
        '2 problems found: REPOSITORY_URL_MISSING, PACKAGE_NAME_INVALID',
      );
    }
  });
});
