import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isPhpublishError, PhpublishError } from '@phpublish/core';
import { contentDigestOfRef, contentDigestOfZip, DEFAULT_MAX_UNPACKED_BYTES } from '@phpublish/core/archive';
import { parseByteSize } from '@phpublish/core/http';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import type { CommandIo } from '../io.js';

/** True when `path` names a file: then it is read as a zip, even if a ref has the same name. */
async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export const digestCommand: Command = {
  usage: 'phpublish digest <zip-or-ref> [--composer-exclude] [--max-unpacked-size <size>] [--json]',
  help: [
    'Prints the content-tree digest (phpublish-tree-v1:sha256:…) of what a package contains:',
    '  - of a zip file: phpublish’s own, a GitHub zipball, any plain zip (a single top-level folder is',
    '    looked inside, as Composer does when it installs); hostile zips are refused with a code;',
    '  - of a git ref (tag, branch, commit id): what `git archive` of that commit holds, without building',
    '    a zip.',
    'A path that names an existing file is read as a zip; anything else as a ref.',
    '',
    'Options:',
    '  --composer-exclude   for a ref: also leave out what composer.json `archive.exclude` lists',
    '  --max-unpacked-size <size>',
    `                       refuse a package that unpacks to more (files and symlinks together; a zip's`,
    `                       entries as they declare, before anything is inflated): bytes, or 512MiB, 4GiB,`,
    `                       4G (K, M, G are powers of 1024; KB, MB, GB of 1000); ${DEFAULT_MAX_UNPACKED_BYTES / 1024 ** 3}GiB by default`,
    '  --json               print the result as JSON on stdout',
    '',
    'See docs/content-digest.md for its definition.',
  ].join('\n'),
  options: {
    'composer-exclude': { type: 'boolean' },
    'max-unpacked-size': { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  async run({ values, positionals }, io: CommandIo) {
    const [input, ...extra] = positionals;
    if (!input || extra.length > 0) {
      io.stderr.write(`phpublish digest: name one zip or ref.\n\nUsage: ${this.usage}\n`);
      return EXIT.usage;
    }
    const size = values['max-unpacked-size'] as string | undefined;
    const maxUnpackedBytes = size === undefined ? undefined : parseByteSize(size);
    if (size !== undefined && maxUnpackedBytes === undefined) {
      io.stderr.write(
        `phpublish digest: --max-unpacked-size takes a size such as 4GiB, 512MiB or a number of bytes, not "${size}".\n\nUsage: ${this.usage}\n`,
      );
      return EXIT.usage;
    }
    const limits = { maxUnpackedBytes };
    const path = resolve(io.cwd, input);
    let result: Record<string, unknown> & { contentDigest: string };
    if (await isFile(path)) {
      if (values['composer-exclude']) {
        io.stderr.write('phpublish digest: --composer-exclude applies to refs, not to zips.\n');
        return EXIT.usage;
      }
      result = { source: 'zip', input, ...(await contentDigestOfZip(path, input, limits)) };
    } else {
      const digest = await contentDigestOfRef({
        cwd: io.cwd,
        env: io.env,
        ref: input,
        composerExclude: values['composer-exclude'] === true,
        ...limits,
      }).catch((error: unknown) => {
        throw isPhpublishError(error, 'ARCHIVE_REF_NOT_FOUND')
          ? new PhpublishError('DIGEST_INPUT_NOT_FOUND', { input }, { cause: error })
          : error;
      });
      result = { source: 'git', input, ...digest };
    }
    io.stdout.write(values['json'] ? `${JSON.stringify(result, null, 2)}\n` : `${result.contentDigest}\n`);
    return EXIT.ok;
  },
};
