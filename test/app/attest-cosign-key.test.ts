// cosign key files as `agent-gate attest --key` input: scrypt + NaCl secretbox (XSalsa20-Poly1305) around PKCS#8.
// The file cosign itself writes is decrypted in test/interop/cosign.test.ts; here the format is built in-process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, randomBytes, scryptSync } from "node:crypto";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { COSIGN_KEY_LABEL, decryptCosignKey, generateSigningKey, secretboxOpen } from "../../src/adapters/sigstore/signing/index.js";

const secretboxSeal = (plain: Uint8Array, nonce: Uint8Array, key: Uint8Array): Buffer => Buffer.from(xsalsa20poly1305(key, nonce).encrypt(plain));

function cosignKeyFile(pkcs8Pem: string, password: string): string {
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const params = { N: 1024, r: 8, p: 1 }; // cosign uses N=65536; smaller here to keep the test fast
  const key = scryptSync(Buffer.from(password), salt, 32, params);
  const der = Buffer.from(pkcs8Pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
  const json = { kdf: { name: "scrypt", params, salt: salt.toString("base64") }, cipher: { name: "nacl/secretbox", nonce: nonce.toString("base64") }, ciphertext: secretboxSeal(der, nonce, key).toString("base64") };
  const b64 = Buffer.from(JSON.stringify(json)).toString("base64").replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN ${COSIGN_KEY_LABEL}-----\n${b64}-----END ${COSIGN_KEY_LABEL}-----\n`;
}

test("secretbox: open inverts NaCl seal for lengths around the 64-byte block and the 16-byte MAC chunk; a flipped bit fails", () => {
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  for (const n of [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 200]) {
    const plain = randomBytes(n);
    const box = secretboxSeal(plain, nonce, key);
    assert.equal(box.length, n + 16);
    assert.deepEqual(secretboxOpen(box, nonce, key), plain);
    if (n > 0) {
      const bad = Buffer.from(box);
      bad[16 + (n >> 1)]! ^= 1;
      assert.throws(() => secretboxOpen(bad, nonce, key), /authentication failed/);
    }
  }
});

test("a cosign-format key decrypts to the same key with the right password, and not with a wrong one", () => {
  const { privateKeyPem, publicKeyPem } = generateSigningKey();
  const file = cosignKeyFile(privateKeyPem, "s3cret");
  const pem = decryptCosignKey(file, "s3cret");
  assert.equal(createPublicKey(pem).export({ format: "pem", type: "spki" }).toString(), publicKeyPem);
  assert.throws(() => decryptCosignKey(file, "wrong"), /wrong password/);
  assert.throws(() => decryptCosignKey("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n", ""), /expected a PEM block/);
});
