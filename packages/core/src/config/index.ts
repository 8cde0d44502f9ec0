export {
  configJsonSchema,
  environmentTableMarkdown,
  type OptionRow,
  optionRows,
  optionSectionsMarkdown,
  optionsTableMarkdown,
  replaceGeneratedSection,
} from './docs.js';
export { CONFIG_FILE_NAME, loadOptionsFile } from './load-file.js';
export { type Env, type PackagistNotifyMode, type ResolvedConfig, resolveConfig } from './resolve.js';
export {
  configSchema,
  environmentVariables,
  type PackagistConfig,
  type PhpublishConfig,
  type PhpublishOptions,
  type SigningConfig,
  signingSchema,
} from './schema.js';
