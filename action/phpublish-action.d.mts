/** Types of phpublish-action.mjs, for its tests. */
export const DEFAULT_TRUSTED_KEYS: string;
export const CONFIG_FILE: string;
export function runAction(input: {
  env: Record<string, string | undefined>;
  cwd: string;
  phpublish: (argv: string[], env: Record<string, string | undefined>) => Promise<number>;
  git: (args: string[]) => Promise<{ code: number; stderr: string }>;
  log: (line: string) => void;
}): Promise<number>;
