import type { Readable } from 'node:stream';
import { PhpublishError } from '../errors/index.js';
import { formatByteSize, parseByteSize } from './byte-size.js';

/**
 * The kinds of remote answers phpublish reads, each with its own size limit: an answer larger than
 * its kind can legitimately be is refused as soon as that is known, not downloaded (or retried).
 */
export const ANSWER_KINDS = ['metadata', 'api', 'bundle', 'dist'] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];
export type AnswerLimits = Record<AnswerKind, number>;

const MiB = 1024 * 1024;

/**
 * Generous for what each kind really is: the p2 metadata of the packages with the most versions is
 * a few MiB; GitHub's and GitLab's JSON answers (a release with its assets, a page of attestations)
 * well under one; a Sigstore bundle a few KiB; dist zips rarely exceed a hundred MiB.
 */
export const DEFAULT_ANSWER_LIMITS: Readonly<AnswerLimits> = {
  metadata: 32 * MiB,
  api: 16 * MiB,
  bundle: 16 * MiB,
  dist: 512 * MiB,
};

/** What each kind is, for messages. */
export const ANSWER_KIND_TITLES: Readonly<Record<AnswerKind, string>> = {
  metadata: 'package metadata',
  api: 'API answers',
  bundle: 'attestation bundles',
  dist: 'dist archives',
};

export function answerLimit(limits: Partial<AnswerLimits> | undefined, kind: AnswerKind): number {
  return limits?.[kind] ?? DEFAULT_ANSWER_LIMITS[kind];
}

/**
 * Limits as the command line sets them: `<kind>=<size>` pairs separated by commas
 * (`metadata=64MiB,dist=1GiB`); a later pair of the same kind wins. A problem in words otherwise.
 */
export function parseAnswerLimits(text: string): { limits: Partial<AnswerLimits> } | { problem: string } {
  const limits: Partial<AnswerLimits> = {};
  for (const setting of text.split(',').map((part) => part.trim())) {
    const [kind, size, ...rest] = setting.split('=');
    if (!ANSWER_KINDS.includes(kind as AnswerKind) || size === undefined || rest.length > 0) {
      return { problem: `"${setting}" is not <kind>=<size> with a kind among ${ANSWER_KINDS.join(', ')}` };
    }
    const bytes = parseByteSize(size);
    if (bytes === undefined) return { problem: `"${size}" is not a size (e.g. 64MiB, 1GiB, 500MB)` };
    limits[kind as AnswerKind] = bytes;
  }
  return { limits };
}

/** A URL as messages show it: without credentials, query or fragment (pre-signed URLs carry secrets there). */
export function publicUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return '(an invalid URL)';
  }
}

/**
 * Holds one answer to its kind's limit: refuses at once an answer whose Content-Length is too large,
 * and counts the bytes as they arrive, since a server can leave the header out or lie in it.
 * Both throw REMOTE_ANSWER_TOO_LARGE, which no retry loop repeats.
 */
export class AnswerMeter {
  readonly #url: string;
  readonly #kind: AnswerKind;
  readonly #limit: number;
  #received = 0;

  constructor(url: string, kind: AnswerKind, limits: Partial<AnswerLimits> | undefined) {
    this.#url = url;
    this.#kind = kind;
    this.#limit = answerLimit(limits, kind);
  }

  checkDeclared(headers: Record<string, string | string[] | undefined>): void {
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.#limit) throw this.#tooLarge(declared);
  }

  add(bytes: number): void {
    this.#received += bytes;
    if (this.#received > this.#limit) throw this.#tooLarge();
  }

  #tooLarge(declared?: number): PhpublishError {
    return new PhpublishError('REMOTE_ANSWER_TOO_LARGE', {
      url: publicUrl(this.#url),
      kind: this.#kind,
      kindTitle: ANSWER_KIND_TITLES[this.#kind],
      limit: formatByteSize(this.#limit),
      ...(declared === undefined ? {} : { declared: formatByteSize(declared) }),
    });
  }
}

/**
 * Stops reading an answer's body: its connection is closed rather than drained. undici reports
 * that as an abort on the body, which is expected here and must not go unhandled.
 */
export function abandonBody(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}
