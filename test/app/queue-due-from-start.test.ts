// A job is due from its start on (adapters/queue/along.ts: dueFromItsStart). pg-boss's claim takes a job only once its
// start is before now(); a sent job starts at its insert's now(), and the embedded database's clock ticks in
// milliseconds, so a claim woken by the send in the same millisecond found nothing and the job waited for the next
// poll. Shown on the claims the queue sends (each inclusive), and deterministically by a send and a claim in one
// transaction, which share one now(). Jobs sent one at a time with polls an hour apart show the wake claims each; that
// run alone rarely hits the same millisecond, so it is the claim texts and the one-transaction test that fail
// without the change.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openDatabase, type Db } from "../../src/adapters/storage/db.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import { dueFromItsStart } from "../../src/adapters/queue/along.js";
import { requirePostgres, uniqueSchema } from "../adapters/storage/support.js";

test("a claim takes a job from its start on; no other statement changes", () => {
  const claim = "WITH next as ( SELECT id FROM q.job WHERE name = $1 AND state < 'active' AND start_after < now() ORDER BY created_on LIMIT $2 FOR UPDATE SKIP LOCKED ) UPDATE q.job SET state = 'active'";
  assert.equal(dueFromItsStart(claim), claim.replace("start_after < now()", "start_after <= now()"));
  const insert = "INSERT INTO q.job (id, name, start_after) VALUES ($1, $2, now() + $3::interval)";
  assert.equal(dueFromItsStart(insert), insert);
});

/** A claim (pg-boss's, its jobs chosen round-robin over lanes: adapters/queue/lanes.ts, which locks `OF` the job table). */
const isClaim = (text: string): boolean => /FOR UPDATE (OF \w+ )?SKIP LOCKED/.test(text) && text.includes("start_after");

for (const database of ["embedded", "postgres"] as const) {
  test(`${database}: jobs sent one at a time are each claimed at their send's wake, not at a poll`, { timeout: 120_000 }, async (t) => {
    const url = database === "postgres" ? await requirePostgres(t) : undefined;
    if (database === "postgres" && !url) return;
    const schema = uniqueSchema("agt_due");
    const db: Db = await openDatabase(url ? { databaseUrl: url, schema } : { dataDir: "memory://", schema });
    const texts: string[] = [];
    const recorded = Object.assign(Object.create(db) as Db, {
      executeSql: (text: string, values?: readonly unknown[]) => (texts.push(text), db.executeSql(text, values)),
    });
    // Polls an hour apart: within the test's timeout only a send's wake can have claimed a job.
    const queue = await JobQueue.open(recorded, { schema: `${schema}_jobs`, pollingIntervalSeconds: 3600 });
    try {
      let handled!: (n: number) => void;
      let next = new Promise<number>((r) => (handled = r));
      await queue.work<{ n: number }>("evaluate", 1, (job) => Promise.resolve(handled(job.data.n)));
      for (let n = 0; n < 40; n++) {
        await queue.send("evaluate", { n });
        assert.equal(await next, n);
        next = new Promise<number>((r) => (handled = r));
      }
    } finally {
      await queue.stop();
      await db.close();
    }
    const claims = texts.filter((s) => isClaim(s));
    assert.ok(claims.length >= 40, `expected a claim per job, saw ${claims.length}`);
    for (const s of claims) assert.ok(s.includes("start_after <= now()") && !s.includes("start_after < now()"), s);
  });

  test(`${database}: a job is claimable at the very instant it starts, which pg-boss's own claim refuses`, { timeout: 120_000 }, async (t) => {
    const url = database === "postgres" ? await requirePostgres(t) : undefined;
    if (database === "postgres" && !url) return;
    const schema = uniqueSchema("agt_due_now");
    const db: Db = await openDatabase(url ? { databaseUrl: url, schema } : { dataDir: "memory://", schema });
    let claim = "";
    const recorded = Object.assign(Object.create(db) as Db, {
      executeSql: (text: string, values?: readonly unknown[]) => {
        if (isClaim(text)) claim ||= text;
        return db.executeSql(text, values);
      },
    });
    const queue = await JobQueue.open(recorded, { schema: `${schema}_jobs`, pollingIntervalSeconds: 3600 });
    try {
      // One claim sent by the queue, to learn pg-boss's text (an empty queue: it claims nothing).
      await queue.work("evaluate", 1, () => Promise.resolve());
      for (let i = 0; i < 200 && !claim; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(claim, "expected the queue to send a claim");
      // A send and a claim in one transaction share one now(): the job starts at the claim's very instant.
      const claimed = await queue.transaction(["due"], async (tx) => {
        await tx.send("due", { n: 1 });
        const strict = await tx.query(claim.replace("start_after <= now()", "start_after < now()"), ["due", 1]);
        const inclusive = await tx.query(claim, ["due", 1]);
        return { strict: strict.length, inclusive: inclusive.length };
      });
      assert.deepEqual(claimed, { strict: 0, inclusive: 1 });
    } finally {
      await queue.stop();
      await db.close();
    }
  });
}
