// Regenerates the parts of docs/ that are derived from code (run with `pnpm docs` after a build).
// A test fails when the committed docs differ from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  configJsonSchema,
  environmentTableMarkdown,
  errorsPageMarkdown,
  optionsTableMarkdown,
  replaceGeneratedSection,
} from '../packages/core/dist/index.js';

const docs = join(import.meta.dirname, '..', 'docs');
writeFileSync(join(docs, 'config.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
writeFileSync(join(docs, 'errors.md'), errorsPageMarkdown());
const configPath = join(docs, 'configuration.md');
let page = readFileSync(configPath, 'utf8');
page = replaceGeneratedSection(page, 'options', optionsTableMarkdown());
page = replaceGeneratedSection(page, 'environment', environmentTableMarkdown());
writeFileSync(configPath, page);
console.log('docs/ regenerated');
