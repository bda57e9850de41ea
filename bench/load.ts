// `npm run bench -- load`: the durable path against the goals of issue 19, measured vs target. App processes as
// deployed (bench/load-durable.ts) on PostgreSQL (one and two processes, Redis for Probot's shared throttling) and on
// the embedded database (one process): a burst for throughput, one event at a time for latency, CPU per event of the
// App, of its PostgreSQL backends and of this process (the GitHub stand-in), database rows per event.
// Knobs: LOAD_ACTIONS (the pull_request actions cycled, default "synchronize,labeled"), LOAD_EVENTS (burst, default 500), LOAD_WARMUP (a burst before it, not counted: the JIT's warm-up, default 1500), LOAD_PACED (default 50), LOAD_PROCESSES (default "1,2"),
// LOAD_DATABASES (default "postgres,embedded"), LOAD_WORKERS (per process, default the App's own), LOAD_NODE_ARGS (the App's node flags).
// LOAD_APP_NODE: a node binary for the App's processes (default this process's; bench/app-memory.ts appNode()).
// LOAD_HARNESS=1 adds the load run of issue #8 (the fault harness's workload through a round-robin balancer).
// LOAD_CPU_CAP (a fraction of one core, e.g. 0.5; unset: none) adds, after the other runs, PostgreSQL with 1 and with 2
// App processes each held to that CPU budget (a cgroup of its own with a CFS quota, bench/load-cgroup.ts; Linux, as
// root, cgroup v1 cpu or v2 with cpu): one process is then bound by its budget, not by the cores it shares with
// PostgreSQL and the stand-in, so 2 processes against 1 shows what scale-out itself costs. Skipped, with a row saying
// why, where no cgroup cpu controller is writable.
// A host reference (bench/host-reference.ts: fixed CPU work timed in a fresh child, median of 3) is measured before
// the first run and after the last: a slower host, or one that slowed during the runs, is told from a slower App by it.
// It is printed and saved (hostReference in the results file) with its workload's version; compare it only across
// runs of the same version.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Row } from "./table.js";
import { printTable } from "./table.js";
import { DEFAULT_WORKERS } from "../src/config/server-env.js";
import { percentile, runHarness } from "../test/fault/harness.js";
import { appNode } from "./app-memory.js";
import { durableFixture, runDurable, type DurableRunResult } from "./load-durable.js";
import { cgroupSupport } from "./load-cgroup.js";
import { HOST_REFERENCE_VERSION, hostReference } from "./host-reference.js";

export const LOAD_RESULTS = fileURLToPath(new URL("./results/load.json", import.meta.url));

const ms = (n: number | undefined): string => (n === undefined ? "" : n.toFixed(1));

export async function benchLoad(): Promise<Row[]> {
  const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const burstEvents = Number(process.env.LOAD_EVENTS ?? 500);
  const pacedEvents = Number(process.env.LOAD_PACED ?? 50);
  const workers = Number(process.env.LOAD_WORKERS ?? DEFAULT_WORKERS);
  // A burst before the measured one, not counted: the JIT's warm-up (a deployed App runs warm).
  const warmupEvents = Number(process.env.LOAD_WARMUP ?? 1500);
  // Node flags for the App's processes, e.g. LOAD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.LOAD_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const counts = (process.env.LOAD_PROCESSES ?? "1,2").split(",").map(Number);
  const databases = (process.env.LOAD_DATABASES ?? "postgres,embedded").split(",");
  const cpuCap = process.env.LOAD_CPU_CAP ? Number(process.env.LOAD_CPU_CAP) : undefined;
  // Two capped processes together may take at most half the machine's cores: PostgreSQL and the stand-in keep the
  // rest, so the budget, not the machine, binds each process (a larger cap measures the machine again).
  const maxCap = availableParallelism() / 4;
  if (cpuCap !== undefined && !(cpuCap >= 0.01 && cpuCap <= maxCap)) throw new Error(`LOAD_CPU_CAP: "${process.env.LOAD_CPU_CAP}" is not a share of a core between 0.01 and ${maxCap} (two capped processes take at most half of this machine's ${availableParallelism()} cores)`);
  const fixture = durableFixture(20);
  const hostBefore = await hostReference();
  const runs: { name: string; processes: number; r: DurableRunResult; load: number }[] = [];
  for (const database of databases) {
    if (database !== "postgres" && database !== "embedded") throw new Error(`LOAD_DATABASES: unknown database "${database}"; expected postgres or embedded`);
    for (const processes of database === "embedded" ? [1] : counts) {
      const before = loadavg()[0]!;
      const r = await runDurable({ fixture, processes, burstEvents, pacedEvents, workers, nodeArgs, warmupEvents, ...(database === "postgres" ? { databaseUrl, redisUrl } : {}) });
      runs.push({ name: `${database === "postgres" ? "PostgreSQL" : "embedded"}, ${processes} process${processes > 1 ? "es" : ""}`, processes, r, load: Math.max(before, loadavg()[0]!) });
    }
  }
  // As deployed by default: writes (and, by Octokit's throttling plugin, GraphQL queries) paced 1 s apart per
  // installation (AGENT_GATE_WRITE_INTERVAL_MS, GitHub's advice for writes). The runs above set 0 to measure the App;
  // this one measures what one installation gets. LOAD_PACING_RUN=0 leaves it out.
  let pacing: DurableRunResult | undefined;
  if (process.env.LOAD_PACING_RUN !== "0" && databases.includes("postgres")) {
    pacing = await runDurable({ fixture, processes: 1, burstEvents: 30, pacedEvents: 10, workers, databaseUrl, redisUrl, env: { AGENT_GATE_WRITE_INTERVAL_MS: "1000" } });
  }
  const capped = cpuCap === undefined ? undefined : await cappedRuns(cpuCap, { fixture, burstEvents, pacedEvents, workers, nodeArgs, warmupEvents, databaseUrl, redisUrl });
  const hostAfter = await hostReference();
  const one = runs.find((x) => x.name.startsWith("PostgreSQL") && x.processes === 1);
  const target = (x: (typeof runs)[number]): string => (x.processes > 1 ? `>= ${((one?.r.eventsPerSecond ?? 0) * 1.5).toFixed(0)} (1.5x one)` : ">= 100");
  const metric = (label: string, value: (x: (typeof runs)[number]) => string | number, goal: (x: (typeof runs)[number]) => string = () => ""): Row[] =>
    runs.map((x) => ({ metric: `${label} (${x.name})`, measured: value(x), target: goal(x) }));
  const rows: Row[] = [
    ...metric("events/s, burst", (x) => x.r.eventsPerSecond.toFixed(1), target),
    ...metric("  of the burst's events: folded into a waiting job of their head (a label while its synchronize waits)", (x) => `${(x.r.foldedShare * 100).toFixed(0)} %`),
    ...metric("  evaluations/s, burst (events less those folded: the figure comparable with runs before folding)", (x) => (x.r.eventsPerSecond * (1 - x.r.foldedShare)).toFixed(1)),
    ...metric("p50 ms, one event at a time", (x) => ms(percentile(x.r.pacedMs, 50)), () => "< 50 + GitHub's (stand-in: ~0)"),
    ...metric("p99 ms, one event at a time", (x) => ms(percentile(x.r.pacedMs, 99))),
    ...metric("App CPU ms/event", (x) => ms(x.r.appCpuMs), () => "<= 10 (100 events/s on one core)"),
    ...metric("  App CPU ms per evaluation (all of it, folded deliveries' intake included, over the evaluations)", (x) => ms(x.r.appCpuMs / Math.max(0.01, 1 - x.r.foldedShare))),
    ...metric(`  the first ${warmupEvents} events after start (the JIT's warm-up, not counted above)`, (x) => ms(x.r.coldCpuMs)),
    ...metric("App peak memory per process, MB (resident)", (x) => (x.r.appPeakRss === undefined ? "" : (x.r.appPeakRss / 2 ** 20).toFixed(0))),
    ...metric("PostgreSQL CPU ms/event", (x) => ms(x.r.dbCpuMs)),
    ...metric("stand-in + bench CPU ms/event", (x) => ms(x.r.benchCpuMs)),
    ...metric("GitHub requests/event (all)", (x) => x.r.githubRequests.toFixed(2)),
    ...metric("  REST counted against the rate limit (not 304)", (x) => x.r.githubSplit.rest.toFixed(2), () => "<= 4 with GraphQL"),
    ...metric("  GraphQL queries", (x) => x.r.githubSplit.graphql.toFixed(2)),
    ...metric("  of which writes", (x) => x.r.githubSplit.writes.toFixed(2), () => "<= 2"),
    ...metric("  free (conditional, answered 304)", (x) => x.r.githubSplit.free.toFixed(2)),
    ...metric("events not concluded", (x) => x.r.notConcluded, () => "0"),
    ...metric("  events of the run superseded by a newer trigger of their head, or duplicates (no check-run write)", (x) => x.r.superseded),
    ...metric("deliveries unanswered within GitHub's 10 s", (x) => x.r.timedOut, () => "0"),
    ...metric("load average (1 min) during the run", (x) => x.load.toFixed(1), () => "< 2 for a fair wall-clock figure"),
    ...Object.entries({ before: hostBefore, after: hostAfter }).map(([when, h]) => ({ metric: `host reference v${HOST_REFERENCE_VERSION}, ms (fixed CPU work in a child, median of 3; lower is faster): ${when} the runs`, measured: `${ms(h.ms)} (runs: ${h.runs.map(ms).join(", ")})`, target: "" })),
    { metric: "Node of the App's processes (LOAD_APP_NODE, default this benchmark's)", measured: appNode().version, target: "" },
  ];
  // Where one event's time goes at low load (PostgreSQL, 1 process): each gap of its timeline, p50.
  for (const { step, p50Ms } of one?.r.pacedSteps ?? []) rows.push({ metric: `  p50 ms, one event at a time: ${step} (${one!.name})`, measured: ms(p50Ms), target: "" });
  if (pacing) {
    rows.push(
      { metric: "events/s of one installation, writes paced 1 s apart (the default; PostgreSQL, 1 process)", measured: pacing.eventsPerSecond.toFixed(2), target: "" },
      { metric: "p50 ms, one event at a time, writes paced 1 s apart", measured: ms(percentile(pacing.pacedMs, 50)), target: "" },
    );
  }
  rows.push(...(capped?.rows ?? []));
  const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
  const pgRun = runs.find((x) => x.r.rows && x.processes === 1) ?? runs.find((x) => x.r.rows);
  if (pgRun?.r.rows) {
    const { written, kept, bytesKept } = pgRun.r.rows;
    rows.push({ metric: `database rows written/event (${pgRun.name})`, measured: sum(written).toFixed(1), target: "" });
    for (const [k, v] of Object.entries(written).filter(([, v]) => v >= 0.1).sort((a, b) => b[1] - a[1])) rows.push({ metric: `  ${k.replace(/\.j[0-9a-f]{40,}$/, ".job (partition)")}`, measured: v.toFixed(2), target: "" });
    const statements = pgRun.r.statements ?? {};
    rows.push({ metric: `SQL statements/event of the burst (${pgRun.name})`, measured: sum(statements).toFixed(1), target: "" });
    for (const [k, v] of Object.entries(statements).filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1])) rows.push({ metric: `  ${k}`, measured: v.toFixed(2), target: "" });
    rows.push({ metric: `database rows kept/event (${pgRun.name})`, measured: sum(kept).toFixed(1), target: "" });
    const pruned: Record<string, string> = { queue: "job queue (completed jobs deleted after 7 days)", "gate state": "gate state (pruned after AGENT_GATE_STATE_RETENTION_DAYS)", "audit log": "audit log (never pruned)", other: "other (no growth per event)" };
    for (const [part, bytes] of Object.entries(bytesKept)) rows.push({ metric: `database bytes added/event after the warm-up, ${pruned[part] ?? part}, indexes included (${pgRun.name})`, measured: Math.round(bytes), target: "" });
  }
  // The embedded database runs in the App's thread: where that share of the App's CPU goes, by statement.
  const embeddedRun = runs.find((x) => x.r.statementMs && x.processes === 1);
  if (embeddedRun?.r.statementMs) {
    const counts = embeddedRun.r.statements ?? {};
    const msOf = embeddedRun.r.statementMs;
    rows.push({ metric: `App CPU ms/event in PGlite's backend, calls/event (${embeddedRun.name})`, measured: `${sum(msOf).toFixed(2)} ms, ${sum(counts).toFixed(1)} calls`, target: "" });
    for (const [k, v] of Object.entries(msOf).filter(([, v]) => v >= 0.02).sort((a, b) => b[1] - a[1])) rows.push({ metric: `  ${k}`, measured: `${v.toFixed(2)} ms, ${(counts[k] ?? 0).toFixed(2)} calls`, target: "" });
  }
  saveResults({ burstEvents, pacedEvents, workers, hostReference: { version: HOST_REFERENCE_VERSION, before: hostBefore, after: hostAfter }, ...(pacing ? { defaultPacing: { eventsPerSecond: pacing.eventsPerSecond, p50Ms: percentile(pacing.pacedMs, 50), githubSplit: pacing.githubSplit } } : {}), runs: [...runs, ...(capped?.runs ?? [])].map((x) => ({ name: x.name, processes: x.processes, load: x.load, ...x.r, pacedMs: undefined, p50Ms: percentile(x.r.pacedMs, 50), p99Ms: percentile(x.r.pacedMs, 99) })) });
  printTable(`Durable path: ${burstEvents} events at once (at most 32 deliveries open), then ${pacedEvents} one at a time; ${workers} workers per process; 20 PRs of 3 signed bundles`, rows);
  if (process.env.LOAD_HARNESS === "1") return await harnessRows(databaseUrl, redisUrl);
  return [];
}

/**
 * LOAD_CPU_CAP: PostgreSQL with 1 and 2 App processes, each held to `cap` cores (bench/load-cgroup.ts). The rows, and
 * the runs for the results file (their `cpuCap` field says so); where no cgroup cpu controller is writable, one row
 * saying why, and the bench goes on.
 */
async function cappedRuns(cap: number, opts: Omit<Parameters<typeof runDurable>[0], "processes" | "cpuCap">): Promise<{ rows: Row[]; runs: { name: string; processes: number; r: DurableRunResult; load: number }[] }> {
  const label = `capped at ${cap} core each`;
  const where = cgroupSupport();
  if ("reason" in where) return { rows: [{ metric: `capped runs (LOAD_CPU_CAP=${cap}): skipped, ${where.reason}; they need root and a writable cgroup cpu controller`, measured: "", target: "" }], runs: [] };
  const runs: { name: string; processes: number; r: DurableRunResult; load: number }[] = [];
  for (const processes of [1, 2]) {
    const before = loadavg()[0]!;
    try {
      const r = await runDurable({ ...opts, processes, cpuCap: cap });
      runs.push({ name: `PostgreSQL, ${processes} process${processes > 1 ? "es" : ""}, ${label}`, processes, r, load: Math.max(before, loadavg()[0]!) });
    } catch (e) {
      // The runs before it are kept (and saved): a capped run's failure is reported, not the whole bench's.
      console.error(e);
      return { rows: [{ metric: `capped runs (LOAD_CPU_CAP=${cap}): the run with ${processes} process(es) failed: ${(e as Error).message.slice(0, 200)}`, measured: "", target: "" }], runs };
    }
  }
  const [one, two] = runs as [(typeof runs)[number], (typeof runs)[number]];
  const rows: Row[] = [];
  for (const x of runs) {
    const t = x.r.throttle!;
    // The share of the budget the App used over the burst: near 100 % when the budget, not the machine, bound it.
    const used = (x.r.appCpuMs * x.r.eventsPerSecond) / 1000 / (cap * x.processes);
    rows.push(
      { metric: `events/s, burst (${x.name})`, measured: x.r.eventsPerSecond.toFixed(1), target: x === two ? `>= ${(one.r.eventsPerSecond * 1.5).toFixed(0)} (1.5x one, capped)` : "" },
      { metric: `  App CPU ms/event (${x.name})`, measured: ms(x.r.appCpuMs), target: "" },
      { metric: `  over the burst: budget used; throttled s (summed over CPUs), periods throttled of all (${x.name}, ${t.kind})`, measured: `${(used * 100).toFixed(0)} %; ${t.throttledSeconds.toFixed(1)} s, ${t.throttledPeriods} of ${t.periods}`, target: "" },
      { metric: `  events not concluded, deliveries unanswered in 10 s, load average (${x.name})`, measured: `${x.r.notConcluded}, ${x.r.timedOut}, ${x.load.toFixed(1)}`, target: "" },
    );
  }
  // A ratio of runs that lost events, or whose budget did not bind them, says nothing about scale-out: said so.
  const unhealthy = runs.filter((x) => x.r.notConcluded > 0 || x.r.timedOut > 0).map((x) => x.name);
  const unbound = runs.filter((x) => (x.r.appCpuMs * x.r.eventsPerSecond) / 1000 / (cap * x.processes) < 0.9).map((x) => x.name);
  const caveat = [unhealthy.length ? `not valid: events lost or unanswered in ${unhealthy.join("; ")}` : "", unbound.length ? `budget under 90 % used in ${unbound.join("; ")}: the machine, not the cap, bound it` : ""].filter(Boolean).join("; ");
  rows.push({ metric: `2 processes / 1, ${label}${caveat ? ` (${caveat})` : ""}`, measured: `${(two.r.eventsPerSecond / one.r.eventsPerSecond).toFixed(2)}x`, target: ">= 1.5x" });
  return { rows, runs };
}

/**
 * The measured figures, for `npm run bench -- capacity` (bench/load-capacity.ts), which extrapolates from them: written
 * to LOAD_RESULTS (default bench/results/load.json), with the date, the machine's cores and the knobs of the run.
 */
function saveResults(results: object): void {
  const file = process.env.LOAD_RESULTS ?? LOAD_RESULTS;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ measuredAt: new Date().toISOString(), cores: availableParallelism(), node: process.version, appNode: appNode().version, command: "npm run bench -- load", env: knobs(), ...results }, null, 2)}\n`);
  console.log(`measured figures written to ${file}`);
}

const knobs = (): Record<string, string> => Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("LOAD_")).map(([k, v]) => [k, v ?? ""]));

/** The load run of issue #8: the fault harness's workload, two App processes behind a round-robin balancer. */
async function harnessRows(databaseUrl: string, redisUrl: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const processes of [1, 2]) {
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
