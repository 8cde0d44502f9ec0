#!/usr/bin/env node
// Entry point of the README's commands (`npm run demo`, `npm test`, `npm run bench`).
//
// It runs on whatever Node the machine has (Node 20 on a fresh machine) and only uses
// node: built-ins, because nothing is installed yet when it starts. It makes the machine
// ready, then hands over to pnpm, which runs every script on the Node 24 that the root
// devDependency `node` installs into node_modules/.bin.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM = 'pnpm@10.34.9';
const task = process.argv[2];
const tasks = { demo: 'demo:run', test: 'test:run', bench: 'bench:run' };
if (!tasks[task]) {
  console.error(`usage: node scripts/bootstrap.mjs <${Object.keys(tasks).join('|')}>`);
  process.exit(2);
}

/** System tools the tests and the demo use, by the Debian package that provides them. */
const SYSTEM_TOOLS = [
  { check: ['git', ['--version']], pkg: 'git' },
  { check: ['gpg', ['--version']], pkg: 'gnupg' },
  { check: ['sqv', ['--version']], pkg: 'sqv' },
  { check: ['sq', ['--version']], pkg: 'sq' },
  { check: ['php', ['--version']], pkg: 'php-cli' },
  { check: ['php', ['-r', 'exit(class_exists("ZipArchive") ? 0 : 1);']], pkg: 'php-zip' },
  { check: ['composer', ['--version']], pkg: 'composer' },
  { check: ['unzip', ['-v']], pkg: 'unzip' },
];

function step(message) {
  console.log(`\n▶ ${message}`);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function works(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: 'ignore', env: { ...process.env, COMPOSER_ALLOW_SUPERUSER: '1' } });
  return !result.error && result.status === 0;
}

function ensureSystemTools() {
  const missing = [...new Set(SYSTEM_TOOLS.filter((t) => !works(...t.check)).map((t) => t.pkg))];
  if (missing.length === 0) return;
  step(`installing system tools with apt-get: ${missing.join(' ')}`);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = isRoot ? [] : works('sudo', ['-n', 'true']) ? ['sudo', '-n'] : null;
  if (!prefix) {
    console.error(
      `phpublish: these Debian packages are needed and this user cannot install them: ${missing.join(' ')}\n` +
        `  remedy: run \`sudo apt-get install -y ${missing.join(' ')}\` and try again.`,
    );
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    const [cmd, ...rest] = [...prefix, 'apt-get', ...args];
    return run(cmd, rest, { env });
  };
  if (apt(['update', '-qq']) !== 0 || apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]) !== 0) {
    console.error('phpublish: apt-get failed; see its output above.');
    process.exit(1);
  }
}

function pnpm(args) {
  return run('npx', ['-y', PNPM, ...args], { env: { ...process.env, npm_config_update_notifier: 'false' } });
}

ensureSystemTools();
step('installing dependencies (pnpm, Node 24 for scripts)');
if (pnpm(['install', '--frozen-lockfile', '--prefer-offline']) !== 0) process.exit(1);

if (task === 'test') {
  const resultsFile = join(root, '.vitest-results.json');
  rmSync(resultsFile, { force: true });
  const status = pnpm(['run', tasks[task]]);
  // One plain closing line that any CI log reader understands.
  if (existsSync(resultsFile)) {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    // A file can fail outside any test (an import error, a failing afterAll): count it too.
    const failedOutsideTests = (r.testResults ?? []).filter(
      (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
    ).length;
    const failed = r.numFailedTests + failedOutsideTests;
    console.log(`\ntests: ${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
  }
  process.exit(status);
}
process.exit(pnpm(['run', tasks[task]]));
