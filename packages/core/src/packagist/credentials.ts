import { PhpublishError } from '../errors/index.js';

export interface PackagistCredentials {
  username: string;
  token: string;
}

/** Packagist API tokens (main and SAFE) are 40 hexadecimal characters. */
const TOKEN_PATTERN = /^[0-9a-f]{40}$/i;

/** Reads PACKAGIST_USERNAME / PACKAGIST_API_TOKEN. Empty values count as unset. */
export function readPackagistCredentials(env: Record<string, string | undefined>): {
  username?: string;
  token?: string;
} {
  const username = env['PACKAGIST_USERNAME']?.trim() || undefined;
  const token = env['PACKAGIST_API_TOKEN']?.trim() || undefined;
  return { username, token };
}

/** Problems with credentials that are present; never includes the token's value. */
export function checkPackagistCredentials(credentials: { username?: string; token?: string }): PhpublishError[] {
  const problems: PhpublishError[] = [];
  const { username, token } = credentials;
  if (username !== undefined && (/[\s:]/.test(username) || username.length > 100)) {
    problems.push(
      new PhpublishError('PACKAGIST_USERNAME_MALFORMED', { problem: 'it contains a space, a colon or is too long' }),
    );
  }
  if (token !== undefined && !TOKEN_PATTERN.test(token)) {
    const looksLikeGitHub = /^(gh[pousr]_|github_pat_)/.test(token);
    problems.push(
      new PhpublishError('PACKAGIST_TOKEN_MALFORMED', {
        problem: looksLikeGitHub
          ? 'it looks like a GitHub token'
          : `it has ${token.length} characters and Packagist tokens are 40 hexadecimal characters`,
      }),
    );
  }
  return problems;
}
