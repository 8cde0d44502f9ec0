import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@phpublish/testing/temp-dir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPhpublishError } from '../errors/index.js';
import { loadPolicy, policyEntryFor } from './policy.js';

// An identity whose signing workflow is a reusable one in another repository: the certificate
// names that workflow's ref only inside its SAN, so the policy must pin it; a pinned ref for a
// workflow of the repository itself would be a rule that never applies, so it is refused too.

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir('phpublish-policy-reusable-');
});
afterAll(async () => dir.cleanup());

async function load(identity: Record<string, unknown>) {
  const file = join(dir.path, `policy-${Math.random().toString(16).slice(2)}.json`);
  await writeFile(
    file,
    JSON.stringify({ packages: { 'acme/*': { requireSignedTag: false, identities: [identity] } } }),
  );
  return loadPolicy({ file, cwd: dir.path });
}

const base = { repository: 'acme/{name}', workflow: '.github/workflows/release.yml' };

describe('when an identity names a reusable workflow in another repository', () => {
  it('refuses it without the workflow’s ref pinned (VERIFY_POLICY_INVALID)', async () => {
    const error = await load({ ...base, workflowRepository: 'acme/shared-workflows' }).catch((e: unknown) => e);
    expect(isPhpublishError(error, 'VERIFY_POLICY_INVALID')).toBe(true);
    expect(String(error)).toMatch(/workflowRef.*pinned/s);
  });

  it('accepts it with the ref pinned, and keeps both', async () => {
    const policy = await load({ ...base, workflowRepository: 'acme/shared-workflows', workflowRef: 'refs/heads/main' });
    expect(policyEntryFor(policy, 'acme/hello')!.identities[0]).toMatchObject({
      workflowRepository: 'acme/shared-workflows',
      workflowRef: 'refs/heads/main',
    });
  });
});

describe('when an identity pins a workflow ref without a reusable workflow elsewhere', () => {
  it.each([
    ['no workflowRepository', {}],
    ['the repository itself, in other letter case', { workflowRepository: 'ACME/{name}' }],
  ])('refuses it with %s (VERIFY_POLICY_INVALID)', async (_what, extra) => {
    const error = await load({ ...base, ...extra, workflowRef: 'refs/heads/main' }).catch((e: unknown) => e);
    expect(isPhpublishError(error, 'VERIFY_POLICY_INVALID')).toBe(true);
    expect(String(error)).toMatch(/workflowRef.*applies to a reusable workflow/s);
  });
});
