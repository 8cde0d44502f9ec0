/**
 * Where git runs: an explicit working directory and environment (nothing is taken from the
 * process), and optionally which git binary (`git` on the PATH of `env` by default).
 */
export interface GitContext {
  cwd: string;
  env?: Record<string, string | undefined>;
  git?: string;
}

/** The git binary a context runs. */
export const gitBinary = (context: GitContext): string => context.git ?? 'git';

/** Just the context of something that carries more (options objects extend GitContext). */
export function gitContextOf(from: GitContext): GitContext {
  return {
    cwd: from.cwd,
    ...(from.env ? { env: from.env } : {}),
    ...(from.git ? { git: from.git } : {}),
  };
}
