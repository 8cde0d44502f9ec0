import { type SandboxGitHub, startSandboxGitHub } from '../github/sandbox-github.js';
import { type SandboxGitLab, startSandboxGitLab } from '../gitlab/sandbox-gitlab.js';
import { type SandboxOidcIssuer, startSandboxOidcIssuer } from '../oidc/oidc-issuer.js';
import { type SandboxSigstore, startSandboxSigstore } from './sandbox-sigstore.js';

/** Everything a keyless attestation meets, on 127.0.0.1, wired together. */
export interface AttestationSandbox {
  /** Stands in for https://token.actions.githubusercontent.com (Fulcio reads its tokens as GitHub's). */
  readonly githubIssuer: SandboxOidcIssuer;
  /** Stands in for https://gitlab.com's token issuer (Fulcio reads its tokens as GitLab's). */
  readonly gitlabIssuer: SandboxOidcIssuer;
  readonly sigstore: SandboxSigstore;
  readonly github: SandboxGitHub;
  readonly gitlab: SandboxGitLab;
  close(): Promise<void>;
}

/**
 * Starts the two CI issuers, Sigstore (Fulcio trusting both, Rekor, a TSA unless `tsa: false`), GitHub's
 * and GitLab's APIs. Identities are written for https://github.com and https://gitlab.com, as real
 * Fulcio writes them, so policies look the same as in production except for the issuer URLs.
 */
export async function startAttestationSandbox(
  options: { tsa?: boolean; log?: (line: string) => void } = {},
): Promise<AttestationSandbox> {
  const log = options.log;
  const [githubIssuer, gitlabIssuer, github, gitlab] = await Promise.all([
    startSandboxOidcIssuer({ log }),
    startSandboxOidcIssuer({ log }),
    startSandboxGitHub({ log }),
    startSandboxGitLab({ log }),
  ]);
  const sigstore = await startSandboxSigstore({
    log,
    tsa: options.tsa,
    issuers: [
      { issuer: githubIssuer.issuer, provider: 'github-workflow', serverUrl: 'https://github.com' },
      { issuer: gitlabIssuer.issuer, provider: 'gitlab-pipeline', serverUrl: 'https://gitlab.com' },
    ],
  });
  return {
    githubIssuer,
    gitlabIssuer,
    sigstore,
    github,
    gitlab,
    close: async () => {
      await Promise.all([githubIssuer.close(), gitlabIssuer.close(), sigstore.close(), github.close(), gitlab.close()]);
    },
  };
}
