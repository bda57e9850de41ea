// Class 6, queue fairness under GitHub outages: one repository's GitHub hangs (every request waits until it is cut
// off), and its M jobs, the oldest in the queue, fail at each attempt; N fresh jobs for other repositories are
// queued behind them. The App's queue (JobQueue, 4 workers, on the embedded database) with an attempt deadline of
// 2 s: how long until the first and the last fresh job is done, and how many attempts the failing jobs got
// meanwhile. Then the same outage while fresh jobs keep arriving: the failing jobs are still retried, each within
// a bounded wait, and fresh jobs still wait for no more than the line ahead of them.
import { Octokit } from "@octokit/rest";
import { openStorage } from "../../src/adapters/storage/index.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import { boundedBy } from "../../src/adapters/github/attempt-deadline.js";
import type { HostileRow } from "../hostile.js";

const CLASS = "6 queue fairness";
const WORKERS = 4;
const ATTEMPT_SECONDS = 2;
const rss = (): number => process.resourceUsage().maxRSS / 1024;

/** GitHub for the repository that is down: the request hangs until its signal aborts. */
const hung: typeof fetch = (_input, init) => new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason as Error), { once: true }));
/** GitHub for every other repository: an answer at once. */
const answers: typeof fetch = () => Promise.resolve(new Response(JSON.stringify({ id: 1 }), { status: 200, headers: { "content-type": "application/json" } }));

interface Outcome {
  firstFresh: number;
  lastFresh: number;
  failingAttempts: number;
  /** The longest a failing job waited between two of its attempts (seconds). */
  longestRetryWait: number;
  /** The longest a fresh job waited for its first attempt (seconds). */
  longestFreshWait: number;
}

async function outage(opts: { failing: number; fresh: number; arrivalSeconds: number }): Promise<Outcome> {
  const storage = await openStorage({ dataDir: "memory://" });
  const queue = await JobQueue.open(storage.db, { attemptSeconds: ATTEMPT_SECONDS, expireInSeconds: 60, retryDelaySeconds: 1, retryDelayMaxSeconds: 4, retryLimit: 1000, pollingIntervalSeconds: 0.5 });
  try {
    let failingAttempts = 0;
    let freshDone = 0;
    let firstFresh = 0;
    let lastFresh = 0;
    let longestRetryWait = 0;
    let longestFreshWait = 0;
    const lastFailure = new Map<number, number>();
    let t0 = 0;
    let allDone!: () => void;
    const done = new Promise<void>((r) => (allDone = r));
    const now = (): number => (performance.now() - t0) / 1000;
    for (let n = 0; n < opts.failing; n++) await queue.send("evaluate", { repo: "down", n, sentAt: 0 });
    // Queued at once (one transaction) behind the failing ones, or arriving one by one once the workers run.
    const queued = opts.arrivalSeconds === 0 ? opts.fresh : 0;
    if (queued > 0) {
      await queue.transaction(["evaluate"], async (tx) => {
        for (let n = 0; n < queued; n++) await tx.send("evaluate", { repo: `up-${n % 50}`, n, sentAt: 0 });
      });
    }
    t0 = performance.now();
    await queue.work<{ repo: string; n: number; sentAt: number }>("evaluate", WORKERS, async (job) => {
      if (job.data.repo === "down") {
        failingAttempts++;
        const before = lastFailure.get(job.data.n);
        if (before !== undefined && lastFresh === 0) longestRetryWait = Math.max(longestRetryWait, now() - before);
        try {
          await boundedBy(new Octokit({ request: { fetch: hung } }), job.signal).request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "down" });
        } finally {
          lastFailure.set(job.data.n, now());
        }
        return;
      }
      longestFreshWait = Math.max(longestFreshWait, now() - job.data.sentAt);
      await boundedBy(new Octokit({ request: { fetch: answers } }), job.signal).request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: job.data.repo });
      freshDone++;
      if (freshDone === 1) firstFresh = now();
      if (freshDone === opts.fresh) {
        lastFresh = now();
        allDone();
      }
    });
    for (let n = queued; n < opts.fresh; n++) {
      const at = (opts.arrivalSeconds * n) / opts.fresh;
      if (at > now()) await new Promise((r) => setTimeout(r, (at - now()) * 1000));
      await queue.send("evaluate", { repo: `up-${n % 50}`, n, sentAt: now() });
    }
    await done;
    return { firstFresh, lastFresh, failingAttempts, longestRetryWait, longestFreshWait };
  } finally {
    await queue.stop(false);
    await storage.close();
  }
}

export async function rows(): Promise<HostileRow[]> {
  const out: HostileRow[] = [];
  const queued = { failing: 12, fresh: 200, arrivalSeconds: 0 };
  const a = await outage(queued);
  out.push({
    class: CLASS,
    input: `${queued.fresh} fresh jobs queued behind ${queued.failing} whose GitHub hangs; ${WORKERS} workers, ${ATTEMPT_SECONDS} s attempt deadline`,
    size: `${queued.failing} + ${queued.fresh} jobs`,
    seconds: a.lastFresh,
    peakRssMb: rss(),
    outcome: `first fresh job done at ${a.firstFresh.toFixed(1)} s, last at ${a.lastFresh.toFixed(1)} s; ${a.failingAttempts} attempts on the failing jobs meanwhile`,
    bound: `last fresh < 30 s; <= 2 attempts per failing job`,
    met: a.lastFresh < 30 && a.failingAttempts <= 2 * queued.failing,
  });
  const stream = { failing: 12, fresh: 200, arrivalSeconds: 20 };
  const b = await outage(stream);
  out.push({
    class: CLASS,
    input: `the same outage, ${stream.fresh} fresh jobs arriving over ${stream.arrivalSeconds} s`,
    size: `${stream.failing} + ${stream.fresh} jobs`,
    seconds: b.lastFresh,
    peakRssMb: rss(),
    outcome: `fresh jobs waited at most ${b.longestFreshWait.toFixed(1)} s; failing jobs: ${b.failingAttempts} attempts, at most ${b.longestRetryWait.toFixed(1)} s between two`,
    bound: "failing jobs retried within 15 s; a fresh one waits < 15 s",
    met: b.longestRetryWait > 0 && b.longestRetryWait < 15 && b.longestFreshWait < 15,
  });
  return out;
}
