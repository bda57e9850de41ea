// gitsign's online mode (its default): the signature carries no Rekor entry. After signing, gitsign signs the final
// commit id (40 lowercase hex, ASCII, no newline) with the same key and logs a hashedrekord of it. This finds that
// entry in a Rekor v1 log (`verify-commit --rekor-url`, off by default) and checks it:
//  - lookupCommitEntries (network, untrusted): POST /api/v1/index/retrieve by sha256(commit id), then each entry,
//    at most 16 of them, each answer at most 64 KiB;
//  - onlineSignedTime (pure): the body must be a hashedrekord of sha256(commit id) with this signer's certificate and
//    a signature over the commit id by its key; then the SET, inclusion proof and checkpoint are checked against the
//    trusted root exactly as an embedded entry's (gitsign-rekor.ts). Nothing a log answers is trusted before that.
import { X509Certificate, createHash, verify as cryptoVerify } from "node:crypto";
import { sha256Hex } from "../../core/digest.js";
import type { TrustMaterial } from "@sigstore/verify";
import * as z from "zod";
import { AgentGateError, describeError } from "../../core/errors.js";
import { readBodyAtMost } from "../bounded-read.js";
import { checkEmbeddedEntry } from "./gitsign-rekor.js";
import type { EmbeddedEntry, RekorFailure } from "./gitsign-rekor.js";

export interface OnlineEntry {
  readonly entry: EmbeddedEntry;
  /** The canonicalized body the log answered; the SET is over exactly these bytes. */
  readonly body: Buffer;
}

const MAX_ENTRIES = 16;
const MAX_ANSWER_BYTES = 64 * 1024;

// built on first use, not at import: constructing zod schemas costs every command that loads this file at start
let logEntry: ReturnType<typeof logEntrySchema> | undefined;
const logEntrySchema = (hex = z.string().regex(/^[0-9a-f]{1,128}$/)) => z.object({
  body: z.string().max(MAX_ANSWER_BYTES),
  integratedTime: z.number().int().nonnegative(),
  logID: hex,
  logIndex: z.number().int().nonnegative(),
  verification: z.object({
    signedEntryTimestamp: z.string().max(1024),
    inclusionProof: z.object({ checkpoint: z.string().max(4096), hashes: z.array(hex).max(64), logIndex: z.number().int().nonnegative(), rootHash: hex, treeSize: z.number().int().positive() }).optional(),
  }),
});

/** The git id of a raw SHA-1 commit object: what gitsign's online mode logs. */
export const commitId = (raw: Buffer): string => createHash("sha1").update(`commit ${raw.length}\0`).update(raw).digest("hex");

async function ask(url: string, init: RequestInit, fetchImpl: typeof fetch, timeoutMs: number): Promise<unknown> {
  const what = `${init.method ?? "GET"} ${url}`;
  let res: Response;
  let body: Buffer | undefined;
  try {
    res = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) await res.body?.cancel().catch(() => undefined);
    // at most the cap and one byte are read: the rest of an oversized answer is never taken in
    else body = await readBodyAtMost(res, MAX_ANSWER_BYTES);
  } catch (e) {
    throw new AgentGateError("REKOR_UNREACHABLE", `${what} failed: ${describeError(e)}`, "transient", { cause: e });
  }
  if (res.status >= 500) throw new AgentGateError("REKOR_UNREACHABLE", `${what} answered HTTP ${res.status}`, "transient");
  if (res.status !== 200) throw new AgentGateError("REKOR_FAILED", `${what} answered HTTP ${res.status}`);
  if (body === undefined) throw new AgentGateError("REKOR_FAILED", `${what} answered more than ${MAX_ANSWER_BYTES} bytes (64 KiB); expected one Rekor answer of at most that (no more of it was read)`);
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    throw new AgentGateError("REKOR_FAILED", `${url} answered something that is not JSON`);
  }
}

/** The log entries Rekor holds for this commit's id (unverified). Throws REKOR_UNREACHABLE / REKOR_FAILED. */
export async function lookupCommitEntries(opts: { rekorUrl: string; commit: Buffer; fetch: typeof fetch; timeoutMs?: number }): Promise<OnlineEntry[]> {
  const base = opts.rekorUrl.replace(/\/+$/, "");
  const timeout = opts.timeoutMs ?? 20_000;
  const hash = sha256Hex(commitId(opts.commit));
  const uuids = z.array(z.string().regex(/^[0-9a-f]{64,80}$/)).safeParse(await ask(`${base}/api/v1/index/retrieve`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify({ hash: `sha256:${hash}` }) }, opts.fetch, timeout));
  if (!uuids.success) throw new AgentGateError("REKOR_FAILED", "the Rekor index answered something other than a list of entry ids");
  const out: OnlineEntry[] = [];
  for (const uuid of uuids.data.slice(0, MAX_ENTRIES)) {
    const doc = z.record(z.string(), (logEntry ??= logEntrySchema())).safeParse(await ask(`${base}/api/v1/log/entries/${uuid}`, { headers: { accept: "application/json" } }, opts.fetch, timeout));
    if (!doc.success) throw new AgentGateError("REKOR_FAILED", `Rekor's entry ${uuid} is not a log entry: ${doc.error.issues[0]?.path.join(".") ?? ""} ${doc.error.issues[0]?.message ?? ""}`);
    for (const e of Object.values(doc.data).slice(0, 1)) {
      const p = e.verification.inclusionProof;
      out.push({
        body: Buffer.from(e.body, "base64"),
        entry: {
          logIndex: String(e.logIndex),
          logId: Buffer.from(e.logID, "hex"),
          kind: "hashedrekord",
          version: "0.0.1",
          integratedTime: String(e.integratedTime),
          signedEntryTimestamp: Buffer.from(e.verification.signedEntryTimestamp, "base64"),
          ...(p ? { proof: { logIndex: String(p.logIndex), rootHash: Buffer.from(p.rootHash, "hex"), treeSize: String(p.treeSize), hashes: p.hashes.map((h) => Buffer.from(h, "hex")), checkpoint: p.checkpoint } } : {}),
        },
      });
    }
  }
  return out;
}

let rekordBody: ReturnType<typeof bodySchema> | undefined;
const bodySchema = () => z.object({
  apiVersion: z.literal("0.0.1"),
  kind: z.literal("hashedrekord"),
  spec: z.object({
    data: z.object({ hash: z.object({ algorithm: z.literal("sha256"), value: z.string() }) }),
    signature: z.object({ content: z.string(), publicKey: z.object({ content: z.string() }) }),
  }),
});

/** The signature of this signer's entry for the commit id, or why the entry is not that. */
function entrySignature(body: Buffer, id: string, leafDer: Buffer): Buffer | string {
  let parsed;
  try {
    parsed = (rekordBody ??= bodySchema()).safeParse(JSON.parse(body.toString("utf8")));
  } catch {
    return "its body is not JSON";
  }
  if (!parsed.success) return "it is not a hashedrekord 0.0.1 entry";
  const spec = parsed.data.spec;
  if (spec.data.hash.value !== sha256Hex(id)) return "it is over another commit id";
  const pem = Buffer.from(spec.signature.publicKey.content, "base64").toString("latin1");
  const der = Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, ""), "base64");
  if (!der.equals(leafDer)) return "it names another certificate";
  return Buffer.from(spec.signature.content, "base64");
}

/**
 * The signed time an online entry gives this commit: the first of `entries` logged for `id` with this leaf and a
 * signature over `id` by its key, whose SET and proof verify. Otherwise the reason, as a Rekor check code.
 */
export function onlineSignedTime(entries: readonly OnlineEntry[], id: string, leafDer: Buffer, trust: TrustMaterial): { entry: EmbeddedEntry; time: Date; body: Buffer } | RekorFailure | { code: "NO_SIGNED_TIME"; message: string } {
  let last: RekorFailure | undefined;
  const key = new X509Certificate(leafDer).publicKey;
  for (const oe of entries) {
    const sig = entrySignature(oe.body, id, leafDer);
    if (typeof sig === "string" || !cryptoVerify("sha256", Buffer.from(id, "latin1"), key, sig)) continue;
    const checked = checkEmbeddedEntry(oe.entry, oe.body, trust);
    if (!("code" in checked)) return { entry: oe.entry, time: checked.time, body: oe.body };
    last = checked;
  }
  return last ?? { code: "NO_SIGNED_TIME", message: `no verifiable signed time: no Rekor entry of this signer's certificate over commit ${id} was found online` };
}
