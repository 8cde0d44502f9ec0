import { z } from 'zod';

/**
 * Options of the reproducible dist zip. Deliberately few: everything that shapes the zip's bytes
 * (timestamps, modes, compression) is fixed, so that anyone can rebuild it byte for byte.
 */
export const archiveSchema = z
  .strictObject({
    composerExclude: z
      .boolean()
      .default(false)
      .describe(
        'Also leave out what composer.json `archive.exclude` lists (as `composer archive` does), on top of `export-ignore`. Off by default: GitHub’s zipballs, which Composer installs for GitHub packages, ignore `archive.exclude`, so with this on the zip’s content digest differs from the zipball’s.',
      ),
  })
  .describe('The reproducible dist zip and its content-tree digest.');

export type ArchiveConfig = z.output<typeof archiveSchema>;
