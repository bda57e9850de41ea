// Policy evaluation benchmark: the in-process wasm engine, on the event loop (PolicyEngine) and on a pool of one worker
// thread per CPU (PolicyPool, AGENT_GATE_POLICY_THREADS), against OPA's own server (`opa run --server`, same Rego, same
// data, POST over loopback with keep-alive, swept over 1 to 32 requests in flight), measured in the same run in
// alternating rounds, for a pull request with 20 commits. Ratios are taken against the server's best level.
// Run: `npm run bench -- policy` or `node --import tsx bench/policy.ts`.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { builtinBundle } from "../src/adapters/opa/bundle-source.js";
import { PULL_REQUEST_ENTRYPOINT, PolicyEngine } from "../src/adapters/opa/engine.js";
import { PolicyPool } from "../src/adapters/opa/pool.js";
import { parseRepoConfig, policyData } from "../src/config/repo-config.js";
import { parseDecisionResult } from "../src/core/decision.js";
import { freePort } from "../test/support/net.js";

const ROOT = new URL("../", import.meta.url).pathname;
const OPA = join(ROOT, ".tools/bin/opa");

const CONFIG = `rules:
  signers:
    allowed:
      - identity: https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main
        issuer: https://token.actions.githubusercontent.com
  model_governance:
    allowed: [{model: anthropic/claude-sonnet-4-5, version: "20250929", expires: "2027-06-01"}]
`;

/** A realistic agent pull request: 20 verified agent commits, 20 files (one protected), 3 reviews. */
export function twentyCommitInput(): Record<string, unknown> {
  const base = JSON.parse(readFileSync(join(ROOT, "fixtures/policy/pr-signed-agent-passes.json"), "utf8")) as { input: Record<string, unknown> };
  const input = structuredClone(base.input);
  const template = (input.commits as Record<string, unknown>[])[0] as Record<string, unknown>;
  const head = (input.pull_request as { head_sha: string }).head_sha;
  input.commits = Array.from({ length: 20 }, (_, i) => {
    const sha = i === 19 ? head : (i + 1).toString(16).padStart(2, "0").repeat(20);
    return { ...structuredClone(template), sha, is_head: i === 19 };
  });
  input.files = Array.from({ length: 20 }, (_, i) => ({
    path: i === 0 ? ".github/workflows/ci.yml" : `src/module${i}/file${i}.ts`,
    status: "modified",
    additions: 12,
    deletions: 3,
    agent_touched: true,
  }));
  input.reviews = [
    { user: { login: "bob", id: 1002, type: "User" }, state: "APPROVED", commit_id: head, submitted_at: "2026-11-26T06:30:00Z", permission: "write" },
    { user: { login: "carol", id: 1003, type: "User" }, state: "COMMENTED", commit_id: head, submitted_at: "2026-11-26T06:31:00Z" },
    { user: { login: "alice", id: 1001, type: "User" }, state: "APPROVED", commit_id: head, submitted_at: "2026-11-26T06:32:00Z", permission: "write" },
  ];
  return input;
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;


function post(agent: Agent, port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method: "POST", path: "/v1/data/agent_gate/pull_request/decision", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`opa server: HTTP ${res.statusCode}: ${text}`))));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

// CPU seconds (user + system) a process has used, from /proc: contention-independent, unlike wall-clock time.
function cpuOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

function rssOf(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

interface Row {
  evaluator: string;
  "decisions/s": number;
  "p50 ms": number;
  "p99 ms": number;
  "CPU ms/decision": number;
  "RSS MB": number;
}

function printRows(rows: readonly Row[]): void {
  const cols = Object.keys(rows[0] ?? {}) as (keyof Row)[];
  const cell = (v: string | number) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : v < 1 ? v.toFixed(3) : v.toFixed(1)) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join("  ");
  console.log(line(cols));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

// Measured in rounds that alternate the in-process engine and every server level, so that both sides meet the same
// background load on a shared machine; each row adds its rounds up. Requests in flight swept for the server, each on
// its own keep-alive connection.
const ROUNDS = 5;
const IN_PROCESS_PER_ROUND = 4000;
const SERVER_PER_ROUND = 300;
const IN_FLIGHT = [1, 2, 4, 8, 16, 32];
const POOL_PER_ROUND = 4000;
const POOL_IN_FLIGHT = [1, 2, 4, 8];

interface Tally {
  count: number;
  seconds: number;
  cpuSeconds: number;
  clientCpuSeconds: number; // this process's CPU while it drives the server (the HTTP client)
  lat: number[];
}
const tally = (): Tally => ({ count: 0, seconds: 0, cpuSeconds: 0, clientCpuSeconds: 0, lat: [] });

function row(evaluator: string, t: Tally, rssMb: number): Row {
  const lat = [...t.lat].sort((a, b) => a - b);
  return { evaluator, "decisions/s": Math.round(t.count / t.seconds), "p50 ms": quantile(lat, 0.5), "p99 ms": quantile(lat, 0.99), "CPU ms/decision": (t.cpuSeconds * 1000) / t.count, "RSS MB": rssMb };
}

// `count` calls, `inFlight` at a time; each call's latency goes to `lat` when given.
async function drive(inFlight: number, count: number, call: () => Promise<unknown>, lat?: number[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < count) {
        const s = process.hrtime.bigint();
        await call();
        lat?.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }),
  );
}

async function poolRound(pool: PolicyPool, input: unknown, data: unknown, inFlight: number, count: number, t?: Tally): Promise<void> {
  const cpu0 = process.cpuUsage(); // the whole process: the event loop and every pool thread
  const t0 = process.hrtime.bigint();
  await drive(inFlight, count, () => pool.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data }), t?.lat);
  if (!t) return;
  t.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  t.cpuSeconds += (cpu.user + cpu.system) / 1e6;
  t.count += count;
}

async function serverRound(agent: Agent, port: number, body: string, inFlight: number, count: number, pid: number | undefined, t?: Tally): Promise<void> {
  const cpu0 = cpuOf(pid);
  const client0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await drive(inFlight, count, () => post(agent, port, body), t?.lat);
  if (!t) return;
  t.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
  t.cpuSeconds += cpuOf(pid) - cpu0;
  const client = process.cpuUsage(client0);
  t.clientCpuSeconds += (client.user + client.system) / 1e6;
  t.count += count;
}

export async function benchPolicy(): Promise<void> {
  const parsed = parseRepoConfig(CONFIG);
  if (!parsed.ok) throw new Error(parsed.messages.join("\n"));
  const data = policyData(parsed.config);
  const input = twentyCommitInput();
  const body = JSON.stringify({ input });
  const loadAtStart = loadavg()[0] ?? NaN;

  // In-process: one engine, the config set once (the App caches per config digest), sequential decisions.
  const engine = await PolicyEngine.load(builtinBundle());
  const reference = engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data });
  // Warm-up long enough for V8 to move the hot wasm functions from its baseline compiler to the optimising one.
  for (let i = 0; i < 5000; i++) engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data });
  const wasm = tally();
  const inProcessRound = () => {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < IN_PROCESS_PER_ROUND; i++) {
      const s = process.hrtime.bigint();
      engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data });
      wasm.lat.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    wasm.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    wasm.cpuSeconds += (cpu.user + cpu.system) / 1e6;
    wasm.count += IN_PROCESS_PER_ROUND;
  };

  // The pool: one thread per CPU, as many decisions in flight as the level says (the App's workers run concurrently).
  const threads = cpus().length;
  const pool = await PolicyPool.start(builtinBundle(), { threads });
  const pooled = POOL_IN_FLIGHT.map(() => tally());
  const pooledAnswer = await pool.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data });
  if (!isDeepStrictEqual([pooledAnswer.deny, pooledAnswer.warn], [reference.deny, reference.warn])) throw new Error("the pool and the engine disagree on the benchmark input");
  for (const inFlight of POOL_IN_FLIGHT) await poolRound(pool, input, data, inFlight, 2000);
  const poolRounds = async () => {
    for (const [i, inFlight] of POOL_IN_FLIGHT.entries()) await poolRound(pool, input, data, inFlight, POOL_PER_ROUND, pooled[i]);
  };
  const inProcessRows = (): Row[] => {
    const rss = process.memoryUsage().rss / 2 ** 20;
    return [row("in-process wasm, event loop", wasm, rss), ...POOL_IN_FLIGHT.map((inFlight, i) => row(`in-process pool, ${threads} threads (${inFlight} in flight)`, pooled[i] as Tally, rss))];
  };

  if (!existsSync(OPA)) {
    console.log("(no .tools/bin/opa: run npm run tools for the OPA server comparison)");
    for (let r = 0; r < ROUNDS; r++) {
      inProcessRound();
      await poolRounds();
    }
    printRows(inProcessRows());
    await pool.close();
    return;
  }
  // OPA's server over the same Rego sources and the same data.
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-bench-"));
  cpSync(join(ROOT, "policies/rego"), dir, { recursive: true, filter: (src) => !src.endsWith("_test.rego") });
  writeFileSync(join(dir, "data.json"), JSON.stringify(data)); // replaces the defaults with the same data the engine uses
  const port = await freePort();
  const server = spawn(OPA, ["run", "--server", "--addr", `127.0.0.1:${port}`, "--log-level", "error", dir], { stdio: ["ignore", "ignore", "inherit"] });
  const agents = IN_FLIGHT.map((inFlight) => new Agent({ keepAlive: true, maxSockets: inFlight }));
  const served = IN_FLIGHT.map(() => tally());
  let serverRss = NaN;
  try {
    const first = agents[0] as Agent;
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await post(first, port, body);
        break;
      } catch (err) {
        if (server.exitCode !== null) throw new Error(`opa run --server exited with ${server.exitCode} (see its output above)`);
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const answer = parseDecisionResult((JSON.parse(await post(first, port, body)) as { result: unknown }).result);
    if (!isDeepStrictEqual(answer, { deny: reference.deny, warn: reference.warn })) throw new Error("the OPA server and the wasm engine disagree on the benchmark input");
    // Opens every level's connections and warms the server up.
    for (const [i, inFlight] of IN_FLIGHT.entries()) await serverRound(agents[i] as Agent, port, body, inFlight, Math.max(100, inFlight * 10), server.pid);

    for (let r = 0; r < ROUNDS; r++) {
      inProcessRound();
      await poolRounds();
      for (const [i, inFlight] of IN_FLIGHT.entries()) await serverRound(agents[i] as Agent, port, body, inFlight, SERVER_PER_ROUND, server.pid, served[i]);
    }
    serverRss = rssOf(server.pid);
  } finally {
    for (const a of agents) a.destroy();
    server.kill();
    rmSync(dir, { recursive: true, force: true });
    await pool.close();
  }
  const local = inProcessRows();
  const servedRows = IN_FLIGHT.map((inFlight, i) => row(`opa run --server (${inFlight} in flight)`, served[i] as Tally, serverRss));
  printRows([...local, ...servedRows]);
  const wasmRate = local[0]?.["decisions/s"] ?? 0;
  const best = servedRows.reduce((a, r) => (r["decisions/s"] > a["decisions/s"] ? r : a));
  const bestPool = local.slice(1).reduce((a, r) => (r["decisions/s"] > a["decisions/s"] ? r : a));
  const level = (r: Row): string => r.evaluator.replace(/^.*\((.*)\)$/, "$1");
  const wasmLat = [...wasm.lat].sort((a, b) => a - b);
  console.log(
    `\nratio (target >= 10x the OPA server's best, ${best["decisions/s"]}/s at ${level(best)}): ` +
      `pool of ${threads} threads ${bestPool["decisions/s"]}/s (${level(bestPool)}) = ${(bestPool["decisions/s"] / best["decisions/s"]).toFixed(1)}x; ` +
      `event loop alone ${wasmRate}/s = ${(wasmRate / best["decisions/s"]).toFixed(1)}x.\n` +
      `latency (target p99 < 1 ms): event loop p99 ${quantile(wasmLat, 0.99).toFixed(3)} ms; pool p99 ${local[1]?.["p99 ms"].toFixed(3)} ms at 1 in flight, ${bestPool["p99 ms"].toFixed(3)} ms at ${level(bestPool)}. ` +
      `20 commits, ${Buffer.byteLength(body)} bytes of input, ${reference.deny.length} deny / ${reference.warn.length} warn.`,
  );
  const wasmCpuMs = local[0]?.["CPU ms/decision"] ?? NaN;
  const serverCpu = Math.min(...servedRows.map((r) => r["CPU ms/decision"]));
  console.log(
    `CPU per decision (less sensitive to other load on the machine than rates): in-process ${wasmCpuMs.toFixed(3)} ms, OPA server ${serverCpu.toFixed(3)} ms ` +
      `(its lowest level; server side only, HTTP client not counted): ${(serverCpu / wasmCpuMs).toFixed(1)}x. ` +
      `${ROUNDS} alternating rounds of ${IN_PROCESS_PER_ROUND} in-process and ${SERVER_PER_ROUND} served decisions per level. ` +
      `Load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]?.toFixed(1)} at the end, on ${cpus().length} CPUs.`,
  );
  // What each side could do with this machine to itself, from CPU time rather than from rates that background load
  // skews (it takes more from the server, which wants every CPU, than from the single-threaded engine): the engine is
  // bound by one CPU; the server level by all CPUs shared between it and the HTTP client driving it.
  const capacity = servedRows.map((r, i) => {
    const t = served[i] as Tally;
    return { r, rate: (cpus().length * t.count) / (t.cpuSeconds + t.clientCpuSeconds) };
  });
  const top = capacity.reduce((a, c) => (c.rate > a.rate ? c : a));
  const wasmCapacity = 1000 / wasmCpuMs;
  const poolCapacity = (cpus().length * 1000) / Math.min(...local.slice(1).map((r) => r["CPU ms/decision"]));
  console.log(
    `CPU-bound capacity on an otherwise idle machine: OPA server ${Math.round(top.rate)}/s (${level(top.r)}, ${cpus().length} CPUs for it and its client); ` +
      `in-process ${Math.round(wasmCapacity)}/s on one thread (${(wasmCapacity / top.rate).toFixed(1)}x), ${Math.round(poolCapacity)}/s on the pool's ${threads} (${(poolCapacity / top.rate).toFixed(1)}x).`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPolicy();
