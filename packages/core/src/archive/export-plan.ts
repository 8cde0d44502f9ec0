import { isValidPackageName } from '../composer/composer-json.js';
import { PhpublishError } from '../errors/index.js';
import { CatFileBatch } from '../git/batch.js';
import { type GitContext, gitContextOf } from '../git/context.js';
import { composerExcludeMatcher } from './composer-exclude.js';
import {
  CONTENT_ATTRIBUTES,
  type ContentAttributes,
  type Conversion,
  conversionFor,
  needsConversion,
} from './conversions.js';
import { type CommitInfo, listTree, MISSING, readCommit, type TreeEntry } from './git-objects.js';
import {
  AttributeResolver,
  type AttributesFile,
  MAX_ATTRIBUTES_FILE_SIZE,
  parseAttributesFile,
} from './gitattributes.js';
import { checkedPath, checkSymlinks, MAX_TARGET_BYTES, PathCollisions } from './paths.js';
import type { EntryKind } from './zip-writer.js';

/**
 * Which entries `git archive` puts into an archive of a commit, and how it converts them — decided
 * from the tree alone (git 2.39 archive.c), without reading the files. Also checks the result
 * against the path rules: no zip is left and no digest given for a plan that is refused.
 */

export interface ExportOptions extends GitContext {
  ref: string;
  /** Also leave out what composer.json `archive.exclude` lists. */
  composerExclude?: boolean;
}

export interface ExportEntry {
  /** Its place among the plan's entries. */
  index: number;
  /** Package-relative path (checked UTF-8), without a trailing slash. */
  path: string;
  kind: EntryKind;
  oid: string;
  /** Size of the blob as stored; contents may change size when converted. */
  size: number;
  /** For regular files that git converts: how. */
  conversion?: Conversion;
}

export const isRegularKind = (kind: EntryKind) => kind === 'file' || kind === 'executable';

export interface ExportPlan {
  commit: CommitInfo;
  /** In `git archive` order: git's tree order, parents before children. */
  entries: ExportEntry[];
  /** Targets of the exported symbolic links, by path. */
  symlinkTargets: Map<string, Buffer>;
  /** `name` from composer.json at the commit, when it is a valid package name. */
  packageName: string | undefined;
}

const GITATTRIBUTES = '.gitattributes';
const COMPOSER_JSON = 'composer.json';
const MAX_COMPOSER_JSON_SIZE = 16 * 1024 * 1024;

const isSymlink = (mode: number) => (mode & 0o170000) === 0o120000;
const DIRECTORY_ATTRIBUTES = ['export-ignore'] as const;
const FILE_ATTRIBUTES = ['export-ignore', ...CONTENT_ATTRIBUTES] as const;
/** The content attributes of every file when no `.gitattributes` file has a rule. */
const NO_ATTRIBUTES: Readonly<ContentAttributes> = Object.freeze(
  Object.fromEntries(CONTENT_ATTRIBUTES.map((name) => [name, null])) as ContentAttributes,
);

function isAttributesFile(entry: TreeEntry): boolean {
  if (entry.type !== 'blob' || entry.size >= MAX_ATTRIBUTES_FILE_SIZE) return false;
  return entry.path === GITATTRIBUTES || entry.path.endsWith(`/${GITATTRIBUTES}`);
}

/**
 * Blobs needed before deciding anything, by path: attribute files, composer.json and symlink
 * targets; and the composer.json entry, even one too large to read.
 */
async function readSmallBlobs(
  tree: readonly TreeEntry[],
  reader: CatFileBatch,
): Promise<{ blobs: Map<string, Buffer>; attributeFiles: string[]; composerEntry: TreeEntry | undefined }> {
  const composerEntry = tree.find((e) => e.type === 'blob' && e.path === COMPOSER_JSON);
  const attributeFiles = tree.filter(isAttributesFile).map((e) => e.path);
  const wanted = tree.filter(
    (e) =>
      isAttributesFile(e) ||
      (e === composerEntry && e.size <= MAX_COMPOSER_JSON_SIZE) ||
      (e.type === 'blob' && isSymlink(e.mode) && e.size <= MAX_TARGET_BYTES),
  );
  const blobs = new Map<string, Buffer>();
  reader.request(wanted.map((e) => e.oid));
  for (const entry of wanted) {
    const { size } = await reader.nextOf(entry.oid);
    blobs.set(entry.path, await reader.content(size));
  }
  return { blobs, attributeFiles, composerEntry };
}

function attributeResolver(blobs: Map<string, Buffer>, attributeFiles: readonly string[]): AttributeResolver {
  const files = new Map<string, AttributesFile>();
  for (const path of attributeFiles) {
    const content = blobs.get(path)!;
    const slash = path.lastIndexOf('/');
    const dir = slash === -1 ? '' : path.slice(0, slash);
    files.set(dir, parseAttributesFile(content, { macrosAllowed: dir === '' }));
  }
  return new AttributeResolver(files);
}

/** What the archive needs from the commit's composer.json: the package name and `archive.exclude`. */
interface ComposerArchiveSettings {
  name: string | undefined;
  exclude: string[];
}

function composerArchiveSettings(
  content: Buffer | undefined,
  commit: string,
  strict: boolean,
): ComposerArchiveSettings {
  const path = `composer.json at ${commit.slice(0, 12)}`;
  if (content === undefined) return { name: undefined, exclude: [] };
  let data: unknown;
  try {
    data = JSON.parse(content.toString('utf8'));
  } catch (error) {
    if (!strict) return { name: undefined, exclude: [] };
    throw new PhpublishError('COMPOSER_JSON_INVALID', { path, problem: 'it is not valid JSON' }, { cause: error });
  }
  const json = (typeof data === 'object' && data !== null ? data : {}) as { name?: unknown; archive?: unknown };
  const name = typeof json.name === 'string' && isValidPackageName(json.name) ? json.name : undefined;
  const archive = json.archive as { exclude?: unknown } | undefined;
  const exclude = archive?.exclude ?? [];
  if (strict && (!Array.isArray(exclude) || exclude.some((rule) => typeof rule !== 'string'))) {
    throw new PhpublishError('COMPOSER_JSON_INVALID', {
      path,
      problem: '"archive.exclude" must be a list of strings',
    });
  }
  return { name, exclude: Array.isArray(exclude) ? exclude.filter((r) => typeof r === 'string') : [] };
}

/** git canonicalises tree modes (canon_mode): a blob is a symlink, an executable or a plain file. */
function kindOf(entry: TreeEntry): EntryKind {
  if (entry.type !== 'blob') return 'directory';
  if (isSymlink(entry.mode)) return 'symlink';
  return entry.mode & 0o111 ? 'executable' : 'file';
}

/** Whether `path` lies inside the directory `prefix`. */
const isInside = (path: string, prefix: string) =>
  path.length > prefix.length && path.charCodeAt(prefix.length) === 0x2f && path.startsWith(prefix);

/**
 * archive.c's traversal: a directory marked export-ignore is skipped with everything below it;
 * other directories are written when the first non-directory entry below them is reached (even
 * one that is itself export-ignored, which is how `git archive` leaves empty directories).
 * Each entry is checked as it is selected (its path, its object, collisions with the entries
 * before it); the symbolic links are checked together once every entry is selected.
 */
function selectEntries(
  tree: readonly TreeEntry[],
  attributes: AttributeResolver,
  blobs: ReadonlyMap<string, Buffer>,
  excluded: ((path: string) => boolean) | undefined,
): Pick<ExportPlan, 'entries' | 'symlinkTargets'> {
  const lookups = !attributes.isEmpty;
  const entries: ExportEntry[] = [];
  const symlinkTargets = new Map<string, Buffer>();
  const collisions = new PathCollisions();
  /** Adds an entry unless composer.json excludes it; whether it was added. */
  const add = (entry: TreeEntry, path: string, kind: EntryKind, conversion?: Conversion) => {
    if (excluded?.(path)) return false;
    // git archive would stop at an object it cannot read; say which one (no zip is left).
    if (kind !== 'directory' && entry.size === MISSING) {
      throw new PhpublishError('ARCHIVE_GIT_FAILED', {
        command: 'ls-tree',
        problem: `object ${entry.oid} (${path}) is missing`,
      });
    }
    collisions.add(path, kind === 'directory' ? 'directory' : 'file');
    entries.push({
      index: entries.length,
      path,
      kind,
      oid: entry.oid,
      size: entry.size,
      ...(conversion ? { conversion } : {}),
    });
    return true;
  };
  const queued: TreeEntry[] = [];
  let ignored: string | undefined;
  for (const entry of tree) {
    if (ignored !== undefined && isInside(entry.path, ignored)) continue;
    ignored = undefined;
    while (queued.length > 0 && !isInside(entry.path, queued[queued.length - 1]!.path)) queued.pop();
    if (entry.type === 'tree') {
      if (lookups && attributes.lookup(`${entry.path}/`, DIRECTORY_ATTRIBUTES)['export-ignore'] === true) {
        ignored = entry.path;
      } else queued.push(entry);
      continue;
    }
    for (const dir of queued) add(dir, checkedPath(dir.path), 'directory');
    queued.length = 0;
    // Submodules are looked up like directories, with a trailing slash.
    const lookupPath = entry.type === 'commit' ? `${entry.path}/` : entry.path;
    const attrs = lookups ? attributes.lookup(lookupPath, FILE_ATTRIBUTES) : undefined;
    if (attrs?.['export-ignore'] === true) continue;
    const kind = kindOf(entry);
    const path = checkedPath(entry.path);
    let conversion: Conversion | undefined;
    if (kind === 'file' || kind === 'executable') {
      const wanted = conversionFor(path, entry.size, attrs ?? NO_ATTRIBUTES);
      if (needsConversion(wanted)) conversion = wanted;
    }
    if (kind === 'symlink') {
      const linkTarget = blobs.get(entry.path);
      if (!linkTarget) {
        // Only targets up to PATH_MAX were read.
        throw new PhpublishError('ARCHIVE_SYMLINK_ESCAPES', { path, target: `(${entry.size} bytes)` });
      }
      if (add(entry, path, kind)) symlinkTargets.set(path, linkTarget);
    } else {
      add(entry, path, kind, conversion);
    }
  }
  checkSymlinks(symlinkTargets);
  return { entries, symlinkTargets };
}

/** Decides what an archive of `ref` contains, refusing (coded) what phpublish must not archive. */
export async function planExport(options: ExportOptions): Promise<ExportPlan> {
  const git = gitContextOf(options);
  // One git reads the commit, then the few blobs the plan needs.
  const reader = new CatFileBatch(git, { packLimits: true });
  let commit: CommitInfo | undefined;
  let tree: TreeEntry[];
  let small: Awaited<ReturnType<typeof readSmallBlobs>>;
  try {
    commit = await readCommit(options.ref, reader);
    if (!commit) throw new PhpublishError('ARCHIVE_REF_NOT_FOUND', { ref: options.ref });
    tree = await listTree(commit.commit, git);
    small = await readSmallBlobs(tree, reader);
  } finally {
    await reader.close();
  }
  const { blobs, attributeFiles, composerEntry } = small;
  if (options.composerExclude && composerEntry && !blobs.has(composerEntry.path)) {
    throw new PhpublishError('COMPOSER_JSON_INVALID', {
      path: 'composer.json',
      problem: `it is larger than ${MAX_COMPOSER_JSON_SIZE} bytes`,
    });
  }
  const composer = composerArchiveSettings(
    composerEntry && blobs.get(composerEntry.path),
    commit.commit,
    options.composerExclude === true,
  );
  const excluded =
    options.composerExclude && composer.exclude.length > 0 ? composerExcludeMatcher(composer.exclude) : undefined;
  const selected = selectEntries(tree, attributeResolver(blobs, attributeFiles), blobs, excluded);
  return { commit, ...selected, packageName: composer.name };
}
