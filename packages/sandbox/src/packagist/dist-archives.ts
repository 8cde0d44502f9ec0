import { createHash } from 'node:crypto';
import type { GitReader } from '../git/git-reader.js';

export interface DistArchive {
  readonly zip: Buffer;
  /** What p2 metadata's `dist.shasum` holds and Composer checks after downloading. */
  readonly sha1: string;
}

/**
 * Zips of commits, built once with `git archive` and kept: the same bytes are served every time, so the
 * shasum in the metadata stays true. The top-level folder is named like GitHub's zipballs
 * (`<vendor>-<name>-<short sha>/`); Composer strips a single top-level folder when it extracts.
 */
export class DistArchives {
  readonly #cache = new Map<string, Promise<DistArchive>>();

  get(reader: GitReader, commit: string, folder: string): Promise<DistArchive> {
    const key = `${reader.gitDir}\0${commit}\0${folder}`;
    let archive = this.#cache.get(key);
    if (!archive) {
      archive = reader.zipArchive(commit, `${folder}/`).then((zip) => ({
        zip,
        sha1: createHash('sha1').update(zip).digest('hex'),
      }));
      // A failed build is not remembered: the next request tries again.
      archive.catch(() => this.#cache.delete(key));
      this.#cache.set(key, archive);
    }
    return archive;
  }
}

/** `acme-hello-1a2b3c4`, the folder GitHub puts a zipball's files in. */
export function archiveFolderName(packageName: string, commit: string): string {
  return `${packageName.replace('/', '-')}-${commit.slice(0, 7)}`;
}
