import { createHash, createPublicKey, generateKeyPairSync, sign, verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxOidcIssuer, startSandboxOidcIssuer } from '../oidc/oidc-issuer.js';
import { type SandboxSigstore, startSandboxSigstore } from './sandbox-sigstore.js';

let github: SandboxOidcIssuer;
let gitlab: SandboxOidcIssuer;
let untrusted: SandboxOidcIssuer;
let sigstore: SandboxSigstore;

beforeAll(async () => {
  [github, gitlab, untrusted] = await Promise.all([
    startSandboxOidcIssuer(),
    startSandboxOidcIssuer(),
    startSandboxOidcIssuer(),
  ]);
  sigstore = await startSandboxSigstore({
    issuers: [
      { issuer: github.issuer, provider: 'github-workflow', serverUrl: 'https://github.com' },
      { issuer: gitlab.issuer, provider: 'gitlab-pipeline', serverUrl: 'https://gitlab.com' },
    ],
  });
});
afterAll(async () => {
  await Promise.all([sigstore.close(), github.close(), gitlab.close(), untrusted.close()]);
});

/** What sigstore-js sends Fulcio: the token, an ephemeral public key, and the token's subject signed with it. */
async function requestCertificate(token: string, options: { proofSubject?: string } = {}) {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  const proof = sign('sha256', Buffer.from(options.proofSubject ?? claims.sub), keys.privateKey);
  const response = await fetch(`${sigstore.fulcioUrl}/api/v2/signingCert`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: {
        publicKey: { algorithm: 'ECDSA', content: keys.publicKey.export({ type: 'spki', format: 'pem' }) },
        proofOfPossession: proof.toString('base64'),
      },
    }),
  });
  const body = (await response.json()) as { signedCertificateEmbeddedSct?: { chain: { certificates: string[] } } };
  const pems = body.signedCertificateEmbeddedSct?.chain.certificates ?? [];
  return { status: response.status, certificates: pems.map((pem) => new X509Certificate(pem)), body };
}

const trustedRootCertificate = () => {
  const ca = (
    sigstore.trustedRoot['certificateAuthorities'] as { certChain: { certificates: { rawBytes: string }[] } }[]
  )[0]!;
  return new X509Certificate(Buffer.from(ca.certChain.certificates[0]!.rawBytes, 'base64'));
};

describe('sandbox Fulcio', () => {
  describe('when a GitHub Actions token asks for a certificate', () => {
    it('issues one for `https://github.com/<job_workflow_ref>`, chained to the trusted root, with GitHub’s extensions', async () => {
      const token = github.mint(
        { ...github.gitHubActionsJob({ repository: 'acme/hello' }).claims },
        { audience: 'sigstore' },
      );
      const { status, certificates } = await requestCertificate(token);
      expect(status).toBe(201);
      const [leaf, root] = certificates;
      expect(leaf!.subjectAltName).toBe(
        'URI:https://github.com/acme/hello/.github/workflows/release.yml@refs/tags/v1.0.0',
      );
      expect(leaf!.verify(trustedRootCertificate().publicKey)).toBe(true);
      expect(root!.raw.equals(trustedRootCertificate().raw)).toBe(true);
      const der = leaf!.raw.toString('latin1');
      for (const value of [
        github.issuer,
        'https://github.com/acme/hello',
        'https://github.com/acme',
        'refs/tags/v1.0.0',
      ]) {
        expect(der).toContain(value);
      }
    });
  });

  describe('when a GitLab CI token asks for a certificate', () => {
    it('issues one for `https://<ci_config_ref_uri>`', async () => {
      const token = String(gitlab.gitLabCiJob({ projectPath: 'acme/hello' }).env['SIGSTORE_ID_TOKEN']);
      const { status, certificates } = await requestCertificate(token);
      expect(status).toBe(201);
      expect(certificates[0]!.subjectAltName).toBe(
        'URI:https://gitlab.com/acme/hello//.gitlab-ci.yml@refs/tags/v1.0.0',
      );
      expect(certificates[0]!.raw.toString('latin1')).toContain('https://gitlab.com/acme/hello/-/jobs/');
    });
  });

  describe('when the request should not get a certificate', () => {
    it('refuses an issuer it does not trust, a token for another audience, and a forged token', async () => {
      const claims = github.gitHubActionsJob({ repository: 'acme/hello' }).claims;
      expect((await requestCertificate(untrusted.mint(claims, { audience: 'sigstore' }))).status).toBe(401);
      expect((await requestCertificate(github.mint(claims, { audience: 'other' }))).status).toBe(401);
      // Same issuer name, another key: the signature does not verify against the issuer's JWKS.
      const forgedBy = await startSandboxOidcIssuer({ issuer: github.issuer });
      const forged = forgedBy.mint(claims, { audience: 'sigstore' });
      await forgedBy.close();
      expect((await requestCertificate(forged)).status).toBe(401);
    });

    it('refuses a proof of possession over anything but the token’s subject', async () => {
      const token = github.mint(github.gitHubActionsJob({ repository: 'acme/hello' }).claims, { audience: 'sigstore' });
      expect((await requestCertificate(token, { proofSubject: 'someone else' })).status).toBe(400);
    });
  });
});

describe('sandbox Rekor', () => {
  it('logs a dsse entry in canonical form with a two-leaf inclusion proof and a checkpoint signed by the trusted key', async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
    const envelope = JSON.stringify({
      payloadType: 'application/vnd.in-toto+json',
      payload: payload.toString('base64'),
      signatures: [{ keyid: '', sig: Buffer.from('signature').toString('base64') }],
    });
    const verifier = Buffer.from(keys.publicKey.export({ type: 'spki', format: 'pem' })).toString('base64');
    const response = await fetch(`${sigstore.rekorUrl}/api/v1/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: { proposedContent: { envelope, verifiers: [verifier] } },
      }),
    });
    expect(response.status).toBe(201);
    const entry = Object.values((await response.json()) as Record<string, unknown>)[0] as {
      body: string;
      verification: {
        inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string };
      };
    };
    const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8'));
    expect(body).toEqual({
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update(envelope).digest('hex') },
        payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') },
        signatures: [{ signature: Buffer.from('signature').toString('base64'), verifier }],
      },
    });

    const proof = entry.verification.inclusionProof;
    expect(proof).toMatchObject({ logIndex: 1, treeSize: 2 });
    const h = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
    const leaf = h(Buffer.from([0]), Buffer.from(entry.body, 'base64'));
    const root = h(Buffer.from([1]), Buffer.from(proof.hashes[0]!, 'hex'), leaf);
    expect(root.toString('hex')).toBe(proof.rootHash);

    const [note, signatureLine] = proof.checkpoint.split('\n\n') as [string, string];
    expect(note.split('\n')[2]).toBe(root.toString('base64'));
    const tlog = (sigstore.trustedRoot['tlogs'] as { publicKey: { rawBytes: string } }[])[0]!;
    const logKey = createPublicKey({
      key: Buffer.from(tlog.publicKey.rawBytes, 'base64'),
      format: 'der',
      type: 'spki',
    });
    const signature = Buffer.from(signatureLine.trim().split(' ')[2]!, 'base64').subarray(4);
    expect(verify('sha256', Buffer.from(`${note}\n`), logKey, signature)).toBe(true);
  });
});

describe('sandbox trusted root', () => {
  it('describes Fulcio, its CT log, Rekor and the TSA, with log IDs that are the keys’ SHA-256', () => {
    const root = sigstore.trustedRoot as Record<
      string,
      { baseUrl?: string; uri?: string; publicKey?: { rawBytes: string }; logId?: { keyId: string } }[]
    >;
    expect(root['certificateAuthorities']![0]!.uri).toBe(sigstore.fulcioUrl);
    expect(root['tlogs']![0]!.baseUrl).toBe(sigstore.rekorUrl);
    expect(root['timestampAuthorities']![0]!.uri).toBe(sigstore.tsaUrl);
    for (const log of [...root['tlogs']!, ...root['ctlogs']!]) {
      const key = Buffer.from(log.publicKey!.rawBytes, 'base64');
      expect(log.logId!.keyId).toBe(createHash('sha256').update(key).digest('base64'));
    }
  });
});

describe('GitHub’s instance (instance: github)', () => {
  it('runs Fulcio and a TSA and no transparency log, and its trusted root says exactly that', async () => {
    const instance = await startSandboxSigstore({
      instance: 'github',
      issuers: [{ issuer: github.issuer, provider: 'github-workflow', serverUrl: 'https://github.com' }],
    });
    try {
      expect(instance.rekorUrl).toBeUndefined();
      expect(instance.tsaUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const root = instance.trustedRoot as Record<string, { uri?: string }[]>;
      expect(root['tlogs']).toEqual([]);
      expect(root['ctlogs']).toEqual([]);
      expect(root['certificateAuthorities']![0]!.uri).toBe(instance.fulcioUrl);
      expect(root['timestampAuthorities']![0]!.uri).toBe(instance.tsaUrl);
      // Its CA is its own: nothing of the public-good stand-in's root.
      expect(JSON.stringify(root['certificateAuthorities'])).not.toBe(
        JSON.stringify(sigstore.trustedRoot['certificateAuthorities']),
      );
      expect(() => instance.injectFault('rekor', { path: '/api/v1/log/entries', fault: { status: 500 } })).toThrow(
        /no Rekor/,
      );
    } finally {
      await instance.close();
    }
  });
});

describe('when a test arms faults and then clears them (the fault API every stand-in has)', () => {
  it('clears one service’s unused faults, then all of them', async () => {
    const fault = { status: 418, body: 'faulted' };
    sigstore.injectFault('fulcio', { path: '/api/v2/signingCert', times: 5, fault });
    sigstore.injectFault('tsa', { path: '/api/v1/timestamp', times: 5, fault });
    const post = async (url: string) => (await fetch(url, { method: 'POST', body: '{}' })).status;
    const fulcio = `${sigstore.fulcioUrl}/api/v2/signingCert`;
    const tsa = `${sigstore.tsaUrl}/api/v1/timestamp`;
    expect([await post(fulcio), await post(tsa)]).toEqual([418, 418]);

    sigstore.clearFaults('tsa');
    expect(await post(tsa)).not.toBe(418);
    expect(await post(fulcio)).toBe(418);

    sigstore.clearFaults();
    expect(await post(fulcio)).not.toBe(418);
  });
});
