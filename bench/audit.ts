// Audit log throughput: appends per second on the embedded database (PGlite) and on PostgreSQL, one writer
// appending sequentially and 4 writers at once (4 processes on PostgreSQL, which is how App instances share
// it; 4 concurrent callers in one process on PGlite, which one process owns), and chain verification speed.
// Run: node --import tsx bench/audit.ts   (or npm run bench -- audit). AUDIT_BENCH_N sets appends per run.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { SqlAuditLog } from "../src/adapters/storage/audit-log.js";
import { openEmbedded, openPostgres } from "../src/adapters/storage/db.js";
import type { AuditEvent } from "../src/core/audit.js";
import { printTable, type Row } from "./table.js";

const N = Number(process.env["AUDIT_BENCH_N"] ?? 400);
const WRITERS = 4;

function event(i: number, writer: number): AuditEvent {
  const sha = randomBytes(20).toString("hex");
  return {
    decision_id: `bench-${writer}-${i}-${randomBytes(4).toString("hex")}`,
    timestamp: new Date().toISOString(),
    path: "agent_gate/pull_request/decision",
    input: {
      kind: "pull_request",
      repository: { owner: "acme", name: "app", id: 1, default_branch: "main" },
      pull_request: { number: i + 1, title: `change ${i}`, head_sha: sha },
      commits: Array.from({ length: 3 }, (_, c) => ({ sha: randomBytes(20).toString("hex"), is_agent: c > 0, provenance: { status: "missing" } })),
      files: Array.from({ length: 10 }, (_, f) => ({ path: `src/file${f}.ts`, status: "modified", additions: f, deletions: 1 })),
    },
    result: { allow: i % 2 === 0, deny: i % 2 ? [{ msg: "unsigned agent commit", rule: "provenance-coverage" }] : [], warn: [] },
    bundles: { "agent-gate": { revision: "bench", digest: "sha256:" + "ab".repeat(32) } },
    labels: { app: "agent-gate" },
    metrics: { timer_rego_query_eval_ns: 100000 },
    agent_gate: {
      kind: "pull_request",
      delivery_id: `d-${i}`,
      installation_id: 1,
      repository: "acme/app",
      pull_request: i + 1,
      deployment_id: null,
      environment: null,
      head_sha: sha,
      evidence_bundle_digests: [],
      signer_identities: [],
      rekor_log_indexes: [],
      conclusion: i % 2 === 0 ? "success" : "failure",
    },
  };
}

const rate = (n: number, ms: number): number => Math.round((n * 1000) / ms);

async function timeAppends(log: SqlAuditLog, n: number, writers: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < n / writers; i++) await log.append(event(i, w));
    }),
  );
  return performance.now() - t0;
}

async function timeVerify(log: SqlAuditLog): Promise<{ n: number; ms: number }> {
  const t0 = performance.now();
  const r = await log.verify();
  if (!r.ok) throw new Error(`bench chain broken: ${r.reason}`);
  return { n: r.checked, ms: performance.now() - t0 };
}

async function embedded(rows: Row[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-bench-"));
  const db = await openEmbedded(dir);
  try {
    const log = await SqlAuditLog.open(db, false);
    const seq = await timeAppends(log, N, 1);
    rows.push({ database: "embedded (PGlite)", writers: "1", appends: N, ms: Math.round(seq), "appends/s": rate(N, seq) });
    const conc = await timeAppends(log, N, WRITERS);
    rows.push({ database: "embedded (PGlite)", writers: `${WRITERS} in-process`, appends: N, ms: Math.round(conc), "appends/s": rate(N, conc) });
    const v = await timeVerify(log);
    rows.push({ database: "embedded (PGlite)", writers: "verify", appends: v.n, ms: Math.round(v.ms), "appends/s": `${rate(v.n, v.ms)} rec/s` });
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function findPostgres(): Promise<string | undefined> {
  const candidates = process.env["DATABASE_URL"] ? [process.env["DATABASE_URL"]] : ["postgres://root@127.0.0.1:5432/test", "postgres://postgres@127.0.0.1:5432/test"];
  for (const url of candidates) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      return url;
    } catch {
      // try the next
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  return undefined;
}

/** Worker processes open and migrate first, then start together on "go"; each reports its own time window. */
function processWriters(url: string, schema: string, perWriter: number): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const procs = Array.from({ length: WRITERS }, (_, w) => spawn(process.execPath, ["--import", "tsx", self, "--worker", url, schema, String(w), String(perWriter)], { stdio: ["pipe", "pipe", "inherit"] }));
  const lines = procs.map(
    (p) =>
      new Promise<string[]>((resolve, reject) => {
        let out = "";
        p.stdout.on("data", (d: Buffer) => (out += d.toString()));
        p.on("close", (code) => (code === 0 ? resolve(out.trim().split("\n")) : reject(new Error(`bench writer exited ${code}`))));
      }),
  );
  const allReady = Promise.all(
    procs.map((p) => new Promise<void>((resolve) => p.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve()))),
  );
  return allReady.then(async () => {
    for (const p of procs) p.stdin.end("go\n");
    const windows = (await Promise.all(lines)).map((l) => JSON.parse(l.at(-1)!) as { start: number; end: number });
    return Math.max(...windows.map((w) => w.end)) - Math.min(...windows.map((w) => w.start));
  });
}

async function postgres(rows: Row[]): Promise<void> {
  const url = await findPostgres();
  if (!url) {
    rows.push({ database: "PostgreSQL", writers: "skipped: not reachable on 127.0.0.1:5432 (set DATABASE_URL)", appends: 0, ms: 0, "appends/s": 0 });
    return;
  }
  const schema = `agt_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
  const log = await SqlAuditLog.open(await openPostgres(url, schema));
  try {
    const seq = await timeAppends(log, N, 1);
    rows.push({ database: "PostgreSQL", writers: "1", appends: N, ms: Math.round(seq), "appends/s": rate(N, seq) });
    const conc = await processWriters(url, schema, N / WRITERS);
    rows.push({ database: "PostgreSQL", writers: `${WRITERS} processes`, appends: N, ms: Math.round(conc), "appends/s": rate(N, conc) });
    const v = await timeVerify(log);
    if (v.n !== 2 * N) throw new Error(`expected ${2 * N} records, verified ${v.n}`);
    rows.push({ database: "PostgreSQL", writers: "verify", appends: v.n, ms: Math.round(v.ms), "appends/s": `${rate(v.n, v.ms)} rec/s` });
  } finally {
    await log.db.exec(`DROP SCHEMA "${schema}" CASCADE`);
    await log.close();
  }
}

export async function benchAudit(): Promise<void> {
  const rows: Row[] = [];
  await embedded(rows);
  await postgres(rows);
  printTable(`Audit log appends (${N} per run; one transaction per append)`, rows);
}

async function worker([url, schema, w, n]: string[]): Promise<void> {
  const log = await SqlAuditLog.open(await openPostgres(url!, schema, 2));
  console.log("ready");
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
  const start = Date.now();
  for (let i = 0; i < Number(n); i++) await log.append(event(i, Number(w)));
  const end = Date.now();
  await log.close();
  console.log(JSON.stringify({ start, end }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === "--worker") await worker(process.argv.slice(3));
  else await benchAudit();
}
