import { PhpublishError } from '../errors/index.js';
import type { RetryPolicy } from '../http/index.js';
import type { Redactor } from '../log/index.js';
import { claim, type IdentityToken } from './id-token.js';
import { visibilityClaim } from './sigstore-instance.js';
import { IN_TOTO_PAYLOAD_TYPE, type ProvenanceStatement } from './statement.js';

/** A Sigstore bundle as JSON (media type application/vnd.dev.sigstore.bundle.v0.3+json for DSSE). */
export type SigstoreBundle = Record<string, unknown> & { mediaType: string };

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface SigstoreEndpoints {
  fulcioUrl: string;
  /**
   * The transparency log, which is public. Absent for an instance without one (GitHub's, for private
   * repositories): the timestamp authority then dates the signature, so `tsaUrl` is required.
   */
  rekorUrl?: string;
  /** An RFC 3161 timestamp authority; none when absent. */
  tsaUrl?: string;
  /**
   * True when the user chose the public-good instance explicitly (`attest.sigstore: public-good`):
   * only then may a private or internal repository's provenance go to the public log.
   */
  publicLogAccepted?: boolean;
}

export interface SignStatementInput {
  statement: ProvenanceStatement;
  identity: IdentityToken;
  endpoints: SigstoreEndpoints;
  /** Per request to Fulcio, Rekor and the TSA. */
  timeoutMs: number;
  /** sigstore-js retries on its own (408/429/5xx, network): with phpublish's policy when given. */
  retry?: RetryPolicy;
  redactor: Redactor;
}

/** Which service a sigstore-js failure code is about. */
const SERVICE_OF: Record<string, string> = {
  CA_CREATE_SIGNING_CERTIFICATE_ERROR: 'Fulcio',
  TLOG_CREATE_ENTRY_ERROR: 'Rekor',
  TLOG_FETCH_ENTRY_ERROR: 'Rekor',
  TSA_CREATE_TIMESTAMP_ERROR: 'the timestamp authority',
};

/**
 * Signs the statement keylessly: an ephemeral key, a Fulcio certificate for the CI's identity token, a
 * DSSE envelope, a Rekor entry and (when configured) an RFC 3161 timestamp, packed into a v0.3 bundle.
 * sigstore-js does this HTTP itself; it is loaded only now, so that importing phpublish stays cheap.
 */
export async function signStatement(input: SignStatementInput): Promise<SigstoreBundle> {
  refusePrivateToPublicLog(input);
  const { attest } = await import('sigstore');
  const payload = Buffer.from(JSON.stringify(input.statement), 'utf8');
  const { rekorUrl, tsaUrl } = input.endpoints;
  try {
    const bundle = await attest(payload, IN_TOTO_PAYLOAD_TYPE, {
      identityToken: input.identity.token,
      fulcioURL: input.endpoints.fulcioUrl,
      ...(rekorUrl ? { rekorURL: rekorUrl } : { tlogUpload: false }),
      ...(tsaUrl ? { tsaServerURL: tsaUrl } : {}),
      timeout: input.timeoutMs,
      ...(input.retry
        ? {
            retry: {
              retries: input.retry.attempts - 1,
              factor: 2,
              minTimeout: input.retry.baseDelayMs,
              maxTimeout: input.retry.maxDelayMs,
            },
          }
        : {}),
    });
    return bundle as unknown as SigstoreBundle;
  } catch (error) {
    throw signingError(error, input);
  }
}

/**
 * The last guard before anything leaves: whatever chose the endpoints, a token that says its
 * repository is private or internal never goes with its statement to a public transparency log
 * unless the user accepted that. And without a log, a timestamp authority must date the signature.
 */
function refusePrivateToPublicLog(input: SignStatementInput): void {
  const { rekorUrl, tsaUrl, publicLogAccepted } = input.endpoints;
  if (!rekorUrl) {
    if (!tsaUrl) throw new Error('signStatement: an instance without a transparency log needs a timestamp authority');
    return;
  }
  const visibility = visibilityClaim(input.identity.platform, input.identity.claims);
  if (publicLogAccepted || visibility === undefined || visibility === 'public') return;
  throw new PhpublishError('ATTEST_PRIVATE_PUBLIC_LOG', {
    repository: claim(
      input.identity.claims,
      input.identity.platform === 'github-actions' ? 'repository' : 'project_path',
    ),
    visibility,
    url: rekorUrl,
  });
}

function signingError(error: unknown, input: SignStatementInput): PhpublishError {
  const { redactor } = input;
  const e = error as { code?: string; message?: string; cause?: { statusCode?: number; message?: string } };
  // sigstore-js puts the whole token in some messages: nothing of it leaves here unredacted, and the
  // original error is not kept as a cause.
  const reason = redactor
    .redact(String(e.cause?.message ?? e.message ?? error))
    .split('\n')[0]!
    .slice(0, 300);
  if (e.code === 'IDENTITY_TOKEN_PARSE_ERROR' || e.code === 'IDENTITY_TOKEN_READ_ERROR') {
    return new PhpublishError('ATTEST_ID_TOKEN_INVALID', {
      ci: input.identity.platform === 'github-actions' ? 'GitHub Actions' : 'GitLab CI',
      problem: 'sigstore could not read it',
    });
  }
  const service = SERVICE_OF[e.code ?? ''] ?? 'Sigstore';
  const url =
    service === 'Fulcio'
      ? input.endpoints.fulcioUrl
      : service === 'Rekor'
        ? (input.endpoints.rekorUrl ?? input.endpoints.fulcioUrl)
        : (input.endpoints.tsaUrl ?? input.endpoints.fulcioUrl);
  return new PhpublishError('ATTEST_SIGNING_FAILED', {
    service,
    url,
    ...(e.cause?.statusCode ? { status: e.cause.statusCode } : {}),
    reason: reason.replace(/^\(\d+\)\s*/, ''),
  });
}
