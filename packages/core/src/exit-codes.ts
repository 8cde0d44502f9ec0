/** Stable exit codes of phpublish's programs (`phpublish`, `phpublish-changesets`): scripts may rely on them. */
export const EXIT = {
  ok: 0,
  /** A check or step failed with a coded error (the message says which and what to do). */
  failed: 1,
  /** The command line, or the environment it runs in (an unsupported Node.js), is wrong. */
  usage: 2,
  /** A defect in phpublish: please report it. */
  internal: 70,
} as const;
