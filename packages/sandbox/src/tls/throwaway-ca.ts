import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

/** What an HTTPS stand-in serves with, and what its clients must trust. */
export interface SandboxTlsCredentials {
  /** The throwaway CA's certificate (PEM): what `NODE_EXTRA_CA_CERTS` points a client at. */
  readonly caPem: string;
  /** The server's certificate (PEM), for 127.0.0.1, ::1 and localhost, issued by the CA. */
  readonly certPem: string;
  /** The server's private key (PKCS #8 PEM). */
  readonly keyPem: string;
}

/** Node's WebCrypto, as the crypto provider @peculiar/x509 takes (its types name the DOM's). */
const crypto = webcrypto as unknown as NonNullable<Parameters<typeof X509.X509CertificateGenerator.create>[1]>;
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A CA made for one sandbox run and a server certificate it issues for the loopback addresses. The
 * CA's private key is never kept: nothing else can ever be issued under it, so trusting it (in a test's
 * child process) trusts this one server certificate only.
 */
export async function createThrowawayTls(options: { now?: Date } = {}): Promise<SandboxTlsCredentials> {
  // Loaded here, not with the sandbox: only HTTPS stand-ins need it, and its dependency injection
  // library needs the reflect-metadata polyfill loaded first.
  await import('reflect-metadata');
  const {
    BasicConstraintsExtension,
    ExtendedKeyUsage,
    ExtendedKeyUsageExtension,
    KeyUsageFlags,
    KeyUsagesExtension,
    PemConverter,
    SubjectAlternativeNameExtension,
    SubjectKeyIdentifierExtension,
    X509CertificateGenerator,
  } = await import('@peculiar/x509');
  const now = options.now ?? new Date();
  const validity = { notBefore: new Date(now.getTime() - DAY_MS), notAfter: new Date(now.getTime() + DAY_MS) };
  const caKeys = await crypto.subtle.generateKey(ECDSA, false, ['sign', 'verify']);
  const ca = await X509CertificateGenerator.createSelfSigned(
    {
      name: 'CN=phpublish sandbox throwaway CA',
      keys: caKeys,
      signingAlgorithm: SIGNING,
      ...validity,
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const serverKeys = await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
  const server = await X509CertificateGenerator.create(
    {
      subject: 'CN=127.0.0.1',
      issuer: ca.subject,
      publicKey: serverKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: SIGNING,
      ...validity,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
        new SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
          { type: 'dns', value: 'localhost' },
        ]),
      ],
    },
    crypto,
  );

  const pkcs8 = await crypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  return {
    caPem: ca.toString('pem'),
    certPem: server.toString('pem'),
    keyPem: PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  };
}
