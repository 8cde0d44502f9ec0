import { describe, expect, it } from 'vitest';
import { withChangesetsDefaults } from './publish.js';

describe('when the options say nothing about attaching the bundle to the GitHub release', () => {
  it('keeps it in the attestation store only (changesets/action creates the release after the publish script)', () => {
    expect(withChangesetsDefaults(undefined)).toEqual({ attest: { storeReleaseAsset: false } });
    expect(withChangesetsDefaults({ packagist: { mode: 'token' }, attest: { enabled: true } })).toEqual({
      packagist: { mode: 'token' },
      attest: { enabled: true, storeReleaseAsset: false },
    });
  });

  it('leaves what the user chose, and options that are not an object (the configuration check reports those)', () => {
    expect(withChangesetsDefaults({ attest: { storeReleaseAsset: true } })).toEqual({
      attest: { storeReleaseAsset: true },
    });
    expect(withChangesetsDefaults({ attest: 'yes' })).toEqual({ attest: 'yes' });
    expect(withChangesetsDefaults(['x'])).toEqual(['x']);
  });
});
