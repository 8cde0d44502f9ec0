import { PhpublishAggregateError, PhpublishError } from '@phpublish/core';
import { describe, expect, it } from 'vitest';
import { SemanticReleaseError, toSemanticReleaseError } from './errors.js';

describe('toSemanticReleaseError', () => {
  describe('when a core error reaches semantic-release', () => {
    it('keeps the code and message, and puts only what the message does not say in the details', () => {
      const original = new PhpublishError('SIGNING_KEY_MISSING');
      const converted = toSemanticReleaseError(original) as SemanticReleaseError;
      expect(converted).toBeInstanceOf(SemanticReleaseError);
      expect(converted).toMatchObject({
        semanticRelease: true,
        code: 'SIGNING_KEY_MISSING',
        message: original.message,
      });
      // semantic-release prints the message, then the details: the message must not be printed twice.
      expect(converted.details).not.toContain(original.message);
      expect(converted.details).toContain(original.remedy);
      expect(converted.details).toContain(`(${original.docsUrl})`);
    });

    it('turns several problems into an AggregateError of semantic-release errors, none repeating its message', () => {
      const problems = [
        new PhpublishError('SIGNING_KEY_MISSING'),
        new PhpublishError('TAG_NOT_FOUND', { tag: 'v1.0.0' }),
      ];
      const converted = toSemanticReleaseError(new PhpublishAggregateError(problems)) as AggregateError;
      expect(converted).toBeInstanceOf(AggregateError);
      expect(converted.errors.map((e: SemanticReleaseError) => e.code)).toEqual([
        'SIGNING_KEY_MISSING',
        'TAG_NOT_FOUND',
      ]);
      for (const [i, e] of (converted.errors as SemanticReleaseError[]).entries()) {
        expect(e.details).not.toContain(problems[i]?.message);
      }
    });
  });

  describe('when the error is not phpublish’s', () => {
    it('passes it through unchanged', () => {
      const error = new TypeError('boom');
      expect(toSemanticReleaseError(error)).toBe(error);
    });
  });
});
