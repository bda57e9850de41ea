// Reading a bundle: the byte and depth caps before anything is parsed, then the shape checks that refuse a malformed
// or oversized bundle before any cryptography (media type, one DSSE signature, foreign chain certificates, repeats
// and caps on timestamps and log entries, decimal numbers, the RFC 3161 token's unsigned parts).
import { assertBundleLatest, assertBundleV01, assertBundleV02 } from "@sigstore/bundle";
import type { Bundle } from "@sigstore/bundle";
import { Bundle as ProtoBundle } from "@sigstore/protobuf-specs";
import { describeError } from "../../core/errors.js";
import { verifyMerkleInclusion } from "./verify-internals.js";
import type { LogCheckpoint } from "./verify-internals.js";
import { checkTimestampToken } from "./tsa-strict.js";
import { jsonErrorWithoutText } from "../../core/json-error.js";
import { BUNDLE_MEDIA_TYPES, MAX_BUNDLE_JSON_DEPTH, MAX_TIMESTAMPS_PER_BUNDLE, MAX_TLOG_ENTRIES_PER_BUNDLE } from "./verifier-types.js";
import { Fail, isObj, sha256hex, shown, step } from "./verify-fail.js";

// The bytes are hashed for the verdict cache before anything is parsed; parsing happens only on a cache miss. A bundle
// over the cap is refused before either.
export function readBundle(input: unknown, maxBytes: number): { raw: string | Uint8Array; parse: () => unknown } {
  const parseText = (text: string) => (): unknown => {
    let v: unknown;
    try {
      v = JSON.parse(text) as unknown;
    } catch (e) {
      throw new Fail("BUNDLE_MALFORMED", `the bundle: ${jsonErrorWithoutText(text, e)}`);
    }
    checkDepth(v, maxBytes);
    return v;
  };
  const capped = (bytes: number): void => {
    if (bytes > maxBytes) throw new Fail("BUNDLE_MALFORMED", `the bundle is ${bytes} bytes; expected at most ${maxBytes} bytes of JSON`);
  };
  // UTF-8 takes at least one byte per UTF-16 code unit and at most three.
  const cappedText = (text: string): void => capped(text.length * 3 <= maxBytes ? text.length : Buffer.byteLength(text, "utf8"));
  if (typeof input === "string") {
    cappedText(input);
    return { raw: input, parse: parseText(input) };
  }
  if (input instanceof Uint8Array) {
    capped(input.byteLength);
    return { raw: input, parse: parseText(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("utf8")) };
  }
  checkDepth(input, maxBytes);
  let text: string | undefined;
  try {
    text = JSON.stringify(input);
  } catch (e) {
    throw new Fail("BUNDLE_MALFORMED", `the bundle is not JSON: ${describeError(e)}`);
  }
  if (typeof text !== "string") throw new Fail("BUNDLE_MALFORMED", "the bundle is not JSON");
  cappedText(text);
  return { raw: text, parse: () => input };
}

// Iterative (an explicit stack), so a value nested 100,000 deep is measured, not recursed into. A value that refers
// to itself nests without end and is caught by depth; shared parts of a parsed value are visited at most maxNodes
// times in all (a JSON text has fewer values than bytes, so the byte cap bounds a parsed text the same way).
function checkDepth(root: unknown, maxNodes: number): void {
  const stack: [unknown, number][] = [[root, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > maxNodes) throw new Fail("BUNDLE_MALFORMED", `the bundle holds more than ${maxNodes} JSON values; expected at most ${maxNodes} bytes of JSON`);
    if (typeof v !== "object" || v === null || v instanceof Uint8Array) continue;
    if (depth > MAX_BUNDLE_JSON_DEPTH) throw new Fail("BUNDLE_MALFORMED", `the bundle nests deeper than ${MAX_BUNDLE_JSON_DEPTH} levels; a Sigstore bundle is about 6 deep`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}

export function parseBundle(json: unknown, trustedCaCerts: ReadonlySet<string>): Bundle {
  if (!isObj(json)) throw new Fail("BUNDLE_MALFORMED", "the bundle is not a JSON object");
  const mediaType = json.mediaType;
  if (typeof mediaType !== "string" || !BUNDLE_MEDIA_TYPES.includes(mediaType)) {
    throw new Fail("BUNDLE_MALFORMED", `unsupported bundle mediaType ${shown(mediaType)}; expected one of ${BUNDLE_MEDIA_TYPES.join(", ")}`);
  }
  const env = json.dsseEnvelope;
  if (isObj(env) && Array.isArray(env.signatures) && env.signatures.length !== 1) {
    throw new Fail("DSSE_INVALID", `expected exactly one DSSE signature, got ${env.signatures.length}`);
  }
  const b: Bundle = step("BUNDLE_MALFORMED", "the bundle does not parse", () => ProtoBundle.fromJSON(json) as Bundle);
  checkChainExtras(b, trustedCaCerts);
  checkRepeatsAndCaps(b);
  checkNumbers(b);
  checkTimestampEncoding(b);
  // an inclusion proof without a checkpoint cannot be tied to a signed tree head; say first whether it even hashes up
  for (const [i, entry] of (b.verificationMaterial?.tlogEntries ?? []).entries()) {
    const proof = entry.inclusionProof;
    if (proof && !proof.checkpoint?.envelope) {
      const unsigned = { logSize: BigInt(proof.treeSize), logHash: proof.rootHash } as LogCheckpoint;
      step("TLOG_INCLUSION_PROOF_INVALID", `tlog entry ${i}: inclusion proof`, () => verifyMerkleInclusion(entry as unknown as Parameters<typeof verifyMerkleInclusion>[0], unsigned));
      throw new Fail("BUNDLE_MALFORMED", `tlog entry ${i}: the inclusion proof has no checkpoint, so it cannot be checked against a signed tree head`);
    }
  }
  step("BUNDLE_MALFORMED", "the bundle is malformed", () => {
    if (mediaType.endsWith("version=0.1")) assertBundleV01(b);
    else if (mediaType.endsWith("version=0.2")) assertBundleV02(b);
    else assertBundleLatest(b);
  });
  if (b.content.$case === "messageSignature" && !b.content.messageSignature.messageDigest) {
    throw new Fail("BUNDLE_MALFORMED", "the message signature has no messageDigest");
  }
  return b;
}

// Certificates after the leaf are never used (the path is built from the trusted root alone), but a bundle must not
// carry one the trusted root does not hold: a foreign root or intermediate is refused; old bundles' copies of the
// trusted CA chain, which the bundle spec asks verifiers to tolerate, are not.
function checkChainExtras(b: Bundle, trustedCaCerts: ReadonlySet<string>): void {
  const m = b.verificationMaterial?.content;
  if (m?.$case !== "x509CertificateChain") return;
  if (m.x509CertificateChain.certificates.length === 0) throw new Fail("BUNDLE_MALFORMED", "the bundle's certificate chain is empty; expected the signing certificate");
  for (const [i, c] of m.x509CertificateChain.certificates.entries()) {
    if (i > 0 && !trustedCaCerts.has(Buffer.from(c.rawBytes).toString("hex"))) {
      throw new Fail("CERTIFICATE_CHAIN_INVALID", `the bundle's certificate chain carries certificate ${i} after the leaf, which is not a certificate of the trusted root; expected the leaf alone`);
    }
  }
}

// Repeats are refused and counts capped before any token or entry is verified: a copy costs nothing to send but a
// signature check to verify, and must never count twice towards a threshold.
function checkRepeatsAndCaps(b: Bundle): void {
  const tokens = b.verificationMaterial?.timestampVerificationData?.rfc3161Timestamps ?? [];
  const seenTokens = new Map<string, number>();
  for (const [i, t] of tokens.entries()) {
    const d = sha256hex(t.signedTimestamp);
    const first = seenTokens.get(d);
    if (first !== undefined) throw new Fail("TIMESTAMP_INVALID", `RFC 3161 timestamp ${i} repeats timestamp ${first}: the bundle repeats a signed time`);
    seenTokens.set(d, i);
  }
  if (tokens.length > MAX_TIMESTAMPS_PER_BUNDLE) {
    throw new Fail("VERIFICATION_BUDGET_EXCEEDED", `the bundle carries ${tokens.length} RFC 3161 timestamps; at most ${MAX_TIMESTAMPS_PER_BUNDLE} are verified per bundle`);
  }
  const entries = b.verificationMaterial?.tlogEntries ?? [];
  const seenEntries = new Map<string, number>();
  for (const [i, e] of entries.entries()) {
    const d = `${e.logId ? Buffer.from(e.logId.keyId).toString("hex") : ""}/${e.logIndex}`;
    const first = seenEntries.get(d);
    if (first !== undefined) throw new Fail("TLOG_ENTRY_INCONSISTENT", `tlog entry ${i} (log index ${e.logIndex}): the bundle repeats a tlog entry (entry ${first})`);
    seenEntries.set(d, i);
  }
  if (entries.length > MAX_TLOG_ENTRIES_PER_BUNDLE) {
    throw new Fail("VERIFICATION_BUDGET_EXCEEDED", `the bundle carries ${entries.length} tlog entries; at most ${MAX_TLOG_ENTRIES_PER_BUNDLE} are verified per bundle`);
  }
}

const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;
// Log indexes, sizes and times are int64 decimal strings; anything else would become NaN or an invalid date downstream.
function checkNumbers(b: Bundle): void {
  for (const [i, e] of (b.verificationMaterial?.tlogEntries ?? []).entries()) {
    const fields: [string, unknown][] = [["logIndex", e.logIndex], ["integratedTime", e.integratedTime]];
    if (e.inclusionProof) fields.push(["inclusionProof.logIndex", e.inclusionProof.logIndex], ["inclusionProof.treeSize", e.inclusionProof.treeSize]);
    for (const [name, v] of fields) {
      if (typeof v !== "string" || !DECIMAL.test(v)) throw new Fail("BUNDLE_MALFORMED", `tlog entry ${i}: ${name} is not a decimal integer: ${shown(v)}`);
    }
    // a signed time after 9999-12-31 is no time at all
    if (Number(e.integratedTime) > 253_402_300_799) throw new Fail("BUNDLE_MALFORMED", `tlog entry ${i}: integratedTime ${e.integratedTime} is out of range`);
  }
}

// The TSA signs the TSTInfo, not the token around it: the unsigned parts must have the one shape a TSA produces.
function checkTimestampEncoding(b: Bundle): void {
  for (const [i, t] of (b.verificationMaterial?.timestampVerificationData?.rfc3161Timestamps ?? []).entries()) {
    const der = Buffer.from(t.signedTimestamp);
    const why = checkTimestampToken(der);
    if (why !== undefined) throw new Fail("TIMESTAMP_INVALID", `RFC 3161 timestamp ${i}: ${why}`);
  }
}

export function leafDer(bundle: Bundle): Buffer {
  const m = bundle.verificationMaterial.content;
  if (m.$case === "certificate") return Buffer.from(m.certificate.rawBytes);
  if (m.$case === "x509CertificateChain") return Buffer.from(m.x509CertificateChain.certificates[0]?.rawBytes ?? []);
  return Buffer.alloc(0);
}
