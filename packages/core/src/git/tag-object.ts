/**
 * The bytes of a git tag object, built and parsed exactly as git does (builtin/tag.c,
 * gpg-interface.c). Pure: no git process, no keys.
 *
 *   object <hex>\ntype commit\ntag <name>\ntagger <ident>\n\n<message>\n<signature>
 *
 * The signed bytes are everything before the signature: the headers, the blank line and the
 * message including its final newline.
 */

export interface TagPayloadInput {
  /** The object id the tag points at (a commit, for releases). */
  object: string;
  type?: 'commit' | 'tree' | 'blob' | 'tag';
  tag: string;
  /** `Name <email> <unix-seconds> <+hhmm>`, as `git var GIT_COMMITTER_IDENT` prints it. */
  tagger: string;
  message: string;
}

// git looks for any of these at the start of a line; the last such line starts the signature.
const SIGNATURE_BEGINS = [
  '-----BEGIN PGP SIGNATURE-----',
  '-----BEGIN PGP MESSAGE-----',
  '-----BEGIN SIGNED MESSAGE-----',
  '-----BEGIN SSH SIGNATURE-----',
];
const PGP_SIGNATURE_BEGINS = SIGNATURE_BEGINS.slice(0, 2);

/**
 * The message as it will be stored: trailing whitespace removed and one final newline. Throws a
 * description of the problem when it cannot be a tag message (empty, or with a line git would
 * take for the start of a signature).
 */
export function normalizeTagMessage(message: string): string {
  const trimmed = message.replace(/\s+$/, '');
  if (trimmed.trim() === '') throw new TagMessageProblem('it is empty');
  const marker = trimmed.split('\n').find((line) => SIGNATURE_BEGINS.some((begin) => line.startsWith(begin)));
  if (marker) throw new TagMessageProblem(`it contains the line "${marker}", which git would take for a signature`);
  return `${trimmed}\n`;
}

export class TagMessageProblem extends Error {
  override name = 'TagMessageProblem';
}

/** The bytes git signs for an annotated tag. */
export function buildTagPayload(input: TagPayloadInput): Buffer {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(input.object)) throw new Error(`not an object id: ${input.object}`);
  if (/[\n\0]/.test(input.tag) || /[\n\0]/.test(input.tagger)) throw new Error('tag name and tagger are one line each');
  const header = `object ${input.object}\ntype ${input.type ?? 'commit'}\ntag ${input.tag}\ntagger ${input.tagger}\n\n`;
  return Buffer.from(header + normalizeTagMessage(input.message), 'utf8');
}

/** A tag object, taken apart. `payload` and `signature` are exact byte ranges of `raw`. */
export interface TagObject {
  raw: Buffer;
  object: string;
  type: string;
  tag: string;
  tagger?: string;
  /** The message (decoded as UTF-8), without the signature. */
  message: string;
  /** The signed bytes: everything before the signature (all of `raw` when unsigned). */
  payload: Buffer;
  /** The signature block as text, or undefined when the tag is not signed. */
  signature?: string;
  /** `openpgp`, or the other format git knows (`ssh`, `x509`) when the tag is signed otherwise. */
  signatureFormat?: 'openpgp' | 'ssh' | 'x509';
}

export class TagObjectProblem extends Error {
  override name = 'TagObjectProblem';
}

/** Takes a tag object apart the way git does. Throws TagObjectProblem when it is not one. */
export function parseTagObject(raw: Buffer): TagObject {
  const split = signatureOffset(raw);
  const payload = raw.subarray(0, split);
  const signatureBytes = raw.subarray(split);
  const headerEnd = payload.indexOf('\n\n');
  const headerText = (headerEnd === -1 ? payload : payload.subarray(0, headerEnd)).toString('latin1');
  const headers = new Map<string, string>();
  for (const line of headerText.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) throw new TagObjectProblem(`malformed header line "${line.slice(0, 60)}"`);
    const name = line.slice(0, space);
    if (!headers.has(name)) headers.set(name, line.slice(space + 1));
  }
  const object = headers.get('object');
  const type = headers.get('type');
  const tag = headers.get('tag');
  if (!object || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(object)) throw new TagObjectProblem('no valid "object" line');
  if (!type) throw new TagObjectProblem('no "type" line');
  if (tag === undefined) throw new TagObjectProblem('no "tag" line');
  const tagger = headers.get('tagger');
  const message = headerEnd === -1 ? '' : payload.subarray(headerEnd + 2).toString('utf8');
  const result: TagObject = { raw, object, type, tag, message, payload, ...(tagger === undefined ? {} : { tagger }) };
  if (signatureBytes.length === 0) return result;
  const signature = signatureBytes.toString('latin1');
  const format = PGP_SIGNATURE_BEGINS.some((b) => signature.startsWith(b))
    ? 'openpgp'
    : signature.startsWith('-----BEGIN SSH')
      ? 'ssh'
      : 'x509';
  return { ...result, signature, signatureFormat: format };
}

const SIGNATURE_BEGIN_BYTES = SIGNATURE_BEGINS.map((begin) => Buffer.from(begin, 'latin1'));

function startsWithAt(raw: Buffer, prefix: Buffer, offset: number): boolean {
  return (
    raw.length - offset >= prefix.length && raw.compare(prefix, 0, prefix.length, offset, offset + prefix.length) === 0
  );
}

/** Offset of the last line that starts a signature (git's parse_signed_buffer), or the length. */
function signatureOffset(raw: Buffer): number {
  let match = raw.length;
  let offset = 0;
  while (offset < raw.length) {
    if (SIGNATURE_BEGIN_BYTES.some((begin) => startsWithAt(raw, begin, offset))) match = offset;
    const eol = raw.indexOf(0x0a, offset);
    offset = eol === -1 ? raw.length : eol + 1;
  }
  return match;
}
