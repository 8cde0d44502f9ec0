import { isValidPackageName } from '../composer/composer-json.js';
import { PhpublishError } from '../errors/index.js';
import { bytesEqual } from './bytes.js';
import { composerExcludeMatcher } from './composer-exclude.js';
import {
  CONTENT_ATTRIBUTES,
  type ContentAttributes,
  type Conversion,
  conversionFor,
  needsConversion,
} from './conversions.js';
import { ExportEntries } from './export-entries.js';
import {
  BlobReader,
  type CommitInfo,
  countListing,
  type GitContext,
  listTree,
  MISSING,
  readCommit,
  type Tree,
  type TreeEntry,
} from './git-objects.js';
import {
  AttributeResolver,
  type AttributesFile,
  MAX_ATTRIBUTES_FILE_SIZE,
  parseAttributesFile,
} from './gitattributes.js';
import { checkedPath, checkSymlinks, PathCollisions } from './paths.js';
import type { EntryKind } from './zip-writer.js';

export type { ExportEntry } from './export-entries.js';
export { ExportEntries } from './export-entries.js';

/**
 * Which entries `git archive` puts into an archive of a commit, and how it converts them — decided
 * from the tree alone (git 2.39 archive.c), without reading the files. Also checks the result
 * against the path rules: no zip is left and no digest given for a plan that is refused.
 */

export interface ExportOptions extends GitContext {
  ref: string;
  /** Also leave out what composer.json `archive.exclude` lists. */
  composerExclude?: boolean;
  /**
   * Where git may write the tree's listing for a moment (a file that must not exist; it is
   * removed before the plan is returned). Read back in one piece, the listing costs its size in
   * memory once; read from a pipe (without it), nearly three times.
   */
  listingFile?: string | undefined;
  /**
   * With `listingFile`: read the listing through a window over the file, of this many bytes at
   * first (LISTING_WINDOW_BYTES suits), instead of in one piece — for a consumer that releases
   * the entries it has used (ExportEntries.release) and closes the selection: memory then does
   * not grow with the listing.
   */
  listingWindow?: number | undefined;
}

export interface ExportPlan {
  commit: CommitInfo;
  /** In `git archive` order: git's tree order, parents before children. */
  entries: ExportEntries;
  /** Targets of the exported symbolic links, by path. */
  symlinkTargets: Map<string, Buffer>;
  /** `name` from composer.json at the commit, when it is a valid package name. */
  packageName: string | undefined;
}

const GITATTRIBUTES = '.gitattributes';
const COMPOSER_JSON = 'composer.json';
const MAX_COMPOSER_JSON_SIZE = 16 * 1024 * 1024;
const MAX_SYMLINK_SIZE = 4095;

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
  tree: Tree,
  reader: BlobReader,
): Promise<{ blobs: Map<string, Buffer>; attributeFiles: string[]; composerEntry: TreeEntry | undefined }> {
  const wanted: TreeEntry[] = [];
  const attributeFiles: string[] = [];
  let composerEntry: TreeEntry | undefined;
  // Only the lines that can be one of these are read into entries.
  for (const e of tree.where(mayBeSmallBlob)) {
    if (e.type === 'blob' && e.path === COMPOSER_JSON) composerEntry = e;
    if (isAttributesFile(e)) attributeFiles.push(e.path);
    if (
      isAttributesFile(e) ||
      (e.type === 'blob' && e.path === COMPOSER_JSON && e.size <= MAX_COMPOSER_JSON_SIZE) ||
      (e.type === 'blob' && isSymlink(e.mode) && e.size <= MAX_SYMLINK_SIZE)
    ) {
      wanted.push(e);
    }
  }
  const blobs = new Map<string, Buffer>();
  reader.request(wanted.map((e) => e.oid));
  for (const entry of wanted) {
    const { size } = await reader.next(entry.oid);
    blobs.set(entry.path, Buffer.from(await reader.readAll(size)));
  }
  return { blobs, attributeFiles, composerEntry };
}

const GITATTRIBUTES_BYTES = Buffer.from(`/${GITATTRIBUTES}`, 'latin1');
const COMPOSER_JSON_BYTES = Buffer.from(COMPOSER_JSON, 'latin1');

/** Whether a raw listing line may be an attributes file, composer.json or a symlink (a superset). */
function mayBeSmallBlob(listing: Buffer, lineStart: number, pathStart: number, lineEnd: number): boolean {
  const pathLength = lineEnd - pathStart;
  // A symlink's mode is 12xxxx in octal (ls-tree prints six digits).
  if (listing[lineStart] === 0x31 && listing[lineStart + 1] === 0x32 && listing[lineStart + 6] === 0x20) return true;
  if (pathLength === COMPOSER_JSON_BYTES.length && endsWith(listing, lineEnd, COMPOSER_JSON_BYTES, 0)) return true;
  // ".gitattributes" at the top, or "/.gitattributes" at the end of a deeper path.
  if (pathLength === GITATTRIBUTES.length) return endsWith(listing, lineEnd, GITATTRIBUTES_BYTES, 1);
  return pathLength > GITATTRIBUTES.length && endsWith(listing, lineEnd, GITATTRIBUTES_BYTES, 0);
}

/** Whether `listing[.., end)` ends with `bytes[from..]`, compared in place. */
function endsWith(listing: Buffer, end: number, bytes: Buffer, from: number): boolean {
  const length = bytes.length - from;
  return bytesEqual(listing, end - length, bytes, from, length);
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

/** Where a selection puts what it selects, and what it leaves out besides export-ignore. */
interface SelectionTarget {
  entries: ExportEntries;
  symlinkTargets: Map<string, Buffer>;
  /** composer.json `archive.exclude`, when asked for. */
  excluded: ((path: string) => boolean) | undefined;
  /** The collision check of the entries selected. */
  collisions: PathCollisions;
}

/**
 * archive.c's traversal: a directory marked export-ignore is skipped with everything below it;
 * other directories are written when the first non-directory entry below them is reached (even
 * one that is itself export-ignored, which is how `git archive` leaves empty directories).
 * Each entry is checked as it is selected (its path, its object, collisions with the entries
 * before it); the symbolic links are checked together once every entry is selected. Yields after
 * every few tree entries (SELECTION_STEP), so that the plan can be selected a part at a time.
 */
function* selectEntries(
  tree: Tree,
  attributes: AttributeResolver,
  blobs: ReadonlyMap<string, Buffer>,
  target: SelectionTarget,
): Generator<void> {
  const lookups = !attributes.isEmpty;
  const { entries, symlinkTargets, excluded, collisions } = target;
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
    collisions.add(path, kind === 'directory' ? 'directory' : 'file', entry.pathStart);
    entries.add(entry.line, kind, entry.size, conversion);
    return true;
  };
  const queued: TreeEntry[] = [];
  let ignored: string | undefined;
  const cursor = tree.cursor();
  // Yields every few entries, not after each: a generator's step makes an object each time.
  let sinceYield = 0;
  for (let entry = cursor.next(); entry !== undefined; entry = cursor.next()) {
    if (ignored !== undefined && isInside(entry.path, ignored)) continue;
    ignored = undefined;
    while (queued.length > 0 && !isInside(entry.path, queued[queued.length - 1]!.path)) queued.pop();
    if (entry.type === 'tree') {
      if (lookups && attributes.lookup(`${entry.path}/`, DIRECTORY_ATTRIBUTES)['export-ignore'] === true) {
        ignored = entry.path;
      } else queued.push(entry.copy()); // the entry object is filled again for the next line
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
    if (++sinceYield === SELECTION_STEP) {
      sinceYield = 0;
      yield;
    }
  }
  checkSymlinks(symlinkTargets);
}

/** Tree entries selectEntries goes through between two yields (a yield makes an object). */
const SELECTION_STEP = 32;

/** How many entries a consumer of a plan being selected (ExportSelection) selects at a time. */
export const SELECT_AHEAD = 1024;

/**
 * A plan being selected: its entries are selected and checked a part at a time, so that what
 * consumes them can start on the first ones while the rest are selected (building a zip does:
 * its workers start compressing before the tree is through). A refusal comes from `selectMore`,
 * at the entry it is about, or at the end for what concerns the plan as a whole.
 */
export interface ExportSelection extends ExportPlan {
  /**
   * Selects and checks at least `count` more entries, fewer only when the tree ends; returns how
   * many entries there are now. Once every entry is selected, the checks of the whole plan run.
   */
  selectMore(count: number): number;
  /** Whether every entry is selected and the whole plan checked. */
  readonly complete: boolean;
  /** Closes the listing's file, for a listing read through a window (`listingWindow`); the entries can no longer be read. */
  close(): void;
}

/** Decides what an archive of `ref` contains, refusing (coded) what phpublish must not archive. */
export async function planExport(options: ExportOptions): Promise<ExportPlan> {
  const selection = await startExport(options);
  selection.selectMore(Number.POSITIVE_INFINITY);
  return selection;
}

/**
 * Reads what a plan of `ref` is decided from (the commit, its tree, its attribute files and
 * composer.json), refusing (coded) what phpublish must not archive; the entries are then selected
 * with `selectMore`.
 */
export async function startExport(options: ExportOptions): Promise<ExportSelection> {
  const git: GitContext = { cwd: options.cwd, ...(options.env ? { env: options.env } : {}) };
  // One git reads the commit, then the few blobs the plan needs.
  const reader = new BlobReader(git);
  let commit: CommitInfo | undefined;
  let tree: Tree;
  let small: Awaited<ReturnType<typeof readSmallBlobs>>;
  try {
    commit = await readCommit(options.ref, reader);
    if (!commit) throw new PhpublishError('ARCHIVE_REF_NOT_FOUND', { ref: options.ref });
    tree = await listTree(commit.commit, git, options.listingFile, { window: options.listingWindow });
    small = await readSmallBlobs(tree, reader).catch((error: unknown) => {
      tree.listing.close();
      throw error;
    });
  } finally {
    await reader.close();
  }
  try {
    return selectionOf(tree, commit, small, options);
  } catch (error) {
    tree.listing.close();
    throw error;
  }
}

/** The selection of a plan of `commit`, once its tree is listed and its small blobs read. */
function selectionOf(
  tree: Tree,
  commit: CommitInfo,
  small: Awaited<ReturnType<typeof readSmallBlobs>>,
  options: ExportOptions,
): ExportSelection {
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

  // Sized once, for every entry the listing has.
  const counts = countListing(tree.listing);
  const entries = new ExportEntries(tree.listing, counts.entries);
  const symlinkTargets = new Map<string, Buffer>();
  const excluded =
    options.composerExclude && composer.exclude.length > 0 ? composerExcludeMatcher(composer.exclude) : undefined;
  // Dropped once every entry is selected: what the checks kept goes with it.
  let steps: Generator<void> | undefined = selectEntries(tree, attributeResolver(blobs, attributeFiles), blobs, {
    entries,
    symlinkTargets,
    excluded,
    // The paths' bytes are in the listing: the check copies none. Dropped with the selection.
    collisions: new PathCollisions({ listing: tree.listing, files: counts.blobs, directories: counts.others }),
  });
  // A refusal ends the selection: asked again, it refuses again (the tree is not through).
  let refusal: { error: unknown } | undefined;
  return {
    commit,
    entries,
    symlinkTargets,
    packageName: composer.name,
    get complete() {
      return steps === undefined && refusal === undefined;
    },
    close() {
      tree.listing.close();
    },
    selectMore(count: number): number {
      if (refusal) throw refusal.error;
      const wanted = entries.length + count;
      try {
        while (steps && entries.length < wanted) {
          if (steps.next().done) steps = undefined;
        }
      } catch (error) {
        refusal = { error };
        steps = undefined;
        throw error;
      }
      return entries.length;
    },
  };
}
