import { loadOpenPgp } from './openpgp.js';

export interface ThrowawayKey {
  armoredPrivateKey: string;
  armoredPublicKey: string;
}

/**
 * A fresh v4 Ed25519 key that lives only in memory, for rehearsals: the same kind of key a
 * maintainer would use (GnuPG 2.2 verifies its signatures), without a passphrase because it is
 * thrown away when the rehearsal ends.
 */
export async function generateThrowawayKey(userId: { name: string; email: string }): Promise<ThrowawayKey> {
  const openpgp = await loadOpenPgp();
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [userId],
    format: 'armored',
  });
  return { armoredPrivateKey: privateKey, armoredPublicKey: publicKey };
}
