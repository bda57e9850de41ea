// Views into a DER certificate without re-encoding it: the exact to-be-signed bytes, the subject public key info and
// the precertificate TBS (the TBS without its SCT extension, RFC 6962 3.2). The ASN.1 library the verifier otherwise
// uses re-encodes a whole certificate to get these, which costs as much as a signature check; here each is a slice, or
// one splice, of the bytes the issuer signed. Headers are read by der.ts (strict: definite, minimal lengths; one-byte
// tags; every element inside its parent), linearly; anything else throws, and the caller fails closed.
import { createPublicKey } from "node:crypto";
import type { JsonWebKey, KeyObject } from "node:crypto";
import { readHeader } from "./der.js";
import type { Tlv } from "./der.js";

/** One element, read by der.ts's reader (strict: definite, minimal lengths; one-byte tags; inside its parent). */
function readTlv(buf: Uint8Array, at: number, limit: number): Tlv {
  const t = readHeader(buf, at, limit);
  if (typeof t === "string") throw new Error(t);
  return t;
}

function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.content; at < parent.end; ) {
    const t = readTlv(buf, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Writes a tag and a DER length at `at`; returns where the content starts. With no buffer, only measures. */
function header(out: Buffer | undefined, at: number, tag: number, len: number): number {
  let n = 0; // length bytes after the first: none in the short form
  if (len > 0x7f) for (let l = len; l > 0; l = Math.floor(l / 256)) n++;
  if (out !== undefined) {
    out[at] = tag;
    if (n === 0) out[at + 1] = len;
    else {
      out[at + 1] = 0x80 | n;
      for (let i = n, l = len; i > 0; i--, l = Math.floor(l / 256)) out[at + 1 + i] = l % 256;
    }
  }
  return at + 2 + n;
}

// 1.3.6.1.4.1.11129.2.4.2, the embedded SCT list, as DER
const SCT_OID = Buffer.from("060a2b06010401d679020402", "hex");

/** The parts of a certificate the verifier signs over or keys with, as views of `der` (no copies). */
export interface CertificateBytes {
  /** The TBSCertificate element exactly as signed. */
  readonly tbs: Buffer;
  /** The SubjectPublicKeyInfo element. */
  readonly spki: Buffer;
  /** The TBS with the first SCT-list extension removed (the precertificate's TBS), or undefined without one. */
  precertTbs(): Buffer | undefined;
}

export function certificateBytes(der: Buffer): CertificateBytes {
  const cert = readTlv(der, 0, der.length);
  if (cert.tag !== 0x30 || cert.end !== der.length) throw new Error("DER: a certificate is one SEQUENCE");
  const tbs = readTlv(der, cert.content, cert.end);
  if (tbs.tag !== 0x30) throw new Error("DER: the TBSCertificate is not a SEQUENCE");
  const fields = children(der, tbs);
  const v = fields[0]?.tag === 0xa0 ? 1 : 0; // explicit [0] version
  const spki = fields[v + 5];
  if (spki === undefined || spki.tag !== 0x30) throw new Error("DER: no SubjectPublicKeyInfo");
  return {
    tbs: der.subarray(tbs.start, tbs.end),
    spki: der.subarray(spki.start, spki.end),
    precertTbs: () => {
      const wrapper = fields.find((f) => f.tag === 0xa3);
      if (wrapper === undefined) return undefined;
      const list = readTlv(der, wrapper.content, wrapper.end);
      if (list.tag !== 0x30 || list.end !== wrapper.end) throw new Error("DER: the extensions are not one SEQUENCE");
      const exts = children(der, list);
      const sct = exts.find((e) => {
        if (e.tag !== 0x30) throw new Error("DER: an extension is not a SEQUENCE");
        const oid = readTlv(der, e.content, e.end);
        return oid.end - oid.start === SCT_OID.length && SCT_OID.equals(der.subarray(oid.start, oid.end));
      });
      if (sct === undefined) return undefined;
      // an empty extension list is not what a precertificate carries (nor what the SCT was made over)
      if (exts.length === 1) throw new Error("DER: the SCT list is the certificate's only extension");
      // the same TBS without the SCT extension: three lengths change (TBS, [3] wrapper, extension list)
      const listLen = list.end - list.content - (sct.end - sct.start);
      const wrapperLen = header(undefined, 0, 0x30, listLen) + listLen;
      const tbsLen = wrapper.start - tbs.content + header(undefined, 0, 0xa3, wrapperLen) + wrapperLen + (tbs.end - wrapper.end);
      const out = Buffer.allocUnsafe(header(undefined, 0, 0x30, tbsLen) + tbsLen);
      let at = header(out, 0, 0x30, tbsLen);
      at += der.copy(out, at, tbs.content, wrapper.start);
      at = header(out, at, 0xa3, wrapperLen);
      at = header(out, at, 0x30, listLen);
      at += der.copy(out, at, list.content, sct.start);
      at += der.copy(out, at, sct.end, list.end);
      at += der.copy(out, at, wrapper.end, tbs.end);
      if (at !== out.length) throw new Error("DER: precertificate length mismatch");
      return out;
    },
  };
}

// id-ecPublicKey and the named curves a JWK can carry, as DER
const EC_PUBLIC_KEY = Buffer.from("06072a8648ce3d0201", "hex");
const CURVES: readonly [Buffer, string, number][] = [
  [Buffer.from("06082a8648ce3d030107", "hex"), "P-256", 32],
  [Buffer.from("06052b81040022", "hex"), "P-384", 48],
  [Buffer.from("06052b81040023", "hex"), "P-521", 66],
];

/**
 * A public key from its SubjectPublicKeyInfo. An EC key on a named curve with an uncompressed point is imported as
 * a JWK of the same point: OpenSSL 3 checks the point on the curve either way, and the JWK import skips its generic
 * decoder, which costs more than a P-256 signature check. Any other key is imported from the DER as it is.
 */
export function publicKeyFromSpki(spki: Buffer): KeyObject {
  const jwk = ecJwk(spki);
  return jwk !== undefined ? createPublicKey({ key: jwk, format: "jwk" }) : createPublicKey({ key: spki, format: "der", type: "spki" });
}

function ecJwk(spki: Buffer): JsonWebKey | undefined {
  try {
    const outer = readTlv(spki, 0, spki.length);
    if (outer.tag !== 0x30 || outer.end !== spki.length) return undefined;
    const [alg, bits, ...rest] = children(spki, outer);
    if (alg?.tag !== 0x30 || bits?.tag !== 0x03 || rest.length > 0) return undefined;
    const [id, params, ...more] = children(spki, alg);
    if (id === undefined || params === undefined || more.length > 0 || !EC_PUBLIC_KEY.equals(spki.subarray(id.start, id.end))) return undefined;
    const curve = CURVES.find(([oid]) => oid.equals(spki.subarray(params.start, params.end)));
    if (curve === undefined) return undefined;
    const [, crv, size] = curve;
    const point = spki.subarray(bits.content, bits.end);
    if (point.length !== 2 + 2 * size || point[0] !== 0 || point[1] !== 0x04) return undefined;
    return { kty: "EC", crv, x: point.subarray(2, 2 + size).toString("base64url"), y: point.subarray(2 + size).toString("base64url") };
  } catch {
    return undefined;
  }
}
