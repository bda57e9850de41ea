// The fault-injection harness in `npm test`, at a size that fits a test run (npm run harness runs 1,000 events
// over 50 pull requests): two App processes on PostgreSQL and Redis, GitHub faults, dropped deliveries and
// SIGKILLs; every head commit ends with exactly one completed check whose conclusion is that of the run without
// faults, and no exchange breaks GitHub's REST description.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compare, runHarness } from "./harness.js";
import { requirePostgres } from "../adapters/storage/support.js";

test("faults, dropped deliveries and killed processes change no check: one per head, the fault-free conclusion", { timeout: 600_000 }, async (t) => {
  const databaseUrl = await requirePostgres(t);
  if (!databaseUrl) return;
  const size = { prs: 10, eventsPerPr: 8, seed: 26 };
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  // What the runs say about steps that did not settle, so that a failure names them.
  const log = (run: string) => (m: string) => (/did not settle/.test(m) ? t.diagnostic(`${run}: ${m}`) : undefined);
  const baseline = await runHarness({ ...size, processes: 1, faults: false, kills: false, databaseUrl, redisUrl, log: log("baseline") });
  const faulted = await runHarness({ ...size, processes: 2, faults: true, kills: true, databaseUrl, redisUrl, log: log("faulted") });
  const c = compare(baseline, faulted);
  t.diagnostic(`${faulted.events} events, ${c.heads} head commits, ${faulted.kills} SIGKILLs, ${faulted.droppedDeliveries} dropped deliveries, faults ${JSON.stringify(faulted.faultCounts)}`);
  assert.deepEqual(baseline.restProblems, []);
  assert.deepEqual(faulted.restProblems, []);
  assert.equal(baseline.stepTimeouts + faulted.stepTimeouts, 0);
  assert.ok(new Set(baseline.heads.map((h) => h.conclusion)).size === 2, "the workload has both conclusions");
  assert.equal(c.duplicates, 0, "no duplicate check");
  assert.equal(c.exactlyOneCompleted, c.heads, "exactly one completed check per head commit");
  assert.deepEqual(c.differentConclusion, [], "the conclusions of the run without faults");
  assert.equal(c.falseSuccesses, 0);
});
