/**
 * The part of GnuPG's command line that git (and tools that shell out to gpg the way git does)
 * uses. Anything else is refused with a reason, never silently ignored.
 */

export interface GpgInvocation {
  /** `check`: not GnuPG's — loads the key and says what is wrong (git 2.39 hides gpg's messages). */
  mode: 'sign' | 'verify' | 'check' | 'version' | 'help';
  detach: boolean;
  armor: boolean;
  /** `-u`/`--local-user`/`--default-key`: which key to sign with. */
  localUser?: string;
  /** Where `[GNUPG:]` status lines go. */
  statusFd?: number;
  /** Positional arguments: for `--verify`, the signature file and the data file (`-` = stdin). */
  files: string[];
}

export class GpgUsageProblem extends Error {
  override name = 'GpgUsageProblem';
}

// Options that change nothing for a program with no keyring, agent or terminal.
const IGNORED_FLAGS = new Set(['--batch', '--no-tty', '--yes', '--quiet', '--no-autostart', '--no-verbose']);
const IGNORED_WITH_VALUE = new Set(['--keyid-format', '--pinentry-mode', '--digest-algo']);

export function parseGpgArguments(args: readonly string[]): GpgInvocation {
  const invocation: GpgInvocation = { mode: 'sign', detach: false, armor: false, files: [] };
  let sign = false;
  let verify = false;
  let i = 0;
  const optionValue = (name: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const value = args[++i];
    if (value === undefined) throw new GpgUsageProblem(`option ${name} needs a value`);
    return value;
  };
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      invocation.files.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      const inline = eq === -1 ? undefined : arg.slice(eq + 1);
      switch (name) {
        case '--status-fd':
          invocation.statusFd = fdNumber(optionValue(name, inline));
          break;
        case '--local-user':
        case '--default-key':
          invocation.localUser = optionValue(name, inline);
          break;
        case '--detach-sign':
        case '--detach-sig':
          invocation.detach = true;
          sign = true;
          break;
        case '--sign':
          sign = true;
          break;
        case '--armor':
        case '--armour':
          invocation.armor = true;
          break;
        case '--verify':
          verify = true;
          break;
        case '--check-key':
          invocation.mode = 'check';
          break;
        case '--version':
          invocation.mode = 'version';
          return invocation;
        case '--help':
          invocation.mode = 'help';
          return invocation;
        default:
          if (IGNORED_FLAGS.has(name) && inline === undefined) break;
          if (IGNORED_WITH_VALUE.has(name)) {
            optionValue(name, inline);
            break;
          }
          throw new GpgUsageProblem(`option ${name} is not supported`);
      }
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      // Clustered short options, as git passes them: `-bsau <key>`.
      for (let c = 1; c < arg.length; c++) {
        const flag = arg[c]!;
        if (flag === 'b') {
          invocation.detach = true;
          sign = true;
        } else if (flag === 's') sign = true;
        else if (flag === 'a') invocation.armor = true;
        else if (flag === 'q') {
          // quiet: nothing to silence
        } else if (flag === 'u') {
          const rest = arg.slice(c + 1);
          invocation.localUser = optionValue('-u', rest === '' ? undefined : rest);
          break;
        } else throw new GpgUsageProblem(`option -${flag} is not supported`);
      }
      continue;
    }
    invocation.files.push(arg);
  }
  if (invocation.mode === 'check') return invocation;
  if (verify && sign) throw new GpgUsageProblem('signing and verifying at once is not supported');
  if (verify) {
    invocation.mode = 'verify';
    if (invocation.files.length !== 2) {
      throw new GpgUsageProblem(
        '--verify needs a detached signature file and the signed data (`--verify <signature-file> -`); inline and clear-signed data are not supported',
      );
    }
    return invocation;
  }
  if (!sign) throw new GpgUsageProblem('nothing to do: pass -bsau <key> to sign standard input, or --verify');
  if (!invocation.detach || !invocation.armor) {
    throw new GpgUsageProblem('only detached, armored signatures are supported (-bsa, as git asks for)');
  }
  if (invocation.files.length > 1 || (invocation.files.length === 1 && invocation.files[0] !== '-')) {
    throw new GpgUsageProblem('signing reads standard input only; files are not supported');
  }
  return invocation;
}

function fdNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new GpgUsageProblem(`--status-fd needs a file descriptor number, not "${value}"`);
  return Number(value);
}
