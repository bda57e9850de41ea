// Policy evaluation benchmark: the in-process wasm engine against OPA's own server (`opa run --server`, same Rego,
// same data, POST over loopback with keep-alive, swept over 1 to 32 requests in flight), measured in the same run,
// for a pull request with 20 commits. The ratio is taken against the server's best level.
// Run: `npm run bench -- policy` or `node --import tsx bench/policy.ts`.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { builtinBundle } from "../src/adapters/opa/bundle-source.js";
import { PULL_REQUEST_ENTRYPOINT, PolicyEngine } from "../src/adapters/opa/engine.js";
import { parseRepoConfig, policyData } from "../src/config/repo-config.js";
import { parseDecisionResult } from "../src/core/decision.js";

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
    { user: { login: "bob", id: 1002, type: "User" }, state: "APPROVED", commit_id: head, submitted_at: "2026-11-26T06:30:00Z" },
    { user: { login: "carol", id: 1003, type: "User" }, state: "COMMENTED", commit_id: head, submitted_at: "2026-11-26T06:31:00Z" },
    { user: { login: "alice", id: 1001, type: "User" }, state: "APPROVED", commit_id: head, submitted_at: "2026-11-26T06:32:00Z" },
  ];
  return input;
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

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

// Requests in flight swept for the server (each on its own keep-alive connection); 1,500 requests per level.
const IN_FLIGHT = [1, 2, 4, 8, 16, 32];
const PER_LEVEL = 1500;

async function serverLevel(pid: number | undefined, port: number, body: string, inFlight: number): Promise<Row> {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  try {
    const run = async (count: number, lat?: number[]) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          for (let i = next++; i < count; i = next++) {
            const s = process.hrtime.bigint();
            await post(agent, port, body);
            if (lat) lat[i] = Number(process.hrtime.bigint() - s) / 1e6;
          }
        }),
      );
    };
    await run(Math.max(100, inFlight * 10)); // opens the connections and warms the server up
    const lat: number[] = new Array<number>(PER_LEVEL);
    const cpu0 = cpuOf(pid);
    const t0 = process.hrtime.bigint();
    await run(PER_LEVEL, lat);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpuMs = ((cpuOf(pid) - cpu0) * 1000) / PER_LEVEL;
    lat.sort((a, b) => a - b);
    return { evaluator: `opa run --server (${inFlight} in flight)`, "decisions/s": Math.round(PER_LEVEL / seconds), "p50 ms": quantile(lat, 0.5), "p99 ms": quantile(lat, 0.99), "CPU ms/decision": cpuMs, "RSS MB": rssOf(pid) };
  } finally {
    agent.destroy();
  }
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
  for (let i = 0; i < 2000; i++) engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data });
  const n = 20_000;
  const lat: number[] = new Array<number>(n);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data });
    lat[i] = Number(process.hrtime.bigint() - s) / 1e6;
  }
  const wasmSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const wasmCpuMs = (cpu.user + cpu.system) / 1000 / n;
  lat.sort((a, b) => a - b);
  const rows: Row[] = [
    { evaluator: "in-process wasm", "decisions/s": Math.round(n / wasmSeconds), "p50 ms": quantile(lat, 0.5), "p99 ms": quantile(lat, 0.99), "CPU ms/decision": wasmCpuMs, "RSS MB": process.memoryUsage().rss / 2 ** 20 },
  ];

  if (!existsSync(OPA)) {
    console.log("(no .tools/bin/opa: run npm run tools for the OPA server comparison)");
    printRows(rows);
    return;
  }
  // OPA's server over the same Rego sources and the same data.
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-bench-"));
  cpSync(join(ROOT, "policies/rego"), dir, { recursive: true, filter: (src) => !src.endsWith("_test.rego") });
  writeFileSync(join(dir, "data.json"), JSON.stringify(data)); // replaces the defaults with the same data the engine uses
  const port = await freePort();
  const server = spawn(OPA, ["run", "--server", "--addr", `127.0.0.1:${port}`, "--log-level", "error", dir], { stdio: ["ignore", "ignore", "inherit"] });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await post(agent, port, body);
        break;
      } catch (err) {
        if (server.exitCode !== null) throw new Error(`opa run --server exited with ${server.exitCode} (see its output above)`);
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const served = parseDecisionResult((JSON.parse(await post(agent, port, body)) as { result: unknown }).result);
    if (!isDeepStrictEqual(served, { deny: reference.deny, warn: reference.warn })) throw new Error("the OPA server and the wasm engine disagree on the benchmark input");

    // The server's best configuration on this machine: keep-alive connections (one per request in flight) and a sweep
    // of requests in flight, each level measured on its own; the best rate is the one the ratio is taken against.
    for (const inFlight of IN_FLIGHT) rows.push(await serverLevel(server.pid, port, body, inFlight));
  } finally {
    agent.destroy();
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  printRows(rows);
  const wasmRate = rows[0]?.["decisions/s"] ?? 0;
  const served = rows.slice(1);
  const best = served.reduce((a, r) => (r["decisions/s"] > a["decisions/s"] ? r : a));
  console.log(
    `\nratio: in-process ${wasmRate} decisions/s = ${(wasmRate / best["decisions/s"]).toFixed(1)}x the OPA server's best (${best["decisions/s"]}/s, ${best.evaluator.replace(/^.*\((.*)\)$/, "$1")}); target >= 10x. ` +
      `p99 ${quantile(lat, 0.99).toFixed(3)} ms (target < 1 ms), 20 commits, ${Buffer.byteLength(body)} bytes of input, ${reference.deny.length} deny / ${reference.warn.length} warn.`,
  );
  const serverCpu = Math.min(...served.map((r) => r["CPU ms/decision"]));
  console.log(
    `CPU per decision (less sensitive to other load on the machine than rates): in-process ${wasmCpuMs.toFixed(3)} ms, OPA server ${serverCpu.toFixed(3)} ms ` +
      `(its lowest level; server side only, HTTP client not counted): ${(serverCpu / wasmCpuMs).toFixed(1)}x. Load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]?.toFixed(1)} at the end, on ${cpus().length} CPUs.`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPolicy();
