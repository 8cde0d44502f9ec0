#!/usr/bin/env node
/**
 * The logic of phpublish's composite GitHub Action (action.yml), kept out of YAML so that it can be
 * tested: packages/cli/src/action.test.ts runs runAction() with the environment a GitHub runner sets,
 * against the sandbox. Plain Node, no dependencies: it runs before anything is installed.
 *
 * mode publish: the tag the maintainer signed with their own gpg and pushed is fetched as it is on
 * the remote, then `phpublish publish <tag>` checks that it is signed by one of the trusted keys
 * (a file in the repository), builds and attests the zip, notifies Packagist and confirms, and
 * appends the posture report to the job summary. Nothing is published when the check fails.
 *
 * mode monitor: `phpublish verify <vendor/name> --all-versions`: every version Packagist serves is
 * verified against the policy; the job fails when one was not released through the release process.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_TRUSTED_KEYS = '.github/phpublish-release-keys.asc';
export const CONFIG_FILE = 'phpublish.config.json';

/** A problem with the workflow itself, said as a GitHub error annotation; exit 1 like a failed check. */
class ActionProblem extends Error {}

/**
 * Runs the action. `phpublish(argv, env)` runs the CLI and resolves to its exit code; `git(args)`
 * runs git in `cwd` and resolves to its exit code and output; `log` writes a line to the job log.
 */
export async function runAction({ env, cwd, phpublish, git, log }) {
  const input = (name, fallback = '') => (env[`INPUT_${name}`] ?? '').trim() || fallback;
  try {
    const mode = input('MODE', 'publish');
    if (mode === 'publish') return await publish({ env, cwd, phpublish, git, log, input });
    if (mode === 'monitor') return await monitor({ env, cwd, phpublish, log, input });
    throw new ActionProblem(`mode "${mode}" is not one of publish, monitor.`);
  } catch (error) {
    if (!(error instanceof ActionProblem)) throw error;
    log(`::error title=phpublish action::${error.message}`);
    return 1;
  }
}

/** The tag to publish: the `tag` input, else the pushed tag (`on: push: tags`). */
function releaseTag(env, input) {
  const given = input('TAG');
  if (given) return given;
  if (env.GITHUB_REF?.startsWith('refs/tags/')) return env.GITHUB_REF.slice('refs/tags/'.length);
  throw new ActionProblem(
    `mode publish releases a pushed tag, but this run is for ${env.GITHUB_REF || 'no ref'}: trigger the workflow with \`on: push: tags\`, or set the \`tag\` input.`,
  );
}

async function publish({ env, cwd, phpublish, git, log, input }) {
  const tag = releaseTag(env, input);
  // actions/checkout fetches a pushed tag by its commit and writes it back as a lightweight tag: the
  // signed tag object is fetched from the remote itself, replacing that local ref.
  const fetched = await git(['fetch', '--no-tags', '--force', 'origin', `+refs/tags/${tag}:refs/tags/${tag}`]);
  if (fetched.code !== 0) {
    throw new ActionProblem(`could not fetch the tag ${tag} from origin: ${fetched.stderr.trim().split('\n').pop()}`);
  }
  const keysFile = input('TRUSTED_KEYS', DEFAULT_TRUSTED_KEYS);
  let keys;
  try {
    keys = await readFile(resolve(cwd, keysFile), 'utf8');
  } catch (error) {
    throw new ActionProblem(
      `the trusted keys file ${keysFile} cannot be read (${error.code ?? error.message}): commit the release signers' public keys there (\`gpg --armor --export <fingerprint>\`), or name the file in the \`trusted-keys\` input.`,
    );
  }
  const configFile = await optionsWithTrustedKeys({ env, cwd, input, keys });
  log(`phpublish action: publishing ${tag}; its signature must be by a key in ${keysFile}.`);
  const code = await phpublish(['publish', tag, '--config', configFile], env);
  if (code !== 0) {
    log(`::error title=phpublish publish failed::${tag} was not published (exit ${code}): the log above says why.`);
  }
  return code;
}

/**
 * The options phpublish runs with: the repository's own (the `config` input, else
 * phpublish.config.json when there is one), plus the trusted keys, and release assets only when the
 * workflow asks for them (a hand-pushed tag has no release to attach them to). Written to the
 * runner's temporary folder, never into the checkout.
 */
async function optionsWithTrustedKeys({ env, cwd, input, keys }) {
  const named = input('CONFIG');
  let options = {};
  try {
    options = JSON.parse(await readFile(resolve(cwd, named || CONFIG_FILE), 'utf8'));
  } catch (error) {
    if (named || error.code !== 'ENOENT') {
      throw new ActionProblem(`the options file ${named || CONFIG_FILE} cannot be used: ${error.message}`);
    }
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ActionProblem(`the options file ${named || CONFIG_FILE} is not a JSON object.`);
  }
  const signing = options.signing ?? {};
  const fingerprints = input('TRUSTED_FINGERPRINTS')
    .split(/[\s,]+/)
    .filter(Boolean);
  const merged = {
    ...options,
    signing: {
      ...signing,
      trustedKeys: [...(signing.trustedKeys ?? []), keys],
      trustedFingerprints: [...(signing.trustedFingerprints ?? []), ...fingerprints],
    },
    attest: { ...options.attest, storeReleaseAsset: input('UPLOAD_TO_RELEASE', 'false') === 'true' },
  };
  const file = join(env.RUNNER_TEMP || tmpdir(), `phpublish-action-${process.pid}.config.json`);
  await writeFile(file, JSON.stringify(merged, null, 2));
  return file;
}

async function monitor({ env, cwd, phpublish, log, input }) {
  const packageName = input('PACKAGE') || (await composerName(cwd));
  const since = input('SINCE');
  const code = await phpublish(
    [
      'verify',
      packageName,
      '--all-versions',
      '--policy',
      input('POLICY', 'phpublish.policy.json'),
      ...(since ? ['--since', since] : []),
    ],
    env,
  );
  if (code === 1) {
    log(
      `::error title=phpublish monitor::A version of ${packageName} that Packagist serves is not signed by the policy's keys or not attested by its release workflow (see the job summary). Investigate now: it may have been published with a stolen token.`,
    );
  }
  return code;
}

async function composerName(cwd) {
  try {
    const { name } = JSON.parse(await readFile(join(cwd, 'composer.json'), 'utf8'));
    if (typeof name === 'string' && name.includes('/')) return name;
  } catch {
    // said below
  }
  throw new ActionProblem('mode monitor needs the `package` input (vendor/name), or a composer.json with a name.');
}

/** Runs a program with the job's output; resolves to its exit code and what it wrote to stderr. */
function run(command, args, { cwd, env, capture = false }) {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'inherit', capture ? 'pipe' : 'inherit'] });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? 1, stderr }));
  });
}

// Run by action.yml: the CLI through npx, at the version the action pins.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const env = process.env;
  const cwd = process.cwd();
  const version = (env.INPUT_PHPUBLISH_VERSION ?? '').trim();
  if (!/^[0-9A-Za-z.+-]+$/.test(version)) {
    console.log(`::error title=phpublish action::phpublish-version "${version}" is not a version.`);
    process.exit(1);
  }
  const code = await runAction({
    env,
    cwd,
    phpublish: async (argv, runEnv) =>
      (await run('npx', ['--yes', `@phpublish/cli@${version}`, ...argv], { cwd, env: runEnv })).code,
    git: (args) => run('git', args, { cwd, env, capture: true }),
    log: (line) => console.log(line),
  });
  process.exit(code);
}
