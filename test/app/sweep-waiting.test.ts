// A job already running never stands in for work asked after it started (reviewer's finding): it read the revocation
// list and the config before the ask, and publishes its result under them. A revocation sweep's re-evaluation, or a
// push's revocation sweep, is folded only into a job of the same subject that waits to start (created, or a retry
// waiting); a running one gets a job queued behind it. Reconciliation finding a head without a completed check asks
// for no newer input, so a running job stands in for it (a job behind it raced the next push). On both databases (the
// state filter is SQL over pg-boss's job_state enum).
import { test } from "node:test";
import assert from "node:assert/strict";
import { openDatabase } from "../../src/adapters/storage/db.js";
import { SqlGateStore } from "../../src/adapters/storage/gate-store.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import { EVALUATE_QUEUE, Intake, RECONCILE_QUEUE } from "../../src/app/intake.js";
import type { Trigger } from "../../src/adapters/github/triggers.js";
import { dropSchema, requirePostgres, uniqueSchema } from "../adapters/storage/support.js";

const head: Trigger = { kind: "pull_request", event: "revocation", owner: "acme", repo: "widgets", installationId: 77, headSha: "a".repeat(40), pullNumbers: [5] };

/** A worker for `name` that holds the job it takes until released; resolves once one is running. */
async function holdOne(queue: JobQueue, name: string): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  await queue.work(name, 1, async () => {
    started();
    await released;
  });
  await running;
  return release;
}

for (const database of ["embedded", "postgres"] as const) {
  test(`${database}: a sweep folds into a job of the head that waits to start, never into one running`, { timeout: 120_000 }, async (t) => {
    const url = database === "postgres" ? await requirePostgres(t) : undefined;
    if (database === "postgres" && !url) return;
    const schema = uniqueSchema("agt_sweepwait");
    const db = await openDatabase(url ? { databaseUrl: url, schema } : { dataDir: "memory://", schema });
    const queue = await JobQueue.open(db, { schema: `${schema}_jobs`, pollingIntervalSeconds: 0.5 });
    const intake = new Intake(queue, new SqlGateStore(db));
    const releases: Array<() => void> = [];
    const jobs = async (name: string, states: string): Promise<number> =>
      Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}_jobs.job WHERE name = $1 AND state::text = ANY($2)`, [name, states.split(",")]))[0]?.n);
    try {
      // Evaluations: the first sweep queues; a second, while that job waits, adds nothing.
      assert.equal(await intake.enqueueSweep(head, "run-1", "inputs"), true);
      assert.equal(await intake.enqueueSweep(head, "run-2", "inputs"), false, "a job of the head waits to start: it reads the new list when it runs");
      // The job starts (it reads the list now) and is held running: a sweep asked after must queue its own.
      releases.push(await holdOne(queue, EVALUATE_QUEUE));
      assert.equal(await jobs(EVALUATE_QUEUE, "active"), 1);
      assert.equal(await intake.enqueueSweep(head, "run-3", "inputs"), true, "the running job read the list before this sweep: it cannot stand in");
      assert.equal(await intake.enqueueSweep(head, "run-4", "inputs"), false, "the job just queued waits to start: it covers the head");
      assert.equal(await jobs(EVALUATE_QUEUE, "created,retry,active"), 2);
      // Reconciliation finding the head without a completed check asks for no newer input: a running job completes
      // the check. A job queued behind it judged the head again later, racing the pull request's next push (the
      // fault harness's old head ended "Could not be evaluated: the head moved" instead of its verdict).
      releases.push(await holdOne(queue, EVALUATE_QUEUE));
      assert.equal(await jobs(EVALUATE_QUEUE, "created,retry"), 0);
      assert.equal(await intake.enqueueSweep(head, "run-5", "unsettled"), false, "the running job completes the check");
      assert.equal(await intake.enqueueSweep(head, "run-6", "inputs"), true, "it read the list before this sweep asked");
      assert.equal(await intake.enqueueSweep(head, "run-7", "unsettled"), false, "the job just queued waits to start");
      assert.equal(await jobs(EVALUATE_QUEUE, "created,retry,active"), 3);

      // A push's revocation sweep of an owner: the same, per owner.
      const pushed = { owner: "Globex", installationId: 77 };
      assert.equal(await intake.enqueueRevocationSweep(pushed), true);
      assert.equal(await intake.enqueueRevocationSweep({ ...pushed, owner: "globex" }), false, "a sweep of the owner waits to start");
      releases.push(await holdOne(queue, RECONCILE_QUEUE));
      assert.equal(await intake.enqueueRevocationSweep(pushed), true, "the running sweep may have read the list before this push");
      assert.equal(await jobs(RECONCILE_QUEUE, "created,retry,active"), 2);
    } finally {
      for (const release of releases) release();
      await queue.stop(false);
      await db.close();
      if (database === "postgres" && url) for (const s of [`${schema}_jobs`, schema]) await dropSchema(url, s);
    }
  });
}
