// Several App processes appending to one PostgreSQL keep one chain: no fork, no gap, no lost record.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SqlAuditLog } from "../../../src/adapters/storage/audit-log.js";
import { openPostgres } from "../../../src/adapters/storage/db.js";
import { dropSchema, requirePostgres, uniqueSchema } from "./support.js";

const WORKER = fileURLToPath(new URL("./append-worker.ts", import.meta.url));

interface Worker {
  ready: Promise<void>;
  done: Promise<string>;
  go(): void;
}

/** A worker process: ready once it has opened the log; appends after go(). */
function start(args: string[]): Worker {
  const p = spawn(process.execPath, ["--import", "tsx", WORKER, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let markReady = (): void => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  p.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.startsWith("ready")) markReady();
  });
  p.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`worker ${args[2]} exited ${code}: ${err}`))));
  });
  // A worker that dies before it is ready must fail the test, not hang it.
  return { ready: Promise.race([ready, done.then(() => undefined)]), done, go: () => p.stdin.end("go\n") };
}

test("4 processes appending 50 decisions each to one PostgreSQL make one chain of 200", { timeout: 120_000 }, async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const schema = uniqueSchema("agtc");
  // Migrate first so the workers race on appends only (they also migrate; the advisory lock makes that safe).
  const log = await SqlAuditLog.open(await openPostgres(url, schema));
  try {
    const workers = [0, 1, 2, 3].map((w) => start([url, schema, String(w), "50"]));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    const outputs = await Promise.all(workers.map((w) => w.done));
    const seqs = outputs.flatMap((o) => (JSON.parse(o.trim().split("\n").at(-1)!) as { seqs: number[] }).seqs);
    assert.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1), "each seq handed out once");
    const v = await log.verify();
    assert.ok(v.ok && v.checked === 200 && v.head.seq === 200, JSON.stringify(v));
    const [forks] = await log.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM audit_records a JOIN audit_records b ON a.prev_hash = b.prev_hash AND a.seq <> b.seq",
    );
    assert.equal(Number(forks?.n), 0);
    // The processes really interleaved: the chain is not four runs of 50.
    const byWorker = (await log.list({ limit: 200 })).map((r) => r.decision_id.slice(0, 2));
    const switches = byWorker.filter((w, i) => i > 0 && w !== byWorker[i - 1]).length;
    t.diagnostic(`${switches} switches between writers along the chain`);
    assert.ok(switches > 3, `expected interleaved writers, saw ${switches} switches`);
  } finally {
    await log.close();
    await dropSchema(url, schema);
  }
});
