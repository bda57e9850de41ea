// Signature checks over a digest the caller already has (digest-only verification of message signatures).
// node:crypto always hashes before ECDSA verification, so ECDSA over a given digest is done here in BigInt.
import { constants, publicDecrypt } from "node:crypto";
import type { KeyObject } from "node:crypto";

interface Curve { p: bigint; a: bigint; n: bigint; gx: bigint; gy: bigint; bits: number }
const P256: Curve = {
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  bits: 256,
};
const P384: Curve = {
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
  a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffcn,
  n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
  gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
  bits: 384,
};

type J = [bigint, bigint, bigint]; // Jacobian; Z = 0 is the point at infinity
const mod = (x: bigint, m: bigint): bigint => ((x % m) + m) % m;
function inv(x: bigint, m: bigint): bigint {
  let [a, b, u, v] = [mod(x, m), m, 1n, 0n];
  while (a !== 0n) {
    const q = b / a;
    [a, b] = [b - q * a, a];
    [u, v] = [v - q * u, u];
  }
  return mod(v, m);
}
function dbl(c: Curve, [x, y, z]: J): J {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const { p } = c;
  const y2 = mod(y * y, p);
  const s = mod(4n * x * y2, p);
  const z2 = mod(z * z, p);
  const m = mod(3n * x * x + c.a * z2 * z2, p);
  const x3 = mod(m * m - 2n * s, p);
  return [x3, mod(m * (s - x3) - 8n * y2 * y2, p), mod(2n * y * z, p)];
}
function add(c: Curve, a: J, b: J): J {
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const { p } = c;
  const z1s = mod(a[2] * a[2], p), z2s = mod(b[2] * b[2], p);
  const u1 = mod(a[0] * z2s, p), u2 = mod(b[0] * z1s, p);
  const s1 = mod(a[1] * z2s * b[2], p), s2 = mod(b[1] * z1s * a[2], p);
  if (u1 === u2) return s1 === s2 ? dbl(c, a) : [0n, 1n, 0n];
  const h = mod(u2 - u1, p), r = mod(s2 - s1, p);
  const h2 = mod(h * h, p), h3 = mod(h2 * h, p);
  const x3 = mod(r * r - h3 - 2n * u1 * h2, p);
  return [x3, mod(r * (u1 * h2 - x3) - s1 * h3, p), mod(h * a[2] * b[2], p)];
}
function mul(c: Curve, k: bigint, pt: J): J {
  let acc: J = [0n, 1n, 0n];
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    acc = dbl(c, acc);
    if ((k >> i) & 1n) acc = add(c, acc, pt);
  }
  return acc;
}
const toInt = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt("0x" + Buffer.from(b).toString("hex")));

function derSignature(sig: Uint8Array): [bigint, bigint] | undefined {
  const b = Buffer.from(sig);
  let i = 0;
  const len = (): number => {
    const l = b[i++] ?? 0;
    if (l < 0x80) return l;
    let n = 0;
    for (let k = 0; k < (l & 0x7f); k++) n = (n << 8) | (b[i++] ?? 0);
    return n;
  };
  if (b[i++] !== 0x30) return undefined;
  const total = len();
  if (i + total !== b.length) return undefined;
  const ints: bigint[] = [];
  for (let k = 0; k < 2; k++) {
    if (b[i++] !== 0x02) return undefined;
    const l = len();
    ints.push(toInt(b.subarray(i, i + l)));
    i += l;
  }
  return i === b.length && ints.length === 2 ? [ints[0]!, ints[1]!] : undefined;
}

function verifyEcdsa(c: Curve, key: KeyObject, digest: Uint8Array, sig: Uint8Array): boolean {
  const jwk = key.export({ format: "jwk" });
  if (!jwk.x || !jwk.y) return false;
  const q: J = [toInt(Buffer.from(jwk.x, "base64url")), toInt(Buffer.from(jwk.y, "base64url")), 1n];
  const rs = derSignature(sig);
  if (!rs) return false;
  const [r, s] = rs;
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  let e = toInt(digest);
  const extra = digest.length * 8 - c.bits;
  if (extra > 0) e >>= BigInt(extra);
  const w = inv(s, c.n);
  const pt = add(c, mul(c, mod(e * w, c.n), [c.gx, c.gy, 1n]), mul(c, mod(r * w, c.n), q));
  if (pt[2] === 0n) return false;
  const zi = inv(pt[2], c.p);
  const x = mod(pt[0] * zi * zi, c.p);
  return mod(x, c.n) === r;
}

const DIGEST_INFO: Readonly<Record<string, string>> = {
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};

/** Verifies a signature over an already computed digest; false for unsupported key types. */
export function verifyPrehashed(key: KeyObject, algorithm: "sha256" | "sha384" | "sha512", digest: Uint8Array, sig: Uint8Array): boolean {
  try {
    if (key.asymmetricKeyType === "ec") {
      const crv = key.asymmetricKeyDetails?.namedCurve;
      if (crv === "prime256v1") return verifyEcdsa(P256, key, digest, sig);
      if (crv === "secp384r1") return verifyEcdsa(P384, key, digest, sig);
      return false;
    }
    if (key.asymmetricKeyType === "rsa") {
      const plain = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
      return plain.equals(Buffer.concat([Buffer.from(DIGEST_INFO[algorithm] ?? "", "hex"), Buffer.from(digest)]));
    }
    return false;
  } catch {
    return false;
  }
}
