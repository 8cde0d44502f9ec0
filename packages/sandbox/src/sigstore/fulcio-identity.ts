import type { JwtClaims } from '../oidc/jwt.js';

/** How Fulcio turns a CI's token into a certificate identity (Fulcio's `ci-provider` templates). */
export type CiProvider = 'github-workflow' | 'gitlab-pipeline';

/** An OIDC issuer the sandbox Fulcio accepts tokens from, and how it reads them. */
export interface TrustedOidcIssuer {
  /** The `iss` claim. */
  readonly issuer: string;
  /** Where `/.well-known/openid-configuration` is served; `issuer` by default. */
  readonly discoveryUrl?: string;
  readonly provider: CiProvider;
  /** The forge the identities live on: https://github.com, https://gitlab.com (Fulcio's `url` template value). */
  readonly serverUrl: string;
}

/** One X.509 extension value; `legacy` ones carry raw bytes, the others a DER UTF8String (as Fulcio writes them). */
export interface IdentityExtension {
  readonly oid: string;
  readonly value: string;
  readonly legacy?: boolean;
}

export interface CertificateIdentity {
  readonly subjectAlternativeName: string;
  readonly extensions: IdentityExtension[];
}

const FULCIO = '1.3.6.1.4.1.57264.1';
/** Fulcio's OIDs (sigstore/fulcio docs/oid-info.md). */
export const FULCIO_OIDS = {
  issuerV1: `${FULCIO}.1`,
  githubWorkflowTrigger: `${FULCIO}.2`,
  githubWorkflowSha: `${FULCIO}.3`,
  githubWorkflowName: `${FULCIO}.4`,
  githubWorkflowRepository: `${FULCIO}.5`,
  githubWorkflowRef: `${FULCIO}.6`,
  issuer: `${FULCIO}.8`,
  buildSignerUri: `${FULCIO}.9`,
  buildSignerDigest: `${FULCIO}.10`,
  runnerEnvironment: `${FULCIO}.11`,
  sourceRepositoryUri: `${FULCIO}.12`,
  sourceRepositoryDigest: `${FULCIO}.13`,
  sourceRepositoryRef: `${FULCIO}.14`,
  sourceRepositoryIdentifier: `${FULCIO}.15`,
  sourceRepositoryOwnerUri: `${FULCIO}.16`,
  sourceRepositoryOwnerIdentifier: `${FULCIO}.17`,
  buildConfigUri: `${FULCIO}.18`,
  buildConfigDigest: `${FULCIO}.19`,
  buildTrigger: `${FULCIO}.20`,
  runInvocationUri: `${FULCIO}.21`,
  sourceRepositoryVisibility: `${FULCIO}.22`,
} as const;

function claim(claims: JwtClaims, name: string): string {
  const value = claims[name];
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`the token has no "${name}" claim`);
  return String(value);
}

/**
 * The SAN and extensions real Fulcio derives from a GitHub Actions or GitLab CI token, following its
 * `github-workflow` and `gitlab-pipeline` templates.
 */
export function certificateIdentity(claims: JwtClaims, issuer: TrustedOidcIssuer): CertificateIdentity {
  const url = issuer.serverUrl.replace(/\/+$/, '');
  const iss = claim(claims, 'iss');
  const common: IdentityExtension[] = [
    { oid: FULCIO_OIDS.issuerV1, value: iss, legacy: true },
    { oid: FULCIO_OIDS.issuer, value: iss },
  ];
  if (issuer.provider === 'github-workflow') {
    const san = `${url}/${claim(claims, 'job_workflow_ref')}`;
    const repository = claim(claims, 'repository');
    return {
      subjectAlternativeName: san,
      extensions: [
        ...common,
        { oid: FULCIO_OIDS.githubWorkflowTrigger, value: claim(claims, 'event_name'), legacy: true },
        { oid: FULCIO_OIDS.githubWorkflowSha, value: claim(claims, 'sha'), legacy: true },
        { oid: FULCIO_OIDS.githubWorkflowName, value: claim(claims, 'workflow'), legacy: true },
        { oid: FULCIO_OIDS.githubWorkflowRepository, value: repository, legacy: true },
        { oid: FULCIO_OIDS.githubWorkflowRef, value: claim(claims, 'ref'), legacy: true },
        { oid: FULCIO_OIDS.buildSignerUri, value: san },
        { oid: FULCIO_OIDS.buildSignerDigest, value: claim(claims, 'job_workflow_sha') },
        { oid: FULCIO_OIDS.runnerEnvironment, value: claim(claims, 'runner_environment') },
        { oid: FULCIO_OIDS.sourceRepositoryUri, value: `${url}/${repository}` },
        { oid: FULCIO_OIDS.sourceRepositoryDigest, value: claim(claims, 'sha') },
        { oid: FULCIO_OIDS.sourceRepositoryRef, value: claim(claims, 'ref') },
        { oid: FULCIO_OIDS.sourceRepositoryIdentifier, value: claim(claims, 'repository_id') },
        { oid: FULCIO_OIDS.sourceRepositoryOwnerUri, value: `${url}/${claim(claims, 'repository_owner')}` },
        { oid: FULCIO_OIDS.sourceRepositoryOwnerIdentifier, value: claim(claims, 'repository_owner_id') },
        { oid: FULCIO_OIDS.buildConfigUri, value: `${url}/${claim(claims, 'workflow_ref')}` },
        { oid: FULCIO_OIDS.buildConfigDigest, value: claim(claims, 'workflow_sha') },
        { oid: FULCIO_OIDS.buildTrigger, value: claim(claims, 'event_name') },
        {
          oid: FULCIO_OIDS.runInvocationUri,
          value: `${url}/${repository}/actions/runs/${claim(claims, 'run_id')}/attempts/${claim(claims, 'run_attempt')}`,
        },
        { oid: FULCIO_OIDS.sourceRepositoryVisibility, value: claim(claims, 'repository_visibility') },
      ],
    };
  }
  const san = `https://${claim(claims, 'ci_config_ref_uri')}`;
  const projectPath = claim(claims, 'project_path');
  const refPrefix = claim(claims, 'ref_type') === 'branch' ? 'refs/heads/' : 'refs/tags/';
  return {
    subjectAlternativeName: san,
    extensions: [
      ...common,
      { oid: FULCIO_OIDS.buildSignerUri, value: san },
      { oid: FULCIO_OIDS.buildSignerDigest, value: claim(claims, 'ci_config_sha') },
      { oid: FULCIO_OIDS.runnerEnvironment, value: claim(claims, 'runner_environment') },
      { oid: FULCIO_OIDS.sourceRepositoryUri, value: `${url}/${projectPath}` },
      { oid: FULCIO_OIDS.sourceRepositoryDigest, value: claim(claims, 'sha') },
      { oid: FULCIO_OIDS.sourceRepositoryRef, value: `${refPrefix}${claim(claims, 'ref')}` },
      { oid: FULCIO_OIDS.sourceRepositoryIdentifier, value: claim(claims, 'project_id') },
      { oid: FULCIO_OIDS.sourceRepositoryOwnerUri, value: `${url}/${claim(claims, 'namespace_path')}` },
      { oid: FULCIO_OIDS.sourceRepositoryOwnerIdentifier, value: claim(claims, 'namespace_id') },
      { oid: FULCIO_OIDS.buildConfigUri, value: san },
      { oid: FULCIO_OIDS.buildConfigDigest, value: claim(claims, 'ci_config_sha') },
      { oid: FULCIO_OIDS.buildTrigger, value: claim(claims, 'pipeline_source') },
      { oid: FULCIO_OIDS.runInvocationUri, value: `${url}/${projectPath}/-/jobs/${claim(claims, 'job_id')}` },
      { oid: FULCIO_OIDS.sourceRepositoryVisibility, value: claim(claims, 'project_visibility') },
    ],
  };
}
