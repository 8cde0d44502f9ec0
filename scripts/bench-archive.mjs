#!/usr/bin/env node
// Benchmark of the reproducible dist zip (run after a build: `node scripts/bench-archive.mjs`).
//
// Generates a large PHP package (≥ 10,000 files, ≥ 60 MB) and the same package twice as large,
// then times, in the same run and on the same trees:
//   - phpublish's zip (the archive module in a fresh Node process, and the whole `phpublish` CLI),
//   - `git archive --format=zip` and `composer archive --format=zip`,
//   - the content-tree digest of the commit and of the zip.
// Each is run several times in its own process, in rounds (the median wall time counts); peak
// memory is the largest resident set of the process tree, sampled from /proc every few
// milliseconds in as many runs again that are not timed.
//
// Options: --runs <n> (default 3), --json (machine-readable result on stdout), --only <keys>
// (comma-separated: ours, cli, git, composer, digestRef, digestZip; e.g. `--only ours,git` for the
// issue's targets alone, when the machine is too busy for the whole run).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, json: { type: 'boolean' }, only: { type: 'string' } },
});
const RUNS = Number(values.runs);
const ONLY = values.only?.split(',');
const log = (line) => process.stderr.write(`${line}\n`);

const archiveModule = join(root, 'packages/core/dist/archive/index.js');
const cli = join(root, 'packages/cli/dist/bin/phpublish.js');
for (const built of [archiveModule, cli]) {
  if (!existsSync(built)) {
    console.error(`bench-archive: ${built} is missing; build first (npx -y pnpm@10.34.9 run build).`);
    process.exit(2);
  }
}

// An isolated git: no configuration from the machine, a fixed identity and date.
const gitEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  LC_ALL: 'C',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_ATTR_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@phpublish.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@phpublish.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
};

/** xorshift32: the same tree on every machine. */
function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const WORDS = (
  'public private protected static function return array string int bool float null true false new ' +
  'class interface trait namespace use throw catch finally foreach while if else elseif match yield ' +
  '$this $value $item $items $result $config $request $response $handler $event $container $builder ' +
  'self parent instanceof fn readonly enum const abstract final extends implements'
).split(' ');

/** A PHP class of about `size` bytes: code-like text that compresses about as well as real PHP. */
function phpClass(namespace, name, size, next) {
  let body = `<?php\n\ndeclare(strict_types=1);\n\nnamespace ${namespace};\n\nfinal class ${name}\n{\n`;
  let method = 0;
  while (body.length < size) {
    body += `    public function method${method++}(array $items, ?string $name = null): int\n    {\n`;
    const lines = 3 + (next() % 8);
    for (let i = 0; i < lines; i++) {
      let line = '        ';
      const words = 4 + (next() % 9);
      for (let w = 0; w < words; w++) line += `${WORDS[next() % WORDS.length]}${next() % 6 === 0 ? next() % 100 : ''} `;
      body += `${line.trimEnd()};\n`;
    }
    body += '    }\n\n';
  }
  return `${body.slice(0, size)}\n}\n`;
}

function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr}`)),
    );
  });
}

/**
 * A package of `files` PHP classes in nested namespaces, some binary assets and an export-ignored
 * tests folder, committed once. Kept between runs in the temp dir (the generator is versioned).
 */
async function generateTree(files) {
  const dir = join(tmpdir(), `phpublish-bench-archive-v1-${files}`);
  if (existsSync(join(dir, '.git', 'bench-done'))) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const next = random(files);
  let bytes = 0;
  const write = async (path, content) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
    bytes += content.length;
  };
  await write(
    'composer.json',
    `${JSON.stringify({ name: 'bench/large', type: 'library', license: 'MIT' }, null, 4)}\n`,
  );
  await write('.gitattributes', '/tests export-ignore\n/.gitattributes export-ignore\n');
  for (let i = 0; i < files; i++) {
    const ns = `Bench\\Module${i % 40}\\Part${(i >> 5) % 12}`;
    const size = 1500 + (next() % 8000);
    await write(`src/Module${i % 40}/Part${(i >> 5) % 12}/Class${i}.php`, phpClass(ns, `Class${i}`, size, next));
  }
  for (let i = 0; i < files / 20; i++)
    await write(`tests/Case${i}Test.php`, phpClass('Bench\\Tests', `Case${i}Test`, 3000, next));
  // A few larger, incompressible assets: they take the streaming path.
  for (let i = 0; i < Math.max(2, files / 2500); i++) {
    const chunks = [];
    for (let k = 0; k < 1_500_000 / 64; k++) chunks.push(createHash('sha512').update(`${files}-${i}-${k}`).digest());
    await write(`resources/asset${i}.bin`, Buffer.concat(chunks));
  }
  await run('git', ['init', '-q'], { cwd: dir, env: gitEnv });
  await run('git', ['add', '-A'], { cwd: dir, env: gitEnv });
  await run('git', ['-c', 'gc.auto=0', 'commit', '-qm', 'Large package'], { cwd: dir, env: gitEnv });
  await run('git', ['-c', 'gc.auto=0', 'repack', '-adq'], { cwd: dir, env: gitEnv });
  await writeFile(join(dir, '.git', 'bench-done'), `${bytes}\n`);
  return dir;
}

/** The resident set of a process and all its descendants, in KiB, from /proc. */
function treeRss(pid) {
  let total = 0;
  try {
    total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    // A child belongs to the thread that started it: phpublish's worker threads start gits too.
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children ? children.split(' ') : []) total += treeRss(child);
    }
  } catch {
    // The process ended between two reads.
  }
  return total;
}

/** GNU time, when installed, adds the CPU time (user + system, children included) of each run. */
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * Runs a command once: wall time in ms, CPU seconds (with GNU time) and, when `sampleMemory`, the
 * peak resident set of its process tree in MiB (sampling /proc takes CPU from what is timed, so
 * timed runs do not sample).
 */
function measure(cmd, args, cwd, sampleMemory) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const [file, argv] = gnuTime ? [gnuTime, ['-f', 'cpu %U %S', cmd, ...args]] : [cmd, args];
    const child = spawn(file, argv, { cwd, env: gitEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let peak = 0;
    child.stderr.on('data', (d) => (stderr += d));
    const sampler = sampleMemory
      ? setInterval(() => {
          peak = Math.max(peak, treeRss(child.pid));
        }, 10)
      : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr}`));
      const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      resolve({ ms, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined, peakMiB: peak / 1024 });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Times every command RUNS times, in rounds (each command once per round, in the order given), so
 * that the machine's ups and downs reach all of them alike; then measures peak memory in RUNS
 * runs of each that are not timed.
 */
async function benchAll(commands, cwd) {
  const timed = commands.map(() => []);
  for (let round = 0; round < RUNS; round++) {
    for (const [i, c] of commands.entries()) timed[i].push(await measure(c.cmd, c.args, cwd, false));
  }
  const results = {};
  for (const [i, c] of commands.entries()) {
    const peaks = [];
    for (let run = 0; run < RUNS; run++) peaks.push((await measure(c.cmd, c.args, cwd, true)).peakMiB);
    const runs = timed[i];
    const cpu = runs.every((r) => r.cpuSeconds !== undefined) ? median(runs.map((r) => r.cpuSeconds)) : undefined;
    const result = { label: c.label, ms: median(runs.map((r) => r.ms)), cpuSeconds: cpu, peakMiB: Math.max(...peaks) };
    log(
      `  ${c.label.padEnd(34)} ${result.ms.toFixed(0).padStart(6)} ms  ${cpu === undefined ? '' : `${cpu.toFixed(2)} s CPU  `}${result.peakMiB.toFixed(0).padStart(5)} MiB`,
    );
    results[c.key] = result;
  }
  return results;
}

/** A fresh Node process that imports only the archive module and calls it. */
function engine(call) {
  const code = `import * as a from ${JSON.stringify(archiveModule)}; await ${call};`;
  return [process.execPath, ['--input-type=module', '-e', code]];
}

async function benchTree(files) {
  log(`\n▶ generating a package of ${files} PHP classes (kept in ${tmpdir()} for the next run)`);
  const dir = await generateTree(files);
  const bytes = Number(readFileSync(join(dir, '.git', 'bench-done'), 'utf8'));
  const count =
    (await run('git', ['ls-tree', '-r', '--name-only', 'HEAD'], { cwd: dir, env: gitEnv })).split('\n').length - 1;
  log(`  ${count} files, ${(bytes / 1e6).toFixed(1)} MB; load average before: ${loadavg()[0].toFixed(2)}`);
  const out = join(tmpdir(), `phpublish-bench-out-${files}`);
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  const zip = join(out, 'ours.zip');
  const env = JSON.stringify(gitEnv);
  const gitArchive = ['archive', '--format=zip', '-o', join(out, 'git.zip'), 'HEAD'];
  const composerArchive = ['archive', '--format=zip', `--dir=${out}`, '--file=composer', '--no-interaction', '--quiet'];
  const [oursCmd, oursArgs] = engine(
    `a.buildArchive({ cwd: ${JSON.stringify(dir)}, env: ${env}, ref: 'HEAD', outFile: ${JSON.stringify(zip)} })`,
  );
  const [digestRefCmd, digestRefArgs] = engine(
    `a.contentDigestOfRef({ cwd: ${JSON.stringify(dir)}, env: ${env}, ref: 'HEAD' })`,
  );
  const [digestZipCmd, digestZipArgs] = engine(`a.contentDigestOfZip(${JSON.stringify(zip)})`);
  // In this order: the digest of our zip reads the zip the first command writes.
  const commands = [
    { key: 'ours', label: 'phpublish zip (archive module)', cmd: oursCmd, args: oursArgs },
    {
      key: 'cli',
      label: 'phpublish archive (whole CLI)',
      cmd: process.execPath,
      args: [cli, 'archive', 'HEAD', '--out', join(out, 'cli.zip')],
    },
    { key: 'git', label: 'git archive --format=zip', cmd: 'git', args: gitArchive },
    { key: 'composer', label: 'composer archive --format=zip', cmd: 'composer', args: composerArchive },
    { key: 'digestRef', label: 'digest of the commit', cmd: digestRefCmd, args: digestRefArgs },
    { key: 'digestZip', label: 'digest of our zip', cmd: digestZipCmd, args: digestZipArgs },
  ];
  const results = await benchAll(
    commands.filter((c) => !ONLY || ONLY.includes(c.key)),
    dir,
  );
  await rm(out, { recursive: true, force: true });
  // Other processes on the machine slow everything down, and parallel work most: say how busy it was.
  const load = loadavg()[0];
  log(`  load average after: ${load.toFixed(2)}`);
  return { files: count, megabytes: bytes / 1e6, loadAverage: load, results };
}

// Composer needs a home of its own and no network.
gitEnv.COMPOSER_HOME = join(tmpdir(), 'phpublish-bench-composer');
gitEnv.COMPOSER_ALLOW_SUPERUSER = '1';
gitEnv.COMPOSER_NO_INTERACTION = '1';
gitEnv.COMPOSER_DISABLE_NETWORK = '1';

const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
const machine = {
  cpu,
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  zlib: process.versions.zlib,
  git: (await run('git', ['--version'])).trim(),
};
log(`machine: ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.git}`);

const single = await benchTree(10_500);
const double = await benchTree(21_000);
// Issue 22's memory target is on the tree's double's double (about 44,000 files): ≤ 200 MiB.
const quadruple = await benchTree(42_000);
/** A ratio of two measured values; NaN when one was not measured (--only). */
const ratio = (a, b) => (a === undefined || b === undefined ? Number.NaN : a / b);
const targets = {
  zipVsGit: {
    value: ratio(single.results.ours?.ms, single.results.git?.ms),
    target: '≤ 1 (no slower than git archive)',
  },
  zipVsGitDoubled: {
    value: ratio(double.results.ours?.ms, double.results.git?.ms),
    target: '≤ 1 (no slower than git archive)',
  },
  peakMiBQuadrupled: { value: quadruple.results.ours?.peakMiB ?? Number.NaN, target: '≤ 200 MiB' },
  cliVsGit: { value: ratio(single.results.cli?.ms, single.results.git?.ms), target: '(informative)' },
  digestVsZip: { value: ratio(single.results.digestRef?.ms, single.results.ours?.ms), target: '≤ 0.5' },
  memoryWhenDoubled: { value: ratio(double.results.ours?.peakMiB, single.results.ours?.peakMiB), target: 'flat (≈ 1)' },
  gitMemoryWhenDoubled: {
    value: ratio(double.results.git?.peakMiB, single.results.git?.peakMiB),
    target: '(reference)',
  },
};
const report = { machine, runs: RUNS, single, double, quadruple, targets };

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const rows = [];
  for (const tree of [single, double, quadruple]) {
    for (const r of Object.values(tree.results)) {
      rows.push(
        `| ${tree.files} files, ${tree.megabytes.toFixed(0)} MB | ${r.label} | ${r.ms.toFixed(0)} ms | ${ratio(r.ms, tree.results.git?.ms).toFixed(2)}× | ${r.cpuSeconds === undefined ? '—' : `${r.cpuSeconds.toFixed(2)} s`} | ${r.peakMiB.toFixed(0)} MiB |`,
      );
    }
  }
  console.log(
    [
      `Machine: ${machine.cores} cores, ${machine.cpu}, ${machine.memoryGiB} GiB RAM; Node ${machine.node} (zlib ${machine.zlib}); ${machine.git}. Median of ${RUNS} runs taken in rounds; peak memory from ${RUNS} more runs of each.`,
      '',
      '| tree | what | wall time | vs git archive | CPU time | peak memory |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      '| target | measured | goal |',
      '| --- | --- | --- |',
      `| our zip / git archive --format=zip | ${targets.zipVsGit.value.toFixed(2)}× | ${targets.zipVsGit.target} |`,
      `| the same on the doubled tree | ${targets.zipVsGitDoubled.value.toFixed(2)}× | ${targets.zipVsGitDoubled.target} |`,
      `| peak memory of our zip, ${quadruple.files} files | ${targets.peakMiBQuadrupled.value.toFixed(0)} MiB | ${targets.peakMiBQuadrupled.target} |`,
      `| whole CLI / git archive --format=zip | ${targets.cliVsGit.value.toFixed(2)}× | ${targets.cliVsGit.target} |`,
      `| digest of the commit / our zip | ${targets.digestVsZip.value.toFixed(2)}× | ${targets.digestVsZip.target} |`,
      `| peak memory, doubled tree / tree | ${targets.memoryWhenDoubled.value.toFixed(2)}× | ${targets.memoryWhenDoubled.target} |`,
      `| the same for git archive | ${targets.gitMemoryWhenDoubled.value.toFixed(2)}× | ${targets.gitMemoryWhenDoubled.target} |`,
      '',
      `Load average (1 min) at the end of each tree: ${single.loadAverage.toFixed(2)}, ${double.loadAverage.toFixed(2)} (${machine.cores} cores).`,
    ].join('\n'),
  );
}
