import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseJsonAnswer } from './json-answer.js';
import { publicUrl } from './limits.js';

// What a remote service answered, and where, as error messages show it.

describe('when a message names a URL', () => {
  it('drops credentials, query and fragment, where pre-signed URLs carry their secrets', () => {
    const shown = publicUrl('https://user:s3cr3t-pass@objects.example.test/dist/acme.zip?X-Signature=abc123token#frag');
    expect(shown).toBe('https://objects.example.test/dist/acme.zip');
    expect(shown).not.toMatch(/s3cr3t|abc123token|user|frag/);
  });

  it('never echoes a URL it cannot parse, which may hold a token anywhere', () => {
    const shown = publicUrl('http://[not-a-host/?token=abc123token');
    expect(shown).toBe('(an invalid URL)');
  });
});

describe('when a service answers with the wrong shape', () => {
  const schema = z.object({ name: z.string(), version: z.string(), assets: z.array(z.object({ url: z.string() })) });

  it('says the answer is not JSON when it is not', () => {
    expect(parseJsonAnswer('<html>Bad gateway</html>', schema)).toEqual({ problem: 'the answer is not JSON' });
  });

  it('names the first three wrong fields by their paths, and counts the rest', () => {
    const answer = JSON.stringify({ name: 1, version: 2, assets: [{ url: 3 }, { url: 4 }, {}] });
    const result = parseJsonAnswer(answer, schema);
    expect(result).toHaveProperty('problem');
    const { problem } = result as { problem: string };
    expect(problem).toMatch(/^name: [^;]+; version: [^;]+; assets\[0\]\.url: [^;]+; and 2 more$/);
  });

  it('describes a wrong top-level value without a path', () => {
    const { problem } = parseJsonAnswer('[]', schema) as { problem: string };
    expect(problem).toMatch(/^Invalid input: expected object, received array$/);
  });
});
