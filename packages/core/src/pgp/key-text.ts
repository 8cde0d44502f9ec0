/**
 * Key text as it arrives through CI secrets, variables and files, made readable: CI systems and
 * editors add byte order marks and indentation, escape line breaks, and people base64-encode
 * armored keys to get them through one-line secret fields. What can be undone safely is undone
 * and said in a notice; what cannot is described, never reported as a bare "malformed".
 */

export interface KeyText {
  /** The text to parse: armor with plain `\n` line breaks and no indentation. */
  text: string;
  /** What was undone, for the log (no key material in them). */
  notices: string[];
  /** Why the text cannot be an armored OpenPGP key, as a clause for SIGNING_KEY_MALFORMED. */
  problem?: string;
}

const BEGIN_LINE = /-----BEGIN PGP [A-Z ,/0-9]+-----/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// Shorter than any OpenPGP key in base64; keeps short words and hex from being taken for base64.
const MIN_BASE64_KEY = 64;

/** Undoes the usual damage done to armored key text; `source` names it in notices. */
export function readKeyText(raw: string, source: string): KeyText {
  const notices: string[] = [];
  let text = raw;
  const begin = text.search(BEGIN_LINE);
  if (text.slice(0, begin === -1 ? undefined : begin).includes('\uFEFF')) {
    notices.push(`${source} starts with a byte order mark (U+FEFF), which was ignored`);
  }
  // Leading whitespace hides the armor from openpgp.js; trailing whitespace is kept as one line
  // break, so that a well-formed armor comes out exactly as it went in.
  text = text
    .replace(/\uFEFF/g, '')
    .replace(/^\s+/, '')
    .replace(/\s+$/, '\n');

  if (!text.trimEnd().includes('\n') && /\\n/.test(text)) {
    text = text.replace(/\\r\\n|\\n/g, '\n');
    notices.push(`${source} has its line breaks written as "\\n" (an escaped string); they were read as line breaks`);
  }

  if (!BEGIN_LINE.test(text)) {
    const decoded = decodeBase64(text);
    if (decoded) {
      const inner = decoded.toString('utf8');
      if (BEGIN_LINE.test(inner)) {
        const read = readKeyText(inner, source);
        return { ...read, notices: [...notices, `${source} is base64-encoded armor; it was decoded`, ...read.notices] };
      }
      const problem = isOpenPgpPacket(decoded)
        ? 'it is base64-encoded binary OpenPGP data (a key exported without --armor); store the armored export instead, or the base64 encoding of it'
        : 'it looks base64-encoded, but what it encodes is not an armored OpenPGP key';
      return { text, notices, problem };
    }
    if (looksBinary(text)) {
      return { text, notices, problem: 'it is binary data, not ASCII armor (a key exported without --armor)' };
    }
    return { text, notices };
  }

  // Indentation (YAML block scalars) and trailing spaces mean nothing in armor; header values such
  // as `Comment:` keep their inner spaces.
  text = text
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .join('\n');
  const firstLine = text.split('\n', 1)[0]!;
  if (/-----END PGP /.test(firstLine)) {
    return {
      text,
      notices,
      problem:
        'its line breaks are missing (the whole armor is on one line); store it with its line breaks, or base64-encode it',
    };
  }
  return { text, notices };
}

/** The armored blocks in a text: how many BEGIN lines it has. */
export function countArmorBlocks(text: string): number {
  return text.match(new RegExp(`^${BEGIN_LINE.source}$`, 'gm'))?.length ?? 0;
}

function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length < MIN_BASE64_KEY || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/** Control characters or U+FFFD (bytes that were not UTF-8): binary data read as text. */
function looksBinary(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 9 || (code > 13 && code < 32) || code === 0xfffd) return true;
  }
  return false;
}

/** Whether bytes start like an OpenPGP packet (RFC 9580 §4.2: the first octet has bit 7 set). */
function isOpenPgpPacket(bytes: Uint8Array): boolean {
  return bytes.length > 2 && (bytes[0]! & 0x80) !== 0;
}
