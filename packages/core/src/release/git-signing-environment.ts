import { watch } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The variable the editor script reads the tag message from. */
export const TAG_MESSAGE_VARIABLE = 'PHPUBLISH_TAG_MESSAGE';

export interface GitSigningTools {
  /** Executable for git's `gpg.program` (runs phpublish-gpg on this Node). */
  gpgProgram: string;
  /** Executable for GIT_EDITOR: writes $PHPUBLISH_TAG_MESSAGE into the file git passes. */
  editor: string;
  /**
   * Calls `callback` once git has run the editor, that is once the host's `git tag` has started
   * (that git keeps the environment it was started with): the moment to restore the host's
   * environment, before any later step of the host runs. Returns how to stop watching.
   */
  onTagMessageWritten(callback: () => void): () => void;
  /** Removes both. */
  remove(): Promise<void>;
}

/** The file the editor creates after writing the message (it holds nothing). */
const TAG_MESSAGE_WRITTEN = 'tag-message-written';

/**
 * The phpublish-gpg program that ships with core (bin/phpublish-gpg), for git's `gpg.program`: every
 * host adapter can use it without depending on the CLI. From the sources (tests), the built one.
 */
export function gpgProgramScript(): string {
  const relative = import.meta.url.endsWith('.ts') ? '../../dist/bin/phpublish-gpg.js' : '../bin/phpublish-gpg.js';
  return fileURLToPath(new URL(relative, import.meta.url));
}

/**
 * Writes the two small launchers git needs to sign a tag made by a tool we do not control
 * (semantic-release's plain `git tag <name> <sha>`). They hold no secret: the key stays in the
 * environment, which git passes on to gpg.program. Owner-only permissions, removed afterwards.
 */
export async function writeGitSigningTools({
  nodePath = process.execPath,
  gpgProgramScript: script = gpgProgramScript(),
  tempRoot = tmpdir(),
}: {
  /** The Node that runs phpublish-gpg; default: this one. */
  nodePath?: string;
  /** Absolute path of phpublish-gpg's JavaScript entry; default: core's own. */
  gpgProgramScript?: string;
  tempRoot?: string;
} = {}): Promise<GitSigningTools> {
  const dir = await mkdtemp(join(tempRoot, 'phpublish-git-'));
  const gpgProgram = join(dir, 'phpublish-gpg');
  const editor = join(dir, 'tag-editor');
  await writeFile(gpgProgram, `#!/bin/sh\nexec ${shellQuote(nodePath)} ${shellQuote(script)} "$@"\n`, {
    mode: 0o700,
  });
  // git opens the editor with TAG_EDITMSG holding a commented template; the message replaces it.
  // Then a marker says that the tag step has begun (see onTagMessageWritten).
  const marker = shellQuote(join(dir, TAG_MESSAGE_WRITTEN));
  await writeFile(editor, `#!/bin/sh\nprintf '%s\\n' "$${TAG_MESSAGE_VARIABLE}" > "$1" && : > ${marker}\n`, {
    mode: 0o700,
  });
  await chmod(gpgProgram, 0o700);
  await chmod(editor, 0o700);
  return {
    gpgProgram,
    editor,
    onTagMessageWritten(callback) {
      const watcher = watch(dir, (_event, file) => {
        if (file !== TAG_MESSAGE_WRITTEN) return;
        watcher.close();
        callback();
      });
      watcher.unref(); // never what keeps the host's process alive
      return () => watcher.close();
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Environment variables that make a plain `git tag <name> <sha>` create an OpenPGP-signed annotated
 * tag: process-scoped configuration (GIT_CONFIG_COUNT/KEY/VALUE, git ≥ 2.31) appended to any the
 * environment already has, so nothing is written to a git config file.
 */
export function gitSigningEnvironment(
  env: Record<string, string | undefined>,
  {
    tools,
    fingerprint,
    message,
  }: { tools: Pick<GitSigningTools, 'gpgProgram' | 'editor'>; fingerprint: string; message: string },
): Record<string, string> {
  const existing = Number.parseInt(env['GIT_CONFIG_COUNT'] ?? '0', 10) || 0;
  const entries: [string, string][] = [
    ['tag.gpgSign', 'true'],
    ['gpg.format', 'openpgp'],
    ['gpg.program', tools.gpgProgram],
    ['user.signingKey', fingerprint],
  ];
  const out: Record<string, string> = { GIT_CONFIG_COUNT: String(existing + entries.length) };
  entries.forEach(([key, value], i) => {
    out[`GIT_CONFIG_KEY_${existing + i}`] = key;
    out[`GIT_CONFIG_VALUE_${existing + i}`] = value;
  });
  out['GIT_EDITOR'] = tools.editor;
  out[TAG_MESSAGE_VARIABLE] = message;
  return out;
}

/** Puts back what `setVariables` changed. */
export type RestoreVariables = () => void;

/**
 * Sets `variables` on `env` (a host's `process.env`, say) and returns how to put back exactly what
 * was there: each value as it was, and absent what was absent. Restoring, not deleting: a user's
 * own GIT_CONFIG_COUNT or GIT_EDITOR, set by the workflow, must outlive the release's tag step.
 */
export function setVariables(
  env: Record<string, string | undefined>,
  variables: Record<string, string>,
): RestoreVariables {
  const before = new Map(Object.keys(variables).map((name) => [name, env[name]] as const));
  for (const [name, value] of Object.entries(variables)) env[name] = value;
  return () => {
    for (const [name, value] of before) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    before.clear(); // once: a later call must not undo what others set since
  };
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
