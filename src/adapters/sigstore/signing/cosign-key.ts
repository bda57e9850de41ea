// cosign's encrypted private key files ("ENCRYPTED SIGSTORE PRIVATE KEY"): a PEM around JSON
//   {"kdf":{"name":"scrypt","params":{"N":..,"r":..,"p":..},"salt":b64},"cipher":{"name":"nacl/secretbox","nonce":b64},"ciphertext":b64}
// The key is scrypt(password, salt, 32); the cipher is NaCl secretbox (XSalsa20-Poly1305: a 16-byte tag, then the
// ciphertext); the plaintext is the PKCS#8 DER private key. Node has scrypt but not XSalsa20, so it is here, small.
import { Buffer } from "node:buffer";
import { createPrivateKey, scryptSync, timingSafeEqual } from "node:crypto";

export const COSIGN_KEY_LABEL = "ENCRYPTED SIGSTORE PRIVATE KEY";

export class CosignKeyError extends Error {}

const rotl = (v: number, c: number): number => ((v << c) | (v >>> (32 - c))) >>> 0;

function salsaRounds(x: Uint32Array): void {
  const qr = (a: number, b: number, c: number, d: number): void => {
    x[b] = (x[b]! ^ rotl((x[a]! + x[d]!) >>> 0, 7)) >>> 0;
    x[c] = (x[c]! ^ rotl((x[b] + x[a]!) >>> 0, 9)) >>> 0;
    x[d] = (x[d]! ^ rotl((x[c] + x[b]) >>> 0, 13)) >>> 0;
    x[a] = (x[a]! ^ rotl((x[d] + x[c]) >>> 0, 18)) >>> 0;
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12); qr(5, 9, 13, 1); qr(10, 14, 2, 6); qr(15, 3, 7, 11); // columns
    qr(0, 1, 2, 3); qr(5, 6, 7, 4); qr(10, 11, 8, 9); qr(15, 12, 13, 14); // rows
  }
}

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

function initial(key: Buffer, in16: Buffer): Uint32Array {
  const s = new Uint32Array(16);
  s[0] = SIGMA[0]!; s[5] = SIGMA[1]!; s[10] = SIGMA[2]!; s[15] = SIGMA[3]!;
  for (let i = 0; i < 4; i++) s[1 + i] = key.readUInt32LE(4 * i);
  for (let i = 0; i < 4; i++) s[11 + i] = key.readUInt32LE(16 + 4 * i);
  for (let i = 0; i < 4; i++) s[6 + i] = in16.readUInt32LE(4 * i);
  return s;
}

function hsalsa20(key: Buffer, nonce16: Buffer): Buffer {
  const x = initial(key, nonce16);
  salsaRounds(x);
  const out = Buffer.alloc(32);
  [0, 5, 10, 15, 6, 7, 8, 9].forEach((w, i) => out.writeUInt32LE(x[w]!, 4 * i));
  return out;
}

function salsa20Stream(key: Buffer, nonce8: Buffer, length: number): Buffer {
  const out = Buffer.alloc(Math.ceil(length / 64) * 64);
  const block = Buffer.alloc(16);
  nonce8.copy(block, 0);
  for (let counter = 0; counter * 64 < length; counter++) {
    block.writeUInt32LE(counter >>> 0, 8);
    block.writeUInt32LE(Math.floor(counter / 2 ** 32), 12);
    const s = initial(key, block);
    const x = Uint32Array.from(s);
    salsaRounds(x);
    for (let i = 0; i < 16; i++) out.writeUInt32LE((x[i]! + s[i]!) >>> 0, counter * 64 + 4 * i);
  }
  return out.subarray(0, length);
}

function poly1305(key: Buffer, msg: Buffer): Buffer {
  const le = (b: Buffer): bigint => BigInt(`0x${Buffer.from(b).reverse().toString("hex") || "0"}`);
  const r = le(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = le(key.subarray(16, 32));
  const p = (1n << 130n) - 5n;
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const chunk = msg.subarray(i, i + 16);
    acc = ((acc + le(chunk) + (1n << BigInt(8 * chunk.length))) * r) % p;
  }
  const tag = (acc + s) & ((1n << 128n) - 1n);
  return Buffer.from(tag.toString(16).padStart(32, "0"), "hex").reverse();
}

/** NaCl secretbox_open: `box` is the 16-byte Poly1305 tag followed by the XSalsa20 ciphertext. */
export function secretboxOpen(box: Buffer, nonce: Buffer, key: Buffer): Buffer {
  if (key.length !== 32 || nonce.length !== 24 || box.length < 16) throw new CosignKeyError("expected a 32-byte key, a 24-byte nonce and a box of at least 16 bytes");
  const subkey = hsalsa20(key, nonce.subarray(0, 16));
  const stream = salsa20Stream(subkey, nonce.subarray(16, 24), 32 + box.length - 16);
  const tag = box.subarray(0, 16);
  const ciphertext = box.subarray(16);
  if (!timingSafeEqual(poly1305(stream.subarray(0, 32), ciphertext), tag)) throw new CosignKeyError("wrong password, or the key file is corrupt (authentication failed)");
  const plain = Buffer.alloc(ciphertext.length);
  for (let i = 0; i < ciphertext.length; i++) plain[i] = ciphertext[i]! ^ stream[32 + i]!;
  return plain;
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

/** NaCl secretbox (the inverse of secretboxOpen): tag || ciphertext. */
export function secretboxSeal(plain: Buffer, nonce: Buffer, key: Buffer): Buffer {
  const subkey = hsalsa20(key, nonce.subarray(0, 16));
  const stream = salsa20Stream(subkey, nonce.subarray(16, 24), 32 + plain.length);
  const ciphertext = Buffer.alloc(plain.length);
  for (let i = 0; i < plain.length; i++) ciphertext[i] = plain[i]! ^ stream[32 + i]!;
  return Buffer.concat([poly1305(stream.subarray(0, 32), ciphertext), ciphertext]);
}
