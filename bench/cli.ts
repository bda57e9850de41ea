// `npm run bench -- cli`: `agent-gate verify-bundle` as a whole process against `cosign verify-blob` on the same
// real public-good bundle (issue 19: at most 2x cosign). Rows: cosign; what bin/agent-gate.js runs after
// `npm run build` (dist/bundle/verify-bundle.cjs with its V8 code cache, bin/code-cache.js); the same script without
// the cache (a first run, or AGENT_GATE_CODE_CACHE=off); the ES-module bundle main() loads (every other command's
// path); the unbundled dist/cli/main.js; and `node -e 0`, the floor of any Node process. The processes take turns
// (one run of each, RUNS times) so a change in the machine's load falls on all of them alike; each row is the median
// wall time, and on Linux the mean CPU time (user + system, from /proc/self/stat's waited-for children), which the
// load of a shared machine disturbs far less than the wall clock.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Row } from "./table.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 15);
const TICK_MS = 10; // USER_HZ is 100 on every Linux that matters here

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** CPU time (ms) of this process's waited-for children so far, or undefined off Linux. */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) * TICK_MS; // cutime, cstime (fields 16 and 17 of stat)
  } catch {
    return undefined;
  }
}

interface Proc {
  readonly what: string;
  readonly cmd: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly wall: number[];
  cpu: number | undefined;
  ok: boolean;
}

export function benchCli(): Promise<Row[]> {
  const dir = `${root}fixtures/sigstore/cases/c05-dsse-intoto-slsa-v0.3`;
  const c = JSON.parse(readFileSync(`${dir}/case.json`, "utf8")) as { identity: string; issuer: string; bundle: string; trustedRoot: string; artifact: string };
  const flags = ["--bundle", `${dir}/${c.bundle}`, "--certificate-identity", c.identity, "--certificate-oidc-issuer", c.issuer, "--trusted-root", `${dir}/${c.trustedRoot}`, `${dir}/${c.artifact}`];
  if (!existsSync(`${root}dist/bundle/verify-bundle.cjs`)) console.log("dist/bundle is missing: run `npm run build` first");
  // a cache of the benchmark's own, so the rows do not depend on what ran before
  const cacheBase = mkdtempSync(join(tmpdir(), "ag-bench-cli-"));
  const procs: Proc[] = [];
  const add = (what: string, cmd: string, args: readonly string[], env?: Record<string, string>): void => {
    procs.push({ what, cmd, args, ...(env ? { env } : {}), wall: [], cpu: 0, ok: true });
  };
  const cosignPath = `${root}.tools/bin/cosign`;
  if (existsSync(cosignPath)) add("cosign verify-blob", cosignPath, ["verify-blob", ...flags]);
  if (existsSync(`${root}dist/bundle/verify-bundle.cjs`)) {
    add("agent-gate (bin: verify-bundle.cjs, code cache)", process.execPath, ["bin/agent-gate.js", "verify-bundle", ...flags]);
    add("agent-gate (bin: verify-bundle.cjs, no cache)", process.execPath, ["bin/agent-gate.js", "verify-bundle", ...flags], { AGENT_GATE_CODE_CACHE: "off" });
  }
  const viaMain = (module: string): string[] => ["--input-type=module", "-e", `const { main } = await import(${JSON.stringify(module)}); process.exitCode = await main(process.argv.slice(1));`, "verify-bundle", ...flags];
  if (existsSync(`${root}dist/bundle/agent-gate.js`)) add("agent-gate (main() in dist/bundle, ES modules)", process.execPath, viaMain("./dist/bundle/agent-gate.js"));
  if (existsSync(`${root}dist/cli/main.js`)) add("agent-gate (main() in dist/cli, unbundled)", process.execPath, viaMain("./dist/cli/main.js"));
  add("node -e 0 (the floor of any Node process)", process.execPath, ["-e", "0"]);

  const spawn = (p: Proc): number | null => spawnSync(p.cmd, p.args, { cwd: root, stdio: "ignore", env: { ...process.env, TMPDIR: cacheBase, ...p.env } }).status;
  try {
    for (const p of procs) spawn(p); // warm the file cache, and write the code cache
    for (let i = 0; i < RUNS; i++) {
      for (const p of procs) {
        const cpu0 = childrenCpuMs();
        const t0 = performance.now();
        const status = spawn(p);
        p.wall.push(performance.now() - t0);
        const cpu1 = childrenCpuMs();
        p.cpu = p.cpu === undefined || cpu0 === undefined || cpu1 === undefined ? undefined : p.cpu + (cpu1 - cpu0);
        p.ok &&= status === 0;
      }
    }
  } finally {
    rmSync(cacheBase, { recursive: true, force: true });
  }
  const cosign = procs.find((p) => p.what.startsWith("cosign"));
  const cosignWall = cosign ? median(cosign.wall) : undefined;
  const cosignCpu = cosign?.cpu !== undefined ? cosign.cpu / RUNS : undefined;
  return Promise.resolve(
    procs.map((p): Row => {
      const wall = median(p.wall);
      const cpu = p.cpu !== undefined ? p.cpu / RUNS : undefined;
      return {
        process: p.what,
        "median wall ms": wall,
        "x cosign (wall)": cosignWall ? wall / cosignWall : "n/a",
        "cpu ms": cpu ?? "n/a",
        "x cosign (cpu)": cpu !== undefined && cosignCpu ? cpu / cosignCpu : "n/a",
        target: p.what.includes("code cache") ? "<= 2.00" : "",
        exit: p.ok ? "0" : "not 0",
      };
    }),
  );
}
