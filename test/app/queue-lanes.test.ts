// One installation's backlog must not starve the others (adapters/queue/lanes.ts): an outsider's burst of events on
// one public repository queued jobs that every other installation's job waited behind, each paced to ~0.5 events/s
// by its installation's write pacing (~33 minutes behind 1,000). The claim goes round-robin over the installations
// (lanes) with ready jobs; within one installation, jobs still run in the order they arrived. On both databases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { openDatabase } from "../../src/adapters/storage/db.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import { fairClaim } from "../../src/adapters/queue/lanes.js";
import { dropSchema, requirePostgres, uniqueSchema } from "../adapters/storage/support.js";

interface Job { inst: string; n: number }

/** Sends `jobs` (each in its installation's lane), then runs them with one worker: the order they were taken in. */
async function taken(database: "embedded" | "postgres", url: string | undefined, jobs: readonly Job[]): Promise<Array<Job & { leaked: boolean }>> {
  const schema = uniqueSchema("agt_lanes");
  const db = await openDatabase(url ? { databaseUrl: url, schema } : { dataDir: "memory://", schema });
  const queue = await JobQueue.open(db, { schema: `${schema}_jobs`, pollingIntervalSeconds: 0.5 });
  try {
    // Apart by more than a tick of the embedded database's clock (1 ms), which orders jobs that share a second (line.ts).
    for (const job of jobs) {
      await queue.send("evaluate", job, { lane: job.inst });
      await new Promise((r) => setTimeout(r, 2));
    }
    const order: Array<Job & { leaked: boolean }> = [];
    let allDone!: () => void;
    const done = new Promise<void>((r) => (allDone = r));
    await queue.work<Job>("evaluate", 1, (job) => {
      order.push({ inst: job.data.inst, n: job.data.n, leaked: Object.keys(job.data).length !== 2 });
      if (order.length === jobs.length) allDone();
      return Promise.resolve();
    });
    await done;
    return order;
  } finally {
    await queue.stop();
    await db.close();
    if (database === "postgres" && url) for (const s of [`${schema}_jobs`, schema]) await dropSchema(url, s);
  }
}

for (const database of ["embedded", "postgres"] as const) {
  test(`${database}: one installation's backlog of 50 jobs does not hold up another installation's one job`, { timeout: 120_000 }, async (t) => {
    const url = database === "postgres" ? await requirePostgres(t) : undefined;
    if (database === "postgres" && !url) return;
    const jobs = [...Array.from({ length: 50 }, (_, n) => ({ inst: "101", n })), { inst: "202", n: 0 }];
    const order = await taken(database, url, jobs);
    const b = order.findIndex((j) => j.inst === "202");
    // In one line B's job was the 51st; round-robin takes it second (A's first job came in first, never served).
    assert.ok(b >= 0 && b < 3, `installation 202's job was taken ${b + 1}th: ${order.map((j) => j.inst).join(" ")}`);
    assert.deepEqual(order.filter((j) => j.inst === "101").map((j) => j.n), Array.from({ length: 50 }, (_, n) => n));
  });

  test(`${database}: one installation's jobs run in the order they arrived, and jobs of several alternate`, { timeout: 120_000 }, async (t) => {
    const url = database === "postgres" ? await requirePostgres(t) : undefined;
    if (database === "postgres" && !url) return;
    // Alone: its own line.
    const alone = await taken(database, url, Array.from({ length: 30 }, (_, n) => ({ inst: "101", n })));
    assert.deepEqual(alone.map((j) => j.n), Array.from({ length: 30 }, (_, n) => n));
    assert.ok(alone.every((j) => !j.leaked), "the handler sees the job's data as it was sent, without its lane");
    // Three installations queued one after another: taken in turns, each installation's jobs in its order.
    const three = await taken(database, url, ["a", "b", "c"].flatMap((inst) => Array.from({ length: 6 }, (_, n) => ({ inst, n }))));
    for (const inst of ["a", "b", "c"]) assert.deepEqual(three.filter((j) => j.inst === inst).map((j) => j.n), [0, 1, 2, 3, 4, 5]);
    // In turns: one installation is not served more than three times in a row while another waits (FIFO took six).
    // Strict rounds are not promised: the least recently served installation is told by the time its last job
    // started, and claims in the same millisecond of the embedded database's clock tie, broken by the line's order.
    const shown = three.map((j) => `${j.inst}${j.n}`).join(" ");
    let run = 0;
    three.forEach((j, i) => {
      run = i > 0 && j.inst === three[i - 1]!.inst ? run + 1 : 1;
      if (new Set(three.slice(i).map((k) => k.inst)).size > 1) assert.ok(run <= 3, `taken: ${shown}`);
    });
  });
}

test("pg-boss's claim is rewritten where it chooses its jobs, and any other shape is refused naming pg-boss", () => {
  const plans = createRequire(import.meta.url)("pg-boss/src/plans.js") as { fetchNextJob(schema: string): (o: { includeMetadata: boolean }) => string };
  const claim = plans.fetchNextJob("q")({ includeMetadata: true });
  const text = fairClaim(claim, "q");
  assert.match(text, /^\s*WITH next as \(\s+SELECT j\.id, j\.singleton_key, j\.policy\s+FROM q\.job j\s+JOIN \(\s+WITH RECURSIVE lanes/);
  assert.match(text, /FOR UPDATE OF j SKIP LOCKED\s+\), grouped as \(/);
  assert.ok(text.endsWith(claim.slice(claim.indexOf("), grouped as (") + "), grouped as (".length)));
  assert.throws(() => fairClaim("SELECT 1", "q"), /this version of pg-boss differs, so no job was claimed/);
});
