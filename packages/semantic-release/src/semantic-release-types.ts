/** The parts of semantic-release's plugin context phpublish reads (v24 and v25). */
export interface SemanticReleaseLogger {
  log(...args: unknown[]): void;
  error(...args: unknown[]): void;
  success?(...args: unknown[]): void;
  warn?(...args: unknown[]): void;
}

export interface SemanticReleaseContext {
  cwd: string;
  env: Record<string, string | undefined>;
  logger: SemanticReleaseLogger;
  options: {
    repositoryUrl?: string;
    /** The URL before semantic-release added credentials to it (v24.2+). */
    originalRepositoryURL?: string;
    dryRun?: boolean;
    /** As configured: names, or `[name, options]` pairs. */
    plugins?: unknown[];
  };
  branch?: { name: string };
  nextRelease?: { version: string; gitTag: string; gitHead: string; name?: string; notes?: string };
  releases?: { name?: string; url?: string; pluginName?: string }[];
  errors?: unknown[];
}

/** Options a user writes for this plugin; semantic-release merges its own global options in. */
export type PluginConfig = Record<string, unknown>;
