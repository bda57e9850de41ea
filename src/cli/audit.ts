// `agent-gate audit`: verify the hash chain, show one decision, export OPA-compatible decision-log lines,
// replay a decision with the policy bundle it was made with, and record checkpoints to keep elsewhere.
// Exit codes: 0 ok (verified, found, reproduced); 1 broken chain, not found, or a replay that differs;
// 2 usage or operational error; 3 replay impossible (bundle, data or engine not available).
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEFAULT_DATA_DIR, openStorage } from "../adapters/storage/index.js";
import type { Replayer, Storage } from "../adapters/storage/index.js";
import { replayDecision } from "../adapters/storage/replay.js";
import { AuditRecord, ChainVerifier, canonicalize, chainHash, parseCheckpoint } from "../core/audit.js";
import type { Checkpoint, SourcedCheckpoint, StoredRow, VerifyResult } from "../core/audit.js";
import { AgentGateError, describeError } from "../core/errors.js";

const USAGE = `usage: agent-gate audit <command> [options]

commands:
  verify                 verify the hash chain; reports the first broken link and why
    --from SEQ:HASH        start at this checkpoint (its own record is checked) instead of the first record
    --checkpoint CP        a checkpoint kept elsewhere (SEQ:HASH, JSON, or @FILE); repeatable
    --file FILE            verify an export (JSON lines) instead of the database
  show DECISION_ID       print one recorded decision (JSON)
  export                 print records as OPA decision-log JSON lines
    --since TIME           records decided at or after TIME (RFC 3339)
    --format jsonl         the only format
    --out FILE             write to FILE instead of standard output
  replay DECISION_ID     re-evaluate the stored input with the stored policy bundle and data
  checkpoint [--note T]  record the current head and print it: keep a copy outside the database
  head                   print the head pointer

database (every command but verify --file):
  --database-url URL     PostgreSQL (default: $DATABASE_URL unless --data-dir is given)
  --data-dir DIR         the embedded database's directory (default .agent-gate/data)
  --schema NAME          schema (default agent_gate)

exit codes: 0 ok, 1 broken chain / not found / replay differs, 2 usage or error, 3 cannot replay`;

const OPTIONS = {
  "database-url": { type: "string" },
  "data-dir": { type: "string" },
  schema: { type: "string" },
  from: { type: "string" },
  checkpoint: { type: "string", multiple: true },
  file: { type: "string" },
  since: { type: "string" },
  format: { type: "string" },
  out: { type: "string" },
  note: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

class UsageError extends Error {}

function readCheckpoint(arg: string): Checkpoint {
  return parseCheckpoint(arg.startsWith("@") ? readFileSync(arg.slice(1), "utf8") : arg);
}

async function withStorage<T>(v: Values, fn: (s: Storage) => Promise<T>): Promise<T> {
  const databaseUrl = v["database-url"] ?? (v["data-dir"] === undefined ? process.env["DATABASE_URL"] || undefined : undefined);
  const dataDir = v["data-dir"] ?? DEFAULT_DATA_DIR;
  // Reading must not create: a mistyped --data-dir would otherwise verify a new, empty log as "ok".
  if (!databaseUrl && !existsSync(join(dataDir, "pg"))) {
    throw new AgentGateError("AUDIT_LOG_MISSING", `there is no embedded audit log in ${resolve(dataDir)} (nothing recorded there yet, or another --data-dir, or set DATABASE_URL)`);
  }
  const s = await openStorage({ databaseUrl, dataDir, schema: v.schema });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

function report(r: VerifyResult, where: string): number {
  if (r.ok) {
    const range = r.checked === 0 ? "no records" : `${r.checked} record${r.checked === 1 ? "" : "s"} (${r.first}..${r.head.seq})`;
    console.log(`audit verify: ok: ${range} in ${where}; head ${r.head.seq}:${r.head.hash}`);
    return 0;
  }
  console.log(`audit verify: BROKEN at record ${r.seq} (${r.code}) in ${where}: ${r.reason}`);
  return 1;
}

/** An export file: one record per line, each carrying its hash; verified with the same chain rules. */
function verifyFile(path: string, from: Checkpoint | undefined, checkpoints: SourcedCheckpoint[]): number {
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "");
  const v = new ChainVerifier(from, checkpoints);
  for (const [i, line] of lines.entries()) {
    let row: StoredRow;
    try {
      const rec = AuditRecord.parse(JSON.parse(line));
      const { hash, ...unhashed } = rec;
      row = { seq: rec.seq, prev_hash: rec.prev_hash, hash, record: canonicalize(unhashed), decision_id: rec.decision_id };
    } catch (err) {
      console.log(`audit verify: BROKEN at line ${i + 1} of ${path}: not an audit record: ${describeError(err).slice(0, 200)}`);
      return 1;
    }
    const b = v.push(row);
    if (b) return report(b, path);
  }
  return report(v.finish(), path);
}

async function verify(v: Values): Promise<number> {
  const from = v.from ? readCheckpoint(v.from) : undefined;
  const checkpoints = (v.checkpoint ?? []).map((c) => ({ ...readCheckpoint(c), source: `--checkpoint ${c.length > 40 ? c.slice(0, 40) + "…" : c}` }));
  if (v.file) return verifyFile(v.file, from, checkpoints);
  return withStorage(v, async (s) => report(await s.audit.verify({ fromCheckpoint: from, checkpoints }), s.db.location));
}

async function show(v: Values, id: string): Promise<number> {
  return withStorage(v, async (s) => {
    const row = await s.audit.getRow(id);
    if (!row) {
      console.error(`audit show: no decision ${id} in ${s.db.location}`);
      return 1;
    }
    const record = await s.audit.get(id);
    console.log(JSON.stringify(record, null, 2));
    if (chainHash(row.prev_hash, row.record) !== row.hash) {
      console.error(`audit show: WARNING: record ${row.seq} does not match its hash: it was modified after it was written (run audit verify)`);
      return 1;
    }
    return 0;
  });
}

async function exportLines(v: Values): Promise<number> {
  if ((v.format ?? "jsonl") !== "jsonl") throw new UsageError(`--format: expected jsonl, got ${v.format}`);
  const since = v.since;
  if (since !== undefined && !z.iso.datetime({ offset: true }).safeParse(since).success && !z.iso.date().safeParse(since).success) {
    throw new UsageError(`--since: expected an RFC 3339 time such as 2026-11-26T00:00:00Z, got ${JSON.stringify(since)}`);
  }
  const out = v.out ? createWriteStream(v.out) : undefined;
  const write = (line: string): void => void (out ? out.write(line + "\n") : console.log(line));
  try {
    return await withStorage(v, async (s) => {
      let after = 0;
      for (;;) {
        const page = await s.audit.list({ since, afterSeq: after, limit: 500 });
        for (const r of page) write(canonicalize(r));
        if (page.length < 500) return 0;
        after = page.at(-1)!.seq;
      }
    });
  } finally {
    if (out) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** The policy engine as a Replayer. */
async function engineReplayer(): Promise<Replayer> {
  const { PolicyEngine, bundleDigest } = await import("../adapters/opa/engine.js");
  const enc = new TextEncoder();
  return {
    digest: (b) => bundleDigest(b.wasm, enc.encode(b.data)),
    evaluate: async (b, entrypoint, input, data) => {
      const engine = await PolicyEngine.load({ wasm: b.wasm, data: JSON.parse(b.data) as unknown, dataBytes: enc.encode(b.data), revision: b.revision, source: `stored bundle ${b.digest}` });
      const d = engine.evaluate(entrypoint, input, data === undefined ? {} : { data });
      return { allow: d.allow, deny: d.deny, warn: d.warn };
    },
  };
}

async function replay(v: Values, id: string): Promise<number> {
  const replayer = await engineReplayer().catch(() => undefined);
  return withStorage(v, async (s) => {
    const r = await replayDecision(s.audit, s.bundles, replayer, id);
    switch (r.status) {
      case "not-found":
        console.error(`audit replay: no decision ${id} in ${s.db.location}`);
        return 1;
      case "bundle-unavailable":
        console.log(`audit replay: ${id}: cannot replay: bundle not available: ${r.reason}`);
        return 3;
      case "engine-unavailable":
        console.log(`audit replay: ${id}: cannot replay: the policy engine could not be loaded`);
        return 3;
      case "reproduced":
        console.log(`audit replay: ${id}: reproduced with bundle ${r.digest}`);
        return 0;
      case "differs": {
        const masked = r.masked.length ? `\n  note: these input paths were masked before storage and may explain it: ${r.masked.join(", ")}` : "";
        console.log(`audit replay: ${id}: DIFFERS with bundle ${r.digest}\n  recorded: ${canonicalize(r.recorded)}\n  replayed: ${canonicalize(r.replayed)}${masked}`);
        return 1;
      }
    }
  });
}

export async function auditCommand(args: string[]): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (err) {
    console.error(`agent-gate audit: ${describeError(err)}\n${USAGE}`);
    return 2;
  }
  const [sub, id, ...extra] = positionals;
  if (values.help || sub === undefined || sub === "help") {
    console.log(USAGE);
    return sub === undefined && !values.help ? 2 : 0;
  }
  try {
    const needsId = sub === "show" || sub === "replay";
    if (needsId && !id) throw new UsageError(`${sub} needs a DECISION_ID`);
    if (extra.length > 0 || (!needsId && id !== undefined)) throw new UsageError(`unexpected argument ${JSON.stringify(needsId ? extra[0] : id)}`);
    switch (sub) {
      case "verify":
        return await verify(values);
      case "show":
        return await show(values, id!);
      case "export":
        return await exportLines(values);
      case "replay":
        return await replay(values, id!);
      case "checkpoint":
        return await withStorage(values, async (s) => (console.log(JSON.stringify(await s.audit.checkpoint(values.note ?? ""))), 0));
      case "head":
        return await withStorage(values, async (s) => (console.log(JSON.stringify(await s.audit.head())), 0));
      default:
        throw new UsageError(`unknown command "${sub}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`agent-gate audit: ${err.message}\n${USAGE}`);
      return 2;
    }
    console.error(`agent-gate audit ${sub}: ${describeError(err)}`);
    return 2;
  }
}
