import { resolve } from 'node:path';
import { buildArchive } from '@phpublish/core/archive';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { type CommandIo, table } from '../io.js';

export const archiveCommand: Command = {
  usage: 'phpublish archive <ref> --out <file.zip> [--composer-exclude] [--json]',
  help: [
    'Builds the zip of the commit <ref> names (a tag, branch or commit id) with exactly the files',
    '`git archive` would put in it (export-ignore, export-subst and the other .gitattributes rules of that',
    'commit), byte for byte the same on every machine: sorted entries, the commit’s time, normalised',
    'modes, fixed compression. Prints the zip’s sha256 and the content-tree digest of what it contains,',
    'which equals the digest of GitHub’s zipball of the same commit (`phpublish digest`).',
    '',
    'Options:',
    '  --out <file>         where to write the zip (required; replaced if it exists)',
    '  --composer-exclude   also leave out what composer.json `archive.exclude` lists (changes the digest)',
    '  --json               print the result as JSON on stdout',
    '',
    'See docs/archive.md for what is in the zip and what is guaranteed.',
  ].join('\n'),
  options: { out: { type: 'string' }, 'composer-exclude': { type: 'boolean' }, json: { type: 'boolean' } },
  allowPositionals: true,
  async run({ values, positionals }, io: CommandIo) {
    const [ref, ...extra] = positionals;
    const out = values['out'] as string | undefined;
    if (!ref || extra.length > 0 || !out) {
      io.stderr.write(
        `phpublish archive: ${out ? 'name one ref' : '--out <file.zip> is required'}.\n\nUsage: ${this.usage}\n`,
      );
      return EXIT.usage;
    }
    const result = await buildArchive({
      cwd: io.cwd,
      env: io.env,
      ref,
      outFile: resolve(io.cwd, out),
      composerExclude: values['composer-exclude'] === true,
    });
    if (values['json']) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      io.stdout.write(
        `${table([
          ['zip', `${result.file} (${result.bytes} bytes)`],
          ['commit', result.commit],
          ['sha256', result.sha256],
          ['content', result.contentDigest],
          ['entries', `${result.files} files, ${result.symlinks} symlinks, ${result.directories} directories`],
        ])}\n`,
      );
    }
    return EXIT.ok;
  },
};
