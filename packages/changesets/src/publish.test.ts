import { describe, expect, it } from 'vitest';
import { withChangesetsDefaults } from './publish.js';

describe('when the options say nothing about attaching the bundle to a GitHub or GitLab release', () => {
  it('keeps it in the attestation store only (changesets/action creates the GitHub release after the publish script, changesets no GitLab release)', () => {
    expect(withChangesetsDefaults(undefined)).toEqual({
      attest: { storeReleaseAsset: false, storeGitLabReleaseLink: false },
    });
    expect(withChangesetsDefaults({ packagist: { mode: 'token' }, attest: { enabled: true } })).toEqual({
      packagist: { mode: 'token' },
      attest: { enabled: true, storeReleaseAsset: false, storeGitLabReleaseLink: false },
    });
  });

  it('leaves what the user chose, and options that are not an object (the configuration check reports those)', () => {
    expect(withChangesetsDefaults({ attest: { storeReleaseAsset: true } })).toEqual({
      attest: { storeReleaseAsset: true, storeGitLabReleaseLink: false },
    });
    expect(withChangesetsDefaults({ attest: 'yes' })).toEqual({ attest: 'yes' });
    expect(withChangesetsDefaults(['x'])).toEqual(['x']);
  });
});
