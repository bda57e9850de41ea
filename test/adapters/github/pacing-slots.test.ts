// A write's pacing slot is booked only if the write can wait for it, and given back when the write is not sent
// (write-pacing.ts, request-budget.ts). The collapse this prevents: with an installation's W workers busy, a job of two
// paced writes takes ~2W intervals; once that passes the attempt deadline, attempts were cut off while waiting, their
// slots stayed booked (pushing every later write further out) and their jobs were retried: throughput fell to almost
// nothing. Deterministic: the local pacer runs on node:test's mocked clock, and with Redis the slots are an interval
// of a minute (Redis's clock barely moves during the test), so nothing depends on how fast the machine is.
import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { AgentGateError } from "../../../src/core/errors.js";
import { budgetedRequest, Lanes, type AttemptBudget, type RequestShape } from "../../../src/adapters/github/request-budget.js";
import { LocalPacer, SharedPacer, type Pacer, type Slot } from "../../../src/adapters/github/write-pacing.js";

/** A pacer that counts the slots it booked and those given back. */
function counted(pacer: Pacer): Pacer & { booked: number; released: number; refused: number } {
  const c = {
    booked: 0,
    released: 0,
    refused: 0,
    async reserve(key: string, intervalMs: number, maxWaitMs: number): Promise<Slot | undefined> {
      const answer: unknown = await pacer.reserve(key, intervalMs, maxWaitMs);
      // (A pacer before slots could be refused or given back answered a wait: counted as booked, so this test fails there.)
      if (typeof answer === "number") return (c.booked++, answer) as unknown as Slot;
      const slot = answer as Slot | undefined;
      if (slot === undefined) {
        c.refused++;
        return undefined;
      }
      c.booked++;
      return {
        waitMs: slot.waitMs,
        release: () => {
          c.released++;
          slot.release();
        },
      };
    },
  };
  return c;
}

const ok = (): Promise<{ status: number; headers: Record<string, unknown>; data: unknown }> => Promise.resolve({ status: 201, headers: {}, data: {} });
const budget = (writeIntervalMs: number) => ({ retries: 0, retryBaseMs: 1, maxRetryAfterSeconds: 1, writeIntervalMs });
const write = (method: string, signal: AbortSignal, attempt: AttemptBudget): RequestShape => ({ method, url: "/repos/o/r/check-runs", request: { signal, attempt } });
const isBacklog = (e: unknown): boolean => e instanceof AgentGateError && e.code === "GITHUB_WRITES_BACKLOGGED" && e.kind === "transient";

describe("local pacer", () => {
  it("books a slot only within the longest wait, and gives back only the last one booked", () => {
    let now = 0;
    const pacer = new LocalPacer(() => now);
    const a = pacer.reserve("k", 100, 1000)!;
    const b = pacer.reserve("k", 100, 1000)!;
    assert.deepEqual([a.waitMs, b.waitMs], [0, 100]);
    assert.equal(pacer.reserve("k", 100, 150), undefined, "the next slot (200 ms away) is beyond a 150 ms wait");
    assert.equal(pacer.reserve("k", 100, 200)?.waitMs, 200, "nothing was booked by the refusal");
    a.release(); // not the last: held by the writes booked after it
    assert.equal(pacer.reserve("k", 100, 1000)?.waitMs, 300);
    const d = pacer.reserve("k", 100, 1000)!;
    d.release();
    d.release(); // once only
    assert.equal(pacer.reserve("k", 100, 1000)?.waitMs, 400, "the last slot went back, once");
    now = 10_000;
    assert.equal(pacer.reserve("k", 100, 0)?.waitMs, 0);
  });
});

interface Outcome {
  jobs: number;
  sent: number;
  refusedAttempts: number;
  cutOffAttempts: number;
}

/**
 * The reviewer's scenario: `workers` workers take jobs of one installation; a job is two paced writes (a check run
 * created, then completed) with 20 ms of reads between, under an attempt deadline; a failed attempt is retried after
 * `backoffMs`. Runs on the mocked clock for `runMs`.
 */
async function scenario(t: TestContext, pacer: Pacer, o: { workers: number; intervalMs: number; deadlineMs: number; runMs: number; backoffMs: number }): Promise<Outcome> {
  const ctx = { budget: budget(o.intervalMs), lanes: new Lanes(), id: "42", pacer };
  const out: Outcome = { jobs: 0, sent: 0, refusedAttempts: 0, cutOffAttempts: 0 };
  const send = () => {
    out.sent++;
    return ok();
  };
  const start = Date.now();
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const worker = async (): Promise<void> => {
    while (Date.now() - start < o.runMs) {
      const control = new AbortController();
      const timer = setTimeout(() => control.abort(new Error("attempt deadline")), o.deadlineMs);
      const deadline: AttemptBudget = { deadline: Date.now() + o.deadlineMs, writes: 0 };
      try {
        await budgetedRequest(ctx, send, write("POST", control.signal, deadline));
        await pause(20);
        await budgetedRequest(ctx, send, write("PATCH", control.signal, deadline));
        out.jobs++;
      } catch (err) {
        if (isBacklog(err)) out.refusedAttempts++;
        else out.cutOffAttempts++;
        await pause(o.backoffMs);
      } finally {
        clearTimeout(timer);
      }
    }
  };
  const running = Promise.all(Array.from({ length: o.workers }, worker));
  let done = false;
  void running.then(() => (done = true));
  while (!done) {
    t.mock.timers.tick(10);
    await new Promise((r) => setImmediate(r));
  }
  await running;
  return out;
}

describe("the reviewer's scenario: 16 workers on one installation, 2 paced writes a job, writes 1 s apart, 30 s attempts", () => {
  const run = { workers: 16, intervalMs: 1000, deadlineMs: 30_000, runMs: 600_000, backoffMs: 1000 };

  it("local pacer: no slot is booked that is not used or given back; a backlog is refused at once, not waited for", async (t: TestContext) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
    const pacer = counted(new LocalPacer(() => Date.now()));
    const out = await scenario(t, pacer, run);
    t.diagnostic(JSON.stringify({ ...out, booked: pacer.booked, released: pacer.released, refused: pacer.refused }));
    assert.equal(pacer.booked, out.sent + pacer.released, "every booked slot was either written in or given back");
    assert.ok(out.refusedAttempts > 0, "attempts that could not wait out the backlog were refused");
    assert.ok(out.cutOffAttempts <= pacer.released, "an attempt cut off while waiting gave its slot back");
    // 600 s of slots 1 s apart are 600 writes: at most 300 jobs. Without the fix ~20 finish.
    assert.ok(out.jobs >= 150, `jobs completed: ${out.jobs}`);
  });
});

/** Runs `body` with a Redis client (skipped where none answers) and a fresh pacing key. */
async function withRedis(t: TestContext, body: (redis: Redis, key: string) => Promise<void>): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
  } catch {
    t.skip("no Redis");
    redis.disconnect();
    return;
  }
  const key = `agent-gate:test:pacing-slots:${process.pid}:${Math.random().toString(36).slice(2)}`;
  try {
    await body(redis, key);
  } finally {
    await redis.del(key);
    redis.disconnect();
  }
}

// With Redis, slots are a minute apart: Redis's clock moves by milliseconds during the test, so every wait is exact
// to within them, whatever the machine's speed.
const MINUTE = 60_000;
const near = (actual: number | undefined, expected: number) => assert.ok(actual !== undefined && Math.abs(actual - expected) < 5_000, `${actual} ≈ ${expected}`);

describe("shared pacer (Redis)", () => {
  it("books a slot only within the longest wait (atomically, nothing stored when refused); gives back only the last one", (t: TestContext) =>
    withRedis(t, async (redis, key) => {
      const pacer = new SharedPacer(redis, { warn: (m) => assert.fail(m) });
      const a = await pacer.reserve(key, MINUTE, 2.5 * MINUTE);
      const b = await pacer.reserve(key, MINUTE, 2.5 * MINUTE);
      const c = await pacer.reserve(key, MINUTE, 2.5 * MINUTE);
      near(a?.waitMs, 0);
      near(b?.waitMs, MINUTE);
      near(c?.waitMs, 2 * MINUTE);
      const stored = await redis.get(key);
      assert.equal(await pacer.reserve(key, MINUTE, 2.5 * MINUTE), undefined, "the fourth slot is three minutes away");
      assert.equal(await redis.get(key), stored, "a refusal stores nothing");
      b!.release(); // held by c
      c!.release();
      c!.release();
      await redis.ping(); // the releases (fire and forget) ran before this answer
      assert.equal(Number(await redis.get(key)), Number(stored) - MINUTE, "only the last slot went back, once");
      near((await pacer.reserve(key, MINUTE, 2.5 * MINUTE))?.waitMs, 2 * MINUTE);
    }));

  it("a write whose wait is cut off gives its slot back; a write that could not wait for its slot books none", (t: TestContext) =>
    withRedis(t, async (redis, key) => {
      const shared = new SharedPacer(redis, { warn: (m) => assert.fail(m) });
      const pacer: Pacer = { reserve: (_k, interval, maxWait) => shared.reserve(key, interval, maxWait) };
      const ctx = { budget: budget(MINUTE / 3), lanes: new Lanes(), id: "42", pacer }; // within MAX_PACING_WAIT_MS
      let sent = 0;
      const send = () => (sent++, ok());
      const control = new AbortController();
      const attempt = (): AttemptBudget => ({ deadline: Date.now() + 10 * MINUTE, writes: 1 });
      await budgetedRequest(ctx, send, write("POST", control.signal, attempt()));
      const before = await redis.get(key);
      const waiting = budgetedRequest(ctx, send, write("PATCH", control.signal, attempt()));
      while ((await redis.get(key)) === before) await new Promise((r) => setImmediate(r)); // its slot is booked
      control.abort(new Error("attempt deadline"));
      await assert.rejects(waiting, /attempt deadline/);
      await redis.ping();
      assert.equal(await redis.get(key), before, "the cut-off write's slot went back");
      const late = new AbortController();
      await assert.rejects(budgetedRequest(ctx, send, write("PATCH", late.signal, { deadline: Date.now() + MINUTE / 6, writes: 1 })), isBacklog);
      await assert.rejects(budgetedRequest(ctx, send, write("POST", late.signal, { deadline: Date.now() + MINUTE / 2, writes: 0 })), isBacklog, "a first write: a third of the remaining time");
      assert.equal(await redis.get(key), before, "refused writes booked nothing");
      assert.equal(sent, 1);
    }));
});
