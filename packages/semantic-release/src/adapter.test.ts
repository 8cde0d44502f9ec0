import { readdir, readFile } from 'node:fs/promises';
import { git, gitEnv } from '@phpublish/testing/git';
import { type PackagistFixture, REPOSITORY_URL, startPackagistFixture } from '@phpublish/testing/packagist';
import { generateTestKey, type TestKey } from '@phpublish/testing/pgp';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as plugin from './adapter.js';
import type { SemanticReleaseContext } from './semantic-release-types.js';

// The hooks in the order semantic-release calls them, with its own `git tag` in between, on a real
// repository and the sandbox Packagist (the full semantic-release run is the e2e test).

/** A workflow's own env-scoped git configuration and editor, which must survive the release. */
const USER_GIT_ENV = {
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'phpublish.fixture',
  GIT_CONFIG_VALUE_0: 'kept',
  GIT_EDITOR: 'false',
};
const OUR_NAMES = [
  'GIT_CONFIG_COUNT',
  ...[0, 1, 2, 3, 4].flatMap((i) => [`GIT_CONFIG_KEY_${i}`, `GIT_CONFIG_VALUE_${i}`]),
  'GIT_EDITOR',
  'PHPUBLISH_TAG_MESSAGE',
];

let key: TestKey;
let fixture: PackagistFixture;
let savedProcessEnv: Record<string, string | undefined>;

beforeAll(async () => {
  key = await generateTestKey('ed25519');
});

beforeEach(async () => {
  fixture = await startPackagistFixture({ tags: [] });
  savedProcessEnv = Object.fromEntries(OUR_NAMES.map((name) => [name, process.env[name]]));
  for (const name of OUR_NAMES) delete process.env[name];
  Object.assign(process.env, USER_GIT_ENV);
});

afterEach(async () => {
  for (const [name, value] of Object.entries(savedProcessEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await fixture.cleanup();
});

function contextFor(): SemanticReleaseContext & { output: string[] } {
  const output: string[] = [];
  const log = (...args: unknown[]) => output.push(args.join(' '));
  return {
    output,
    cwd: fixture.repo.dir,
    env: gitEnv({
      ...USER_GIT_ENV,
      PACKAGIST_USERNAME: 'alice',
      PACKAGIST_API_TOKEN: fixture.alice.safeToken,
      PHPUBLISH_GPG_PRIVATE_KEY: key.armoredPrivateKey,
    }),
    logger: { log, error: log, success: log, warn: log },
    options: { repositoryUrl: REPOSITORY_URL },
    nextRelease: { version: '1.0.0', gitTag: 'v1.0.0', gitHead: fixture.repo.head },
  };
}

describe('the semantic-release hooks', () => {
  describe('when the workflow has its own GIT_CONFIG entries and GIT_EDITOR', () => {
    it('signs the tag semantic-release makes, and puts the environment back exactly as soon as the tag step began', async () => {
      const context = contextFor();
      const config = {
        attest: { enabled: false },
        packagist: { url: fixture.packagist.url, repoUrl: fixture.packagist.url, confirm: { timeout: 30 } },
      };
      const before = { ...context.env };
      await plugin.verifyConditions(config, context);
      await plugin.verifyRelease(config, context);
      await plugin.prepare(config, context);
      // During the tag step: our entries come after the user's, whose configuration still applies.
      expect(process.env['GIT_CONFIG_COUNT']).toBe('5');
      expect(process.env['GIT_CONFIG_KEY_1']).toBe('tag.gpgSign');
      expect(await git(fixture.repo.dir, ['config', '--get', 'phpublish.fixture'], { env: context.env })).toBe(
        'kept\n',
      );
      // What semantic-release does between prepare and publish.
      await git(fixture.repo.dir, ['tag', 'v1.0.0', fixture.repo.head], { env: context.env });
      expect(await git(fixture.repo.dir, ['cat-file', '-t', 'v1.0.0'])).toBe('tag\n');
      // Restored once the tag step has begun: plugins whose publish runs before phpublish's see none of it.
      await vi.waitFor(() => expect(process.env['GIT_CONFIG_COUNT']).toBe('1'), { timeout: 5000 });
      expect(context.env).toEqual(before);

      const published = await plugin.publish(config, context);
      expect(published).toMatchObject({ name: 'Packagist' });
      for (const [name, value] of Object.entries(USER_GIT_ENV)) expect(process.env[name]).toBe(value);
      for (const name of ['GIT_CONFIG_KEY_1', 'GIT_CONFIG_VALUE_4', 'PHPUBLISH_TAG_MESSAGE']) {
        expect(process.env[name]).toBeUndefined();
      }
      expect(context.env).toEqual(before);
      expect(await git(fixture.repo.dir, ['config', '--get', 'phpublish.fixture'], { env: context.env })).toBe(
        'kept\n',
      );

      await plugin.success(config, context);
      expect(context.output.join('\n')).toContain('Release posture of acme/hello v1.0.0');
      expect(context.env).toEqual(before);
    });
  });
});

describe('the plugin’s sources', () => {
  it('hold no state at module level but the one session reference', async () => {
    const dir = new URL('./', import.meta.url);
    const sources = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !/\.(test|bench)\.ts$/.test(f));
    const declarations: string[] = [];
    for (const file of sources) {
      const text = await readFile(new URL(file, dir), 'utf8');
      for (const match of text.matchAll(/^(?:export\s+)?(let|var)\s+(\w+)/gm))
        declarations.push(`${file}: ${match[2]}`);
      for (const match of text.matchAll(/^(?:export\s+)?const\s+(\w+)\s*(?::[^=]+)?=\s*(?:\[|new\s+(?:Map|Set)\b)/gm)) {
        declarations.push(`${file}: ${match[1]}`);
      }
    }
    expect(declarations).toEqual(['adapter.ts: session']);
  });
});
