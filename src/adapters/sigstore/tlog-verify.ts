// Transparency-log entries of a bundle: each checked against the one trusted log it names, its body against the
// signature and signer, and the count against the root's threshold.
import { createPublicKey } from "node:crypto";
import type { Bundle, TransparencyLogEntry } from "@sigstore/bundle";
import { crypto as score } from "@sigstore/core";
import type { SignedEntity, TrustMaterial } from "@sigstore/verify";
import { verifyCheckpoint, verifyMerkleInclusion, verifyTLogBody, verifyTLogSET } from "./verify-internals.js";
import { checkCheckpointShape, checkDsseHashedRekordV2, isHashedRekordV2, loggedVerifier, logsValidAt } from "./tlog.js";
import type { SignedTime, WorkCounters } from "./chain-check.js";
import { Fail, step } from "./verify-fail.js";
import { parseCertificate } from "./der.js";

/**
 * Step 6: every tlog entry verified against the log it names, valid when the entry was signed (SET and/or proof against
 * a signed checkpoint, body consistent with the signature and signer); at least `threshold` must be. `times` are the
 * bundle's verified signed times: an entry without a SET is vouched for only by a log valid at every one of them.
 */
export function checkTlogs(bundle: Bundle, entity: SignedEntity, signedBy: { cert: Buffer } | { spki: Buffer }, times: readonly SignedTime[], tlogs: TrustMaterial["tlogs"], threshold: number, work: WorkCounters): void {
  let verified = 0;
  const seen = new Set<string>();
  for (const [i, entry] of (bundle.verificationMaterial.tlogEntries as TransparencyLogEntry[]).entries()) {
    const where = `tlog entry ${i} (log index ${entry.logIndex})`;
    const id = entry.logId?.keyId;
    if (!id || !tlogs.some((t) => t.logID.equals(id))) {
      throw new Fail("TLOG_UNTRUSTED_LOG", `${where}: log ${id?.toString("hex") ?? "<none>"} is not in the trusted root`);
    }
    // only the log the entry names may vouch for it: its SET and its checkpoint are checked against that log alone
    const named = tlogs.filter((t) => t.logID.equals(id));
    const dedupe = `${id.toString("hex")}/${entry.logIndex}`;
    if (seen.has(dedupe)) throw new Fail("TLOG_ENTRY_INCONSISTENT", `${where}: the bundle repeats a tlog entry`);
    seen.add(dedupe);
    if (!entry.inclusionPromise && !entry.inclusionProof) throw new Fail("TLOG_INCLUSION_PROOF_INVALID", `${where}: neither an inclusion promise nor an inclusion proof`);
    work.tlogVerifications++;
    // and only while its key was trusted: at the integrated time its SET signs, or, without a SET (Rekor v2, or a v1
    // entry with a proof alone), at every signed time of the bundle (its RFC 3161 times), for nothing else dates it
    const integrated: SignedTime[] = [{ source: "tlog", time: new Date(Number(entry.integratedTime) * 1000) }];
    const logs = logsValidAt(named, entry.inclusionPromise ? integrated : times);
    if (typeof logs === "string") throw new Fail(entry.inclusionPromise ? "TLOG_SET_INVALID" : "TLOG_UNTRUSTED_LOG", `${where}: ${logs}`);
    if (entry.inclusionPromise) {
      step("TLOG_SET_INVALID", `${where}: inclusion promise (SET)`, () => verifyTLogSET(entry as Parameters<typeof verifyTLogSET>[0], logs));
    }
    const proof = entry.inclusionProof;
    if (proof) {
      // the shape check comes first: the library matches the note's signer name as a regular expression
      const shape = checkCheckpointShape(proof.checkpoint!.envelope, logs[0]!.baseURL);
      if (shape !== undefined) throw new Fail("TLOG_CHECKPOINT_INVALID", `${where}: ${shape}`);
      const cp = step("TLOG_CHECKPOINT_INVALID", `${where}: checkpoint`, () => verifyCheckpoint(entry as Parameters<typeof verifyCheckpoint>[0], logs), true);
      if (!score.bufferEqual(cp.logHash, proof.rootHash) || cp.logSize !== BigInt(proof.treeSize)) {
        throw new Fail("TLOG_CHECKPOINT_INVALID", `${where}: the signed checkpoint (size ${cp.logSize}) does not match the inclusion proof's root (size ${proof.treeSize})`);
      }
      // without a SET nothing else covers the entry's own logIndex: it must be the one the proof is for
      if (!entry.inclusionPromise && entry.logIndex !== proof.logIndex) {
        throw new Fail("TLOG_INCLUSION_PROOF_INVALID", `${where}: the entry's log index differs from its inclusion proof's (${proof.logIndex})`);
      }
      step("TLOG_INCLUSION_PROOF_INVALID", `${where}: inclusion proof`, () => verifyMerkleInclusion(entry as Parameters<typeof verifyMerkleInclusion>[0], cp));
    }
    if (bundle.content.$case === "dsseEnvelope" && isHashedRekordV2(entry)) {
      const env = bundle.content.dsseEnvelope;
      const why = step("TLOG_ENTRY_INCONSISTENT", `${where}: log entry body`, () => checkDsseHashedRekordV2(entry, env));
      if (why !== undefined) throw new Fail("TLOG_ENTRY_INCONSISTENT", `${where}: ${why}`);
    } else {
      step("TLOG_ENTRY_INCONSISTENT", `${where}: log entry body`, () => verifyTLogBody(entry, entity.signature));
    }
    const logged = step("TLOG_ENTRY_INCONSISTENT", `${where}: log entry body`, () => loggedVerifier(entry));
    if (!logged || !sameSigner(logged, signedBy)) {
      throw new Fail("TLOG_ENTRY_INCONSISTENT", `${where}: the log entry records another ${logged ? "signer" : "kind of entry"} than the bundle's certificate or key`);
    }
    verified++;
  }
  if (verified < threshold) {
    throw new Fail("TLOG_THRESHOLD_NOT_MET", `expected at least ${threshold} verified tlog entries, got ${verified}`);
  }
}

// A keyless bundle's log entry must record its very certificate; a key-based one, a key or certificate of the caller's key.
export function sameSigner(logged: Buffer, signedBy: { cert: Buffer } | { spki: Buffer }): boolean {
  if ("cert" in signedBy) return signedBy.cert.length > 0 && score.bufferEqual(logged, signedBy.cert);
  try {
    let spki = logged;
    try {
      spki = parseCertificate(logged).publicKey;
    } catch {
      // not a certificate: the entry records a bare public key
    }
    return score.bufferEqual(createPublicKey({ key: spki, format: "der", type: "spki" }).export({ format: "der", type: "spki" }), signedBy.spki);
  } catch {
    return false;
  }
}

// Whether some tlog entry body names the caller's key (as base64 DER or base64 PEM), to tell a wrong key from a bad signature.
export function loggedKeyMatches(entries: TransparencyLogEntry[], spki: Buffer): boolean {
  const der = spki.toString("base64");
  const pem = `-----BEGIN PUBLIC KEY-----\n${der.replace(/(.{64})/g, "$1\n")}\n-----END PUBLIC KEY-----\n`;
  const pemB64 = Buffer.from(pem).toString("base64");
  return entries.some((e) => {
    const body = e.canonicalizedBody.toString("utf8");
    return body.includes(der) || body.includes(pemB64);
  });
}
