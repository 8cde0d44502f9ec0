/**
 * PHP's json_encode, because the byte-level shape of a response is part of what a client meets: Symfony's
 * JsonResponse escapes `/`, `<`, `>`, `&`, `'`, `"` and every non-ASCII character, while Packagist's metadata
 * dumps leave slashes and Unicode as they are. A client that only works with one of them is caught here.
 */
export interface PhpJsonFlags {
  /** Without JSON_UNESCAPED_SLASHES: `/` → `\/`. */
  readonly escapeSlashes: boolean;
  /** Without JSON_UNESCAPED_UNICODE: non-ASCII → `\uxxxx` (lowercase hex, UTF-16 units). */
  readonly escapeUnicode: boolean;
  /** JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT: `<>&'"` → `\u003C` etc. (uppercase hex). */
  readonly hexSpecials: boolean;
}

/** Symfony's JsonResponse default (JSON_HEX_TAG | JSON_HEX_APOS | JSON_HEX_AMP | JSON_HEX_QUOT). */
export const SYMFONY_JSON_RESPONSE: PhpJsonFlags = { escapeSlashes: true, escapeUnicode: true, hexSpecials: true };

/** Packagist's metadata dumper (JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE). */
export const PACKAGIST_METADATA_DUMP: PhpJsonFlags = { escapeSlashes: false, escapeUnicode: false, hexSpecials: false };

const SHORT_ESCAPES: Record<string, string> = {
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\\': '\\\\',
};

const HEX_SPECIALS: Record<string, string> = {
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  "'": '\\u0027',
  '"': '\\u0022',
};

const lowerHex = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;

function encodeString(value: string, flags: PhpJsonFlags): string {
  let out = '"';
  for (const char of value) {
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) {
      out += short;
    } else if (flags.hexSpecials && HEX_SPECIALS[char] !== undefined) {
      out += HEX_SPECIALS[char];
    } else if (char === '"') {
      out += '\\"';
    } else if (char === '/') {
      out += flags.escapeSlashes ? '\\/' : '/';
    } else {
      const code = char.codePointAt(0)!;
      if (code < 0x20) {
        out += lowerHex(code);
      } else if (code >= 0x80 && flags.escapeUnicode) {
        for (let i = 0; i < char.length; i++) out += lowerHex(char.charCodeAt(i));
      } else if (code === 0x2028 || code === 0x2029) {
        // PHP escapes the JavaScript line terminators even with JSON_UNESCAPED_UNICODE.
        out += lowerHex(code);
      } else {
        out += char;
      }
    }
  }
  return `${out}"`;
}

/**
 * A number as PHP prints it: whole numbers that fit in an int as integers (that is what json_decode made of
 * them), others with serialize_precision -1, which goes exponential (`1.0e+25`, `1.5e-7`) sooner than
 * JavaScript does.
 */
function encodeNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError('Inf and NaN cannot be JSON encoded');
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 63) return BigInt(value).toString();
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number.parseInt(exponentText, 10);
  const decimalPoint = exponent + 1;
  if (decimalPoint < -3 || decimalPoint > 17) {
    const withFraction = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
    return `${withFraction}e${exponent < 0 ? '-' : '+'}${Math.abs(exponent)}`;
  }
  return String(value);
}

/** Encodes like PHP's json_encode with the given flags. Plain objects keep their key order. */
export function phpJsonEncode(value: unknown, flags: PhpJsonFlags): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return encodeNumber(value);
  if (typeof value === 'string') return encodeString(value, flags);
  if (Array.isArray(value)) return `[${value.map((item) => phpJsonEncode(item, flags)).join(',')}]`;
  if (typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => `${encodeString(key, flags)}:${phpJsonEncode(item, flags)}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`cannot JSON encode a ${typeof value}`);
}

/**
 * What a JSON document looks like after PHP decoded it into arrays (`json_decode($json, true)`) and encoded it
 * again: `{}` becomes `[]`, and an object whose keys are exactly "0", "1", … becomes a list.
 */
export function asPhpArrays(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asPhpArrays);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.every(([key], index) => key === String(index))) return entries.map(([, item]) => asPhpArrays(item));
  return Object.fromEntries(entries.map(([key, item]) => [key, asPhpArrays(item)]));
}
