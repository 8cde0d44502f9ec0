// Regenerates the parts of docs/ that are derived from code (run with `pnpm docs` after a build).
// A test fails when the committed docs differ from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  configJsonSchema,
  environmentTableMarkdown,
  optionSectionsMarkdown,
  optionsTableMarkdown,
  replaceGeneratedSection,
} from '../packages/core/dist/config/index.js';
import { errorsPageMarkdown } from '../packages/core/dist/errors/index.js';
import { policyJsonSchema } from '../packages/core/dist/verify/index.js';

const docs = join(import.meta.dirname, '..', 'docs');
writeFileSync(join(docs, 'config.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
writeFileSync(join(docs, 'errors.md'), errorsPageMarkdown());
writeFileSync(join(docs, 'policy.schema.json'), `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
const configPath = join(docs, 'configuration.md');
let page = readFileSync(configPath, 'utf8');
page = replaceGeneratedSection(page, 'options', optionsTableMarkdown());
page = replaceGeneratedSection(page, 'environment', environmentTableMarkdown());
page = replaceGeneratedSection(page, 'attest-sections', optionSectionsMarkdown(3, 'attest.'));
writeFileSync(configPath, page);
// The host plugins' READMEs document every option in place, as semantic-release and release-it plugins do.
for (const plugin of ['semantic-release', 'release-it']) {
  const pluginReadme = join(import.meta.dirname, '..', 'packages', plugin, 'README.md');
  let readme = readFileSync(pluginReadme, 'utf8');
  readme = replaceGeneratedSection(readme, 'options', optionsTableMarkdown());
  readme = replaceGeneratedSection(readme, 'environment', environmentTableMarkdown());
  readme = replaceGeneratedSection(readme, 'option-sections', optionSectionsMarkdown());
  writeFileSync(pluginReadme, readme);
}
console.log('docs/ and the plugin READMEs regenerated');
