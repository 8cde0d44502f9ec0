import { describe, expect, it } from 'vitest';
import { describeIdentity, identityPolicyFor } from './identities.js';
import { identitySchema } from './policy-schema.js';

// A policy names release identities once for many packages: `{vendor}`, `{name}` and `{tag}` are
// filled in per package and version, and each identity becomes the exact policy attestations are
// checked against (and the text the report shows for it).

const policyFor = (identity: unknown, packageName = 'acme/hello', tag = 'v1.2.0') =>
  identityPolicyFor(identitySchema.parse(identity), packageName, tag);

describe('when an identity uses placeholders', () => {
  it('fills in the package’s vendor, name and tag in the repository, refs and reusable workflow', () => {
    const policy = policyFor(
      {
        repository: '{vendor}/{name}',
        workflow: '.github/workflows/release.yml',
        ref: ['refs/tags/{tag}', 'refs/heads/main'],
        workflowRepository: '{vendor}/workflows',
        workflowRef: 'refs/tags/{tag}',
      },
      'other-vendor/lib',
      'v3.0.0',
    );
    expect(policy).toMatchObject({
      platform: 'github-actions',
      issuer: 'https://token.actions.githubusercontent.com',
      repository: 'other-vendor/lib',
      refs: ['refs/tags/v3.0.0', 'refs/heads/main'],
      workflowRepository: 'other-vendor/workflows',
      workflowRef: 'refs/tags/v3.0.0',
    });
    // The report names the reusable workflow where it lives, and the refs the run may be for.
    expect(describeIdentity(policy)).toBe(
      'https://github.com/other-vendor/workflows/.github/workflows/release.yml (run for refs/tags/v3.0.0 or refs/heads/main)',
    );
  });
});

describe('when an identity is a GitLab CI pipeline on a self-managed host', () => {
  it('trusts that host as the issuer unless another one is given, and writes GitLab’s identity form', () => {
    const own = policyFor({
      platform: 'gitlab-ci',
      serverUrl: 'https://gitlab.example.com',
      repository: 'group/sub/hello',
      workflow: '.gitlab-ci.yml',
      ref: 'refs/tags/{tag}',
    });
    expect(own).toMatchObject({ issuer: 'https://gitlab.example.com', refs: ['refs/tags/v1.2.0'] });
    expect(describeIdentity(own)).toBe(
      'https://gitlab.example.com/group/sub/hello//.gitlab-ci.yml (run for refs/tags/v1.2.0)',
    );

    const federated = policyFor({
      platform: 'gitlab-ci',
      issuer: 'https://id.example.com',
      repository: 'group/hello',
      workflow: '.gitlab-ci.yml',
    });
    expect(federated).toMatchObject({ issuer: 'https://id.example.com', serverUrl: 'https://gitlab.com' });
    // No ref given: a run for any ref matches, and the text does not pretend otherwise.
    expect(describeIdentity(federated)).toBe('https://gitlab.com/group/hello//.gitlab-ci.yml');
  });
});

describe('when an identity is a GitHub Enterprise workflow', () => {
  it('uses the given server and issuer', () => {
    const policy = policyFor({
      serverUrl: 'https://github.example.com',
      issuer: 'https://token.actions.github.example.com',
      repository: 'acme/hello',
      workflow: '.github/workflows/release.yml',
    });
    expect(policy).toMatchObject({
      serverUrl: 'https://github.example.com',
      issuer: 'https://token.actions.github.example.com',
    });
    expect(describeIdentity(policy)).toBe('https://github.example.com/acme/hello/.github/workflows/release.yml');
  });
});
