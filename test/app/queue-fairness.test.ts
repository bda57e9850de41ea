// Queue fairness under GitHub outages (issue 14, class 6): a job whose attempt failed goes behind every fresh job,
// and an attempt that runs past its deadline is aborted (its GitHub calls with it) and retried, freeing its worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { openStorage } from "../../src/adapters/storage/index.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import { boundedBy } from "../../src/adapters/github/attempt-deadline.js";

test("with GitHub failing for one repository's jobs, fresh jobs for another are all processed before any retry", { timeout: 120_000 }, async () => {
  const storage = await openStorage({ dataDir: "memory://" });
  // No retry delay: only the order of fetching keeps retries from starving fresh work.
  const options = { retryDelaySeconds: 0, retryLimit: 1000, pollingIntervalSeconds: 0.5 };
  const first = await JobQueue.open(storage.db, options);
  let second: JobQueue | undefined;
  try {
    // Three old jobs of a repository whose GitHub calls fail: each attempt fails, and they wait for retry.
    let failures = 0;
    let failedThrice!: () => void;
    const failed = new Promise<void>((r) => (failedThrice = r));
    await first.work<{ repo: string; n: number }>("evaluate", 1, () => {
      if (++failures === 3) failedThrice();
      return Promise.reject(new Error("GitHub did not answer"));
    });
    for (let n = 0; n < 3; n++) await first.send("evaluate", { repo: "down", n });
    await failed;
    await first.stop();
    // Ten fresh jobs for another repository arrive; then a process takes work (one worker, so order is plain).
    second = await JobQueue.open(storage.db, options);
    for (let n = 0; n < 10; n++) await second.send("evaluate", { repo: "up", n });
    const order: string[] = [];
    let done!: () => void;
    const tenDone = new Promise<void>((r) => (done = r));
    await second.work<{ repo: string; n: number }>("evaluate", 1, (job) => {
      order.push(job.data.repo);
      if (order.filter((r) => r === "up").length === 10) done();
      return job.data.repo === "down" ? Promise.reject(new Error("GitHub did not answer")) : Promise.resolve();
    });
    await tenDone;
    assert.deepEqual(order.slice(0, 10), Array<string>(10).fill("up"), `the order jobs were taken in: ${order.join(" ")}`);
  } finally {
    await second?.stop(false);
    await first.stop(false);
    await storage.close();
  }
});

test("an attempt past its deadline is aborted, its GitHub calls with it, and its job is retried", { timeout: 120_000 }, async () => {
  const storage = await openStorage({ dataDir: "memory://" });
  const queue = await JobQueue.open(storage.db, { retryDelaySeconds: 0, attemptSeconds: 1, expireInSeconds: 60, pollingIntervalSeconds: 0.5 });
  // A GitHub that never answers; the client would wait on it for an hour.
  let calls = 0;
  const hung: typeof fetch = (_input, init) => {
    calls++;
    return new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason as Error), { once: true }));
  };
  try {
    const seen: { retryCount: number; error: string }[] = [];
    let retried!: () => void;
    const second = new Promise<void>((r) => (retried = r));
    await queue.work<{ n: number }>("evaluate", 1, async (job) => {
      if (job.retryCount > 0) {
        retried();
        return;
      }
      const octokit = boundedBy(new Octokit({ request: { fetch: hung } }), job.signal);
      try {
        await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "widgets", pull_number: 5, request: { timeout: 3_600_000 } });
      } catch (err) {
        seen.push({ retryCount: job.retryCount, error: (err as Error).message });
        // A call after the deadline fails at once, without reaching GitHub.
        const before = calls;
        await assert.rejects(octokit.request("GET /rate_limit"), /attempt deadline/);
        assert.equal(calls, before);
        throw err;
      }
    });
    await queue.send("evaluate", { n: 1 });
    await second;
    assert.equal(seen.length, 1);
    assert.match(seen[0]!.error, /did not finish within its attempt deadline of 1 s; it is retried after the fresh jobs/);
  } finally {
    await queue.stop(false);
    await storage.close();
  }
});

test("the attempt's signal reaches fetch itself, through Octokit's hook chain, so the request is cut off at the deadline", async () => {
  const control = new AbortController();
  let seen: AbortSignal | undefined;
  let cutOff = false;
  const hung: typeof fetch = (_url, init) => {
    seen = init?.signal ?? undefined;
    return new Promise((_, reject) => init?.signal?.addEventListener("abort", () => {
      cutOff = true;
      reject(init.signal!.reason as Error);
    }));
  };
  const octokit = boundedBy(new Octokit({ request: { fetch: hung } }), control.signal);
  const pending = octokit.request("GET /rate_limit");
  await new Promise((r) => setImmediate(r));
  assert.ok(seen, "fetch was given a signal");
  control.abort(new Error("the attempt deadline passed"));
  await assert.rejects(pending, /attempt deadline passed/);
  await new Promise((r) => setImmediate(r));
  assert.ok(cutOff, "the request itself was aborted, not only raced");
});
