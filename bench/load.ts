// The load run of issue #8: two App processes (src/server.ts) with PostgreSQL (audit log, job queue, gate state)
// and Redis (Probot's shared throttling), behind a round-robin balancer, against the GitHub stand-in on loopback.
// Every event of the workload is delivered at once; latency is from delivery to the recorded evaluation.
// Reconciliation runs once at start (as in production, then every 10 minutes), so requests/event are the events'.
import type { Row } from "./table.js";
import { percentile, runHarness } from "../test/fault/harness.js";

export async function benchLoad(): Promise<Row[]> {
  const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const rows: Row[] = [];
  const only = process.env.LOAD_PROCESSES ? [Number(process.env.LOAD_PROCESSES)] : [1, 2];
  for (const processes of only) {
    // The stand-in does not validate here (the tests do): the run measures the App, not the validator.
    const r = await runHarness({ prs: 50, eventsPerPr: 10, seed: 8, processes, workers: 4, faults: false, kills: false, gated: false, validate: false, reconcileSeconds: 600, databaseUrl, redisUrl });
    rows.push({
      "App processes": processes,
      events: r.events,
      "events/s": Math.round((r.events / r.busyMs) * 1000 * 10) / 10,
      "p50 ms": percentile(r.settleMs, 50),
      "p99 ms": percentile(r.settleMs, 99),
      "GitHub requests/event": Math.round((r.githubRequests / r.events) * 100) / 100,
      "not settled": r.stepTimeouts,
    });
  }
  return rows;
}
