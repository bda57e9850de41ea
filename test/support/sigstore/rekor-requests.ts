// What a client sends to a transparency log, for the tests' own logs: Rekor v1 proposed entries (attest leaves them
// to @sigstore/sign) and Rekor v2 create-entry requests (the hashedrekord form is attest's own, in src).
import { Buffer } from "node:buffer";
import { createHash, createPublicKey } from "node:crypto";
import type { DsseContent, SignedContent } from "./content.js";
import { preAuthEncoding } from "./dsse.js";
import { rekorV2EntryRequest as hashedRekordV2Request } from "../../../src/adapters/sigstore/signing/rekor-witnesses.js";

/** The key material the log checks the signature with: a certificate (DER) or a public key (PEM SPKI). */
export type LogVerifier = { readonly kind: "certificate"; readonly der: Uint8Array } | { readonly kind: "key"; readonly publicKeyPem: string };

export type RekorV1Kind = "hashedrekord" | "dsse" | "intoto";

const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString("base64");

export function toPem(der: Uint8Array, label: "CERTIFICATE" | "PUBLIC KEY"): string {
  const lines = b64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function verifierPem(v: LogVerifier): string {
  return v.kind === "certificate" ? toPem(v.der, "CERTIFICATE") : v.publicKeyPem;
}

function verifierDer(v: LogVerifier): Buffer {
  return v.kind === "certificate" ? Buffer.from(v.der) : createPublicKey(v.publicKeyPem).export({ format: "der", type: "spki" });
}

/** The Rekor v1 proposed entry: hashedrekord/0.0.1 for messages, dsse/0.0.1 (default) or intoto/0.0.2 for DSSE. */
export function rekorV1ProposedEntry(content: SignedContent, verifier: LogVerifier, dsseKind: "dsse" | "intoto" = "dsse"): Record<string, unknown> {
  const pem = verifierPem(verifier);
  if (content.kind === "message") {
    return {
      apiVersion: "0.0.1",
      kind: "hashedrekord",
      spec: {
        data: { hash: { algorithm: "sha256", value: content.digest.toString("hex") } },
        signature: { content: b64(content.signature), publicKey: { content: b64(pem) } },
      },
    };
  }
  if (dsseKind === "dsse") {
    return { apiVersion: "0.0.1", kind: "dsse", spec: { proposedContent: { envelope: JSON.stringify(envelopeJson(content)), verifiers: [b64(pem)] } } };
  }
  return intotoV002Entry(content, pem);
}

// intoto/0.0.2 double-encodes payload and signature and hashes a canonical envelope that carries the key
function intotoV002Entry(content: DsseContent, pem: string): Record<string, unknown> {
  const hashed: Record<string, unknown> = { payloadType: content.payloadType, payload: b64(content.payload), signatures: [sigWithKey(b64(content.signature), pem, content.keyid)] };
  const envelope = { payloadType: content.payloadType, payload: b64(b64(content.payload)), signatures: [sigWithKey(b64(b64(content.signature)), b64(pem), content.keyid)] };
  return {
    apiVersion: "0.0.2",
    kind: "intoto",
    spec: {
      content: {
        envelope,
        hash: { algorithm: "sha256", value: createHash("sha256").update(canonicalJson(hashed)).digest("hex") },
        payloadHash: { algorithm: "sha256", value: createHash("sha256").update(content.payload).digest("hex") },
      },
    },
  };
}

function sigWithKey(sig: string, publicKey: string, keyid: string): Record<string, string> {
  return keyid.length > 0 ? { keyid, publicKey, sig } : { publicKey, sig };
}

export function envelopeJson(content: DsseContent): { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] } {
  return { payload: b64(content.payload), payloadType: content.payloadType, signatures: [{ sig: b64(content.signature), keyid: content.keyid }] };
}

/** attest's Rekor v2 request (hashedRekordRequestV002; a DSSE envelope is logged by sha256 of its PAE) for `content`. */
export function rekorV2EntryRequest(content: SignedContent, verifier: LogVerifier): Record<string, unknown> {
  const digest = content.kind === "message" ? content.digest : createHash("sha256").update(preAuthEncoding(content.payloadType, content.payload)).digest();
  return hashedRekordV2Request(digest, content.signature, verifierPem(verifier));
}

/**
 * The create-entry request as rekor-tiles first defined it: hashedRekordRequestV002 for messages, dsseRequestV002 for
 * DSSE. The DSSE form is refused by Rekor v2 as deployed (see rekorV2EntryRequest); it is kept so the tests' own log
 * can still produce dsse/0.0.2 entries, which verifiers meet in older bundles.
 */
export function rekorV2Request(content: SignedContent, verifier: LogVerifier): Record<string, unknown> {
  const v = v2Verifier(verifier);
  if (content.kind === "message") {
    return { hashedRekordRequestV002: { digest: b64(content.digest), signature: { content: b64(content.signature), verifier: v } } };
  }
  return { dsseRequestV002: { envelope: envelopeJson(content), verifiers: [v] } };
}

export function v2Verifier(verifier: LogVerifier): Record<string, unknown> {
  const rawBytes = b64(verifierDer(verifier));
  const material = verifier.kind === "certificate" ? { x509Certificate: { rawBytes } } : { publicKey: { rawBytes } };
  return { ...material, keyDetails: "PKIX_ECDSA_P256_SHA_256" };
}

/** RFC 8785-style canonical JSON for the plain values logs hash (strings, numbers, arrays, objects). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
