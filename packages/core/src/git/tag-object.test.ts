import { describe, expect, it } from 'vitest';
import {
  buildTagPayload,
  normalizeTagMessage,
  parseTagObject,
  TagMessageProblem,
  TagObjectProblem,
} from './tag-object.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const OTHER = 'fedcba9876543210fedcba9876543210fedcba98';
const TAGGER = 'Alice <alice@phpublish.invalid> 1767225600 +0000';
const tagObject = (text: string) => Buffer.from(text, 'latin1');

function problemOf(text: string): string {
  try {
    parseTagObject(tagObject(text));
  } catch (error) {
    expect(error).toBeInstanceOf(TagObjectProblem);
    return (error as Error).message;
  }
  throw new Error('the tag object was read');
}

describe('when a tag object from a remote is not one', () => {
  it.each([
    [
      'a header line without a value',
      `object ${COMMIT}\ntype commit\ntag v1.0.0\nnonsense\n\nmsg\n`,
      'malformed header line "nonsense"',
    ],
    ['a header line starting with a space', `object ${COMMIT}\n type commit\n\nmsg\n`, 'malformed header line'],
    ['no object line', `type commit\ntag v1.0.0\n\nmsg\n`, 'no valid "object" line'],
    ['an object that is not an id', `object HEAD\ntype commit\ntag v1.0.0\n\nmsg\n`, 'no valid "object" line'],
    ['no type line', `object ${COMMIT}\ntag v1.0.0\n\nmsg\n`, 'no "type" line'],
    ['no tag line', `object ${COMMIT}\ntype commit\n\nmsg\n`, 'no "tag" line'],
  ])('refuses %s', (_, text, problem) => {
    expect(problemOf(text)).toContain(problem);
  });
});

describe('when a tag object is unusual but valid', () => {
  it('reads the first of two object lines: a later one cannot redirect the tag', () => {
    const parsed = parseTagObject(tagObject(`object ${COMMIT}\nobject ${OTHER}\ntype commit\ntag v1.0.0\n\nmsg\n`));
    expect(parsed.object).toBe(COMMIT);
  });

  it('reads a tag without tagger and without message (headers only)', () => {
    const parsed = parseTagObject(tagObject(`object ${COMMIT}\ntype commit\ntag v1.0.0`));
    expect(parsed.tagger).toBeUndefined();
    expect(parsed.message).toBe('');
    expect(parsed.signature).toBeUndefined();
  });

  it.each([
    ['-----BEGIN PGP SIGNATURE-----', 'openpgp'],
    ['-----BEGIN PGP MESSAGE-----', 'openpgp'],
    ['-----BEGIN SSH SIGNATURE-----', 'ssh'],
    ['-----BEGIN SIGNED MESSAGE-----', 'x509'],
  ])('tells a signature starting with %s as %s', (begin, format) => {
    const parsed = parseTagObject(
      tagObject(`object ${COMMIT}\ntype commit\ntag v1.0.0\ntagger ${TAGGER}\n\nmsg\n${begin}\nAAAA\n`),
    );
    expect(parsed.signatureFormat).toBe(format);
    expect(parsed.payload.toString('latin1')).toMatch(/\n\nmsg\n$/);
  });

  it('takes the last signature block as the signature; an earlier one is part of the signed message', () => {
    const text = `object ${COMMIT}\ntype commit\ntag v1.0.0\n\nmsg\n-----BEGIN PGP SIGNATURE-----\nfake\n-----END PGP SIGNATURE-----\n-----BEGIN PGP SIGNATURE-----\nreal\n`;
    const parsed = parseTagObject(tagObject(text));
    expect(parsed.signature).toBe('-----BEGIN PGP SIGNATURE-----\nreal\n');
    expect(parsed.message).toContain('fake');
  });
});

describe('when building the bytes phpublish signs', () => {
  it('refuses a tag name or tagger with a line break, which would add a header line', () => {
    const input = { object: COMMIT, tag: 'v1.0.0', tagger: TAGGER, message: 'Release 1.0.0' };
    expect(() => buildTagPayload({ ...input, tag: `v1.0.0\nobject ${OTHER}` })).toThrow('one line each');
    expect(() => buildTagPayload({ ...input, tagger: `${TAGGER}\ntype tree` })).toThrow('one line each');
    expect(() => buildTagPayload({ ...input, object: 'HEAD' })).toThrow('not an object id: HEAD');
    expect(buildTagPayload({ ...input, type: 'tree' }).toString('utf8')).toContain('\ntype tree\n');
  });

  it('refuses a message git would take for a signature, or that is empty', () => {
    expect(() => normalizeTagMessage('Release\n-----BEGIN SSH SIGNATURE-----\n')).toThrow(TagMessageProblem);
    expect(() => normalizeTagMessage(' \n\t\n')).toThrow('it is empty');
    expect(normalizeTagMessage('Release 1.0.0  \n\n')).toBe('Release 1.0.0\n');
  });
});
