import { describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import {
  hasCredentials,
  PACKAGIST_REPOSITORY_URL_PATTERN,
  repositoryUrlFromEnvironment,
  sameRepository,
  toPublicRepositoryUrl,
} from './repository-url.js';

describe('toPublicRepositoryUrl', () => {
  it.each([
    ['https://github.com/acme/hello', 'https://github.com/acme/hello'],
    ['https://github.com/acme/hello.git', 'https://github.com/acme/hello'],
    ['https://github.com/acme/hello/', 'https://github.com/acme/hello'],
    ['https://x-access-token:ghs_secret123456@github.com/acme/hello.git', 'https://github.com/acme/hello'],
    [
      'https://gitlab-ci-token:glcbt-secret@gitlab.example.com/group/sub/project.git',
      'https://gitlab.example.com/group/sub/project',
    ],
    ['git+https://user:pw@github.com/acme/hello.git', 'https://github.com/acme/hello'],
    ['git@github.com:acme/hello.git', 'https://github.com/acme/hello'],
    ['ssh://git@gitlab.example.com:2222/acme/hello.git', 'https://gitlab.example.com/acme/hello'],
    ['git://github.com/acme/hello', 'https://github.com/acme/hello'],
    ['https://GitHub.com/Acme/Hello', 'https://github.com/Acme/Hello'],
    ['http://127.0.0.1:8080/acme/hello.git', 'http://127.0.0.1:8080/acme/hello'],
    ['https://github.com/acme/hello?x=1#frag', 'https://github.com/acme/hello'],
  ])('turns %s into %s', (input, expected) => {
    const out = toPublicRepositoryUrl(input);
    expect(out).toBe(expected);
    expect(PACKAGIST_REPOSITORY_URL_PATTERN.test(out)).toBe(true);
  });

  it.each(['https://github.com', 'php://filter/acme', 'not a url', 'https://github.com/acme/he llo', ''])(
    'refuses %j with REPOSITORY_URL_INVALID',
    (input) => {
      let caught: unknown;
      try {
        toPublicRepositoryUrl(input);
      } catch (error) {
        caught = error;
      }
      expect(isPhpublishError(caught, 'REPOSITORY_URL_INVALID')).toBe(true);
    },
  );

  it('never repeats credentials in the error it throws', () => {
    let message = '';
    try {
      toPublicRepositoryUrl('https://user:supersecret-token@github.com');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('[redacted]');
    expect(message).not.toContain('supersecret-token');
  });
});

describe('Packagist URL pattern', () => {
  it('rejects URLs with user-info, as Packagist does', () => {
    expect(PACKAGIST_REPOSITORY_URL_PATTERN.test('https://user:token@github.com/acme/hello')).toBe(false);
    expect(PACKAGIST_REPOSITORY_URL_PATTERN.test('git@github.com:acme/hello.git')).toBe(true);
  });
});

describe('sameRepository', () => {
  it('matches like Packagist: case, scheme, port, .git and trailing slash do not matter; www does', () => {
    expect(sameRepository('git@github.com:Foo/Bar.git', 'https://github.com/foo/bar')).toBe(true);
    expect(sameRepository('https://github.com/foo/bar/', 'http://github.com:80/foo/bar.git')).toBe(true);
    expect(sameRepository('https://www.github.com/foo/bar', 'https://github.com/foo/bar')).toBe(false);
  });
});

describe('hasCredentials and repositoryUrlFromEnvironment', () => {
  it('detects embedded credentials', () => {
    expect(hasCredentials('https://x:y@github.com/a/b')).toBe(true);
    expect(hasCredentials('https://github.com/a/b')).toBe(false);
    expect(hasCredentials('ssh://git@github.com/a/b')).toBe(false);
  });

  it('reads GitHub Actions first, then GitLab CI', () => {
    expect(
      repositoryUrlFromEnvironment({
        GITHUB_SERVER_URL: 'https://github.com/',
        GITHUB_REPOSITORY: 'acme/hello',
        CI_PROJECT_URL: 'https://gitlab.com/x/y',
      }),
    ).toBe('https://github.com/acme/hello');
    expect(repositoryUrlFromEnvironment({ CI_PROJECT_URL: 'https://gitlab.com/x/y' })).toBe('https://gitlab.com/x/y');
    expect(repositoryUrlFromEnvironment({})).toBeUndefined();
  });
});
