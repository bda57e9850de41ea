// RFC 3161 timestamps over HTTP (POST application/timestamp-query to a TSA such as Sigstore's .../api/v1/timestamp).
// Kept rather than @sigstore/sign's TSAWitness, which speaks only the JSON dialect of Sigstore's own
// timestamp-authority (so no other RFC 3161 TSA would do), sends no nonce, and returns whatever the TSA answered:
// this one sends a DER TimeStampReq with a nonce and checks that the reply grants it and stamps this signature.
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import type { RFC3161Timestamp } from "@sigstore/core";
import type { Witness } from "@sigstore/sign";
import { sha256Bytes } from "../../../core/digest.js";
import { AgentGateError } from "../../../core/errors.js";
import { serviceError } from "./service-error.js";
import { parseTimestamp } from "../der.js";
import { ANSWER_DEADLINE_MS, readBodyAtMost } from "../../bounded-read.js";
import { fetchWithTimeout } from "../../github/http.js";

/** A TimeStampResp is a few KiB (a signed TSTInfo and the TSA's certificates); more is not an answer to keep. */
export const TSA_ANSWER_MAX_BYTES = 256 * 1024;

const SHA256_OID_DER = Buffer.from("0609608648016503040201", "hex");

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** A DER TimeStampReq (v1, SHA-256 imprint, a random nonce, certReq TRUE). */
export function timeStampRequest(digest: Buffer, nonce: Buffer = randomBytes(8)): Buffer {
  const algorithm = der(0x30, Buffer.concat([SHA256_OID_DER, Buffer.from([0x05, 0x00])]));
  const imprint = der(0x30, Buffer.concat([algorithm, der(0x04, digest)]));
  // a positive, minimally encoded INTEGER: top bit clear and a non-zero first byte (DER parsers such as Go's reject both)
  const positiveNonce = Buffer.from(nonce);
  positiveNonce[0] = ((positiveNonce[0] ?? 1) & 0x7f) | 0x01;
  return der(0x30, Buffer.concat([der(0x02, Buffer.from([1])), imprint, der(0x02, positiveNonce), Buffer.from([0x01, 0x01, 0xff])]));
}

/** The TSA's TimeStampResp (DER) over `signature`, checked with checkTimestampAnswer. */
export async function requestTimestamp(url: string, signature: Buffer, fetchImpl: typeof fetch = fetch): Promise<Uint8Array> {
  const body = timeStampRequest(sha256Bytes(signature));
  const res = await fetchWithTimeout(ANSWER_DEADLINE_MS, fetchImpl)(url, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body }).catch((e: unknown) => {
    throw serviceError(e, `timestamp authority ${url}`, "TSA_UNREACHABLE", "TSA_FAILED");
  });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new AgentGateError("TSA_FAILED", `timestamp authority ${url} answered HTTP ${res.status}`, "transient");
  }
  const bytes = await readBodyAtMost(res, TSA_ANSWER_MAX_BYTES).catch((e: unknown) => {
    throw serviceError(e, `timestamp authority ${url}`, "TSA_UNREACHABLE", "TSA_FAILED");
  });
  if (bytes === undefined) throw new AgentGateError("TSA_FAILED", `timestamp authority ${url} answered more than ${TSA_ANSWER_MAX_BYTES} bytes; expected an RFC 3161 timestamp response (a few KiB)`, "transient");
  const answer = new Uint8Array(bytes);
  checkTimestampAnswer(url, answer, signature);
  return answer;
}

/** A bundle witness that timestamps the envelope's (or message's) signature. */
export function httpTimestamper(url: string, fetchImpl: typeof fetch = fetch): Witness {
  return {
    testify: async (content) => {
      const signature = content.$case === "dsseEnvelope" ? content.dsseEnvelope.signatures[0]?.sig : content.messageSignature.signature;
      if (signature === undefined) throw new AgentGateError("TSA_FAILED", "there is no signature to timestamp");
      return { rfc3161Timestamps: [{ signedTimestamp: Buffer.from(await requestTimestamp(url, signature, fetchImpl)) }] };
    },
  };
}

/** The authority granted the request and stamped exactly this signature; otherwise the bundle could never verify. */
export function checkTimestampAnswer(url: string, answer: Uint8Array, signature: Buffer): void {
  // The parser reads lazily: every field used below is read here, so that a malformed answer is named as such.
  let status: bigint;
  let info: RFC3161Timestamp["tstInfo"] | undefined;
  try {
    const stamp = parseTimestamp(Buffer.from(answer));
    status = stamp.status;
    if (status === 0n || status === 1n) {
      info = stamp.tstInfo;
      void info.messageImprintHashAlgorithm;
      void info.messageImprintHashedMessage;
    }
  } catch (e) {
    throw new AgentGateError("TSA_FAILED", `timestamp authority ${url} answered with something that is not an RFC 3161 timestamp response: ${e instanceof Error ? e.message : String(e)}`, "transient");
  }
  // PKIStatus 0 granted, 1 granted with modifications; anything else is a refusal
  if (!info) throw new AgentGateError("TSA_FAILED", `timestamp authority ${url} refused the request (PKIStatus ${status})`, "transient");
  try {
    info.verify(signature);
  } catch {
    throw new AgentGateError("TSA_FAILED", `timestamp authority ${url} stamped another message than this signature (its message imprint does not match)`, "transient");
  }
}
