// GitHub's own commit signatures (the `web-flow` key's: web-UI edits, Apps' API commits, its cloud agents' commits),
// verified here over the signed payload with GitHub's public keys, pinned below: GitHub's "verified" verdict says only
// that *some* key it knows made the signature (a person's uploaded key, say), and the issuer a signature names outside
// its hashed area is covered by nothing. An OpenPGP v4 signature packet is read strictly (one packet, v4, a binary
// document, RSA, SHA-2), its issuer only from its hashed subpackets (an unhashed issuer that names another key refuses
// it), and the RSA signature is checked over the payload and the hashed trailer (RFC 4880 5.2.4). Linear in the input,
// at most 8 KiB of signature; every refusal says why.
import { constants, createHash, createPublicKey, verify, type KeyObject } from "node:crypto";

/** An RSA public key of GitHub's, as its v4 key packet gives it; `expires` from its self-signature. */
export interface GitHubSigningKey {
  readonly fingerprint: string; // the v4 fingerprint, 40 lower-case hex
  readonly created: number; // seconds since the epoch
  readonly expires?: number; // seconds since the epoch
  readonly modulus: string; // RSA n, base64
  readonly exponent: string; // RSA e, base64
  /** The day (YYYY-MM-DD) GitHub rotated the key: it is recognised only to say why its signatures give nothing. */
  readonly rotated?: string;
}

/**
 * The `web-flow` account's keys (https://github.com/web-flow.gpg). Each is checked against its fingerprint (the SHA-1
 * of its key packet, rebuilt from these values) before it verifies anything: a key that does not hash to its
 * fingerprint verifies nothing.
 */
export const GITHUB_SIGNING_KEYS: readonly GitHubSigningKey[] = [
  {
    fingerprint: "968479a1aff927e37d1a566bb5690eeebb952194", // RSA 4096, 2024-01-16 onwards
    created: 1705428342,
    exponent: "AQAB",
    modulus:
      "sjfuL4hUDOkEKCq9ANltKxnTKG0ycDmbKNkD6XsG8gbLi96zVuTph61sFwITyjalCMjs3avDKEsaE07qi5LKGoYsRC/19p8oTgcUfRpGM/6CPUd52HC0WhUKEiaFXzretaKZC1M21gHoaW4E/BCpZ/CbBDatPtJw5VkItIdkPaBpqpYFc7JMJlWfC3sr+DIO4TerMMme" +
      "5qGX5JKQ+flO2dl1bqws5Ekn4OM29pTESyaLNnggHO+PRArF9LezgX7RfmKoIyF4sV7Jtka1Kr1OOzpDrWXgIbwGHp2wt6a/RYWuTcaAVBGvtdTCvVujnEYcL8VQlKzFEehU0mcgv/1aV007a0ZTqqVOcBjGz986Z/YHqjlwpfKxe/tYADxv6PkBUEwbFRK7sIuCVqII" +
      "kLkMjsACJRXv+3b2sVmRqb/8ltvi94Li+8WhyhVRrGsoZYrUEOV2vj9YkoCklw8kXgm1qLX6gHpqT8kiNuSx4d0nFyOjYHR0q0gWhaI8AH4MWz0xEOmnSLChwkKH65y6zWt1DnhgxojjitGmFd44hAxgKLmrZDX9qvORKLI9X/ZWgqgB92CyQ+3XEp3tYgoSuakUwcjL" +
      "yMnkg9DWzZ1TBThqV8kslrSm9pXabvAFgUCbCbPRZmAXFgBgQNqafiMWgp+qwSByLFFRUTfDlWSrBLAZFss=",
  },
  {
    fingerprint: "5de3e0509c47ea3cf04a42d34aee18f83afdeb23", // RSA 2048, 2017-08-16 to its expiry on 2024-01-16
    created: 1502898241,
    expires: 1705435200,
    // GitHub rotated it as a precaution; the signature's creation time is the signer's to choose, so no date makes a
    // signature by it count (every agent whose platform signature counts post-dates the rotation)
    rotated: "2024-01-16",
    exponent: "AQAB",
    modulus:
      "s10w7emZ8mlbbnmQEgc4JwJitd6vVK4HIfrCmHiIXcpo7jELWsdeTpJXLZq2baq3uZMD1KLBt/wdv4pLj2BJXB4Bjy+Li+RJukuQv6KM35GM4cEa00kM72I7BOCN+E6OFHRPSgPe8K0IxqM9gce9lgy8lsHLQ9wykLWHh17MF17V8Cn40OxcuPgX+SD4e+nQPDSelLY4" +
      "yyA5SqncS1uGrR3usVhWifl3S1LbAK6GXFwXlgwj2m7lwg7HCXCyUSmVXOtoDmV17T36B6r1D6d57iwOGIx/W6YW6zFjH/NdFsc/SU3d78loBqjWNM2wanmaBr/k7hMZUR0/AEhhUvUlQw==",
  },
];

const MAX_PGP_BYTES = 8 * 1024;
const HASHES: Readonly<Record<number, string>> = { 8: "sha256", 9: "sha384", 10: "sha512" };
const RSA = 1;

/** The MPI encoding of an unsigned big-endian integer: its bit count, then its bytes without leading zeros. */
function mpi(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  const bits = (v.length - 1) * 8 + (32 - Math.clz32(v[0] ?? 0));
  return Buffer.concat([Buffer.from([bits >> 8, bits & 0xff]), v]);
}

/** The v4 fingerprint of an RSA key: SHA-1 over 0x99, the key packet's length and the key packet. */
export function rsaKeyFingerprint(k: Pick<GitHubSigningKey, "created" | "modulus" | "exponent">): string {
  const created = Buffer.alloc(4);
  created.writeUInt32BE(k.created);
  const body = Buffer.concat([Buffer.from([4]), created, Buffer.from([RSA]), mpi(Buffer.from(k.modulus, "base64")), mpi(Buffer.from(k.exponent, "base64"))]);
  return createHash("sha1").update(Buffer.from([0x99, body.length >> 8, body.length & 0xff])).update(body).digest("hex");
}

const loaded = new WeakMap<GitHubSigningKey, KeyObject | null>();
/** The key, once its values hash to its fingerprint; null when they do not (it then verifies nothing). */
function keyObject(k: GitHubSigningKey): KeyObject | null {
  let key = loaded.get(k);
  if (key === undefined) {
    const url = (b64: string): string => Buffer.from(b64, "base64").toString("base64url");
    key = rsaKeyFingerprint(k) === k.fingerprint ? createPublicKey({ key: { kty: "RSA", n: url(k.modulus), e: url(k.exponent) }, format: "jwk" }) : null;
    loaded.set(k, key);
  }
  return key;
}

interface Subpacket {
  readonly type: number;
  readonly critical: boolean;
  readonly body: Buffer;
}

/** A v4 signature packet's parts. */
export interface PgpSignature {
  readonly sigType: number;
  readonly pubAlg: number;
  readonly hashAlg: number;
  readonly hashedArea: Buffer;
  readonly hashed: readonly Subpacket[];
  readonly unhashed: readonly Subpacket[];
  readonly left16: Buffer;
  readonly mpis: readonly Buffer[];
}

class Refused extends Error {}
function need(ok: boolean, why: string): asserts ok {
  if (!ok) throw new Refused(why);
}

function subpackets(area: Buffer): Subpacket[] {
  const out: Subpacket[] = [];
  for (let i = 0; i < area.length; ) {
    const s0 = area[i++]!;
    let len: number;
    if (s0 < 192) len = s0;
    else if (s0 < 255) len = ((s0 - 192) << 8) + area[i++]! + 192;
    else {
      need(i + 4 <= area.length, "a subpacket length runs past its area");
      len = area.readUInt32BE(i);
      i += 4;
    }
    need(len >= 1 && i + len <= area.length, "a subpacket runs past its area");
    out.push({ type: area[i]! & 0x7f, critical: (area[i]! & 0x80) !== 0, body: area.subarray(i + 1, i + len) });
    i += len;
  }
  return out;
}

/** One armoured OpenPGP v4 signature packet, read strictly; throws Refused naming what is wrong. */
function readSignature(armoured: string): PgpSignature {
  need(armoured.length <= MAX_PGP_BYTES * 2, `expected an OpenPGP signature of at most ${MAX_PGP_BYTES} bytes`);
  const m = /^-----BEGIN PGP SIGNATURE-----\r?\n(?:[^\r\n]+\r?\n)*?\r?\n([A-Za-z0-9+/=\r\n]+?)(?:\r?\n=[A-Za-z0-9+/]{4})?\r?\n-----END PGP SIGNATURE-----(?:\r?\n)*$/.exec(armoured);
  need(m !== null, "expected one ASCII-armoured OpenPGP signature");
  const b = Buffer.from(m[1]!.replace(/\s+/g, ""), "base64");
  need(b.length >= 8 && b.length <= MAX_PGP_BYTES, "expected an OpenPGP signature packet");
  let i = 0;
  const tag = b[i++]!;
  need((tag & 0x80) !== 0, "expected an OpenPGP packet");
  let len: number;
  if (tag & 0x40) {
    need((tag & 0x3f) === 2, "expected a signature packet");
    const l0 = b[i++]!;
    need(l0 < 224 || l0 === 255, "expected a signature packet of one definite length");
    if (l0 < 192) len = l0;
    else if (l0 < 224) len = ((l0 - 192) << 8) + b[i++]! + 192;
    else {
      len = b.readUInt32BE(i);
      i += 4;
    }
  } else {
    need(((tag >> 2) & 0x0f) === 2 && (tag & 3) !== 3, "expected a signature packet of one definite length");
    const n = 1 << (tag & 3);
    len = b.readUIntBE(i, n);
    i += n;
  }
  need(i + len === b.length, "expected exactly one signature packet");
  need(b[i] === 4 && len >= 10, "expected a version 4 signature");
  const [sigType, pubAlg, hashAlg] = [b[i + 1]!, b[i + 2]!, b[i + 3]!];
  const hashedLen = b.readUInt16BE(i + 4);
  const hashedArea = b.subarray(i + 6, i + 6 + hashedLen);
  let at = i + 6 + hashedLen;
  need(at + 2 <= b.length, "the hashed subpackets run past the packet");
  const unhashedLen = b.readUInt16BE(at);
  const unhashedArea = b.subarray(at + 2, at + 2 + unhashedLen);
  at += 2 + unhashedLen;
  need(at + 2 <= b.length, "the unhashed subpackets run past the packet");
  const left16 = b.subarray(at, at + 2);
  at += 2;
  const mpis: Buffer[] = [];
  while (at < b.length) {
    need(at + 2 <= b.length, "a signature value is cut short");
    const bytes = Math.ceil(b.readUInt16BE(at) / 8);
    need(at + 2 + bytes <= b.length, "a signature value runs past the packet");
    mpis.push(b.subarray(at + 2, at + 2 + bytes));
    at += 2 + bytes;
  }
  return { sigType, pubAlg, hashAlg, hashedArea, hashed: subpackets(hashedArea), unhashed: subpackets(unhashedArea), left16, mpis };
}

/** The issuer named by the subpackets: a v4 fingerprint (33) and/or a key id (16), which must agree. */
function issuerOf(subs: readonly Subpacket[]): { fingerprint?: string; keyId?: string } {
  const fps = new Set(subs.filter((s) => s.type === 33 && s.body.length === 21 && s.body[0] === 4).map((s) => s.body.subarray(1).toString("hex")));
  const ids = new Set(subs.filter((s) => s.type === 16 && s.body.length === 8).map((s) => s.body.toString("hex")));
  need(fps.size <= 1 && ids.size <= 1, "the signature names more than one issuer");
  const [fingerprint] = fps;
  const [keyId] = ids;
  need(fingerprint === undefined || keyId === undefined || fingerprint.endsWith(keyId), "the signature's issuer fingerprint and key id name different keys");
  return { ...(fingerprint !== undefined ? { fingerprint } : {}), ...(keyId !== undefined ? { keyId } : {}) };
}

const names = (i: { fingerprint?: string; keyId?: string }, fp: string): boolean => (i.fingerprint ?? fp) === fp && fp.endsWith(i.keyId ?? "");

/**
 * The issuer a signature names in its hashed (signed) subpackets. An issuer in the unhashed subpackets, which nothing
 * covers, may only repeat it: one that names another key refuses the signature.
 */
function hashedIssuer(sig: PgpSignature): { fingerprint?: string; keyId?: string } {
  const hashed = issuerOf(sig.hashed);
  const unhashed = issuerOf(sig.unhashed);
  need(hashed.fingerprint !== undefined || hashed.keyId !== undefined, "the signature names no issuer in its hashed subpackets (an unhashed one is covered by nothing)");
  const claimed = hashed.fingerprint ?? hashed.keyId!;
  need(unhashed.fingerprint === undefined || names(hashed, unhashed.fingerprint), "its unhashed issuer fingerprint names another key than its hashed issuer");
  need(unhashed.keyId === undefined || claimed.endsWith(unhashed.keyId), "its unhashed issuer key id names another key than its hashed issuer");
  return hashed;
}

/** The issuer an OpenPGP signature names in its hashed subpackets, or undefined (none there, disagreeing, unreadable). */
export function pgpSignatureIssuer(armoured: string): { fingerprint?: string; keyId?: string } | undefined {
  try {
    return hashedIssuer(readSignature(armoured));
  } catch {
    return undefined;
  }
}

/** `rotated`: the signature names GitHub's rotated key, recognised only to say why it gives nothing. */
export type GitHubSignatureVerdict = { readonly ok: true; readonly key: string; readonly signedAt: number } | { readonly ok: false; readonly reason: string; readonly rotated?: true };

/**
 * Whether `armoured` is a signature by one of `keys` (GitHub's own, by default) over exactly `payload` (the commit
 * object without its signature header, as GitHub returns it): the key chosen by the hashed issuer only, the RSA
 * signature checked over the payload and the hashed trailer, its creation time within the key's validity.
 */
export function githubSignature(payload: string, armoured: string, keys: readonly GitHubSigningKey[] = GITHUB_SIGNING_KEYS): GitHubSignatureVerdict {
  try {
    const sig = readSignature(armoured);
    need(sig.sigType === 0, "expected a signature over a binary document (type 0x00), as git's and GitHub's are");
    const issuer = hashedIssuer(sig);
    const key = keys.find((k) => names(issuer, k.fingerprint));
    need(key !== undefined, "the signature is not GitHub's own key (web-flow)");
    if (key.rotated !== undefined) return { ok: false, reason: `signed with GitHub's key rotated on ${key.rotated}: only GitHub's current key gives the platform tier`, rotated: true };
    need(sig.pubAlg === RSA && sig.mpis.length === 1, "expected an RSA signature, as GitHub's keys make");
    const hash = HASHES[sig.hashAlg];
    need(hash !== undefined, `expected SHA-256, SHA-384 or SHA-512, got hash algorithm ${sig.hashAlg}`);
    for (const s of sig.hashed) need(!s.critical || [2, 16, 33].includes(s.type), `the signature carries a critical subpacket of type ${s.type} that agent-gate does not read`);
    need(!sig.hashed.some((s) => s.type === 3), "the signature carries an expiry time, which GitHub's do not");
    const created = sig.hashed.filter((s) => s.type === 2 && s.body.length === 4);
    need(created.length === 1, "expected one signature creation time in the hashed subpackets");
    const signedAt = created[0]!.body.readUInt32BE(0);
    need(signedAt >= key.created && (key.expires === undefined || signedAt <= key.expires), `the signature's time ${new Date(signedAt * 1000).toISOString()} is outside its key's validity`);
    const k = keyObject(key);
    need(k !== null, `the pinned key ${key.fingerprint} does not hash to its fingerprint`);
    const trailer = Buffer.alloc(6);
    trailer.writeUInt8(4, 0);
    trailer.writeUInt8(0xff, 1);
    trailer.writeUInt32BE(6 + sig.hashedArea.length, 2);
    const head = Buffer.from([4, sig.sigType, sig.pubAlg, sig.hashAlg, sig.hashedArea.length >> 8, sig.hashedArea.length & 0xff]);
    const data = Buffer.concat([Buffer.from(payload, "utf8"), head, sig.hashedArea, trailer]);
    const size = k.asymmetricKeyDetails?.modulusLength ?? 0;
    const value = sig.mpis[0]!;
    need(value.length <= Math.ceil(size / 8), "the signature value is longer than its key");
    const padded = Buffer.concat([Buffer.alloc(Math.ceil(size / 8) - value.length), value]);
    need(verify(hash, data, { key: k, padding: constants.RSA_PKCS1_PADDING }, padded), "the signature does not verify over the commit's payload with GitHub's key");
    return { ok: true, key: key.fingerprint, signedAt };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, reason: e.message };
    return { ok: false, reason: "the signature cannot be read" };
  }
}
