import type { PrivateKey } from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOpenPgp } from './openpgp.js';
import { loadTrustedKeys, type TrustedKeys } from './trusted-keys.js';
import { verifyDetached } from './verify.js';

const DATA = new TextEncoder().encode('object 0123456789abcdef0123456789abcdef01234567\ntype commit\ntag v1.0.0\n');

let alice: PrivateKey;
let bob: PrivateKey;
let trusted: TrustedKeys;

async function generate(name: string): Promise<PrivateKey> {
  const openpgp = await loadOpenPgp();
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name, email: `${name.toLowerCase()}@phpublish.invalid` }],
    format: 'object',
  });
  return privateKey;
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([generate('Alice'), generate('Bob')]);
  trusted = await loadTrustedKeys({
    keys: [
      { armored: alice.toPublic().armor(), source: 'alice.asc' },
      { armored: bob.toPublic().armor(), source: 'bob.asc' },
    ],
  });
});

describe('when a signature block is not one document signature', () => {
  it('refuses two signatures in one block, even by two trusted keys', async () => {
    const openpgp = await loadOpenPgp();
    const armoredSignature = await openpgp.sign({
      message: await openpgp.createMessage({ binary: DATA }),
      signingKeys: [alice, bob],
      detached: true,
    });
    const result = await verifyDetached({ data: DATA, armoredSignature, trusted });
    expect(result).toEqual({ status: 'malformed', problem: 'it holds 2 signatures instead of one' });
  });

  it('refuses a trusted key’s own certification passed off as a signature of the data', async () => {
    const openpgp = await loadOpenPgp();
    // Alice's self-signature on her user ID: a valid signature by a trusted key, but over her key,
    // not over these bytes.
    const certification = alice.users[0]!.selfCertifications[0]!;
    const packets = new openpgp.PacketList<typeof certification>();
    packets.push(certification);
    const armoredSignature = new openpgp.Signature(packets).armor();
    const result = await verifyDetached({ data: DATA, armoredSignature, trusted });
    expect(result).toEqual({ status: 'malformed', problem: 'it is not a document signature (class 0x13)' });
  });

  it('says which trusted key made a good signature, and that a signature over other bytes is bad', async () => {
    const openpgp = await loadOpenPgp();
    const armoredSignature = await openpgp.sign({
      message: await openpgp.createMessage({ binary: DATA }),
      signingKeys: bob,
      detached: true,
    });
    const good = await verifyDetached({ data: DATA, armoredSignature, trusted });
    expect(good).toMatchObject({ status: 'good', signer: { fingerprint: bob.getFingerprint().toUpperCase() } });
    const changed = Uint8Array.from(DATA);
    changed[7] ^= 1;
    expect(await verifyDetached({ data: changed, armoredSignature, trusted })).toMatchObject({ status: 'bad' });
  });
});
