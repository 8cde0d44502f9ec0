import { loadOptionsFile } from '@phpublish/core/config';
import { type DiagnosisRow, ReleaseSession } from '@phpublish/core/release';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { type CommandIo, stderrLogger, table } from '../io.js';

const MARK: Record<DiagnosisRow['status'], string> = { ok: '✅', warning: '⚠️', problem: '❌' };

export const doctorCommand: Command = {
  usage: 'phpublish doctor [--config <file>] [--json]',
  help: [
    'Checks every layer without changing anything — options and credentials, the package and its public',
    'repository URL, the signing key, the CI identity for attestation, Packagist and the credential its',
    'update would use (a short-lived OIDC credential when Packagist offers its token exchange and this job',
    'gets an ID token; found without exchanging or sending any token) — and prints a table of what would',
    'protect the next release and what would not. Exits 1 when something would make a release fail.',
    '',
    'Options:',
    '  --config <file>  options file (default: phpublish.config.json when present)',
    '  --json           print the rows as JSON on stdout',
  ].join('\n'),
  options: { config: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values }, io: CommandIo) {
    const options = await loadOptionsFile(io.cwd, values['config'] as string | undefined);
    const rows = await ReleaseSession.diagnose({ cwd: io.cwd, env: io.env, options, logger: stderrLogger(io) });
    if (values['json']) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else
      io.stdout.write(`${table([['', 'area', 'detail'], ...rows.map((r) => [MARK[r.status], r.area, r.detail])])}\n`);
    return rows.some((r) => r.status === 'problem') ? EXIT.failed : EXIT.ok;
  },
};
