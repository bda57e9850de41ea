// Reconciliation's sweeps do not pile up jobs (issue 14, class 6): a sweep that finds a head commit without a
// completed check adds a job only when none for that head waits or runs. Before, every sweep added one per head
// while evaluations lagged or GitHub failed (the fault harness's queue held twice as many sweep jobs as deliveries'),
// and each was retried on its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openStorage } from "../../src/adapters/storage/index.js";
import { SqlGateStore } from "../../src/adapters/storage/gate-store.js";
import { JobQueue, QUEUE_SCHEMA } from "../../src/adapters/queue/job-queue.js";
import { EVALUATE_QUEUE, Intake } from "../../src/app/intake.js";
import type { Trigger } from "../../src/adapters/github/triggers.js";

const head = (sha: string): Trigger => ({ kind: "pull_request", event: "reconcile", owner: "acme", repo: "widgets", installationId: 77, headSha: sha.repeat(40), pullNumbers: [5] });

test("a sweep adds no job for a head commit whose job waits, is retried or runs; it adds one once that job is done", { timeout: 120_000 }, async () => {
  const storage = await openStorage({ dataDir: "memory://" });
  const queue = await JobQueue.open(storage.db, { retryDelaySeconds: 3600, pollingIntervalSeconds: 0.5 });
  const intake = new Intake(queue, new SqlGateStore(storage.db));
  const jobs = async (): Promise<number> => Number((await storage.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${QUEUE_SCHEMA}.job WHERE name = $1`, [EVALUATE_QUEUE]))[0]?.n);
  try {
    // A delivery's job waits for a head; five sweeps find the head without a completed check.
    await intake.acceptTrigger("delivery-1", { ...head("a"), event: "pull_request.opened" });
    for (let i = 0; i < 5; i++) assert.equal(await intake.enqueueSweep(head("a"), `run-${i}:a`, "unsettled"), false);
    assert.equal(await jobs(), 1, "the delivery's job only");
    // Another head without a job gets one, once.
    assert.equal(await intake.enqueueSweep(head("b"), "run-5:b", "unsettled"), true);
    assert.equal(await intake.enqueueSweep(head("b"), "run-6:b", "unsettled"), false);
    assert.equal(await jobs(), 2);
    // The jobs run: head a's fails (waits an hour for retry), head b's completes.
    let ran = 0;
    let settled!: () => void;
    const both = new Promise<void>((r) => (settled = r));
    await queue.work<{ trigger: Trigger }>(EVALUATE_QUEUE, 1, (job) => {
      if (++ran === 2) setTimeout(settled, 500); // pg-boss records the outcome after the handler returns
      return job.data.trigger.headSha?.startsWith("a") === true ? Promise.reject(new Error("GitHub did not answer")) : Promise.resolve();
    });
    await both;
    for (let i = 0; i < 100; i++) {
      const [row] = await storage.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND state IN ('retry', 'completed')`, [EVALUATE_QUEUE]);
      if (Number(row?.n) === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await intake.enqueueSweep(head("a"), "run-7:a", "unsettled"), false, "head a's job waits for its retry");
    assert.equal(await intake.enqueueSweep(head("b"), "run-7:b", "unsettled"), true, "head b's job is done: a later sweep may evaluate it again");
    assert.equal(await jobs(), 3);
  } finally {
    await queue.stop(false);
    await storage.close();
  }
});
