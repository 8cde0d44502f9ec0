import { defineErrors, type ErrorDefinition } from './definition.js';

/** Paths in parameters are printable: bytes that are not UTF-8 are shown as `\xNN`. */
export const archiveErrors = defineErrors({
  ARCHIVE_REF_NOT_FOUND: {
    title: 'The ref to archive is not a commit in this repository',
    message: (p: { ref: string }) => `There is no commit ${p.ref} in this repository.`,
    remedy: () =>
      'Pass a tag, branch or commit id that exists locally (fetch tags first in CI: `git fetch --tags`), and run phpublish inside the repository.',
    docs: 'archive.md#building-the-zip',
  } satisfies ErrorDefinition<{ ref: string }>,
  DIGEST_INPUT_NOT_FOUND: {
    title: 'What to digest is neither a zip file nor a commit',
    message: (p: { input: string }) => `${p.input} is neither a file nor a commit in this repository.`,
    remedy: () =>
      'Pass the path of a zip (phpublish’s own or a GitHub zipball) or a git ref that exists locally (`git fetch --tags`).',
    docs: 'content-digest.md#computing-it',
  } satisfies ErrorDefinition<{ input: string }>,
  ARCHIVE_GIT_FAILED: {
    title: 'git could not read the commit to archive',
    message: (p: { command: string; problem: string }) => `\`git ${p.command}\` failed: ${p.problem}.`,
    remedy: () =>
      'Check that the repository is complete (a shallow or partial clone may lack objects: fetch with `fetch-depth: 0` or `git fetch --unshallow`) and that git 2.30 or later is on PATH.',
    docs: 'archive.md#building-the-zip',
  } satisfies ErrorDefinition<{ command: string; problem: string }>,
  ARCHIVE_OUTPUT_FAILED: {
    title: 'The zip could not be written',
    message: (p: { file: string; problem: string }) => `Could not write ${p.file}: ${p.problem}.`,
    remedy: () =>
      'Check that the directory exists, is writable and has free space, and that the output is a new path or a regular file (not a device such as /dev/null, a pipe, a directory or a symbolic link), then run again. Nothing was left behind.',
    docs: 'archive.md#building-the-zip',
  } satisfies ErrorDefinition<{ file: string; problem: string }>,
  ARCHIVE_INPUT_UNREADABLE: {
    title: 'The zip to digest could not be read',
    message: (p: { file: string; problem: string }) => `Could not read ${p.file}: ${p.problem}.`,
    remedy: () => 'Check the path and its permissions, then run again.',
    docs: 'content-digest.md#computing-it',
  } satisfies ErrorDefinition<{ file: string; problem: string }>,
  ARCHIVE_PATH_UNSAFE: {
    title: 'A path would escape or confuse the install directory',
    message: (p: { path: string; problem: string }) => `The path "${p.path}" is refused: ${p.problem}.`,
    remedy: () =>
      'Package paths must be relative, use "/" only, have no empty, "." or ".." segment and nothing Windows or macOS reads as ".git", and be names every system can create (no device names such as CON or aux.php, no trailing space or period, no < > : " | ? *, segments of at most 255 bytes). A zip with such a path (or top-level folder) is hostile or broken; in a commit, rename or remove the entry in a new commit.',
    docs: 'content-digest.md#paths',
  } satisfies ErrorDefinition<{ path: string; problem: string }>,
  ARCHIVE_PATH_NOT_UTF8: {
    title: 'A path is not valid UTF-8',
    message: (p: { path: string }) => `The path "${p.path}" is not valid UTF-8.`,
    remedy: () =>
      'Rename the file to a UTF-8 name in a new commit: other names are installed differently on every system, so phpublish does not attest them.',
    docs: 'content-digest.md#paths',
  } satisfies ErrorDefinition<{ path: string }>,
  ARCHIVE_DUPLICATE_PATH: {
    title: 'Two entries would be installed at the same place',
    message: (p: { path: string; other: string }) =>
      p.path === p.other
        ? `"${p.path}" appears more than once.`
        : `"${p.path}" and "${p.other}" are the same path once Unicode normalisation and case are ignored, or one is a file inside the other.`,
    remedy: () =>
      'Rename one of them in a new commit. On macOS and Windows one would overwrite the other when installed; in a zip, duplicates are a known way to show different contents to different tools.',
    docs: 'content-digest.md#paths',
  } satisfies ErrorDefinition<{ path: string; other: string }>,
  ARCHIVE_SYMLINK_ESCAPES: {
    title: 'A symbolic link points outside the package',
    message: (p: { path: string; target: string }) =>
      `The symbolic link "${p.path}" points to "${p.target}", which is outside the package.`,
    remedy: () =>
      'Make the link relative and keep it inside the package (or replace it with a copy of the file), in a new commit. After installation it would point into the user’s machine.',
    docs: 'content-digest.md#symlinks',
  } satisfies ErrorDefinition<{ path: string; target: string }>,
  ARCHIVE_ATTRIBUTE_UNSUPPORTED: {
    title: 'A git attribute asks for a conversion phpublish does not reproduce',
    message: (p: { path: string; attribute: string; problem: string }) =>
      `"${p.path}" has the attribute \`${p.attribute}\`: ${p.problem}.`,
    remedy: () =>
      'Remove the attribute for this path in .gitattributes (or mark the file `export-ignore`) in a new commit; phpublish refuses rather than build a zip that differs from `git archive`.',
    docs: 'archive.md#git-attributes',
  } satisfies ErrorDefinition<{ path: string; attribute: string; problem: string }>,
  ARCHIVE_FILE_TOO_LARGE: {
    title: 'A file is too large for what is asked of it',
    message: (p: { path: string; size: number; limit: number; reason: string }) =>
      `"${p.path}" has ${p.size} bytes, more than the ${p.limit} bytes allowed ${p.reason}.`,
    remedy: () =>
      'Mark the file `export-ignore`, or remove the attribute that converts it (export-subst, eol, ident) in .gitattributes, in a new commit.',
    docs: 'archive.md#large-files',
  } satisfies ErrorDefinition<{ path: string; size: number; limit: number; reason: string }>,
  ARCHIVE_UNPACKED_TOO_LARGE: {
    title: 'What is to be digested unpacks to more than the limit',
    message: (p: { source: string; size: number; limit: number }) =>
      `${p.source} unpacks to ${p.size} bytes, more than the ${p.limit} bytes allowed.`,
    remedy: () =>
      'A package this large is unusual, and a zip whose entries declare far more than its own size is a zip bomb: do not install it unless you know why it is so large. If you trust it, raise the limit (`phpublish digest --max-unpacked-size`, or `maxUnpackedBytes` in code).',
    docs: 'content-digest.md#size-limit',
  } satisfies ErrorDefinition<{ source: string; size: number; limit: number }>,
  ARCHIVE_ZIP_INVALID: {
    title: 'The zip is damaged or not a zip',
    message: (p: { file: string; problem: string }) => `${p.file} is not a valid zip: ${p.problem}.`,
    remedy: () =>
      'Download the zip again; if it stays invalid, do not install it: it is damaged, or crafted to look different to different tools.',
    docs: 'content-digest.md#zips',
  } satisfies ErrorDefinition<{ file: string; problem: string }>,
  ARCHIVE_ZIP_OVERLAP: {
    title: 'Entries of the zip share bytes',
    message: (p: { file: string; entry: string; other: string }) =>
      `In ${p.file}, the entries "${p.entry}" and "${p.other}" overlap.`,
    remedy: () =>
      'Do not install this zip: overlapping entries are how zip bombs and archives that unpack differently in different tools are made.',
    docs: 'content-digest.md#zips',
  } satisfies ErrorDefinition<{ file: string; entry: string; other: string }>,
  ARCHIVE_ZIP_UNSUPPORTED: {
    title: 'The zip uses a feature phpublish does not read',
    message: (p: { file: string; entry?: string; problem: string }) =>
      `${p.file}${p.entry === undefined ? '' : ` (entry "${p.entry}")`} uses ${p.problem}, which phpublish does not read.`,
    remedy: () =>
      'Use a plain zip (stored or deflated entries, no encryption, one disk), such as the ones `git archive`, GitHub and phpublish make.',
    docs: 'content-digest.md#zips',
  } satisfies ErrorDefinition<{ file: string; entry?: string; problem: string }>,
});
