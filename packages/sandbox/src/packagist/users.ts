import { randomBytes, timingSafeEqual } from 'node:crypto';
import { formFields, headerValue, lastParam, type SandboxRequest } from '../http/exchange.js';

export interface SandboxUser {
  readonly username: string;
  readonly mainToken: string;
  readonly safeToken: string;
  /** Disabled or frozen accounts fail every token check. */
  readonly active: boolean;
}

/** Which tokens an endpoint accepts: ApiType::Safe takes MAIN or SAFE, ApiType::Unsafe only MAIN. */
export type TokenScope = 'safe' | 'unsafe';

/** Packagist tokens: 40 lowercase hex characters from a CSPRNG. */
export function newApiToken(): string {
  return randomBytes(20).toString('hex');
}

const sameSecret = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** PHP's truthiness for a string: `''` and `'0'` are false. */
const phpTruthy = (value: string | undefined): value is string => value !== undefined && value !== '' && value !== '0';

export class UserDirectory {
  readonly #users = new Map<string, SandboxUser>();

  add(user: SandboxUser): void {
    const key = canonicalUsername(user.username);
    if (this.#users.has(key)) throw new Error(`sandbox Packagist: user ${user.username} already exists`);
    this.#users.set(key, user);
  }

  /** By username, compared like Packagist's database does (case-insensitively). */
  byUsername(username: string): SandboxUser | undefined {
    return this.#users.get(canonicalUsername(username));
  }

  /** Every token the sandbox has issued, so that logs can be scrubbed of them. */
  allTokens(): string[] {
    return [...this.#users.values()].flatMap((user) => [user.mainToken, user.safeToken]);
  }

  /**
   * ApiController::findUser: form fields, else query parameters, and an `Authorization: Bearer user:token`
   * header overrides both (a Bearer value without `:` is ignored). Never a JSON body.
   */
  findUser(request: SandboxRequest, scope: TokenScope): SandboxUser | undefined {
    const form = formFields(request);
    let username = form.has('username') ? lastParam(form, 'username') : lastParam(request.query, 'username');
    let apiToken = form.has('apiToken') ? lastParam(form, 'apiToken') : lastParam(request.query, 'apiToken');

    const bearer = bearerCredentials(request);
    if (bearer) {
      username = bearer.username;
      apiToken = bearer.token;
    }

    if (!phpTruthy(apiToken) || !phpTruthy(username)) return undefined;
    const user = this.byUsername(username);
    if (!user?.active) return undefined;
    const accepted = scope === 'safe' ? [user.mainToken, user.safeToken] : [user.mainToken];
    return accepted.some((token) => sameSecret(token, apiToken)) ? user : undefined;
  }
}

/** `Authorization: Bearer <username>:<token>`; a Bearer value without `:` is ignored, as Packagist does. */
export function bearerCredentials(request: SandboxRequest): { username: string; token: string } | undefined {
  const authorization = headerValue(request, 'authorization');
  if (!authorization?.startsWith('Bearer ')) return undefined;
  const credentials = authorization.slice('Bearer '.length);
  const colon = credentials.indexOf(':');
  if (colon === -1) return undefined;
  return { username: credentials.slice(0, colon), token: credentials.slice(colon + 1) };
}

/** FOSUserBundle's canonical form, and the database's case-insensitive comparison. */
export function canonicalUsername(username: string): string {
  return username.toLowerCase();
}
