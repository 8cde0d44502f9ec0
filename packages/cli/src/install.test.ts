// Packs every public package the way it is published (pnpm pack turns `workspace:*` into versions),
// lints the tarballs as the ecosystem does (publint, are-the-types-wrong), installs them into empty
// projects with npm the way a user does, and runs what got installed on Node 24.
//
// It packs what the build left in each package's dist: `npm test` builds first (turbo run build).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey } from '@phpublish/testing/pgp';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const ROOT_MANIFEST = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { packageManager: string };
/** The Node 24 binary the repository pins (node_modules/.bin/node is a wrapper that sets NODE_PATH into the store). */
const NODE24 = join(REPO, 'node_modules/node/bin/node');
const GITHUB = 'https://github.com/phpublish/phpublish';

/** The packages a user installs; every other workspace package must be `private`. */
const PUBLIC_PACKAGES = [
  '@phpublish/changesets',
  '@phpublish/cli',
  '@phpublish/core',
  '@phpublish/release-it',
  '@phpublish/sandbox',
  '@phpublish/semantic-release',
];

/**
 * What each public package may bring at run time (dependencies, peer and optional dependencies).
 * A new entry here is a decision: it reaches every user's machine.
 */
const RUNTIME_DEPENDENCIES: Record<string, string[]> = {
  '@phpublish/core': [
    '@sigstore/bundle',
    '@sigstore/core',
    '@sigstore/protobuf-specs',
    '@sigstore/tuf',
    '@sigstore/verify',
    'openpgp',
    'sigstore',
    'undici',
    'zod',
  ],
  // Optional peers, loaded by `rehearse` alone: the stand-ins it releases against, and the host tools
  // and plugins `rehearse --host` runs (installed only by those who rehearse).
  '@phpublish/changesets': ['@manypkg/get-packages', '@phpublish/core'],
  '@phpublish/cli': [
    '@changesets/cli',
    '@phpublish/changesets',
    '@phpublish/core',
    '@phpublish/release-it',
    '@phpublish/sandbox',
    '@phpublish/semantic-release',
    'release-it',
    'semantic-release',
  ],
  '@phpublish/release-it': ['@phpublish/core', 'release-it'],
  // @peculiar/x509 (with its reflect-metadata polyfill) makes the one-run CA of the HTTPS GitHub stand-in.
  '@phpublish/sandbox': ['@peculiar/x509', '@sigstore/mock', '@sigstore/protobuf-specs', 'reflect-metadata'],
  '@phpublish/semantic-release': ['@phpublish/core', 'semantic-release'],
};

/** Stand-in, test and build-only code: none of it may reach a user who installs a plugin. */
const NOT_FOR_USERS = [
  '@phpublish/sandbox',
  '@phpublish/testing',
  '@sigstore/mock',
  'nock',
  'vitest',
  'typescript',
  '@freedomofpress/sigstore-browser',
];

interface Packed {
  name: string;
  version: string;
  /** The workspace folder, relative to the repository (`packages/cli`). */
  folder: string;
  tarball: string;
  /** Where the tarball was unpacked: its package.json is the one users get. */
  contents: string;
  manifest: Manifest;
  /** Every file in the tarball, relative to the package root, with `/`. */
  files: string[];
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  engines?: { node?: string };
  publishConfig?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

interface Installed {
  name: string;
  dir: string;
  manifest: Manifest;
}

interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let temp: TempDir;
let packed: Packed[];
/** The three installs run at the same time; each scenario awaits its own. */
let installs: Record<'plugin' | 'releaseItPlugin' | 'changesets' | 'cli' | 'rehearsal', Promise<string>>;

beforeAll(async () => {
  temp = await makeTempDir('phpublish-install-');
  packed = await packPublicPackages(join(temp.path, 'tarballs'));
  installs = {
    plugin: installProject('plugin', ['@phpublish/semantic-release']),
    releaseItPlugin: installProject('release-it-plugin', ['@phpublish/release-it']),
    changesets: installProject('changesets', ['@phpublish/changesets']),
    cli: installProject('cli', ['@phpublish/cli']),
    rehearsal: installProject('rehearsal', ['@phpublish/cli', '@phpublish/sandbox']),
  };
  // A failed install is reported by the scenario that awaits it, not as an unhandled rejection.
  for (const install of Object.values(installs)) install.catch(() => {});
}, 120_000);

afterAll(async () => {
  await temp?.cleanup();
});

describe('when every public package is packed as it would be published', () => {
  it('packs exactly the packages meant for users; the others are private', async () => {
    const workspace = await workspaceManifests();
    expect(workspace.filter((p) => !p.manifest.private).map((p) => p.manifest.name)).toEqual(PUBLIC_PACKAGES);
    expect(packed.map((p) => p.name)).toEqual(PUBLIC_PACKAGES);
  });

  it('gives each one what its registry page and a provenance check need: repository, license, README', async () => {
    const license = await readFile(join(REPO, 'LICENSE'), 'utf8');
    for (const pkg of packed) {
      const m = pkg.manifest;
      // npm's provenance check compares repository.url with the repository the workflow ran in.
      expect(m.repository, pkg.name).toEqual({ type: 'git', url: `git+${GITHUB}.git`, directory: pkg.folder });
      expect(m.homepage, pkg.name).toBe(`${GITHUB}/tree/main/${pkg.folder}#readme`);
      expect(m.bugs, pkg.name).toEqual({ url: `${GITHUB}/issues` });
      expect(m.license, pkg.name).toBe('MIT');
      expect(await readFile(join(pkg.contents, 'LICENSE'), 'utf8'), `${pkg.name}: LICENSE`).toBe(license);
      expect(pkg.files, pkg.name).toContain('README.md');
      expect(m.publishConfig, pkg.name).toEqual({ access: 'public', provenance: true });
      expect(semver.validRange(m.engines?.node ?? ''), `${pkg.name}: engines.node`).toBeTruthy();
    }
  });

  it('resolves workspace: ranges to the exact versions of the packages released with it', () => {
    const versions = new Map(packed.map((p) => [p.name, p.version]));
    for (const pkg of packed) {
      for (const [name, range] of Object.entries(runtimeDependencies(pkg.manifest))) {
        expect(range, `${pkg.name} → ${name}`).not.toMatch(/^workspace:/);
        if (versions.has(name)) expect(range, `${pkg.name} → ${name}`).toBe(versions.get(name));
      }
    }
  });

  it('depends at run time only on what the allow-list names, and never on a private package', async () => {
    const privates = (await workspaceManifests()).filter((p) => p.manifest.private).map((p) => p.manifest.name);
    for (const pkg of packed) {
      const names = Object.keys(runtimeDependencies(pkg.manifest));
      expect(
        names.filter((name) => !RUNTIME_DEPENDENCIES[pkg.name]?.includes(name)),
        `${pkg.name}: run-time dependencies missing from RUNTIME_DEPENDENCIES`,
      ).toEqual([]);
      expect(
        names.filter((name) => privates.includes(name)),
        `${pkg.name}: depends on private packages`,
      ).toEqual([]);
    }
  });

  it('ships source maps whose sources are in the package, and no source that no map refers to', async () => {
    for (const pkg of packed) {
      expect(await danglingReferences(pkg), `${pkg.name}: references to files that are not in the package`).toEqual([]);
      expect(await unmappedSources(pkg), `${pkg.name}: sources that no map refers to (tests? stale?)`).toEqual([]);
    }
  });

  it('passes publint, with warnings counted as errors', async () => {
    for (const pkg of packed) {
      const tarball = await readFile(pkg.tarball);
      const { messages, pkg: manifest } = await publint({
        pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
        level: 'suggestion',
        strict: true,
      });
      const problems = messages.map((m) => `${m.type} ${m.code}: ${formatMessage(m, manifest, { color: false })}`);
      expect(problems, pkg.name).toEqual([]);
    }
  });

  it('passes "are the types wrong" for an ESM-only package', async () => {
    const attw = join(REPO, 'node_modules/.bin/attw');
    const runs = await Promise.all(
      packed.map((pkg) =>
        run(attw, [pkg.tarball, '--profile', 'esm-only', '--no-definitely-typed', '--no-color', '--no-emoji'], {
          cwd: temp.path,
          env: userEnv(),
        }),
      ),
    );
    runs.forEach((result, i) => {
      expect(result.code, `${packed[i]?.name}:\n${result.stdout}${result.stderr}`).toBe(0);
    });
  }, 120_000);
});

describe('when a user installs @phpublish/changesets', () => {
  let project: string;
  let tree: Installed[];

  beforeAll(async () => {
    project = await installs.changesets;
    tree = await installedPackages(project);
  }, 180_000);

  it('installs core beside it, and no CLI, stand-in or test code', () => {
    expect(phpublishPackages(tree)).toEqual(['@phpublish/changesets', '@phpublish/core']);
    expect(tree.map((p) => p.name).filter((name) => NOT_FOR_USERS.includes(name))).toEqual([]);
  });

  it('runs `phpublish-changesets --help` on Node 24', async () => {
    const result = await run(NODE24, [join(project, 'node_modules/.bin/phpublish-changesets'), '--help'], {
      cwd: project,
      env: userEnv(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('phpublish-changesets publish');
  });
});

describe('when a user installs @phpublish/release-it', () => {
  let project: string;
  let tree: Installed[];

  beforeAll(async () => {
    project = await installs.releaseItPlugin;
    tree = await installedPackages(project);
    // The user installs release-it beside the plugin (its peer); offline, the workspace's copy stands in for it.
    const releaseIt = dirname(
      createRequire(join(REPO, 'packages', 'release-it', 'package.json')).resolve('release-it/package.json'),
    );
    await symlink(releaseIt, join(project, 'node_modules', 'release-it'), 'dir');
  }, 180_000);

  it('installs core beside the plugin, and no CLI, stand-in or test code', () => {
    expect(phpublishPackages(tree)).toEqual(['@phpublish/core', '@phpublish/release-it']);
    expect(tree.map((p) => p.name).filter((name) => NOT_FOR_USERS.includes(name))).toEqual([]);
  });

  it('loads the plugin as release-it does: a default-exported class with the lifecycle methods', async () => {
    const script = join(project, 'check.mjs');
    await writeFile(
      script,
      [
        "const { default: Plugin } = await import('@phpublish/release-it');",
        "const methods = ['init', 'beforeRelease', 'release', 'afterRelease'].filter((name) => typeof Plugin.prototype[name] === 'function');",
        'console.log(JSON.stringify({ type: typeof Plugin, methods }));',
      ].join('\n'),
    );
    const result = await run(NODE24, [script], { cwd: project, env: userEnv() });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      type: 'function',
      methods: ['init', 'beforeRelease', 'release', 'afterRelease'],
    });
  });
});

describe('when a user installs @phpublish/semantic-release', () => {
  let project: string;
  let tree: Installed[];

  beforeAll(async () => {
    project = await installs.plugin;
    tree = await installedPackages(project);
  }, 180_000);

  it('installs core beside the plugin and no CLI, stand-in or test code', () => {
    expect(phpublishPackages(tree)).toEqual(['@phpublish/core', '@phpublish/semantic-release']);
    expect(tree.map((p) => p.name).filter((name) => NOT_FOR_USERS.includes(name))).toEqual([]);
  });

  it('installs only dependencies that support every Node version the packages promise', () => {
    expect(narrowerEngines(tree)).toEqual([]);
  });

  it('loads every module of the installed packages, and the plugin exports its hooks', async () => {
    const script = join(project, 'check.mjs');
    await writeFile(
      script,
      [
        "import { readdir } from 'node:fs/promises';",
        "import { join } from 'node:path';",
        "import { pathToFileURL } from 'node:url';",
        // Every compiled module except programs (bin/) and worker entry points, which run when loaded.
        'const modules = [];',
        'for (const dir of JSON.parse(process.argv[2])) {',
        "  for (const file of await readdir(join(dir, 'dist'), { recursive: true })) {",
        "    const program = file.startsWith('bin/') || file.endsWith('-worker.js');",
        "    if (file.endsWith('.js') && !program) modules.push(join(dir, 'dist', file));",
        '  }',
        '}',
        'for (const file of modules) await import(pathToFileURL(file).href);',
        "const plugin = await import('@phpublish/semantic-release');",
        'const hooks = Object.fromEntries(Object.entries(plugin).map(([name, value]) => [name, typeof value]));',
        'console.log(JSON.stringify({ modules: modules.length, hooks }));',
      ].join('\n'),
    );
    const dirs = tree.filter((p) => p.name.startsWith('@phpublish/')).map((p) => p.dir);
    const result = await run(NODE24, [script, JSON.stringify(dirs)], { cwd: project, env: userEnv() });
    expect(result.code, result.stderr).toBe(0);
    const { modules, hooks } = JSON.parse(result.stdout) as { modules: number; hooks: Record<string, string> };
    expect(modules).toBeGreaterThan(100);
    expect(hooks).toMatchObject({
      verifyConditions: 'function',
      verifyRelease: 'function',
      prepare: 'function',
      publish: 'function',
      success: 'function',
      fail: 'function',
    });
  });
});

describe('when a user installs @phpublish/cli', () => {
  let project: string;
  let tree: Installed[];
  let fixture: PackagistFixture;

  beforeAll(async () => {
    project = await installs.cli;
    tree = await installedPackages(project);
    fixture = await startPackagistFixture();
  }, 180_000);

  afterAll(async () => {
    await fixture?.cleanup();
  });

  it('installs core beside the CLI, and no stand-in or test code (the sandbox is an optional peer)', () => {
    expect(phpublishPackages(tree)).toEqual(['@phpublish/cli', '@phpublish/core']);
    expect(tree.map((p) => p.name).filter((name) => NOT_FOR_USERS.includes(name))).toEqual([]);
    expect(narrowerEngines(tree)).toEqual([]);
  });

  it('says what to install when `phpublish rehearse` is run without the stand-ins', async () => {
    const result = await run(join(project, 'node_modules/.bin/phpublish'), ['rehearse', '--sample'], {
      cwd: temp.path,
      env: { PATH: userPath(), HOME: process.env['HOME'] ?? temp.path },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('REHEARSE_SANDBOX_MISSING');
    expect(result.stderr).toContain('npm install --save-dev @phpublish/sandbox');
  });

  it('runs `phpublish --version` on Node 24 and prints the package version', async () => {
    const result = await run(join(project, 'node_modules/.bin/phpublish'), ['--version'], {
      cwd: project,
      env: userEnv(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(packed.find((p) => p.name === '@phpublish/cli')?.version);
  });

  it('runs `phpublish doctor` in a PHP package: key, package and Packagist are fine', async () => {
    const key = await generateTestKey('ed25519');
    await writeFile(
      join(fixture.repo.dir, 'phpublish.config.json'),
      JSON.stringify({
        attest: { enabled: false },
        packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, repositoryUrl: REPOSITORY_URL },
      }),
    );
    const result = await run(join(project, 'node_modules/.bin/phpublish'), ['doctor', '--json'], {
      cwd: fixture.repo.dir,
      env: gitEnv({
        PATH: userPath(),
        HOME: temp.path,
        PACKAGIST_USERNAME: 'alice',
        PACKAGIST_API_TOKEN: fixture.alice.safeToken,
        PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
      }),
    });
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
    const rows = JSON.parse(result.stdout) as { area: string; status: string }[];
    expect(rows.filter((r) => r.status === 'problem')).toEqual([]);
    expect(rows).toContainEqual(expect.objectContaining({ area: 'Signed tags', status: 'ok' }));
    expect(rows).toContainEqual(expect.objectContaining({ area: 'Package', status: 'ok' }));
  });
});

describe('when a user installs @phpublish/cli and @phpublish/sandbox to rehearse', () => {
  let project: string;

  beforeAll(async () => {
    project = await installs.rehearsal;
  }, 180_000);

  it('rehearses the bundled sample through every layer', async () => {
    const work = join(temp.path, 'rehearsal-cwd');
    await mkdir(work);
    const result = await run(join(project, 'node_modules/.bin/phpublish'), ['rehearse', '--sample', '--json'], {
      cwd: work,
      env: { PATH: userPath(), HOME: process.env['HOME'] ?? temp.path },
    });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { version: string; installedFiles: string[] };
    expect(report.installedFiles).toContain('composer.json');
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

async function workspaceManifests(): Promise<{ folder: string; manifest: Manifest }[]> {
  const folders = (await readdir(join(REPO, 'packages'))).sort();
  const found = [];
  for (const name of folders) {
    const file = join(REPO, 'packages', name, 'package.json');
    if (!existsSync(file)) continue;
    found.push({ folder: `packages/${name}`, manifest: JSON.parse(await readFile(file, 'utf8')) as Manifest });
  }
  return found.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/** `pnpm pack` of every public package, each tarball unpacked beside it. */
async function packPublicPackages(destination: string): Promise<Packed[]> {
  const publicOnes = (await workspaceManifests()).filter((p) => !p.manifest.private);
  for (const { folder } of publicOnes) {
    if (!existsSync(join(REPO, folder, 'dist'))) throw new Error(`${folder}/dist is missing: run the build first`);
  }
  const filters = publicOnes.flatMap((p) => ['--filter', p.manifest.name]);
  const pnpm = ['-y', ROOT_MANIFEST.packageManager, '-r', ...filters, 'pack', '--pack-destination', destination];
  const result = await run('npx', [...pnpm, '--json'], { cwd: REPO, env: userEnv() });
  if (result.code !== 0) throw new Error(`pnpm pack failed:\n${result.stderr}`);
  const reports = JSON.parse(result.stdout) as { name: string; filename: string; files: { path: string }[] }[];
  const packs: Packed[] = [];
  for (const { folder, manifest } of publicOnes) {
    const report = reports.find((r) => r.name === manifest.name);
    if (!report) throw new Error(`pnpm pack did not pack ${manifest.name}`);
    const contents = join(destination, manifest.name.replace('/', '+'));
    await mkdir(contents, { recursive: true });
    const untar = await run('tar', ['-xzf', report.filename, '-C', contents, '--strip-components=1'], {
      cwd: destination,
      env: userEnv(),
    });
    if (untar.code !== 0) throw new Error(`tar failed:\n${untar.stderr}`);
    const packedManifest = JSON.parse(await readFile(join(contents, 'package.json'), 'utf8')) as Manifest;
    packs.push({
      name: manifest.name,
      version: packedManifest.version,
      folder,
      tarball: report.filename,
      contents,
      manifest: packedManifest,
      files: report.files.map((f) => f.path).sort(),
    });
  }
  return packs;
}

function runtimeDependencies(manifest: Manifest): Record<string, string> {
  return { ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies };
}

const SOURCE_MAP_URL = /^\/\/# sourceMappingURL=(.+)$/m;

/** Source maps whose sources, and modules whose source maps, are not in the package. */
async function danglingReferences(pkg: Packed): Promise<string[]> {
  const shipped = new Set(pkg.files);
  const dangling: string[] = [];
  for (const file of pkg.files) {
    const text = () => readFile(join(pkg.contents, file), 'utf8');
    if (file.endsWith('.map')) {
      const map = JSON.parse(await text()) as { sourceRoot?: string; sources: string[] };
      for (const source of map.sources) {
        const target = posix.join(posix.dirname(file), map.sourceRoot ?? '', source);
        if (!shipped.has(target)) dangling.push(`${file} → ${target}`);
      }
    } else if (/\.(js|d\.ts)$/.test(file)) {
      const url = SOURCE_MAP_URL.exec(await text())?.[1];
      const target = url && posix.join(posix.dirname(file), url);
      if (target && !shipped.has(target)) dangling.push(`${file} → ${target}`);
    }
  }
  return dangling;
}

/** Shipped `src/` files that no source map names: code that is not part of the build (tests, fixtures). */
async function unmappedSources(pkg: Packed): Promise<string[]> {
  const mapped = new Set<string>();
  for (const file of pkg.files.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(await readFile(join(pkg.contents, file), 'utf8')) as {
      sourceRoot?: string;
      sources: string[];
    };
    for (const source of map.sources) mapped.add(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
  }
  return pkg.files.filter((f) => f.startsWith('src/') && !mapped.has(f));
}

/**
 * An empty project that depends on `direct` (as tarballs); every other phpublish package it needs
 * comes from its tarball too, through `overrides`, so npm decides what gets installed, as it would
 * from the registry. Peers are left out (`--legacy-peer-deps`): the host tool is the user's own.
 */
async function installProject(name: string, direct: string[]): Promise<string> {
  const project = join(temp.path, name);
  await mkdir(project);
  const spec = (pkg: Packed) => `file:${pkg.tarball}`;
  const manifest = {
    name: `install-check-${name}`,
    private: true,
    type: 'module',
    dependencies: Object.fromEntries(packed.filter((p) => direct.includes(p.name)).map((p) => [p.name, spec(p)])),
    overrides: Object.fromEntries(packed.filter((p) => !direct.includes(p.name)).map((p) => [p.name, spec(p)])),
  };
  await writeFile(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  const result = await run(
    'npm',
    ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--legacy-peer-deps'],
    { cwd: project, env: userEnv() },
  );
  if (result.code !== 0) throw new Error(`npm install ${direct.join(' ')} failed:\n${result.stderr}`);
  return project;
}

/** Every package on disk under the project's node_modules, nested ones included. */
async function installedPackages(project: string): Promise<Installed[]> {
  const found: Installed[] = [];
  async function walk(nodeModules: string): Promise<void> {
    if (!existsSync(nodeModules)) return;
    for (const entry of await readdir(nodeModules)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@')
        ? (await readdir(join(nodeModules, entry))).map((scoped) => join(nodeModules, entry, scoped))
        : [join(nodeModules, entry)];
      for (const dir of dirs) {
        const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
        found.push({ name: manifest.name, dir, manifest });
        await walk(join(dir, 'node_modules'));
      }
    }
  }
  await walk(join(project, 'node_modules'));
  return found;
}

function phpublishPackages(tree: Installed[]): string[] {
  return [...new Set(tree.map((p) => p.name).filter((name) => name.startsWith('@phpublish/')))].sort();
}

/** Installed packages whose `engines.node` leaves out a Node version that a phpublish package promises. */
function narrowerEngines(tree: Installed[]): string[] {
  const promised = tree.filter((p) => p.name.startsWith('@phpublish/')).map((p) => p.manifest.engines?.node ?? '*');
  return tree
    .filter((dep) => dep.manifest.engines?.node)
    .flatMap((dep) =>
      promised
        .filter((range) => !semver.subset(range, dep.manifest.engines?.node ?? '*'))
        .map((range) => `${dep.name} needs node ${dep.manifest.engines?.node}, phpublish promises ${range}`),
    );
}

/** PATH with Node 24 first and without the workspace's own node_modules/.bin folders. */
function userPath(): string {
  const entries = (process.env['PATH'] ?? '').split(delimiter).filter((entry) => !entry.startsWith(REPO));
  return [dirname(NODE24), ...entries].join(delimiter);
}

/**
 * The environment of a user's shell: this process's, without what pnpm and vitest add (npm_* settings
 * such as the workspace as npm's local prefix, NODE_PATH into the workspace's store, NODE_OPTIONS).
 */
function userEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(npm_|pnpm_|vitest)/i.test(name)) continue;
    if (['NODE_PATH', 'NODE_OPTIONS', 'NODE_ENV', 'INIT_CWD', 'NODE', 'TEST'].includes(name)) continue;
    env[name] = value;
  }
  return { ...env, PATH: userPath(), npm_config_update_notifier: 'false' };
}

function run(command: string, args: string[], options: { cwd: string; env: Record<string, string> }) {
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
