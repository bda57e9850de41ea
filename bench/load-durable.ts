// The durable path as deployed: App processes (`npm start`: dist/server.js with the start script's node flags and
// environment) taking signed webhooks over loopback, each persisted as a job and evaluated by the queue's workers,
// against the GitHub stand-in served by this process (zero latency: what is left is the App's and the database's
// time). The events are those of the PR gate benchmark (bench/gate.ts: 3 signed provenance bundles per PR, the same
// heads), so the in-process figure compares.
// A burst (every event delivered at once, at most `inFlight` deliveries open) measures throughput; a paced run (one
// event at a time, each waited for) the latency of one event at low load, from delivery to its concluded check.
// CPU per event is the App's (process.cpuUsage via the memory probe) and, on PostgreSQL, its backends' (/proc,
// Linux), so the figures hold on a machine that other work shares; wall-clock figures do not.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Pool } from "pg";
import { GitHubStandIn } from "../src/demo/github/stand-in.js";
import type { StandInRepo } from "../src/demo/github/model.js";
import { freePort } from "../test/support/net.js";
import { appEnv, appNode, ensureBuilt, startCommand } from "./app-memory.js";
import { DEFAULT_WORKERS } from "../src/config/server-env.js";
import { CpuCapGroup, throttledSince, type CgroupKind, type ThrottleStat } from "./load-cgroup.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROBE = fileURLToPath(new URL("./memory-probe.mjs", import.meta.url));
const STATEMENTS = fileURLToPath(new URL("./load-statements.mjs", import.meta.url));
const SECRET = "bench-webhook-secret-0123456789";

/**
 * The pull_request actions the events cycle through (LOAD_ACTIONS, comma-separated; default "synchronize,labeled",
 * the gate benchmark's mix, where a label delivered while its head's job waits is folded into it). "synchronize"
 * alone makes every event an evaluation of its own.
 */
const ACTIONS = (process.env["LOAD_ACTIONS"] ?? "synchronize,labeled").split(",").map((a) => a.trim()).filter(Boolean);

export interface DurableFixture {
  readonly repo: StandInRepo;
  readonly trustedRoot: unknown;
}

/** The PR gate benchmark's signed pull requests, made in a child process (bench/gate.ts --make-fixture). */
export function durableFixture(prs: number): DurableFixture {
  const out = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench/gate.ts"), "--make-fixture", String(prs)], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" });
  return JSON.parse(out) as DurableFixture;
}

export interface DurableRunOptions {
  readonly fixture: DurableFixture;
  /** PostgreSQL (any number of processes) or, without it, the embedded database (one process). */
  readonly databaseUrl?: string;
  /** Probot's shared throttling, as deployed with several processes. */
  readonly redisUrl?: string;
  readonly processes: number;
  readonly burstEvents: number;
  readonly pacedEvents: number;
  readonly workers?: number;
  readonly inFlight?: number;
  /** Events delivered (as a burst) and waited for before the measured burst, not counted: the JIT's warm-up. */
  readonly warmupEvents?: number;
  readonly env?: Record<string, string>;
  /** Node flags for the App's processes (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  /** A CPU budget per App process, in cores (cgroup CFS quota, bench/load-cgroup.ts): each process in a group of its own. */
  readonly cpuCap?: number;
}

export interface DurableRunResult {
  readonly eventsPerSecond: number;
  /** Delivery to concluded check, one event at a time (ms, sorted). */
  readonly pacedMs: number[];
  /** The paced events' timeline: p50 of each gap, from the delivery to the first request and between requests. */
  readonly pacedSteps: readonly { step: string; p50Ms: number; events: number }[];
  /** Over the burst, per event. */
  readonly appCpuMs: number;
  /** Over the warm-up burst, per event: a process in its first minutes (V8 still compiling), when there was one. */
  readonly coldCpuMs: number | undefined;
  /** Peak resident memory of an App process over the run (the kernel's high-water mark, largest process), bytes. */
  readonly appPeakRss: number | undefined;
  readonly dbCpuMs: number | undefined;
  readonly benchCpuMs: number;
  readonly githubRequests: number;
  /** Of those: answered 304 (free), REST counted against the rate limit, GraphQL queries, writes (per event). */
  readonly githubSplit: { free: number; rest: number; graphql: number; writes: number };
  /**
   * Rows written (inserted, updated, deleted) and kept, per event over the whole run, by schema, and bytes on disk that
   * the events after the warm-up added, per event, by part (PostgreSQL only).
   */
  readonly rows?: { written: Record<string, number>; kept: Record<string, number>; bytesKept: Record<string, number> };
  /**
   * SQL statements the App processes ran per event of the burst, by kind: sent through `pg` (PostgreSQL), or calls
   * into PGlite's backend (embedded; bench/load-statements.mjs).
   */
  readonly statements?: Record<string, number>;
  /** Embedded: the App thread's milliseconds in PGlite's backend per event of the burst, by kind. */
  readonly statementMs?: Record<string, number>;
  readonly notConcluded: number;
  /** Events of the whole run that ended superseded by a newer trigger of their head, or as duplicates (no write). */
  readonly superseded: number;
  /** Of the burst's events: the share folded into a waiting job of their head (app/fold.ts), no evaluation of their own. */
  readonly foldedShare: number;
  /** Deliveries GitHub would have given up on (no answer within 10 s), over the whole run. */
  readonly timedOut: number;
  /** The CPU budget of each App process (cores), when the run had one. */
  readonly cpuCap?: number;
  /** Then: the groups' throttling over the burst, summed over processes (bench/load-cgroup.ts). */
  readonly throttle?: ThrottleStat & { kind: CgroupKind };
}

interface Proc {
  child: ChildProcess;
  port: number;
  cpu(): Promise<number>;
  peakRss(): Promise<number | undefined>;
  statements(): Promise<StatementCounts>;
}

/** What bench/load-statements.mjs answers: statements by kind, and (embedded) their milliseconds by kind. */
interface StatementCounts {
  readonly counts: Record<string, number>;
  readonly ms: Record<string, number>;
}

export async function runDurable(opts: DurableRunOptions): Promise<DurableRunResult> {
  const { repo, trustedRoot } = opts.fixture;
  const prs = repo.pulls.length;
  const standIn = new GitHubStandIn([structuredClone(repo)]);
  standIn.keepWrites = false;
  // Each evaluation ends with one check-run write carrying a conclusion: then the App is done with the event.
  let concluded = 0;
  let lastConcludedAt = 0;
  const waiters: Array<() => void> = [];
  // When each request reached the stand-in (its arrival, before it is answered): the paced run's timeline.
  const arrivals: { at: number; what: string }[] = [];
  standIn.faults.push((req) => {
    arrivals.push({ at: performance.now(), what: requestKind(req.method, req.url, req.body) });
    const body = req.body as { conclusion?: unknown } | undefined;
    if (/\/check-runs(\/\d+)?$/.test(req.url) && typeof body?.conclusion === "string") {
      concluded++;
      lastConcludedAt = performance.now();
      for (const w of waiters.splice(0)) w();
    }
    return undefined;
  });
  // An event may also end without a conclusion of its own: superseded (a newer trigger of its head was written
  // first, as workers run at once) or a duplicate. The App counts those (agent_gate_evaluations_total); they are
  // read whenever nothing concluded for half a second, so they cost the measured burst nothing.
  let ended = 0;
  const foldedSoFar = async (): Promise<number> => {
    let n = 0;
    for (const p of procs) {
      const text = await fetch(`http://127.0.0.1:${p.port}/metrics`).then((r) => r.text(), () => "");
      for (const m of text.matchAll(/^agent_gate_deliveries_folded_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
    }
    return n;
  };
  const endedElsewhere = async (): Promise<number> => {
    let n = 0;
    for (const p of procs) {
      const text = await fetch(`http://127.0.0.1:${p.port}/metrics`).then((r) => r.text(), () => "");
      for (const m of text.matchAll(/^agent_gate_evaluations_total\{[^}]*outcome="(?:superseded|duplicate)"[^}]*\} (\d+)/gm)) n += Number(m[1]);
      // A delivery folded into a waiting job of its head (app/fold.ts: a label while that head's job waits) is
      // answered by that job's conclusion: it ended too.
      for (const m of text.matchAll(/^agent_gate_deliveries_folded_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
    }
    return n;
  };
  const concludedAtLeast = async (n: number, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (concluded + ended < n) {
      if (Date.now() > deadline) return false;
      const before = concluded;
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 500).unref();
      });
      if (concluded === before) ended = await endedElsewhere();
    }
    return true;
  };
  const api = await standIn.listen();
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-load-"));
  const rootFile = join(dir, "trusted_root.json");
  writeFileSync(rootFile, JSON.stringify(trustedRoot));
  const schema = `load_${randomBytes(4).toString("hex")}`;
  const appName = `agent-gate-${schema}`;
  const procs: Proc[] = [];
  const command = startCommand();
  ensureBuilt();
  const pg = opts.databaseUrl ? new (await import("pg")).default.Pool({ connectionString: opts.databaseUrl, max: 2 }) : undefined;
  const dbCpu = pg ? backendCpu(pg, appName) : undefined;
  const groups: CpuCapGroup[] = [];
  // A capped process does less per second: the waits for the warm-up and the burst grow with it.
  const slack = opts.cpuCap ? Math.max(1, 1 / opts.cpuCap) : 1;
  try {
    for (let i = 0; i < opts.processes; i++) {
      const port = await freePort();
      const env: Record<string, string> = {
        ...appEnv(command, port, SECRET),
        LOG_LEVEL: "warn",
        AGENT_GATE_GITHUB_API_URL: api,
        AGENT_GATE_TRUSTED_ROOT: rootFile,
        AGENT_GATE_WRITE_INTERVAL_MS: "0", // the App, not GitHub's write pacing
        AGENT_GATE_WORKERS: String(opts.workers ?? DEFAULT_WORKERS),
        AGENT_GATE_RECONCILE_SECONDS: "600",
        PGAPPNAME: appName, // its backends, for their CPU time
        MEMORY_PROBE_SAMPLE_MS: "0", // CPU time and memory at each question only: no sampling cost in the App's CPU
        AGENT_GATE_BENCH_STATEMENTS: join(dir, `statements-${i}.json`),
        ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl, AGENT_GATE_DB_SCHEMA: schema } : { AGENT_GATE_DATA_DIR: join(dir, "data") }),
        ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
        ...opts.env,
      };
      const group = opts.cpuCap === undefined ? undefined : CpuCapGroup.create(opts.cpuCap, i);
      if (group) groups.push(group);
      // As deployed: the build's dist/server.js with the start script's node flags (not tsx, whose source maps make
      // every Error's stack dearer), plus the benchmark's probes and any flags of the run's own.
      const child = spawn(appNode().path, [...command.nodeFlags, ...(opts.nodeArgs ?? []), "--import", PROBE, "--import", STATEMENTS, "dist/server.js"], { cwd: ROOT, env, stdio: ["ignore", process.env["LOAD_APP_LOG"] ? openSync(`${process.env["LOAD_APP_LOG"]}-${i}.log`, "w") : "ignore", "pipe", "ipc"] });
      if (group) {
        // Into its group right away, before it serves: every thread it has and starts later runs on the budget.
        try {
          group.add(child.pid!);
          if (!group.holds(child.pid!)) throw new Error(`the App process ${child.pid} is not in ${group.dir} (/proc/${child.pid}/cgroup)`);
        } catch (e) {
          child.kill("SIGKILL");
          await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once("exit", r)));
          throw e;
        }
      }
      let stderr = "";
      child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
      let next = 1;
      const asked = new Map<number, (m: { cpuMs?: number; hwm?: number }) => void>();
      const counted = new Map<number, (counts: StatementCounts) => void>();
      child.on("message", (m: { probe?: number; cpuMs?: number; hwm?: number; statements?: number; counts?: Record<string, number>; ms?: Record<string, number> }) => {
        if (m.probe !== undefined) asked.get(m.probe)?.(m);
        if (m.statements !== undefined) counted.get(m.statements)?.({ counts: m.counts ?? {}, ms: m.ms ?? {} });
      });
      const probe = (): Promise<{ cpuMs?: number; hwm?: number }> => new Promise((resolve) => {
        const id = next++;
        asked.set(id, resolve);
        child.send({ probe: id });
      });
      const cpu = async (): Promise<number> => (await probe()).cpuMs ?? 0;
      const peakRss = async (): Promise<number | undefined> => (await probe()).hwm;
      const statements = (): Promise<StatementCounts> => new Promise((resolve) => {
        const id = next++;
        counted.set(id, resolve);
        child.send({ statements: id });
      });
      procs.push({ child, port, cpu, peakRss, statements });
      for (let t = 0; ; t++) {
        if (child.exitCode !== null) throw new Error(`the App exited at start: ${stderr}`);
        if (await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false)) break;
        if (t > 1800) throw new Error(`the App did not start within 180 s: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // Start-up reconciliation evaluates every open pull request once; wait until GitHub hears nothing for a while.
    for (let seen = -1; seen !== standIn.requests.length; ) {
      seen = standIn.requests.length;
      await new Promise((r) => setTimeout(r, 1500));
    }
    let rr = 0;
    let timedOut = 0;
    const deliver = async (n: number, action: string, port = procs[rr++ % procs.length]!.port): Promise<void> => {
      const payload = { action, number: n, installation: { id: standIn.installationId }, repository: { id: repo.id, name: repo.name, full_name: `${repo.owner}/${repo.name}`, owner: { login: repo.owner } }, sender: { login: "claude[bot]", id: 209825114, type: "Bot" }, pull_request: standIn.pullPayload(repo.owner, repo.name, n) };
      const d = await standIn.deliver("pull_request", payload, { url: `http://127.0.0.1:${port}/api/github/webhooks`, secret: SECRET });
      // GitHub gives up on a delivery after 10 s (never retrying it by itself): counted, not fatal. The App may still
      // have stored it (it then concludes), or not (then reconciliation would redeliver it; here: not concluded).
      if (d.status_code === 0 && d.status === "timed out") timedOut++;
      else if (d.status_code < 200 || d.status_code >= 300) throw new Error(`delivery answered ${d.status_code} ${d.status}`);
    };
    const done = (): number => concluded + ended;
    // Each phase starts from a fresh count of the events that ended without a conclusion, so none of an earlier
    // phase's is counted for a later one (the count is otherwise read only when the run waits).
    ended = await endedElsewhere();
    let expected = done();
    // Warm-up: each process verifies each PR's bundles once (cached by digest afterwards).
    for (const p of procs) for (let n = 1; n <= prs; n++) {
      await deliver(n, "opened", p.port);
      await concludedAtLeast(++expected, 60_000);
    }
    // The JIT's warm-up: a burst like the measured one, not counted, so the figures are those of a process that has
    // run for a while (as deployed) rather than of its first minutes, while V8 still compiles the hot code (measured
    // on its own: `coldCpuMs`).
    const burst = async (events: number, from: number): Promise<void> => {
      let sent = 0;
      await Promise.all(Array.from({ length: opts.inFlight ?? 32 }, async () => {
        while (sent < events) {
          const i = from + sent++;
          await deliver((i % prs) + 1, ACTIONS[i % ACTIONS.length]!);
        }
      }));
    };
    const warmEvents = opts.warmupEvents ?? 0;
    let coldCpuMs: number | undefined;
    if (warmEvents > 0) {
      const c0 = await Promise.all(procs.map((p) => p.cpu()));
      await burst(warmEvents, 0);
      const warmed = await concludedAtLeast(expected + warmEvents, 120_000 * slack);
      const c1 = await Promise.all(procs.map((p) => p.cpu()));
      coldCpuMs = c1.reduce((a, c, i) => a + c - c0[i]!, 0) / Math.max(1, done() - expected);
      if (!warmed) throw new Error(`the warm-up's ${warmEvents} events did not all conclude within ${120 * slack} s (${done() - expected} did)`);
      await new Promise((r) => setTimeout(r, 500));
      ended = await endedElsewhere();
      expected = done();
    }
    // The burst.
    // Bytes kept per event are what the events after the warm-up added: a table's first pages, its indexes' roots and
    // the stored policy bundle (its wasm) are there once, whatever the number of events.
    const size0 = pg ? await sizes(pg, [schema, `${schema}_jobs`]) : undefined;
    const cpu0 = await Promise.all(procs.map((p) => p.cpu()));
    const sql0 = await Promise.all(procs.map((p) => p.statements()));
    const db0 = await dbCpu?.total();
    const bench0 = process.cpuUsage();
    const throttle0 = groups.map((g) => g.stat());
    const requests0 = standIn.requests.length;
    const folded0 = await foldedSoFar();
    const t0 = performance.now();
    await burst(opts.burstEvents, warmEvents);
    const ok = await concludedAtLeast(expected + opts.burstEvents, 120_000 * slack);
    const seconds = (lastConcludedAt - t0) / 1000;
    const throttle = throttledSince(throttle0, groups.map((g) => g.stat()));
    const notConcluded = ok ? 0 : expected + opts.burstEvents - done();
    // Per event concluded (past the burst's deadline, the rest are left out of the figures).
    const burstDone = Math.max(1, done() - expected);
    const folded = (await foldedSoFar()) - folded0;
    expected = done();
    const cpu1 = await Promise.all(procs.map((p) => p.cpu()));
    const sql1 = await Promise.all(procs.map((p) => p.statements()));
    // Per event of the burst, summed over the processes.
    const perEvent = (field: keyof StatementCounts): Record<string, number> => {
      const out: Record<string, number> = {};
      sql1.forEach((after, i) => {
        for (const [k, n] of Object.entries(after[field])) out[k] = (out[k] ?? 0) + (n - (sql0[i]![field][k] ?? 0)) / burstDone;
      });
      return out;
    };
    const statements = perEvent("counts");
    const statementMs = perEvent("ms");
    const db1 = await dbCpu?.total();
    const bench = process.cpuUsage(bench0);
    const burstRequests = standIn.requests.slice(requests0);
    const githubRequests = burstRequests.length / burstDone;
    const per = (f: (r: (typeof burstRequests)[number]) => boolean): number => burstRequests.filter(f).length / burstDone;
    const githubSplit = {
      free: per((r) => r.status === 304),
      rest: per((r) => r.status !== 304 && !r.path.startsWith("/graphql")),
      graphql: per((r) => r.path.startsWith("/graphql")),
      writes: per((r) => r.write),
    };
    // Low load: one event at a time.
    await new Promise((r) => setTimeout(r, 1000));
    const pacedMs: number[] = [];
    const steps = new Map<string, number[]>();
    for (let i = 0; i < opts.pacedEvents; i++) {
      const s = performance.now();
      const from = arrivals.length;
      await deliver((i % prs) + 1, ACTIONS[i % ACTIONS.length]!);
      await concludedAtLeast(++expected, 30_000);
      pacedMs.push(lastConcludedAt - s);
      // Each gap of the event's timeline, named by the request that ends it (the first: from the delivery).
      let prev = { at: s, what: "delivery" };
      for (const a of arrivals.slice(from)) {
        const key = `${prev.what} -> ${a.what}`;
        steps.set(key, [...(steps.get(key) ?? []), a.at - prev.at]);
        prev = a;
      }
      await new Promise((r) => setTimeout(r, 20)); // idle between events, as at low load
    }
    pacedMs.sort((a, b) => a - b);
    const pacedSteps = [...steps].filter(([, xs]) => xs.length >= opts.pacedEvents / 2).map(([step, xs]) => ({ step, p50Ms: xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!, events: xs.length }));
    const rss = (await Promise.all(procs.map((p) => p.peakRss()))).filter((x): x is number => x !== undefined);
    const allEvents = prs * procs.length + warmEvents + opts.burstEvents + opts.pacedEvents;
    await stopAll(procs);
    const rows = pg ? await rowsPerEvent(pg, [schema, `${schema}_jobs`], allEvents, { before: size0!, events: opts.burstEvents + opts.pacedEvents }) : undefined;
    return {
      eventsPerSecond: burstDone / seconds,
      pacedMs,
      pacedSteps,
      appCpuMs: cpu1.reduce((a, c, i) => a + c - cpu0[i]!, 0) / burstDone,
      coldCpuMs,
      appPeakRss: rss.length > 0 ? Math.max(...rss) : undefined,
      dbCpuMs: db0 !== undefined && db1 !== undefined ? (db1 - db0) / burstDone : undefined,
      benchCpuMs: (bench.user + bench.system) / 1000 / burstDone,
      githubRequests,
      githubSplit,
      ...(rows ? { rows } : {}),
      statements,
      ...(opts.databaseUrl ? {} : { statementMs }),
      notConcluded,
      superseded: ended,
      foldedShare: folded / burstDone,
      timedOut,
      ...(opts.cpuCap !== undefined && groups[0] ? { cpuCap: opts.cpuCap, throttle: { kind: groups[0].kind, ...throttle } } : {}),
    };
  } finally {
    await stopAll(procs);
    for (const g of groups) await g.remove();
    dbCpu?.stop();
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
    if (pg) {
      await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_jobs CASCADE`).catch(() => undefined);
      await pg.end();
    }
  }
}

async function stopAll(procs: Proc[]): Promise<void> {
  await Promise.all(procs.map(async (p) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    const exited = new Promise((r) => p.child.once("exit", r));
    p.child.kill("SIGTERM");
    const t = setTimeout(() => p.child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(t);
  }));
}


/**
 * CPU time (ms) of the PostgreSQL backends serving the App (by application_name), read from /proc every 100 ms
 * (a backend's last figure is kept after it exits). Undefined where /proc does not exist.
 */
function backendCpu(pg: Pool, appName: string): { total(): Promise<number | undefined>; stop(): void } {
  const ticks = new Map<number, number>();
  const hz = 100; // USER_HZ on Linux
  const sample = async (): Promise<void> => {
    const r = await pg.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [appName]).catch(() => ({ rows: [] }));
    for (const { pid } of r.rows) {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        ticks.set(pid, Number(f[11]) + Number(f[12]));
      } catch {
        // exited since
      }
    }
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void sample().finally(() => (busy = false));
  }, 100);
  let proc = true;
  try {
    readFileSync("/proc/self/stat");
  } catch {
    proc = false;
  }
  return {
    total: async () => {
      if (!proc) return undefined;
      await sample();
      return ([...ticks.values()].reduce((a, b) => a + b, 0) * 1000) / hz;
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * Which part of the database a table is, by what prunes it: the job queue (pg-boss deletes completed jobs after 7
 * days), gate state (deliveries, check runs and evaluations, pruned after AGENT_GATE_STATE_RETENTION_DAYS), the audit
 * log (records, their indexes, policy data: never pruned), or other (schema versions, sweeps: no growth per event).
 */
export function partOf(key: string): "queue" | "gate state" | "audit log" | "other" {
  const [schema, table = ""] = key.split(".");
  if (schema === "queue") return "queue";
  if (/^(gate_|intake_)/.test(table)) return "gate state";
  if (/^(audit_|policy_)/.test(table)) return "audit log";
  return "other";
}

/** Row writes and rows kept per event in each schema, read after the App's backends ended (their statistics flushed). */
async function rowsPerEvent(pg: Pool, schemas: string[], events: number, since: { before: Record<string, number>; events: number }): Promise<{ written: Record<string, number>; kept: Record<string, number>; bytesKept: Record<string, number> }> {
  await new Promise((r) => setTimeout(r, 1500));
  const written: Record<string, number> = {};
  const kept: Record<string, number> = {};
  const bytes: Record<string, number> = {};
  const r = await pg.query<{ schemaname: string; relname: string; w: string; live: string; bytes: string }>(
    "SELECT schemaname, relname, (n_tup_ins + n_tup_upd + n_tup_del)::text AS w, n_live_tup::text AS live, pg_total_relation_size(relid)::text AS bytes FROM pg_stat_user_tables WHERE schemaname = ANY($1)",
    [schemas],
  );
  for (const row of r.rows) {
    const key = `${row.schemaname.endsWith("_jobs") ? "queue" : "gate"}.${row.relname}`;
    if (Number(row.w) > 0) written[key] = Number(row.w) / events;
    if (Number(row.live) > 0) kept[key] = Number(row.live) / events;
  }
  for (const [part, n] of Object.entries(await sizes(pg, schemas))) bytes[part] = (n - (since.before[part] ?? 0)) / since.events;
  return { written, kept, bytesKept: bytes };
}

/** Bytes on disk of each part of the database (partOf), indexes and TOAST included. */
async function sizes(pg: Pool, schemas: string[]): Promise<Record<string, number>> {
  const r = await pg.query<{ schemaname: string; relname: string; bytes: string }>(
    "SELECT schemaname, relname, pg_total_relation_size(relid)::text AS bytes FROM pg_stat_user_tables WHERE schemaname = ANY($1)",
    [schemas],
  );
  const out: Record<string, number> = {};
  for (const row of r.rows) {
    const part = partOf(`${row.schemaname.endsWith("_jobs") ? "queue" : "gate"}.${row.relname}`);
    out[part] = (out[part] ?? 0) + Number(row.bytes);
  }
  return out;
}

/** A request as the timeline names it: the GraphQL query, a write (check run created or completed), or its route. */
function requestKind(method: string, url: string, body: unknown): string {
  const path = (url.split("?")[0] ?? url).replace(/\/repos\/[^/]+\/[^/]+/, "/repos/:repo").replace(/\/\d+(?=\/|$)/g, "/:n").replace(/\/[0-9a-f]{40}(?=\/|$)/g, "/:sha");
  if (path === "/graphql") return "GraphQL query";
  const conclusion = (body as { conclusion?: unknown } | undefined)?.conclusion;
  if (/\/check-runs/.test(path) && method !== "GET") return typeof conclusion === "string" ? "check run concluded" : "check run in progress";
  return `${method} ${path}`;
}
