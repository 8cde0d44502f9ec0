/**
 * A faster DER encoder for @sigstore/core's ASN.1 objects, producing the same bytes.
 *
 * @sigstore/core re-encodes certificates to DER whenever it compares two of them or checks a
 * signature over one (`X509Certificate.equals`, `.verify`: chain building does both many times per
 * bundle). Its encoder allocates two zero-filled 1 KiB buffers for every ASN.1 node and regrows
 * them 1 KiB at a time: about 0.5 ms per certificate, over half of a bundle's verification. This
 * encoder writes each node as tag, length and the concatenated encodings of its parts, with no
 * spare buffers. It changes how bytes are assembled, never which bytes: it only replaces the
 * library's encoder after encoding real objects both ways and getting identical bytes, and never
 * if the library's objects are not shaped as expected.
 */

/** The shape of @sigstore/core's ASN1Obj that the encoder relies on. */
interface Asn1Node {
  tag: { toDER(): number };
  value: Buffer;
  subs: Asn1Node[];
  toDER(): Buffer;
}

/** DER length octets: short form below 128, else 0x80 | count followed by the big-endian bytes. */
export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

/** The DER encoding of a node, built as @sigstore/core's `toDER` builds it (tag, length, value). */
export function encodeDer(this: Asn1Node): Buffer {
  const value = this.subs.length > 0 ? Buffer.concat(this.subs.map((sub) => sub.toDER())) : this.value;
  return Buffer.concat([Buffer.of(this.tag.toDER()), derLength(value.length), value]);
}

const installed = new WeakSet<object>();

/**
 * Replaces `prototype.toDER` (of @sigstore/core's ASN1Obj) with `encodeDer`, once, after checking
 * that both encode every node of `samples` (parsed objects, e.g. the trusted root's certificates)
 * to the same bytes. Returns whether the fast encoder is in place.
 */
export function useFastDerEncoding(prototype: { toDER(): Buffer }, samples: readonly Asn1Node[]): boolean {
  if (installed.has(prototype)) return true;
  const original = prototype.toDER;
  if (typeof original !== 'function' || samples.length === 0) return false;
  const nodes: Asn1Node[] = [];
  const collect = (node: Asn1Node) => {
    if (!isAsn1Node(node)) throw new Error('not an ASN.1 node');
    nodes.push(node);
    for (const sub of node.subs) collect(sub);
  };
  try {
    for (const sample of samples) collect(sample);
    const same = nodes.every((node) => original.call(node).equals(encodeDer.call(node)));
    if (!same) return false;
  } catch {
    return false;
  }
  prototype.toDER = encodeDer;
  installed.add(prototype);
  return true;
}

function isAsn1Node(node: unknown): node is Asn1Node {
  const candidate = node as Partial<Asn1Node> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.tag?.toDER === 'function' &&
    Buffer.isBuffer(candidate.value) &&
    Array.isArray(candidate.subs)
  );
}
