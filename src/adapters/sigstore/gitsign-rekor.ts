// The Rekor entry gitsign's offline mode embeds in a commit signature: a dev.sigstore.rekor.v1.TransparencyLogEntry
// protobuf (canonicalizedBody cleared) in unsigned attribute 1.3.6.1.4.1.57264.3.1. Decoded with a small bounded
// protobuf reader (the protobuf-specs package only reads JSON), then checked with @sigstore/verify's SET, checkpoint
// and inclusion-proof steps against a body rebuilt from the signature itself, so nothing in the entry is trusted.
import { crypto as score } from "@sigstore/core";
import type { TrustMaterial } from "@sigstore/verify";
import { describeError } from "../../core/errors.js";
import { checkCheckpointShape, logsValidAt } from "./tlog.js";
import { verifyCheckpoint, verifyMerkleInclusion, verifyTLogSET } from "./verify-internals.js";

/** Bounds on what an outsider's entry may hold: Rekor proofs have at most 64 hashes; notes are a few lines. */
const MAX_ENTRY_BYTES = 16 * 1024;
const MAX_PROOF_HASHES = 64;
const MAX_FIELDS = 256;

export interface EmbeddedEntry {
  logIndex: string;
  logId: Buffer;
  kind: string;
  version: string;
  integratedTime: string;
  signedEntryTimestamp?: Buffer;
  proof?: { logIndex: string; rootHash: Buffer; treeSize: string; hashes: Buffer[]; checkpoint: string };
}

type Field = { n: number; varint?: bigint; bytes?: Buffer };

// One level of protobuf fields; wire types 0 (varint) and 2 (bytes) are kept, 1 and 5 skipped, others refused.
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (i >= buf.length) throw new Error("truncated varint");
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
    throw new Error("varint longer than 10 bytes");
  };
  while (i < buf.length) {
    if (out.length >= MAX_FIELDS) throw new Error(`more than ${MAX_FIELDS} fields`);
    const key = varint();
    const n = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) out.push({ n, varint: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (len > buf.length - i) throw new Error("field longer than the entry");
      out.push({ n, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1 || wire === 5) {
      i += wire === 1 ? 8 : 4;
      if (i > buf.length) throw new Error("truncated fixed-width field");
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

function one(fs: Field[], n: number, what: string): Field | undefined {
  const hits = fs.filter((f) => f.n === n);
  if (hits.length > 1) throw new Error(`${what} appears ${hits.length} times`);
  return hits[0];
}
const bytesOf = (fs: Field[], n: number, what: string): Buffer | undefined => {
  const f = one(fs, n, what);
  if (f && f.bytes === undefined) throw new Error(`${what} is not length-delimited`);
  return f?.bytes;
};
const intOf = (fs: Field[], n: number, what: string): string => {
  const f = one(fs, n, what);
  if (!f || f.varint === undefined) throw new Error(`expected ${what} as a varint`);
  if (f.varint >= 1n << 63n) throw new Error(`${what} is negative`);
  return f.varint.toString();
};
const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`expected ${what}`);
  return v;
};

/** Decodes the embedded TransparencyLogEntry; throws with what is wrong. */
export function decodeEmbeddedEntry(buf: Buffer): EmbeddedEntry {
  if (buf.length > MAX_ENTRY_BYTES) throw new Error(`the entry is ${buf.length} bytes; expected at most ${MAX_ENTRY_BYTES}`);
  const top = fields(buf);
  const logId = need(bytesOf(fields(need(bytesOf(top, 2, "logId"), "logId")), 1, "logId.keyId"), "logId.keyId");
  const kv = fields(need(bytesOf(top, 3, "kindVersion"), "kindVersion"));
  const entry: EmbeddedEntry = {
    logIndex: intOf(top, 1, "logIndex"),
    logId,
    kind: need(bytesOf(kv, 1, "kind"), "kind").toString("utf8"),
    version: need(bytesOf(kv, 2, "version"), "version").toString("utf8"),
    integratedTime: intOf(top, 4, "integratedTime"),
  };
  const promise = bytesOf(top, 5, "inclusionPromise");
  if (promise) entry.signedEntryTimestamp = need(bytesOf(fields(promise), 1, "signedEntryTimestamp"), "signedEntryTimestamp");
  const proof = bytesOf(top, 6, "inclusionProof");
  if (proof) {
    const p = fields(proof);
    const hashes = p.filter((f) => f.n === 4).map((f) => need(f.bytes, "a proof hash"));
    if (hashes.length > MAX_PROOF_HASHES) throw new Error(`${hashes.length} proof hashes; expected at most ${MAX_PROOF_HASHES}`);
    const cp = need(bytesOf(fields(need(bytesOf(p, 5, "checkpoint"), "checkpoint")), 1, "checkpoint.envelope"), "checkpoint.envelope");
    entry.proof = {
      logIndex: intOf(p, 1, "inclusionProof.logIndex"),
      rootHash: need(bytesOf(p, 2, "rootHash"), "rootHash"),
      treeSize: intOf(p, 3, "treeSize"),
      hashes,
      checkpoint: cp.toString("utf8"),
    };
  }
  return entry;
}

/** The hashedrekord v0.0.1 body Rekor stored for this signature, rebuilt (canonical JSON: sorted keys, no spaces). */
export function hashedRekordBody(signedAttrsDer: Buffer, signature: Buffer, leafDer: Buffer): Buffer {
  const pem = `-----BEGIN CERTIFICATE-----\n${leafDer.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
  const body = {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: score.digest("sha256", signedAttrsDer).toString("hex") } },
      signature: { content: signature.toString("base64"), publicKey: { content: Buffer.from(pem).toString("base64") } },
    },
  };
  return Buffer.from(JSON.stringify(body));
}

export type RekorFailure = { code: "TLOG_UNTRUSTED_LOG" | "TLOG_SET_INVALID" | "TLOG_CHECKPOINT_INVALID" | "TLOG_INCLUSION_PROOF_INVALID" | "TLOG_ENTRY_INCONSISTENT"; message: string };

/**
 * Verifies the entry over `body` against the trusted logs: the log is trusted, the SET verifies, and an inclusion
 * proof, when present, verifies against its signed checkpoint. Returns the integrated time, or why not.
 */
export function checkEmbeddedEntry(entry: EmbeddedEntry, body: Buffer, tm: TrustMaterial): { time: Date } | RekorFailure {
  if (entry.kind !== "hashedrekord" || entry.version !== "0.0.1") {
    return { code: "TLOG_ENTRY_INCONSISTENT", message: `expected a hashedrekord 0.0.1 entry, got ${entry.kind} ${entry.version}` };
  }
  const named = tm.tlogs.filter((t) => t.logID.equals(entry.logId));
  if (named.length === 0) return { code: "TLOG_UNTRUSTED_LOG", message: `log ${entry.logId.toString("hex")} is not in the trusted root` };
  if (!entry.signedEntryTimestamp) return { code: "TLOG_SET_INVALID", message: "the embedded entry has no signed entry timestamp (SET)" };
  // only while the log's key was trusted: its SET and its checkpoint are checked against the log valid at the integrated time
  const logs = logsValidAt(named, [{ source: "tlog", time: new Date(Number(entry.integratedTime) * 1000) }]);
  if (typeof logs === "string") return { code: "TLOG_SET_INVALID", message: logs };
  const e = {
    logIndex: entry.logIndex,
    logId: { keyId: entry.logId },
    kindVersion: { kind: entry.kind, version: entry.version },
    integratedTime: entry.integratedTime,
    inclusionPromise: { signedEntryTimestamp: entry.signedEntryTimestamp },
    inclusionProof: entry.proof ? { ...entry.proof, checkpoint: { envelope: entry.proof.checkpoint } } : undefined,
    canonicalizedBody: body,
  };
  try {
    verifyTLogSET(e, logs);
  } catch (err) {
    return { code: "TLOG_SET_INVALID", message: `the Rekor SET does not verify over the rebuilt entry: ${describeError(err)}` };
  }
  if (entry.proof) {
    const shape = checkCheckpointShape(entry.proof.checkpoint, logs[0]!.baseURL);
    if (shape !== undefined) return { code: "TLOG_CHECKPOINT_INVALID", message: shape };
    let cp;
    try {
      cp = verifyCheckpoint(e as unknown as Parameters<typeof verifyCheckpoint>[0], logs);
    } catch (err) {
      return { code: "TLOG_CHECKPOINT_INVALID", message: `checkpoint: ${describeError(err)}` };
    }
    if (!score.bufferEqual(cp.logHash, entry.proof.rootHash) || cp.logSize !== BigInt(entry.proof.treeSize)) {
      return { code: "TLOG_CHECKPOINT_INVALID", message: `the signed checkpoint (size ${cp.logSize}) does not match the inclusion proof (size ${entry.proof.treeSize})` };
    }
    try {
      verifyMerkleInclusion(e as unknown as Parameters<typeof verifyMerkleInclusion>[0], cp);
    } catch (err) {
      return { code: "TLOG_INCLUSION_PROOF_INVALID", message: `inclusion proof: ${describeError(err)}` };
    }
  }
  return { time: new Date(Number(entry.integratedTime) * 1000) };
}

