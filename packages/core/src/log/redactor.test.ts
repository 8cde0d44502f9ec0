import { describe, expect, it } from 'vitest';
import { memoryLogger, redactingLogger } from './logger.js';
import { REDACTED, Redactor } from './redactor.js';

const TOKEN = '0123456789abcdef0123456789abcdef01234567';

describe('Redactor', () => {
  describe('when a secret was registered', () => {
    it('removes it, and its URL-encoded and base64 forms, from any text', () => {
      const redactor = new Redactor();
      redactor.add('p@ss word/with+chars');
      redactor.add(TOKEN);
      const text = `a ${TOKEN} b ${encodeURIComponent('p@ss word/with+chars')} c ${Buffer.from(TOKEN).toString('base64')} d p@ss word/with+chars`;
      const out = redactor.redact(text);
      expect(out).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED} d ${REDACTED}`);
    });

    it('ignores values too short to be secrets, so ordinary words survive', () => {
      const redactor = new Redactor();
      redactor.add('abc');
      redactor.add(undefined);
      expect(redactor.redact('abc def')).toBe('abc def');
      expect(redactor.size).toBe(0);
    });
  });

  describe('when a URL carries credentials nobody registered', () => {
    it('removes the user-info part anyway', () => {
      const out = new Redactor().redact(
        'pushing to https://x-access-token:ghs_abcdefghijklmnop@github.com/acme/hello.git now',
      );
      expect(out).toBe(`pushing to https://${REDACTED}@github.com/acme/hello.git now`);
      expect(out).not.toContain('ghs_');
    });
  });

  describe('redactingLogger', () => {
    it('passes every level through the redactor', () => {
      const inner = memoryLogger();
      const redactor = new Redactor();
      redactor.add(TOKEN);
      const logger = redactingLogger(inner, redactor);
      logger.info(`i ${TOKEN}`);
      logger.warn(`w ${TOKEN}`);
      logger.error(`e ${TOKEN}`);
      logger.success(`s ${TOKEN}`);
      expect(inner.lines).toEqual([
        `info: i ${REDACTED}`,
        `warn: w ${REDACTED}`,
        `error: e ${REDACTED}`,
        `success: s ${REDACTED}`,
      ]);
    });
  });
});
