// cosign's encrypted private key files ("ENCRYPTED SIGSTORE PRIVATE KEY"): a PEM around JSON
//   {"kdf":{"name":"scrypt","params":{"N":..,"r":..,"p":..},"salt":b64},"cipher":{"name":"nacl/secretbox","nonce":b64},"ciphertext":b64}
// The key is scrypt(password, salt, 32) (node:crypto); the cipher is NaCl secretbox (XSalsa20-Poly1305: a 16-byte tag,
// then the ciphertext), which Node lacks, from @noble/ciphers (audited); the plaintext is the PKCS#8 DER private key.
import { Buffer } from "node:buffer";
import { createPrivateKey, scryptSync } from "node:crypto";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";

export const COSIGN_KEY_LABEL = "ENCRYPTED SIGSTORE PRIVATE KEY";

export class CosignKeyError extends Error {}

/** NaCl secretbox_open: `box` is the 16-byte Poly1305 tag followed by the XSalsa20 ciphertext. */
export function secretboxOpen(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer {
  if (key.length !== 32 || nonce.length !== 24 || box.length < 16) throw new CosignKeyError("expected a 32-byte key, a 24-byte nonce and a box of at least 16 bytes");
  try {
    return Buffer.from(xsalsa20poly1305(key, nonce).decrypt(box));
  } catch {
    throw new CosignKeyError("wrong password, or the key file is corrupt (authentication failed)");
  }
}

interface Sealed {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

/** The PKCS#8 PEM of a cosign key file, decrypted with `password` (cosign reads it from COSIGN_PASSWORD). */
export function decryptCosignKey(pem: string, password: string): string {
  const m = new RegExp(`-----BEGIN ${COSIGN_KEY_LABEL}-----([A-Za-z0-9+/=\\s]+)-----END ${COSIGN_KEY_LABEL}-----`).exec(pem);
  if (!m?.[1]) throw new CosignKeyError(`expected a PEM block "${COSIGN_KEY_LABEL}"`);
  let sealed: Sealed;
  try {
    sealed = JSON.parse(Buffer.from(m[1].replace(/\s+/g, ""), "base64").toString("utf8")) as Sealed;
  } catch {
    throw new CosignKeyError("the cosign key file does not hold JSON");
  }
  if (sealed.kdf?.name !== "scrypt" || sealed.cipher?.name !== "nacl/secretbox") {
    throw new CosignKeyError(`expected scrypt + nacl/secretbox, got ${String(sealed.kdf?.name)} + ${String(sealed.cipher?.name)}`);
  }
  const { N, r, p } = sealed.kdf.params;
  if (!Number.isInteger(N) || N > 2 ** 20 || !Number.isInteger(r) || r > 32 || !Number.isInteger(p) || p > 16) {
    throw new CosignKeyError(`scrypt parameters out of range: N=${N} r=${r} p=${p}`);
  }
  const key = scryptSync(Buffer.from(password, "utf8"), Buffer.from(sealed.kdf.salt, "base64"), 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  const der = secretboxOpen(Buffer.from(sealed.ciphertext, "base64"), Buffer.from(sealed.cipher.nonce, "base64"), key);
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" }).toString();
}
