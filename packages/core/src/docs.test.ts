import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configJsonSchema,
  environmentTableMarkdown,
  optionRows,
  optionSectionsMarkdown,
  optionsTableMarkdown,
  replaceGeneratedSection,
} from './config/index.js';
import { catalogue, errorsPageMarkdown } from './errors/index.js';
import { policyJsonSchema } from './verify/index.js';

const docsDir = join(import.meta.dirname, '..', '..', '..', 'docs');
const read = (name: string) => readFileSync(join(docsDir, name), 'utf8');

/** Anchors a Markdown page offers: explicit `<a id>` and GitHub's heading slugs. */
function anchorsOf(page: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of page.matchAll(/<a id="([^"]+)"><\/a>/g)) anchors.add(m[1]!);
  for (const m of page.matchAll(/^#{1,6} (.+)$/gm)) {
    const text = m[1]!.replace(/<[^>]+>/g, '').replace(/`/g, '');
    anchors.add(
      text
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

describe('generated documentation', () => {
  it('docs/configuration.md has the current options and environment tables (run `pnpm docs`)', () => {
    const page = read('configuration.md');
    let expected = replaceGeneratedSection(page, 'options', optionsTableMarkdown());
    expected = replaceGeneratedSection(expected, 'environment', environmentTableMarkdown());
    expected = replaceGeneratedSection(expected, 'attest-sections', optionSectionsMarkdown(3, 'attest.'));
    expect(page).toBe(expected);
  });

  it.each(['semantic-release', 'release-it'])(
    'the %s plugin README documents every option, current (run `pnpm docs`)',
    (plugin) => {
      const path = join(docsDir, '..', 'packages', plugin, 'README.md');
      const page = readFileSync(path, 'utf8');
      let expected = replaceGeneratedSection(page, 'options', optionsTableMarkdown());
      expected = replaceGeneratedSection(expected, 'environment', environmentTableMarkdown());
      expected = replaceGeneratedSection(expected, 'option-sections', optionSectionsMarkdown());
      expect(page).toBe(expected);
      const anchors = anchorsOf(page);
      expect(optionRows().filter((row) => !anchors.has(row.anchor))).toEqual([]);
    },
  );

  it('docs/errors.md and docs/config.schema.json are current (run `pnpm docs`)', () => {
    expect(read('errors.md')).toBe(errorsPageMarkdown());
    expect(JSON.parse(read('config.schema.json'))).toEqual(configJsonSchema());
  });

  it('docs/policy.schema.json is current (run `pnpm docs`)', () => {
    expect(JSON.parse(read('policy.schema.json'))).toEqual(policyJsonSchema());
  });

  it('every option has its own anchored section', () => {
    const anchors = anchorsOf(read('configuration.md'));
    const missing = optionRows()
      .map((row) => row.anchor)
      .filter((anchor) => !anchors.has(anchor));
    expect(missing).toEqual([]);
  });

  it('every error code links to a section that exists', () => {
    const broken = Object.entries(catalogue)
      .map(([code, entry]) => {
        const [file, anchor] = entry.docs.split('#');
        return anchorsOf(read(file!)).has(anchor!) ? undefined : `${code} → ${entry.docs}`;
      })
      .filter(Boolean);
    expect(broken).toEqual([]);
  });
});
