import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The variable the editor script reads the tag message from. */
export const TAG_MESSAGE_VARIABLE = 'PHPUBLISH_TAG_MESSAGE';

export interface GitSigningTools {
  /** Executable for git's `gpg.program` (runs phpublish-gpg on this Node). */
  gpgProgram: string;
  /** Executable for GIT_EDITOR: writes $PHPUBLISH_TAG_MESSAGE into the file git passes. */
  editor: string;
  /** Removes both. */
  remove(): Promise<void>;
}

/**
 * Writes the two small launchers git needs to sign a tag made by a tool we do not control
 * (semantic-release's plain `git tag <name> <sha>`). They hold no secret: the key stays in the
 * environment, which git passes on to gpg.program. Owner-only permissions, removed afterwards.
 */
export async function writeGitSigningTools({
  nodePath,
  gpgProgramScript,
  tempRoot = tmpdir(),
}: {
  nodePath: string;
  /** Absolute path of phpublish-gpg's JavaScript entry. */
  gpgProgramScript: string;
  tempRoot?: string;
}): Promise<GitSigningTools> {
  const dir = await mkdtemp(join(tempRoot, 'phpublish-git-'));
  const gpgProgram = join(dir, 'phpublish-gpg');
  const editor = join(dir, 'tag-editor');
  await writeFile(gpgProgram, `#!/bin/sh\nexec ${shellQuote(nodePath)} ${shellQuote(gpgProgramScript)} "$@"\n`, {
    mode: 0o700,
  });
  // git opens the editor with TAG_EDITMSG holding a commented template; the message replaces it.
  await writeFile(editor, `#!/bin/sh\nprintf '%s\\n' "$${TAG_MESSAGE_VARIABLE}" > "$1"\n`, { mode: 0o700 });
  await chmod(gpgProgram, 0o700);
  await chmod(editor, 0o700);
  return { gpgProgram, editor, remove: () => rm(dir, { recursive: true, force: true }) };
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

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
