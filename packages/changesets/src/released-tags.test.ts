import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeOf } from '@phpublish/testing/errors';
import { describe, expect, it } from 'vitest';
import { packageNameOfTag, parseChangesetsOutput, readChangesetsOutputFile } from './released-tags.js';

describe('when changesets 3 wrote NDJSON events', () => {
  it('reads the git-tag events, each tag once, and ignores other event types', () => {
    const text = [
      '{"type":"git-tag","tag":"v1.2.0","packageName":"hello"}',
      '{"type":"publish","packageName":"widget","version":"2.0.0"}',
      '',
      '{"type":"git-tag","tag":"@acme/widget@2.0.0","packageName":"@acme/widget"}',
      '{"type":"git-tag","tag":"v1.2.0","packageName":"hello"}',
    ].join('\n');
    expect(parseChangesetsOutput(text, 'out.ndjson')).toEqual([
      { tag: 'v1.2.0', packageName: 'hello' },
      { tag: '@acme/widget@2.0.0', packageName: '@acme/widget' },
    ]);
  });

  it.each([
    ['a line that is not JSON', '{"type":"git-tag",'],
    ['a JSON array', '[{"type":"git-tag"}]'],
    ['a git-tag event without a tag', '{"type":"git-tag","packageName":"hello"}'],
    ['a git-tag event without a package name', '{"type":"git-tag","tag":"v1.0.0"}'],
    [
      'a duplicate key (the second would silently win)',
      '{"type":"git-tag","tag":"v1.0.0","tag":"v9.0.0","packageName":"a"}',
    ],
    ['a tag git would read as an option', '{"type":"git-tag","tag":"--upload-pack=touch /tmp/x","packageName":"a"}'],
    ['a tag with a control character', '{"type":"git-tag","tag":"v1.0.0\\u001b[2K","packageName":"a"}'],
    ['a tag with ".."', '{"type":"git-tag","tag":"v1..0","packageName":"a"}'],
  ])('refuses %s with CHANGESETS_OUTPUT_MALFORMED, naming the line', (_what, line) => {
    let error: unknown;
    try {
      parseChangesetsOutput(`{"type":"git-tag","tag":"v0.1.0","packageName":"a"}\n${line}\n`, 'out.ndjson');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'CHANGESETS_OUTPUT_MALFORMED' });
    expect((error as Error).message).toContain('Line 2 of the changesets output out.ndjson');
  });
});

describe('when changesets 2 printed its output', () => {
  it('reads the "New tag:" lines, with the emoji and spacing changesets uses, and ignores the rest', () => {
    const stdout = [
      '🦋  info npm info hello',
      '🦋  New tag:  v1.2.0',
      '🦋  Skipping tag (already exists): v1.1.0',
      'New tag: @acme/widget@2.0.0',
      '🦋  success packages published successfully:',
    ].join('\n');
    expect(parseChangesetsOutput(stdout, 'standard input')).toEqual([{ tag: 'v1.2.0' }, { tag: '@acme/widget@2.0.0' }]);
  });

  it('refuses a "New tag:" line whose tag cannot be one', () => {
    expect(() => parseChangesetsOutput('🦋  New tag:  -v1.2.0\n', 'standard input')).toThrow(
      expect.objectContaining({ code: 'CHANGESETS_OUTPUT_MALFORMED' }),
    );
  });
});

describe('when a tag names its package', () => {
  it.each([
    ['v1.2.0', undefined],
    ['hello@1.2.0', 'hello'],
    ['@acme/widget@2.0.0-beta.1', '@acme/widget'],
  ])('%s belongs to %s', (tag, name) => {
    expect(packageNameOfTag(tag)).toBe(name);
  });
});

describe('when the output is read from a file', () => {
  it('refuses what is not a regular file (a device, a folder) with CHANGESETS_OUTPUT_UNREADABLE', async () => {
    expect(await codeOf(readChangesetsOutputFile('/dev/zero'))).toBe('CHANGESETS_OUTPUT_UNREADABLE');
    expect(await codeOf(readChangesetsOutputFile(tmpdir()))).toBe('CHANGESETS_OUTPUT_UNREADABLE');
  });

  it('says undefined for a missing file only when asked to (changesets writes it only when it has events)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'phpublish-cs-output-'));
    try {
      const missing = join(dir, 'missing.ndjson');
      expect(await readChangesetsOutputFile(missing, { missing: 'undefined' })).toBeUndefined();
      expect(await codeOf(readChangesetsOutputFile(missing))).toBe('CHANGESETS_OUTPUT_UNREADABLE');
      const file = join(dir, 'output.ndjson');
      await writeFile(file, '{"type":"git-tag","tag":"v1.0.0","packageName":"hello"}\n');
      expect(await readChangesetsOutputFile(file)).toEqual([{ tag: 'v1.0.0', packageName: 'hello' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
