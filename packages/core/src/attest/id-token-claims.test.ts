import { gitHubActionsClaims } from '@phpublish/sandbox';
import { describe, expect, it } from 'vitest';
import type { PhpublishError } from '../errors/index.js';
import { Redactor } from '../log/index.js';
import { readIdentityToken } from './id-token.js';

const NOW = Date.UTC(2026, 0, 1);
const ISSUER = 'https://token.actions.githubusercontent.com';
const HEADER = 'eyJhbGciOiJSUzI1NiJ9';
const SIGNATURE = 'c2lnbmF0dXJlLXBhcnQtb2YtdGhlLXRva2Vu';
const jwt = (claimsPart: string) => `${HEADER}.${claimsPart}.${SIGNATURE}`;
const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The problem readIdentityToken names for a GitHub token, and the redactor it registered the token with. */
function problemOf(token: string): { message: string; redactor: Redactor } {
  const redactor = new Redactor();
  try {
    readIdentityToken('github-actions', token, { redactor, nowMs: NOW });
  } catch (error) {
    expect((error as PhpublishError).code).toBe('ATTEST_ID_TOKEN_INVALID');
    return { message: (error as PhpublishError).message, redactor };
  }
  throw new Error('the token was read');
}

describe('when the ID token’s claims cannot be used', () => {
  it.each([
    [
      'claims that are not JSON',
      jwt(Buffer.from('{"aud": "sigstore",').toString('base64url')),
      'its claims are not JSON',
    ],
    ['claims that are a JSON string', jwt(encoded('sigstore')), 'its claims are not a JSON object'],
    ['claims that are JSON null', jwt(encoded(null)), 'its claims are not a JSON object'],
    [
      'an audience list without sigstore',
      jwt(encoded({ aud: ['gitlab', 'packagist'] })),
      'its audience is ["gitlab","packagist"]',
    ],
  ])('refuses %s, naming the problem', (_, token, problem) => {
    expect(problemOf(token).message).toContain(problem);
  });

  it('names every missing claim, in the plural only when there are several', () => {
    const full = gitHubActionsClaims({ repository: 'acme/hello' }) as Record<string, unknown>;
    const withoutOne = { ...full, aud: 'sigstore', iss: ISSUER };
    delete withoutOne['job_workflow_ref'];
    expect(problemOf(jwt(encoded(withoutOne))).message).toContain('it lacks the claim job_workflow_ref');
    const withoutTwo = { ...withoutOne };
    delete withoutTwo['sha'];
    expect(problemOf(jwt(encoded(withoutTwo))).message).toMatch(/it lacks the claims .*job_workflow_ref/);
  });

  it('accepts an audience list that includes sigstore', () => {
    const claims = {
      ...(gitHubActionsClaims({ repository: 'acme/hello' }) as Record<string, unknown>),
      aud: ['x', 'sigstore'],
      iss: ISSUER,
    };
    const identity = readIdentityToken('github-actions', jwt(encoded(claims)), {
      redactor: new Redactor(),
      nowMs: NOW,
    });
    expect(identity.claims['repository']).toBe('acme/hello');
  });

  it('registers the token and its signature as secrets before refusing it', () => {
    const token = jwt(Buffer.from('{"aud": ').toString('base64url'));
    const { message, redactor } = problemOf(token);
    expect(message).not.toContain(SIGNATURE);
    expect(redactor.redact(`a ${token} b ${SIGNATURE}`)).toBe('a [redacted] b [redacted]');
  });
});
