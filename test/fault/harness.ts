// The fault-injection harness: a GitHub stand-in on loopback (every request and response validated against
// GitHub's REST description) injecting 5xx, latency, timeouts, rate limits and dropped deliveries, while App
// processes (`src/server.ts`, PostgreSQL, Redis) are killed with SIGKILL mid-evaluation and restarted. Each pull
// request's steps run in order (the next after the App has settled the last); pull requests run concurrently.
// The result compares every head commit's check with a run without faults.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import pg from "pg";
import { GitHubStandIn, type StandInRequest } from "../../src/demo/github/stand-in.js";
import { FaultInjector, mulberry32 } from "../../src/demo/github/faults.js";
import { RestDescription } from "../support/openapi.js";
import { requestProblems, responseProblems } from "../support/exchange.js";
import { INSTALLATION_ID, makeWorkload, payloadFor, type Workload } from "./workload.js";
import { freePort } from "../support/net.js";

export interface HarnessOptions {
  readonly prs: number;
  readonly eventsPerPr: number;
  readonly seed: number;
  readonly processes: number;
  readonly faults: boolean;
  readonly kills: boolean;
  readonly databaseUrl: string;
  readonly redisUrl?: string;
  /** Drop this share of first deliveries (GitHub could not reach the App). */
  readonly dropRate?: number;
  readonly log?: (line: string) => void;
  /** Give up waiting for one step after this long. */
  readonly stepTimeoutMs?: number;
  /**
   * true (default): each pull request's next step waits until the App settled the last (deterministic outcomes).
   * false: every step is delivered at once (the load run); latency is delivery to recorded evaluation.
   */
  readonly gated?: boolean;
  /** Evaluations each App process runs at once. */
  readonly workers?: number;
  /** Seconds between reconciliation runs (default 4: the harness relies on them for dropped deliveries). */
  readonly reconcileSeconds?: number;
  /** Validate every exchange against the REST description (default true; the load run measures the App only). */
  readonly validate?: boolean;
}

export interface HeadOutcome {
  readonly repo: string;
  readonly sha: string;
  readonly checks: number;
  readonly status: string | undefined;
  readonly conclusion: string | undefined;
  readonly title: string | undefined;
}

export interface HarnessResult {
  readonly events: number;
  readonly prs: number;
  readonly heads: HeadOutcome[];
  readonly faultCounts: Record<string, number>;
  readonly droppedDeliveries: number;
  readonly redeliveries: number;
  readonly kills: number;
  readonly restarts: number;
  readonly stepTimeouts: number;
  readonly restProblems: string[];
  readonly githubRequests: number;
  readonly durationMs: number;
  /** From the first delivery until every event settled. */
  readonly busyMs: number;
  readonly settleMs: number[];
  /** The evaluate queue at the end: jobs, attempts over all of them, the most attempts of one, and reconciliation's jobs. */
  readonly queue: { jobs: number; attempts: number; maxAttempts: number; sweeps: number };
}

const SECRET = "fault-harness-webhook-secret";

/** The stand-in on loopback, validating each exchange against the REST description (GraphQL: its schema). */
async function serveValidated(standIn: GitHubStandIn, description: RestDescription | undefined, problems: string[]): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        const body = text ? (JSON.parse(text) as unknown) : undefined;
        const sreq: StandInRequest = { method: req.method ?? "GET", url: req.url ?? "/", headers, body };
        const path = (req.url ?? "/").split("?")[0]!;
        if (description && !path.startsWith("/_")) problems.push(...requestProblems(sreq.method, sreq.url, body));
        const abort = new AbortController();
        res.on("close", () => abort.abort());
        const result = await standIn.handle(sreq, abort.signal);
        if (result === "drop") {
          req.socket.destroy();
          return;
        }
        if (description && result.status < 300 && result.status !== 204 && !path.startsWith("/_") && !(result.body instanceof Uint8Array)) {
          problems.push(...responseProblems(sreq.method, path, body, result.status, result.body));
        }
        if (res.destroyed) return;
        res.writeHead(result.status, result.headers);
        res.end(result.body === undefined ? undefined : result.body instanceof Uint8Array ? result.body : JSON.stringify(result.body));
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  standIn.linkBase = url; // pagination links point here, not at GitHub
  return { url, server };
}

/** A round-robin load balancer in front of the App processes; a dead backend answers 502, as a real one would. */
async function balancer(backends: () => number[]): Promise<{ url: string; server: Server }> {
  let next = 0;
  const server = createServer((req, res) => {
    const ports = backends();
    if (ports.length === 0) {
      req.resume();
      res.writeHead(502).end("no App process is up");
      return;
    }
    const port = ports[next++ % ports.length]!;
    const up = httpRequest({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end("the App process did not answer");
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}


interface AppProcess {
  port: number;
  child: ChildProcess | undefined;
  up: boolean;
}

export async function runHarness(opts: HarnessOptions): Promise<HarnessResult> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const workload: Workload = makeWorkload({ prs: opts.prs, eventsPerPr: opts.eventsPerPr, seed: opts.seed });
  const standIn = new GitHubStandIn(workload.repos, { installationId: INSTALLATION_ID });
  standIn.keepWrites = false;
  const problems: string[] = [];
  const gh = await serveValidated(standIn, opts.validate === false ? undefined : RestDescription.load(), problems);
  const injector = new FaultInjector({
    seed: opts.seed,
    rates: { serverError: 0.04, latency: 0.05, timeout: 0.01, drop: 0.01, primaryRateLimit: 0.01, secondaryRateLimit: 0.01 },
    latencyMs: [20, 200],
    timeoutMs: 4000,
    retryAfterSeconds: [1, 2],
    resetInSeconds: [1, 2],
    installationId: INSTALLATION_ID,
  });
  if (opts.faults) standIn.faults.push(injector.fault);

  const schema = `fh_${randomBytes(4).toString("hex")}`;
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const procs: AppProcess[] = [];
  for (let i = 0; i < opts.processes; i++) procs.push({ port: await freePort(), child: undefined, up: false });
  const env: Record<string, string | undefined> = {
    ...process.env,
    APP_ID: "1",
    PRIVATE_KEY: key,
    WEBHOOK_SECRET: SECRET,
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.HARNESS_LOG_LEVEL ?? "silent",
    DATABASE_URL: opts.databaseUrl,
    AGENT_GATE_DB_SCHEMA: schema,
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
    AGENT_GATE_GITHUB_API_URL: gh.url,
    AGENT_GATE_WORKERS: String(opts.workers ?? 4),
    AGENT_GATE_RECONCILE_SECONDS: String(opts.reconcileSeconds ?? 4),
    AGENT_GATE_RECONCILE_BUDGET: "2000",
    // Long enough for an evaluation on a loaded machine: its attempt deadline is three quarters of it (22 s), and an
    // attempt cut off there is work thrown away. Jobs of a killed process are taken up again after it.
    AGENT_GATE_JOB_EXPIRE_SECONDS: "30",
    AGENT_GATE_JOB_RETRY_LIMIT: "100",
    AGENT_GATE_JOB_RETRY_DELAY_SECONDS: "1",
    // Retries wait at most this long: a step whose job keeps failing is still retried within the step's timeout.
    AGENT_GATE_JOB_RETRY_DELAY_MAX_SECONDS: "4",
    AGENT_GATE_QUEUE_MAINTENANCE_SECONDS: "2",
    AGENT_GATE_GITHUB_TIMEOUT_MS: "2000",
    AGENT_GATE_GITHUB_RETRIES: "2",
    AGENT_GATE_GITHUB_MAX_RETRY_AFTER_SECONDS: "3",
    AGENT_GATE_WRITE_INTERVAL_MS: "0",
  };
  let restarts = 0;
  const startProc = async (p: AppProcess): Promise<void> => {
    const child = spawn(process.execPath, [...(process.env.HARNESS_NODE_ARGS?.split(" ").filter(Boolean) ?? []), "--import", "tsx", "src/server.ts"], { env: { ...env, PORT: String(p.port) }, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr?.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    p.child = child;
    child.on("exit", () => {
      p.up = false;
      if (p.child === child) p.child = undefined;
    });
    // Up once the port answers.
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`App process exited at start: ${err}`);
      const ok = await fetch(`http://127.0.0.1:${p.port}/ping`).then((r) => r.ok, () => false);
      if (ok) {
        p.up = true;
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`App process did not start: ${err}`);
  };
  for (const p of procs) await startProc(p);
  const lb = await balancer(() => procs.filter((p) => p.up).map((p) => p.port));
  const db = new pg.Pool({ connectionString: opts.databaseUrl, max: 4 });

  let kills = 0;
  let stopChaos = false;
  const chaos = (async () => {
    if (!opts.kills) return;
    const rnd = mulberry32(opts.seed ^ 0x5eed);
    while (!stopChaos) {
      await new Promise((r) => setTimeout(r, 2500 + rnd() * 2500));
      if (stopChaos) break;
      const p = procs[Math.floor(rnd() * procs.length)]!;
      if (!p.child) continue;
      p.up = false;
      p.child.kill("SIGKILL");
      kills++;
      await new Promise((r) => setTimeout(r, 500 + rnd() * 1000));
      await startProc(p);
      restarts++;
    }
  })();

  const dropRnd = mulberry32(opts.seed ^ 0xd209);
  const deliveriesStarted = Date.now();
  const requestsBefore = standIn.requests.length;
  let dropped = 0;
  let stepTimeouts = 0;
  const settleMs: number[] = [];
  const stepTimeout = opts.stepTimeoutMs ?? 120_000;
  const settled = async (guid: string): Promise<boolean> => {
    const r = await db.query(`SELECT 1 FROM ${schema}.gate_evaluations WHERE delivery_id = $1 AND NOT transient LIMIT 1`, [guid]).catch(() => ({ rows: [] }));
    return r.rows.length > 0;
  };
  let done = 0;
  const gated = opts.gated ?? true;
  const sentAt = new Map<string, number>();
  await Promise.all(
    workload.pulls.map(async (plan) => {
      const repo = standIn.repo(plan.owner, plan.repo)!;
      const pull = standIn.pull(plan.owner, plan.repo, plan.number)!;
      for (const step of plan.steps) {
        step.mutate?.(pull);
        const payload = payloadFor(step.event, repo, standIn.pullPayload(plan.owner, plan.repo, plan.number), pull);
        const drop = opts.faults && dropRnd() < (opts.dropRate ?? 0.03);
        if (drop) dropped++;
        const t0 = Date.now();
        const attempt = await standIn.deliver(step.event.split(".")[0]!, payload, { url: `${lb.url}/api/github/webhooks`, secret: SECRET, drop });
        sentAt.set(attempt.guid, t0);
        if (!gated) continue;
        for (;;) {
          if (await settled(attempt.guid)) break;
          if (Date.now() - t0 > stepTimeout) {
            stepTimeouts++;
            log(`step ${step.event} of ${plan.owner}/${plan.repo}#${plan.number} did not settle in ${stepTimeout} ms`);
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        settleMs.push(Date.now() - t0);
        if (++done % 100 === 0) log(`${done}/${workload.events} events settled (${Math.round((Date.now() - started) / 1000)} s, ${kills} kills)`);
      }
    }),
  );
  if (!gated) {
    // Delivery to recorded evaluation, read from the database once everything settled.
    const deadline = Date.now() + stepTimeout;
    for (;;) {
      const r = await db.query<{ delivery_id: string; at: string }>(`SELECT delivery_id, (extract(epoch FROM completed_at) * 1000)::bigint AS at FROM ${schema}.gate_evaluations WHERE NOT transient AND delivery_id = ANY($1::text[])`, [[...sentAt.keys()]]);
      if (r.rows.length >= sentAt.size || Date.now() > deadline) {
        for (const row of r.rows) settleMs.push(Number(row.at) - sentAt.get(row.delivery_id)!);
        stepTimeouts += sentAt.size - r.rows.length;
        break;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  const busyUntil = Date.now();
  stopChaos = true;
  await chaos;
  standIn.faults.length = 0;
  // Quiescence: no job left, and every pull request head completed.
  for (let i = 0; i < 600; i++) {
    const q = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}_jobs.job WHERE state < 'completed' AND name = 'evaluate'`).catch(() => ({ rows: [{ n: 1 }] }));
    if (Number(q.rows[0]?.n) === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await standIn.idle();
  const heads = new Map<string, HeadOutcome>();
  for (const plan of workload.pulls) {
    const pull = standIn.pull(plan.owner, plan.repo, plan.number)!;
    for (const c of pull.commits) {
      const runs = standIn.checkRuns.filter((r) => r.owner === plan.owner && r.repo === plan.repo && r.head_sha === c.sha && r.name === "agent-gate");
      const last = runs.at(-1);
      heads.set(`${plan.owner}/${plan.repo}@${c.sha}`, { repo: `${plan.owner}/${plan.repo}`, sha: c.sha, checks: runs.length, status: last?.status, conclusion: last?.conclusion ?? undefined, title: last?.output.title ?? undefined });
    }
  }
  const redeliveries = standIn.hookDeliveries.filter((d) => d.redelivery).length;
  // A job's retry_count counts its attempts after the first (failed, expired or left by a stop).
  const q = await db.query<{ jobs: number; attempts: number; max: number; sweeps: number }>(
    `SELECT count(*)::int AS jobs, coalesce(sum(retry_count + 1), 0)::int AS attempts, coalesce(max(retry_count + 1), 0)::int AS max, (count(*) FILTER (WHERE data->>'deliveryId' IS NULL))::int AS sweeps FROM ${schema}_jobs.job WHERE name = 'evaluate'`,
  );
  const queue = { jobs: Number(q.rows[0]?.jobs ?? 0), attempts: Number(q.rows[0]?.attempts ?? 0), maxAttempts: Number(q.rows[0]?.max ?? 0), sweeps: Number(q.rows[0]?.sweeps ?? 0) };
  for (const p of procs) p.child?.kill("SIGTERM");
  await Promise.all(procs.map((p) => (p.child ? new Promise((r) => p.child!.once("exit", r)) : Promise.resolve())));
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_jobs CASCADE`);
  await db.end();
  await new Promise<void>((resolve) => lb.server.close(() => resolve()));
  lb.server.closeAllConnections();
  gh.server.closeAllConnections();
  await new Promise<void>((resolve) => gh.server.close(() => resolve()));
  return {
    events: workload.events,
    prs: workload.pulls.length,
    heads: [...heads.values()],
    faultCounts: { ...injector.counts },
    droppedDeliveries: dropped,
    redeliveries,
    kills,
    restarts,
    stepTimeouts,
    restProblems: [...new Set(problems)],
    githubRequests: standIn.requests.length - requestsBefore,
    durationMs: Date.now() - started,
    busyMs: busyUntil - deliveriesStarted,
    settleMs,
    queue,
  };
}

export interface Comparison {
  readonly heads: number;
  readonly exactlyOneCompleted: number;
  readonly duplicates: number;
  readonly missingOrIncomplete: number;
  readonly sameConclusion: number;
  readonly differentConclusion: string[];
  readonly falseSuccesses: number;
}

/** Faulted run against the run without faults, head commit by head commit. */
export function compare(baseline: HarnessResult, faulted: HarnessResult): Comparison {
  const base = new Map(baseline.heads.map((h) => [`${h.repo}@${h.sha}`, h]));
  let exactlyOne = 0;
  let duplicates = 0;
  let missing = 0;
  let same = 0;
  let falseSuccesses = 0;
  const different: string[] = [];
  for (const h of faulted.heads) {
    if (h.checks > 1) duplicates++;
    if (h.checks === 1 && h.status === "completed") exactlyOne++;
    if (h.checks === 0 || h.status !== "completed") missing++;
    const b = base.get(`${h.repo}@${h.sha}`);
    if (b && b.conclusion === h.conclusion) same++;
    else different.push(`${h.repo}@${h.sha.slice(0, 7)}: ${b?.conclusion} (${b?.title}) vs ${h.conclusion} (${h.title})`);
    if (h.conclusion === "success" && b?.conclusion !== "success") falseSuccesses++;
  }
  return { heads: faulted.heads.length, exactlyOneCompleted: exactlyOne, duplicates, missingOrIncomplete: missing, sameConclusion: same, differentConclusion: different, falseSuccesses };
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
}
