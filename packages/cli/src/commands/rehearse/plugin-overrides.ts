import type { StandInUrls } from './host.js';

/**
 * The phpublish plugin options every host's rehearsal overrides, whatever the user configured:
 * Packagist, the Sigstore services and the GitHub API become the stand-ins, and Packagist is
 * notified with the rehearsal's throwaway token, or with OIDC only (`packagist.oidc: required`;
 * mode `auto`, because `token` would ask for the PACKAGIST_API_TOKEN the environment does not have).
 */
export function pluginOverrides(standIns: StandInUrls): Record<string, Record<string, string>> {
  const credential: Record<string, string> =
    standIns.packagistCredential === 'oidc' ? { mode: 'auto', oidc: 'required' } : { mode: 'token' };
  return {
    packagist: {
      ...credential,
      url: standIns.packagistUrl,
      repoUrl: standIns.packagistUrl,
      repositoryUrl: standIns.repositoryUrl,
    },
    attest: {
      fulcioUrl: standIns.fulcioUrl,
      rekorUrl: standIns.rekorUrl,
      ...(standIns.tsaUrl ? { tsaUrl: standIns.tsaUrl } : {}),
      githubApiUrl: standIns.githubApiUrl,
    },
  };
}

/** `{ a: { b: 'x' } }` → `[['a.b', 'x']]`, for tools that take nested options on the command line. */
export function dottedEntries(options: Record<string, Record<string, string>>): [string, string][] {
  return Object.entries(options).flatMap(([group, values]) =>
    Object.entries(values).map(([name, value]): [string, string] => [`${group}.${name}`, value]),
  );
}

/** What the rehearsal prints about the plugin's overridden options. */
export function describePluginOverrides(options: Record<string, Record<string, string>>): string {
  const names = dottedEntries(options).map(([name]) => name);
  const credential =
    options['packagist']?.['oidc'] === 'required'
      ? 'Packagist notified through its OIDC token exchange only, no token in the environment'
      : 'Packagist notified with a throwaway token';
  return `${names.join(', ')} → the local stand-ins (${credential})`;
}
