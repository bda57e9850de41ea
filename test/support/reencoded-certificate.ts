// The same certificate in other bytes: its CA's ECDSA signature (r, s) re-encoded as (r, n - s), which verifies as
// well. Anyone holding a certificate can do this; only its TBSCertificate (what the CA signed) stays the same.

/** The order of P-384 (the curve of GitHub's Fulcio intermediate that issues fixtures/sigstore-github's leaves). */
export const P384_N = BigInt("0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973");

const lengthBytes = (n: number): Buffer => {
  if (n < 128) return Buffer.from([n]);
  const b: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v % 256);
  return Buffer.from([0x80 | b.length, ...b]);
};
const tlv = (tag: number, v: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), lengthBytes(v.length), v]);

/** The elements directly inside `b` (definite lengths, as DER has them). */
function elements(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; ) {
    const l0 = b[i + 1]!;
    let header = 2;
    let len = l0;
    if (l0 >= 128) {
      header += l0 & 127;
      len = 0;
      for (let k = 0; k < (l0 & 127); k++) len = len * 256 + b[i + 2 + k]!;
    }
    out.push(b.subarray(i, i + header + len));
    i += header + len;
  }
  return out;
}
const content = (el: Buffer): Buffer => {
  const [only] = elements(el);
  const l0 = only![1]!;
  return only!.subarray(l0 >= 128 ? 2 + (l0 & 127) : 2);
};
const integer = (x: bigint): Buffer => {
  let hex = x.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const b = Buffer.from(hex, "hex");
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
};

/** `der` with its CA signature's s replaced by n - s: another DER (another fingerprint), the same TBS and signature. */
export function reencodeCaSignature(der: Buffer, n: bigint): Buffer {
  const [tbs, alg, bits] = elements(content(der));
  const [r, s] = elements(content(content(bits!).subarray(1))); // BIT STRING: 00 || SEQUENCE { r, s }
  const flipped = n - BigInt(`0x${content(s!).toString("hex")}`);
  const sig = tlv(0x30, Buffer.concat([r!, integer(flipped)]));
  return tlv(0x30, Buffer.concat([tbs!, alg!, tlv(0x03, Buffer.concat([Buffer.from([0]), sig]))]));
}

/** A Sigstore bundle (v0.3, one leaf certificate) with its leaf's CA signature re-encoded. */
export function withReencodedLeaf<T extends { verificationMaterial: { certificate: { rawBytes: string } } }>(bundle: T, n: bigint): T {
  const b = structuredClone(bundle);
  b.verificationMaterial.certificate.rawBytes = reencodeCaSignature(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, "base64"), n).toString("base64");
  return b;
}
