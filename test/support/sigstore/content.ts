// The tests' own signing (their Sigstore signs bundles of every shape): what gets signed, a message (sha256 of the artifact) or a DSSE envelope (its pre-authentication encoding).
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { preAuthEncoding } from "./dsse.js";
import type { Signer } from "../../../src/adapters/sigstore/signing/key-signer.js";

export interface MessageContent {
  readonly kind: "message";
  readonly digest: Buffer; // sha256 of the artifact
  readonly signature: Buffer;
}

export interface DsseContent {
  readonly kind: "dsse";
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signature: Buffer; // over the PAE
  readonly keyid: string;
}

export type SignedContent = MessageContent | DsseContent;

export function sha256(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

export function signMessage(signer: Signer, artifact: Uint8Array): MessageContent {
  return { kind: "message", digest: sha256(artifact), signature: signer.sign(artifact) };
}

export function signDsse(signer: Signer, payloadType: string, payload: Uint8Array, keyid = ""): DsseContent {
  const bytes = Buffer.from(payload);
  return { kind: "dsse", payloadType, payload: bytes, signature: signer.sign(preAuthEncoding(payloadType, bytes)), keyid };
}
