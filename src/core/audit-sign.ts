// Signed checkpoints (issue 18 item 5): `audit checkpoint --sign-key` signs {seq, hash} with the App's private key,
// so a checkpoint kept elsewhere can be checked by anyone holding the public key, without trusting whoever stored it.
// The App's key is its GitHub App RSA key (PRIVATE_KEY): already provisioned and guarded, nothing new to manage;
// signatures are RSASSA-PKCS1-v1_5 over SHA-256. An Ed25519 key is accepted too (smaller, faster), when one is given.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { z } from "zod";
import type { Checkpoint } from "./audit.js";
import { sha256Hex } from "./digest.js";
import { AgentGateError, describeError } from "./errors.js";

const DOMAIN = "agent-gate audit checkpoint v1";

export interface CheckpointSignature {
  readonly alg: "rsa-pkcs1-sha256" | "ed25519";
  /** sha256 of the public key's DER (SubjectPublicKeyInfo), hex. */
  readonly key_id: string;
  readonly value: string; // base64
}

export type SignedCheckpoint = Checkpoint & { readonly note?: string; readonly signature: CheckpointSignature };

/** The exact bytes signed: a domain, the seq and the hash, one per line (no JSON to canonicalise). */
export const checkpointMessage = (cp: Checkpoint): Buffer => Buffer.from(`${DOMAIN}\n${cp.seq}\n${cp.hash}\n`, "utf8");

const keyId = (pub: KeyObject): string => sha256Hex(pub.export({ type: "spki", format: "der" }));

function algOf(key: KeyObject, what: string): CheckpointSignature["alg"] {
  if (key.asymmetricKeyType === "rsa") return "rsa-pkcs1-sha256";
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  throw new AgentGateError("AUDIT_CHECKPOINT_INVALID", `${what}: expected an RSA (the GitHub App's) or Ed25519 key, got ${key.asymmetricKeyType ?? "an unknown key type"}`);
}

export function signCheckpoint(cp: Checkpoint, privateKeyPem: string, note?: string): SignedCheckpoint {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw new AgentGateError("AUDIT_CHECKPOINT_INVALID", `the signing key is not a PEM private key: ${describeError(err)}`);
  }
  const alg = algOf(key, "the signing key");
  const value = sign(alg === "ed25519" ? null : "sha256", checkpointMessage(cp), key).toString("base64");
  return { seq: cp.seq, hash: cp.hash, ...(note ? { note } : {}), signature: { alg, key_id: keyId(createPublicKey(key)), value } };
}

const Signed = z.object({
  seq: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  signature: z.object({ alg: z.enum(["rsa-pkcs1-sha256", "ed25519"]), key_id: z.string(), value: z.string().max(2048) }),
});

/** Checks a checkpoint's signature with `publicKeyPem` (a private key's PEM works too); returns the checkpoint or throws. */
export function verifySignedCheckpoint(text: string, publicKeyPem: string, what: string): Checkpoint {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (err) {
    throw new AgentGateError("AUDIT_CHECKPOINT_INVALID", `the checkpoint key is not a PEM public key: ${describeError(err)}`);
  }
  const alg = algOf(key, "the checkpoint key");
  let cp: z.infer<typeof Signed>;
  try {
    cp = Signed.parse(JSON.parse(text));
  } catch {
    throw new AgentGateError("AUDIT_CHECKPOINT_INVALID", `${what}: expected a signed checkpoint {"seq", "hash", "signature": {"alg", "key_id", "value"}} (agent-gate audit checkpoint --sign-key), got no signature`);
  }
  const ok = cp.signature.alg === alg && verify(alg === "ed25519" ? null : "sha256", checkpointMessage(cp), key, Buffer.from(cp.signature.value, "base64"));
  if (!ok) throw new AgentGateError("AUDIT_CHECKPOINT_INVALID", `${what}: the signature on checkpoint ${cp.seq}:${cp.hash.slice(0, 12)}… is not valid for the key ${keyId(key).slice(0, 16)}…: it was altered or signed by another key`);
  return { seq: cp.seq, hash: cp.hash };
}
