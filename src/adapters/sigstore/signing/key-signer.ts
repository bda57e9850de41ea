// Signing with a key the caller holds (ECDSA P-256 / SHA-256, PEM): the key-based path of `agent-gate attest`.
import type { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { sha256Hex } from "../../../core/digest.js";
import { AgentGateError, describeError } from "../../../core/errors.js";

/** Anything that can sign bytes and say which public key checks the signature. */
export interface Signer {
  readonly publicKeyPem: string; // SPKI PEM
  sign(data: Uint8Array): Buffer; // DER ECDSA signature over SHA-256(data)
}

export interface KeyPairPem {
  readonly privateKeyPem: string; // PKCS#8
  readonly publicKeyPem: string; // SPKI
}

export interface KeySigner extends Signer {
  readonly keyHint: string;
}

export function generateSigningKey(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
}

/** The default key hint: hex SHA-256 of the SPKI DER, so a verifier can pick a key without trusting the hint. */
export function keyHintOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ format: "der", type: "spki" });
  return sha256Hex(der);
}

/**
 * A signer over a PEM EC P-256 private key. A key that does not parse, or of another type or curve, is KEY_INVALID
 * naming `opts.source` (the file, as the user named it) and what was expected.
 */
export function createKeySigner(privateKeyPem: string, opts: { keyHint?: string; source?: string } = {}): KeySigner {
  const where = opts.source !== undefined ? `the private key ${opts.source}` : "the private key";
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (e) {
    throw new AgentGateError("KEY_INVALID", `${where} does not parse (${describeError(e)}); expected a PEM EC P-256 private key (PKCS#8 or SEC1) or a cosign key file`);
  }
  assertP256(key, where);
  const publicKeyPem = createPublicKey(key).export({ format: "pem", type: "spki" }).toString();
  return {
    publicKeyPem,
    keyHint: opts.keyHint ?? keyHintOf(publicKeyPem),
    sign: (data) => sign("sha256", data, key),
  };
}

function assertP256(key: KeyObject, where: string): void {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== "ec" || curve !== "prime256v1") {
    const got = `of type ${key.asymmetricKeyType ?? "unknown"}${curve !== undefined ? ` on curve ${curve}` : ""}`;
    throw new AgentGateError("KEY_INVALID", `${where} is a key ${got}; expected an ECDSA P-256 (prime256v1) private key: agent-gate signs with ECDSA P-256 / SHA-256`);
  }
}
