// The App's memory, measured the way it is deployed: `npm start`'s command (compiled JavaScript from dist/, no
// TypeScript loader, the start script's node flags and environment) in a process of its own, against the GitHub
// stand-in served on loopback by this process, with webhooks delivered over HTTP and signed as GitHub signs them.
// bench/memory-probe.mjs, preloaded into the App's process, samples process.memoryUsage() and answers over IPC, so
// the figures are the App's alone: neither the stand-in, the fixture signing nor the benchmark's own heap count.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GitHubStandIn } from "../src/demo/github/stand-in.js";
import type { StandInRepo } from "../src/demo/github/model.js";
import { freePort } from "../test/support/net.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROBE = fileURLToPath(new URL("./memory-probe.mjs", import.meta.url));
const SECRET = "bench-webhook-secret-0123456789";

export interface MemoryFigures {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
interface ProbeAnswer {
  now: MemoryFigures;
  peak: MemoryFigures;
  hwm: number | undefined;
  cpuMs: number;
  gcMs: number;
  gc: boolean;
}

export interface AppMemoryOptions {
  readonly repo: StandInRepo;
  readonly trustedRoot: unknown;
  readonly events: number;
  /** PostgreSQL for the durable intake; default: the embedded database (PGlite), as `npm start` without DATABASE_URL. */
  readonly databaseUrl?: string;
  /** Node flags and environment for the App's process; default: those of package.json's `start` script. */
  readonly command?: StartCommand;
  /** Samples taken during the run (besides warm-up and the end). */
  readonly samples?: number;
}

export interface AppMemoryResult {
  readonly command: string;
  readonly afterStart: ProbeAnswer;
  readonly afterWarmUp: ProbeAnswer;
  readonly during: ProbeAnswer[];
  /** After the last event, once the App is idle (no forced GC: what the process holds). */
  readonly final: ProbeAnswer;
  /** After a forced full GC: what is retained. */
  readonly retained: ProbeAnswer;
  /** Conclusions of the measured events' check runs. */
  readonly conclusions: Record<string, number>;
  readonly githubRequestsPerEvent: number;
  /** Per event, from the delivery to the check run's conclusion (ms), sorted. */
  readonly latenciesMs: number[];
  /** The App's CPU time per measured event (ms). */
  readonly cpuMsPerEvent: number;
  /** Of which garbage collection (ms; pauses, on the main thread). */
  readonly gcMsPerEvent: number;
  readonly eventsPerSecond: number;
}

export interface StartCommand {
  readonly env: Record<string, string>;
  readonly nodeFlags: string[];
  readonly script: string;
}

/** package.json's `start` script (or another command of that form), as `[NAME=value ...] node [--flag ...] dist/server.js`. */
/** The environment of an App process as `npm start` runs it: the start script's variables, a fresh App key, loopback. */
export function appEnv(command: StartCommand, port: number, secret: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    ...command.env,
    NODE_ENV: "production",
    APP_ID: "1",
    PRIVATE_KEY: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    WEBHOOK_SECRET: secret,
    HOST: "127.0.0.1",
    PORT: String(port),
  };
}

export function startCommand(script: string = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["start"]!): StartCommand {
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split("=");
    env[name!] = value.join("=");
  }
  if (words.shift() !== "node" || words.at(-1) !== "dist/server.js" || words.slice(0, -1).some((w) => !w.startsWith("--")))
    throw new Error(`the start script is not of the form "[NAME=value ...] node [--flag ...] dist/server.js": ${script}`);
  return { env, nodeFlags: words.slice(0, -1), script };
}

let appNodeFound: { path: string; version: string } | undefined;
/**
 * The Node the App's processes run on (this benchmark's and the load benchmark's): this process's own, or the
 * binary at LOAD_APP_NODE, to compare Node lines with everything else equal; e.g.
 * `LOAD_APP_NODE=$(npx -y -p node@$(cat .ci/node-version) node -p process.execPath) npm run bench -- load`.
 */
export function appNode(): { path: string; version: string } {
  if (appNodeFound) return appNodeFound;
  const path = process.env["LOAD_APP_NODE"] || process.execPath;
  let version = process.version;
  if (path !== process.execPath) {
    try {
      version = execFileSync(path, ["--version"], { encoding: "utf8", timeout: 30_000 }).trim();
    } catch (err) {
      throw new Error(`LOAD_APP_NODE: ${path} did not run as \`node --version\`; expected the path of a node binary (${(err as Error).message})`);
    }
    if (!/^v\d+\.\d+\.\d+/.test(version)) throw new Error(`LOAD_APP_NODE: ${path} printed "${version.slice(0, 80)}" for --version; expected a node binary (vX.Y.Z)`);
  }
  return (appNodeFound = { path, version });
}

/** Compiles src/ to dist/ (`npm run build`) when any source is newer than the build. */
export function ensureBuilt(): void {
  const newest = (dir: string, ext: string): number => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) t = Math.max(t, newest(p, ext));
      else if (e.name.endsWith(ext)) t = Math.max(t, statSync(p).mtimeMs);
    }
    return t;
  };
  let built = 0;
  try {
    built = statSync(join(ROOT, "dist/server.js")).mtimeMs;
  } catch {
    built = 0;
  }
  if (built >= newest(join(ROOT, "src"), ".ts")) return;
  console.log("(dist/ is older than src/: running npm run build)");
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
}


class Probe {
  private next = 1;
  private readonly waiting = new Map<number, (a: ProbeAnswer) => void>();
  constructor(private readonly child: ChildProcess) {
    child.on("message", (m: { probe?: number } & ProbeAnswer) => {
      const w = m.probe === undefined ? undefined : this.waiting.get(m.probe);
      if (w && m.probe !== undefined) {
        this.waiting.delete(m.probe);
        w(m);
      }
    });
  }
  ask(options: { gc?: boolean; resetPeak?: boolean } = {}): Promise<ProbeAnswer> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, resolve);
      if (!this.child.send({ probe: id, ...options })) reject(new Error("the App's process does not take messages"));
    });
  }
}

export async function measureAppMemory(opts: AppMemoryOptions): Promise<AppMemoryResult> {
  ensureBuilt();
  const command = opts.command ?? startCommand();
  const prs = opts.repo.pulls.length;
  const standIn = new GitHubStandIn([structuredClone(opts.repo)]);
  standIn.keepWrites = false;
  // Each evaluation ends with one check-run write carrying a conclusion: that is when the App is done with an event.
  const conclusions: Record<string, number> = {};
  let concluded = 0;
  let wake: (() => void) | undefined;
  standIn.faults.push((req) => {
    const body = req.body as { conclusion?: unknown } | undefined;
    if (/\/check-runs(\/\d+)?$/.test(req.url) && typeof body?.conclusion === "string") {
      conclusions[body.conclusion] = (conclusions[body.conclusion] ?? 0) + 1;
      concluded++;
      wake?.();
    }
    return undefined;
  });
  const concludedAtLeast = async (n: number): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (concluded < n) {
      if (Date.now() > deadline) throw new Error(`the App concluded ${concluded} evaluations, expected ${n}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000).unref();
      });
    }
  };
  const api = await standIn.listen();
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-mem-"));
  const rootFile = join(dir, "trusted_root.json");
  writeFileSync(rootFile, JSON.stringify(opts.trustedRoot));
  const port = await freePort();
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const env: Record<string, string> = {
    ...appEnv(command, port, SECRET),
    LOG_LEVEL: "info", // the deployed default; stdout goes to /dev/null
    AGENT_GATE_GITHUB_API_URL: api,
    AGENT_GATE_TRUSTED_ROOT: rootFile,
    AGENT_GATE_WRITE_INTERVAL_MS: "0", // as in the throughput run: the App, not GitHub's write pacing
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl, AGENT_GATE_DB_SCHEMA: schema } : { AGENT_GATE_DATA_DIR: join(dir, "data") }),
  };
  const args = [...command.nodeFlags, "--expose-gc", "--import", PROBE, "dist/server.js"];
  const child = spawn(appNode().path, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe", "ipc"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const probe = new Probe(child);
  const url = `http://127.0.0.1:${port}/api/github/webhooks`;
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`the App exited at start: ${stderr}`);
      if (await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false)) break;
      if (i > 300) throw new Error(`the App did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // On start the App reconciles: it evaluates every open pull request whose head has no completed check yet.
    // Measured from when that is done and GitHub has heard nothing from the App for a while.
    for (let seen = -1; seen !== standIn.requests.length; ) {
      seen = standIn.requests.length;
      await new Promise((r) => setTimeout(r, 1500));
    }
    const afterStart = await probe.ask();
    const base = concluded;
    const payload = (n: number, action: string): Record<string, unknown> => ({
      action,
      number: n,
      installation: { id: standIn.installationId },
      repository: { id: opts.repo.id, name: opts.repo.name, full_name: `${opts.repo.owner}/${opts.repo.name}`, owner: { login: opts.repo.owner } },
      sender: { login: "claude[bot]", id: 209825114, type: "Bot" },
      pull_request: standIn.pullPayload(opts.repo.owner, opts.repo.name, n),
    });
    const deliver = async (n: number, action: string): Promise<void> => {
      const d = await standIn.deliver("pull_request", payload(n, action), { url, secret: SECRET });
      if (d.status_code < 200 || d.status_code >= 300) throw new Error(`delivery answered ${d.status_code} ${d.status}: ${JSON.stringify(d.response.payload)} ${stderr}`);
    };
    // Warm-up: the first event per PR verifies its bundles (cached by digest afterwards) and creates its check run.
    for (let n = 1; n <= prs; n++) {
      await deliver(n, "opened");
      await concludedAtLeast(base + n);
    }
    const afterWarmUp = await probe.ask({ resetPeak: true }); // the peaks of the measured events only
    const requestsBefore = standIn.requests.length;
    for (const k of Object.keys(conclusions)) delete conclusions[k];
    const latenciesMs: number[] = [];
    const t0 = performance.now();
    const every = Math.max(1, Math.floor(opts.events / (opts.samples ?? 10)));
    const during: ProbeAnswer[] = [];
    // One event at a time, each waited for until its check run is concluded, as in the throughput run.
    for (let i = 0; i < opts.events; i++) {
      const s = performance.now();
      await deliver((i % prs) + 1, i % 2 ? "labeled" : "synchronize");
      await concludedAtLeast(base + prs + i + 1);
      latenciesMs.push(performance.now() - s);
      if ((i + 1) % every === 0) during.push(await probe.ask());
    }
    const seconds = (performance.now() - t0) / 1000;
    if (opts.events % every !== 0) during.push(await probe.ask()); // the last sample is at the last event
    const githubRequestsPerEvent = (standIn.requests.length - requestsBefore) / opts.events;
    latenciesMs.sort((a, b) => a - b);
    await new Promise((r) => setTimeout(r, 1000));
    const final = await probe.ask();
    const retained = await probe.ask({ gc: true });
    return {
      command: `${Object.entries(command.env).map(([k, v]) => `${k}=${v} `).join("")}node ${command.nodeFlags.map((f) => `${f} `).join("")}dist/server.js`,
      afterStart,
      afterWarmUp,
      during,
      final,
      retained,
      conclusions: { ...conclusions },
      githubRequestsPerEvent,
      latenciesMs,
      cpuMsPerEvent: (during.at(-1)!.cpuMs - afterWarmUp.cpuMs) / opts.events,
      gcMsPerEvent: (during.at(-1)!.gcMs - afterWarmUp.gcMs) / opts.events,
      eventsPerSecond: opts.events / seconds,
    };
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    }
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
    if (opts.databaseUrl) await dropSchemas(opts.databaseUrl, [schema, `${schema}_jobs`]);
  }
}

/** The run's schemas (gate state, audit log, job queue) are dropped afterwards. */
async function dropSchemas(url: string, schemas: string[]): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
