// `npm run bench -- capacity`: what the figures measured by `npm run bench -- load` (bench/results/load.json, or
// LOAD_RESULTS) mean for an organisation: App processes, PostgreSQL cores and size per year, and GitHub's rate limits
// per installation. Every input is a measured figure of that file or a knob below; the rules it applies are GitHub's
// documented limits (docs/capacity.md, "For an organisation").
// Knobs: CAPACITY_REPOS (10,000), CAPACITY_EVENTS_PER_DAY (100,000), CAPACITY_PEAK (10: the peak hour's rate as a
// multiple of the day's average), CAPACITY_INSTALLATIONS (1: the repositories spread evenly over this many),
// CAPACITY_STATE_DAYS (30: AGENT_GATE_STATE_RETENTION_DAYS), CAPACITY_BUSY (0.7: the share of a core an App process
// is planned to use).
import { readFileSync } from "node:fs";
import type { Row } from "./table.js";
import { printTable } from "./table.js";
import { LOAD_RESULTS } from "./load.js";

interface SavedRun {
  name: string;
  processes: number;
  load: number;
  eventsPerSecond: number;
  appCpuMs: number;
  dbCpuMs?: number;
  appPeakRss?: number;
  githubSplit: { free: number; rest: number; graphql: number; writes: number };
  rows?: { bytesKept: Record<string, number> };
  p50Ms?: number;
}

interface Saved {
  measuredAt: string;
  cores: number;
  runs: SavedRun[];
  defaultPacing?: { eventsPerSecond: number; p50Ms?: number };
}

/** GitHub's primary limit of an installation (REST requests, and separately GraphQL points, per hour). */
export function installationLimit(repos: number, users = 0): number {
  return Math.min(12_500, 5_000 + 50 * Math.max(0, repos - 20) + 50 * Math.max(0, users - 20));
}

/** pg-boss deletes completed jobs after this many days (its default, which the App keeps). */
const QUEUE_DAYS = 7;

export function benchCapacity(): Promise<Row[]> {
  const file = process.env.LOAD_RESULTS ?? LOAD_RESULTS;
  let saved: Saved;
  try {
    saved = JSON.parse(readFileSync(file, "utf8")) as Saved;
  } catch (err) {
    throw new Error(`expected the figures of \`npm run bench -- load\` in ${file} (LOAD_RESULTS): ${(err as Error).message}`);
  }
  const knob = (name: string, fallback: number): number => {
    const v = Number(process.env[name] ?? fallback);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}: expected a positive number, got ${process.env[name]}`);
    return v;
  };
  const repos = knob("CAPACITY_REPOS", 10_000);
  const perDay = knob("CAPACITY_EVENTS_PER_DAY", 100_000);
  const peak = knob("CAPACITY_PEAK", 10);
  const installations = knob("CAPACITY_INSTALLATIONS", 1);
  const stateDays = knob("CAPACITY_STATE_DAYS", 30);
  const busy = knob("CAPACITY_BUSY", 0.7);
  const pg = saved.runs.find((r) => r.name.startsWith("PostgreSQL") && r.processes === 1);
  if (!pg?.rows) throw new Error(`${file} has no PostgreSQL run of one process; run \`LOAD_DATABASES=postgres npm run bench -- load\``);
  const bytes = pg.rows.bytesKept;
  const avg = perDay / 86_400;
  const top = avg * peak;
  const processes = (rate: number): number => Math.max(2, Math.ceil((rate * pg.appCpuMs) / 1000 / busy) + 1);
  const gb = (b: number): string => (b / 1e9).toFixed(1);
  const f = (n: number, d = 1): string => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  const auditYear = (bytes["audit log"] ?? 0) * perDay * 365;
  const stateKept = (bytes["gate state"] ?? 0) * perDay * stateDays;
  const queueKept = (bytes.queue ?? 0) * perDay * QUEUE_DAYS;
  const limit = installationLimit(Math.ceil(repos / installations));
  const perInstallation = { avg: (avg * 3600) / installations, top: (top * 3600) / installations };
  const { rest, graphql, writes } = pg.githubSplit;
  const paced = saved.defaultPacing?.eventsPerSecond;
  const rows: Row[] = [
    { figure: "measured (npm run bench -- load)", value: `${saved.measuredAt.slice(0, 16)}Z, ${saved.cores} cores, load average ${f(pg.load)}`, from: file.replace(/.*\/bench\//, "bench/") },
    { figure: "  App CPU ms/event (PostgreSQL, 1 process)", value: f(pg.appCpuMs), from: "measured" },
    { figure: "  PostgreSQL CPU ms/event", value: pg.dbCpuMs === undefined ? "" : f(pg.dbCpuMs), from: "measured" },
    { figure: "  App peak resident memory per process, MB", value: pg.appPeakRss === undefined ? "" : f(pg.appPeakRss / 2 ** 20, 0), from: "measured" },
    { figure: "  bytes kept/event: audit log, gate state, job queue", value: `${f(bytes["audit log"] ?? 0, 0)}, ${f(bytes["gate state"] ?? 0, 0)}, ${f(bytes.queue ?? 0, 0)}`, from: "measured (indexes included)" },
    { figure: "  GitHub per event: REST counted, GraphQL, writes", value: `${f(rest, 2)}, ${f(graphql, 2)}, ${f(writes, 2)}`, from: "measured (304s are free)" },
    { figure: "  events/s of one installation, writes paced 1 s apart", value: paced === undefined ? "" : f(paced, 2), from: "measured" },
    { figure: `organisation: ${f(repos, 0)} repositories, ${f(perDay, 0)} PR events/day, ${installations} installation(s)`, value: "", from: "knobs" },
    { figure: "  events/s: average, peak hour", value: `${f(avg, 2)}, ${f(top, 1)}`, from: `peak = ${peak}x average` },
    { figure: "  App processes: average, peak (one core each)", value: `${processes(avg)}, ${processes(top)}`, from: `CPU/event x rate / ${busy} busy, +1 spare, at least 2` },
    { figure: "  App memory: average, peak, GB", value: pg.appPeakRss === undefined ? "" : `${gb(processes(avg) * pg.appPeakRss)}, ${gb(processes(top) * pg.appPeakRss)}`, from: "processes x peak resident" },
    { figure: "  PostgreSQL cores busy: average, peak", value: pg.dbCpuMs === undefined ? "" : `${f((avg * pg.dbCpuMs) / 1000, 2)}, ${f((top * pg.dbCpuMs) / 1000, 2)}`, from: "its CPU/event x rate" },
    { figure: "  PostgreSQL GB after one year (audit + gate state + queue)", value: `${gb(auditYear + stateKept + queueKept)} (${gb(auditYear)} + ${gb(stateKept)} + ${gb(queueKept)})`, from: `audit never pruned; state ${stateDays} days; queue ${QUEUE_DAYS} days` },
    { figure: "  PostgreSQL GB added each further year", value: gb(auditYear), from: "the audit log" },
    { figure: "  rate limit of an installation, per hour (REST; GraphQL points the same)", value: f(limit, 0), from: "5,000 + 50 per repository over 20, at most 12,500" },
    { figure: "  REST requests/hour per installation: average, peak", value: `${f(perInstallation.avg * rest, 0)}, ${f(perInstallation.top * rest, 0)}`, from: "events/hour x REST counted/event" },
    { figure: "  REST headroom per installation: average, peak", value: `${f(limit - perInstallation.avg * rest, 0)}, ${f(limit - perInstallation.top * rest, 0)}`, from: "negative: over the limit" },
    { figure: "  GraphQL points/hour per installation: average, peak (1 point a query)", value: `${f(perInstallation.avg * graphql, 0)}, ${f(perInstallation.top * graphql, 0)}`, from: "events/hour x queries/event" },
    { figure: "  events/hour one installation's REST limit serves", value: rest > 0 ? f(limit / rest, 0) : "", from: "limit / REST counted/event" },
    { figure: "  events/hour one installation gets with writes paced 1 s apart", value: paced === undefined ? "" : f(paced * 3600, 0), from: "measured, x 3,600" },
    { figure: "  events/hour needed per installation: average, peak", value: `${f(perInstallation.avg, 0)}, ${f(perInstallation.top, 0)}`, from: "" },
    { figure: "  installations needed at peak: REST limit, write pacing", value: `${rest > 0 ? Math.ceil((top * 3600 * rest) / 12_500) : ""}, ${paced ? Math.ceil(top / paced) : ""}`, from: "at 12,500/hour each; at the measured paced rate each" },
  ];
  printTable(`Capacity for an organisation, from ${file.replace(/.*\/bench\//, "bench/")}`, rows);
  return Promise.resolve([]);
}
