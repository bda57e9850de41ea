// Queue fairness under GitHub outages (issue 14, class 6), the other half: a retry waits behind fresh work, but
// only behind the work that arrived before its turn, so a job failing through an outage is retried in bounded time
// however much fresh work keeps coming; and the wait between two attempts is capped, however often a job failed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { openStorage } from "../../src/adapters/storage/index.js";
import { JobQueue, QUEUE_SCHEMA, retryDelay } from "../../src/adapters/queue/job-queue.js";

test("a failed job rejoins the line at the back: behind the fresh jobs waiting, ahead of those that arrive after its turn", { timeout: 180_000 }, async () => {
  const storage = await openStorage({ dataDir: "memory://" });
  // An attempt deadline of 1 s: a failed job's turn comes 1 s (plus its backoff, none here) after it failed.
  const queue = await JobQueue.open(storage.db, { retryDelaySeconds: 0, attemptSeconds: 1, expireInSeconds: 60, pollingIntervalSeconds: 0.5 });
  const FRESH = 150;
  try {
    let sent = 0;
    let fresh = 0;
    const order: string[] = [];
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    await queue.send("evaluate", { repo: "down" });
    for (let i = 0; i < 3; i++, sent++) await queue.send("evaluate", { repo: "up" });
    await queue.work<{ repo: string }>("evaluate", 1, async (job) => {
      if (job.data.repo === "down") {
        order.push(`down#${job.retryCount}`);
        if (job.retryCount === 0) throw new Error("GitHub did not answer for this repository");
        return;
      }
      // A stream of fresh work that never runs dry while it lasts: each job brings the next (at least 20 ms apart).
      order.push("up");
      await sleep(20);
      if (sent < FRESH) {
        sent++;
        await queue.send("evaluate", { repo: "up" });
      }
      if (++fresh === FRESH) finished();
    });
    await done;
    const failed = order.indexOf("down#0");
    const retried = order.indexOf("down#1");
    assert.equal(failed, 0, `the oldest job is taken first: ${order.join(" ")}`);
    assert.ok(retried > 0, `the failed job was retried while fresh work kept coming (it waited for the stream to end before): ${order.join(" ")}`);
    assert.ok(retried < order.length - 1, `retried before the fresh stream ended: ${order.join(" ")}`);
    // The three fresh jobs waiting when it failed went first.
    assert.deepEqual(order.slice(1, 4), ["up", "up", "up"], order.join(" "));
  } finally {
    await queue.stop(false);
    await storage.close();
  }
});

test("the wait before a retry is capped, however often the job failed before", { timeout: 120_000 }, async () => {
  const storage = await openStorage({ dataDir: "memory://" });
  const queue = await JobQueue.open(storage.db, { retryDelaySeconds: 1, retryDelayMaxSeconds: 5, retryLimit: 100, pollingIntervalSeconds: 0.5 });
  try {
    const id = await queue.send("evaluate", { repo: "down" });
    // As if it had failed fifteen times through a long outage (pg-boss's own backoff would wait 2^15 to 2^16 s now).
    await storage.db.query(`UPDATE ${QUEUE_SCHEMA}.job SET retry_count = 15 WHERE id = $1`, [id]);
    let attempts = 0;
    await queue.work("evaluate", 1, () => {
      attempts++;
      return Promise.reject(new Error("GitHub did not answer"));
    });
    let row: { state: string; wait: number; retry_count: number } | undefined;
    for (let i = 0; i < 600 && row?.state !== "retry"; i++) {
      await sleep(100);
      [row] = await storage.db.query<{ state: string; wait: number; retry_count: number }>(`SELECT state, extract(epoch FROM start_after - now())::float AS wait, retry_count FROM ${QUEUE_SCHEMA}.job WHERE id = $1`, [id]);
    }
    assert.equal(attempts, 1);
    assert.equal(row?.state, "retry", JSON.stringify(row));
    assert.equal(row.retry_count, 15);
    assert.ok(row.wait <= 5, `the next attempt is due within the 5 s cap, not in ${Math.round(row.wait)} s`);
  } finally {
    await queue.stop(false);
    await storage.close();
  }
});

test("the retry delay doubles from the base up to the cap, and is jittered down by at most half", () => {
  const top = () => 1 - Number.EPSILON;
  assert.deepEqual([1, 2, 3, 4, 5, 9, 30, 1000].map((n) => retryDelay(n, 2, 300, top)), [2, 4, 8, 16, 32, 300, 300, 300]);
  assert.deepEqual([1, 2, 3, 9].map((n) => retryDelay(n, 2, 300, () => 0)), [1, 2, 4, 150]);
  assert.equal(retryDelay(5, 0, 300), 0);
});
