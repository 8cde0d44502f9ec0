/** Text that replaces a secret wherever it would have appeared. */
export const REDACTED = '[redacted]';

// Credentials in URLs (`https://user:token@host/…`) are removed whether or not we were told about
// them: a release tool's repository URL may carry a git token we never saw as a secret.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;

/**
 * Knows every secret of this run and removes them from text. Secrets are registered once, as early
 * as they are read; everything that is printed, thrown or written passes through `redact`.
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  /** Registers a secret (and the forms it travels in: URL-encoded, base64). Short values are refused. */
  add(secret: string | undefined): void {
    if (secret === undefined) return;
    const value = secret.trim();
    // Redacting very short strings would garble ordinary text and protects nothing.
    if (value.length < 6) return;
    this.#secrets.add(value);
    this.#secrets.add(encodeURIComponent(value));
    this.#secrets.add(Buffer.from(value).toString('base64'));
  }

  get size(): number {
    return this.#secrets.size;
  }

  redact(text: string): string {
    let out = text.replace(URL_USERINFO, (_match, scheme: string) => `${scheme}${REDACTED}@`);
    // Longest first, so a secret that contains another is removed whole.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }
}
