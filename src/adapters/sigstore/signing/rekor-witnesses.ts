// Transparency log witnesses for the bundle builder. Rekor v1 is @sigstore/sign's RekorWitness (the dsse/0.0.1 or
// intoto/0.0.2 proposed entry, the upload, the answer as a bundle entry). Rekor v2 is ours: the library asks
// rekor-tiles for a dsseRequestV002, which Rekor v2 as deployed refuses ("invalid type, must be hashedrekord",
// v2.3.0), and names every verifier an x509Certificate, a public key included; sigstore-go (cosign v3) logs DSSE as
// a hashedrekord over the envelope's PAE, and so does this.
import { Buffer } from "node:buffer";
import { X509Certificate, createPublicKey } from "node:crypto";
import { crypto as score, dsse } from "@sigstore/core";
import { TransparencyLogEntry } from "@sigstore/protobuf-specs";
import { RekorWitness } from "@sigstore/sign";
import type { Witness } from "@sigstore/sign";
import { AgentGateError } from "../../../core/errors.js";
import { serviceError } from "./service-error.js";
import { ANSWER_DEADLINE_MS, readJsonAtMost } from "../../bounded-read.js";
import { fetchWithTimeout } from "../../github/http.js";

/** A Rekor v2 entry with its inclusion proof and checkpoint is a few KiB; more is not an answer to keep. */
export const REKOR_ANSWER_MAX_BYTES = 1024 * 1024;

/** Rekor v1 entry kinds for a DSSE envelope: dsse/0.0.1 (the default), or intoto/0.0.2 (what sigstore-js logs with legacyCompatibility, as npm provenance does). */
export type RekorV1DsseKind = "dsse" | "intoto";

const trimmed = (url: string): string => url.replace(/\/+$/, "");

/**
 * Rekor v1: POST {url}/api/v1/log/entries through @sigstore/sign's own HTTP client, so `_fetch` is not used (it keeps
 * the v1 and v2 uploaders interchangeable for the CLI).
 */
export function httpRekorV1Uploader(url: string, _fetch?: typeof fetch, kind: RekorV1DsseKind = "dsse"): Witness {
  const witness = new RekorWitness({ rekorBaseURL: trimmed(url), entryType: kind, majorApiVersion: 1, timeout: ANSWER_DEADLINE_MS });
  const endpoint = `${trimmed(url)}/api/v1/log/entries`;
  return {
    testify: (content, publicKey) => witness.testify(content, publicKey).catch((e: unknown) => {
      throw serviceError(e, `transparency log ${endpoint}`, "REKOR_UNREACHABLE", "REKOR_FAILED");
    }),
  };
}

/**
 * What a client sends to Rekor v2 (rekor-tiles): a hashedRekordRequestV002 over `digest` (a message's sha256, or
 * sha256 of a DSSE envelope's PAE, which is what its signature covers), checked with the PEM certificate or key.
 */
export function rekorV2EntryRequest(digest: Uint8Array, signature: Uint8Array, verifierPem: string): Record<string, unknown> {
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
  const material = verifierPem.includes("CERTIFICATE")
    ? { x509Certificate: { rawBytes: b64(new X509Certificate(verifierPem).raw) } }
    : { publicKey: { rawBytes: b64(createPublicKey(verifierPem).export({ format: "der", type: "spki" })) } };
  return { hashedRekordRequestV002: { digest: b64(digest), signature: { content: b64(signature), verifier: { ...material, keyDetails: "PKIX_ECDSA_P256_SHA_256" } } } };
}

/** Rekor v2: POST {url}/api/v2/log/entries; the answer is the bundle's entry, which must carry its inclusion proof. */
export function httpRekorV2Uploader(url: string, fetchImpl: typeof fetch = fetch): Witness {
  const endpoint = `${trimmed(url)}/api/v2/log/entries`;
  return {
    testify: async (content, publicKey) => {
      const env = content.$case === "dsseEnvelope" ? content.dsseEnvelope : undefined;
      const digest = env ? score.digest("sha256", dsse.preAuthEncoding(env.payloadType, env.payload)) : content.$case === "messageSignature" ? content.messageSignature.messageDigest.digest : Buffer.alloc(0);
      const signature = env ? env.signatures[0]?.sig : content.$case === "messageSignature" ? content.messageSignature.signature : undefined;
      if (signature === undefined) throw new AgentGateError("REKOR_FAILED", "there is no signature to log");
      const res = await fetchWithTimeout(ANSWER_DEADLINE_MS, fetchImpl)(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(rekorV2EntryRequest(digest, signature, publicKey)),
      }).catch((e: unknown) => {
        throw serviceError(e, `transparency log ${endpoint}`, "REKOR_UNREACHABLE", "REKOR_FAILED");
      });
      if (res.status !== 201 && res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        throw new AgentGateError("REKOR_FAILED", `transparency log ${endpoint} answered HTTP ${res.status}`, "transient");
      }
      const read = await readJsonAtMost(res, REKOR_ANSWER_MAX_BYTES).catch((e: unknown) => {
        throw serviceError(e, `transparency log ${endpoint}`, "REKOR_UNREACHABLE", "REKOR_FAILED");
      });
      if ("problem" in read) throw new AgentGateError("REKOR_FAILED", `transparency log ${endpoint} answered ${read.problem}; expected its log entry as JSON (a few KiB)`, "transient");
      const answer = (read.value !== null && typeof read.value === "object" ? read.value : {}) as { canonicalizedBody?: unknown; inclusionProof?: unknown };
      const entry = typeof answer.canonicalizedBody === "string" && answer.inclusionProof !== undefined ? TransparencyLogEntry.fromJSON(answer) : undefined;
      if (entry?.logId === undefined || entry.kindVersion === undefined) {
        throw new AgentGateError("REKOR_FAILED", `transparency log ${endpoint} answered without an entry and its inclusion proof`, "transient");
      }
      return { tlogEntries: [{ ...entry, logId: entry.logId, kindVersion: entry.kindVersion }] };
    },
  };
}
