// `npm run harness`: the fault-injection end-to-end run of issue #8, printed as tables. First the workload without
// faults (the expected conclusions), then the same workload with GitHub faults, dropped deliveries and App
// processes killed with SIGKILL. Exits non-zero when any promise is broken.
import { compare, percentile, runHarness, type HarnessResult } from "../test/fault/harness.js";
import { printTable } from "../bench/table.js";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const prs = arg("prs", 50);
const eventsPerPr = arg("events-per-pr", 20);
const seed = arg("seed", 8);
const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const log = (s: string): void => console.error(`  ${s}`);

console.error(`baseline: ${prs} pull requests x ${eventsPerPr} events, no faults, 1 App process`);
const baseline = await runHarness({ prs, eventsPerPr, seed, processes: 1, faults: false, kills: false, databaseUrl, redisUrl, log });
console.error(`faulted: the same workload, GitHub faults, dropped deliveries, 2 App processes killed with SIGKILL`);
const faulted = await runHarness({ prs, eventsPerPr, seed, processes: 2, faults: true, kills: true, databaseUrl, redisUrl, log });
const c = compare(baseline, faulted);

const row = (name: string, r: HarnessResult) => ({
  run: name,
  events: r.events,
  PRs: r.prs,
  "head commits": r.heads.length,
  "steps settled": `${r.settleMs.length - r.stepTimeouts}/${r.events}`,
  wall: `${(r.durationMs / 1000).toFixed(1)} s`,
  "settle p50/p99": `${percentile(r.settleMs, 50)} / ${percentile(r.settleMs, 99)} ms`,
  "GitHub requests": r.githubRequests,
  SIGKILLs: r.kills,
  "dropped deliveries": r.droppedDeliveries,
  redeliveries: r.redeliveries,
  "step timeouts": r.stepTimeouts,
  "REST problems": r.restProblems.length,
  "jobs (reconciliation's)": `${r.queue.jobs} (${r.queue.sweeps})`,
  "attempts (most of one job)": `${r.queue.attempts} (${r.queue.maxAttempts})`,
});
printTable("Fault-injection harness (npm run harness)", [row("without faults", baseline), row("with faults", faulted)]);
printTable("GitHub faults injected", [Object.fromEntries(Object.entries(faulted.faultCounts))]);
printTable("Every head commit, faulted run against the run without faults", [
  {
    "head commits": c.heads,
    "exactly one completed check": c.exactlyOneCompleted,
    "duplicate checks": c.duplicates,
    "missing or not completed": c.missingOrIncomplete,
    "same conclusion": c.sameConclusion,
    different: c.differentConclusion.length,
    "false successes": c.falseSuccesses,
  },
]);
for (const d of c.differentConclusion.slice(0, 10)) console.log(`  different: ${d}`);
for (const p of [...baseline.restProblems, ...faulted.restProblems].slice(0, 10)) console.log(`  REST: ${p}`);
const ok = c.exactlyOneCompleted === c.heads && c.duplicates === 0 && c.differentConclusion.length === 0 && c.falseSuccesses === 0 && faulted.restProblems.length === 0 && baseline.restProblems.length === 0;
console.log(ok ? "every head commit: exactly one completed check, the conclusion of the run without faults" : "BROKEN: see above");
process.exit(ok ? 0 : 1);
