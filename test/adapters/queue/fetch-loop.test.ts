// The fetch loop behind a backlog claims for several free slots at once (a claim costs about the same for one job or
// four), and without one claims for a single free slot at once: the batch never delays work that is not waiting.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FetchLoop } from "../../../src/adapters/queue/fetch-loop.js";

interface Job {
  readonly finish: () => void;
  readonly done: Promise<void>;
}

function job(): Job {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return { finish, done };
}

/** A loop whose claims are recorded (`claims`: how many slots each asked for) and answered by `answer(n)`. */
function loop(o: { concurrency: number; batch: number; gatherMs: number; answer?: (n: number, call: number) => number }) {
  const claims: number[] = [];
  const jobs: Job[] = [];
  const l = new FetchLoop<Job>({
    concurrency: o.concurrency,
    pollingMs: 60_000,
    batch: o.batch,
    gatherMs: o.gatherMs,
    claim: (n) => {
      claims.push(n);
      const got = Array.from({ length: o.answer ? o.answer(n, claims.length) : n }, job);
      jobs.push(...got);
      return Promise.resolve(got);
    },
    run: (j) => j.done,
  });
  return { l, claims, jobs };
}

/** Lets the loop run until nothing is left to do in this turn (its awaits, the finished jobs' pokes). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** Waits until `what` holds; the test's own timeout fails a wait that never ends. */
async function until(what: () => boolean): Promise<void> {
  while (!what()) await new Promise((r) => setTimeout(r, 5));
}

test("behind a backlog, a freed slot waits for its batch, and one claim takes the batch", { timeout: 10_000 }, async () => {
  const { l, claims, jobs } = loop({ concurrency: 4, batch: 2, gatherMs: 60_000 });
  await settle();
  assert.deepEqual(claims, [4], "the first claim fills every slot: a backlog");
  jobs[0]!.finish();
  await settle();
  assert.deepEqual(claims, [4], "one slot free behind a backlog: no claim yet");
  assert.equal(l.gathering, true);
  jobs[1]!.finish();
  await settle();
  assert.deepEqual(claims, [4, 2], "the second freed slot makes the batch: one claim for both");
  assert.equal(l.gathering, false);
  for (const j of jobs) j.finish();
  await l.stop();
});

test("a freed slot waits no longer than gatherMs for the rest of its batch", { timeout: 10_000 }, async () => {
  const { l, claims, jobs } = loop({ concurrency: 4, batch: 2, gatherMs: 20 });
  await settle();
  jobs[0]!.finish();
  await until(() => claims.length === 2); // a claim once gatherMs passed
  assert.deepEqual(claims, [4, 1]);
  for (const j of jobs) j.finish();
  await l.stop();
});

test("without a backlog, a freed slot claims at once when work arrives", { timeout: 10_000 }, async () => {
  // The first claim fills every slot (a backlog); the second finds less than it asked for: the backlog is gone.
  const { l, claims, jobs } = loop({ concurrency: 4, batch: 2, gatherMs: 60_000, answer: (n, call) => (call === 1 ? n : 0) });
  await settle();
  jobs[0]!.finish();
  jobs[1]!.finish();
  await settle();
  assert.deepEqual(claims, [4, 2]);
  jobs[2]!.finish();
  l.wake();
  await settle();
  assert.deepEqual(claims, [4, 2, 3], "a send wakes a claim at once: no gathering without a backlog");
  assert.equal(l.gathering, false);
  jobs[3]!.finish();
  await l.stop();
});

test("a loop stopped while gathering claims no more and says so", { timeout: 10_000 }, async () => {
  const { l, claims, jobs } = loop({ concurrency: 4, batch: 2, gatherMs: 60_000 });
  await settle();
  jobs[0]!.finish();
  await settle();
  assert.equal(l.gathering, true);
  await l.stop();
  assert.equal(l.gathering, false);
  for (const j of jobs) j.finish();
  await settle();
  assert.deepEqual(claims, [4]);
});

test("a batch is never more than the loop's slots, nor less than one", { timeout: 10_000 }, async () => {
  const one = loop({ concurrency: 1, batch: 0, gatherMs: 60_000 });
  await settle();
  one.jobs[0]!.finish();
  await settle();
  assert.deepEqual(one.claims, [1, 1], "one slot: each freed slot claims at once");
  for (const j of one.jobs) j.finish();
  await one.l.stop();
  const big = loop({ concurrency: 2, batch: 5, gatherMs: 60_000 });
  await settle();
  big.jobs[0]!.finish();
  big.jobs[1]!.finish();
  await settle();
  assert.deepEqual(big.claims, [2, 2], "a batch of 5 over 2 slots waits for both, not for 5");
  for (const j of big.jobs) j.finish();
  await big.l.stop();
});
