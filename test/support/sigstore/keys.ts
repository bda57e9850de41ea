// Key pairs usable both by node:crypto (logs, signers) and by WebCrypto (x509 and CMS builders).
import type { Buffer } from "node:buffer";
import { KeyObject, createHash, generateKeyPairSync, webcrypto } from "node:crypto";

export type Curve = "P-256" | "P-384";

export interface TestKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly spki: Buffer; // DER SubjectPublicKeyInfo
  readonly crypto: webcrypto.CryptoKeyPair;
}

export async function ecKeyPair(curve: Curve = "P-256"): Promise<TestKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
  return withWebCrypto(privateKey, publicKey, curve);
}

export async function withWebCrypto(privateKey: KeyObject, publicKey: KeyObject, curve: Curve): Promise<TestKeyPair> {
  const alg = { name: "ECDSA", namedCurve: curve };
  const cryptoPair = {
    privateKey: await webcrypto.subtle.importKey("jwk", privateKey.export({ format: "jwk" }), alg, true, ["sign"]),
    publicKey: await webcrypto.subtle.importKey("jwk", publicKey.export({ format: "jwk" }), alg, true, ["verify"]),
  };
  return { privateKey, publicKey, spki: publicKey.export({ format: "der", type: "spki" }), crypto: cryptoPair };
}

export async function publicCryptoKey(spki: Uint8Array, curve: Curve = "P-256"): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: curve }, true, ["verify"]);
}

export const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

export { KeyObject };
