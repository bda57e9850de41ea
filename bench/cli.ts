// `npm run bench -- cli`: `agent-gate verify-bundle` as a whole process against `cosign verify-blob` on the same
// real public-good bundle (issue 19: at most 2x cosign). Rows: the bundled CLI (dist/bundle, what bin/ runs after
// `npm run build`), the unbundled dist/cli/main.js (what it ran before), and cosign; each the median of RUNS runs.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Row } from "./table.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 15);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(cmd: string, args: string[]): { ms: number; ok: boolean } {
  const times: number[] = [];
  let ok = true;
  spawnSync(cmd, args, { cwd: root, stdio: "ignore" }); // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: root, stdio: "ignore" });
    times.push(performance.now() - t0);
    ok &&= r.status === 0;
  }
  return { ms: median(times), ok };
}

export function benchCli(): Promise<Row[]> {
  const dir = `${root}fixtures/sigstore/cases/c05-dsse-intoto-slsa-v0.3`;
  const c = JSON.parse(readFileSync(`${dir}/case.json`, "utf8")) as { identity: string; issuer: string; bundle: string; trustedRoot: string; artifact: string };
  const flags = ["--bundle", `${dir}/${c.bundle}`, "--certificate-identity", c.identity, "--certificate-oidc-issuer", c.issuer, "--trusted-root", `${dir}/${c.trustedRoot}`, `${dir}/${c.artifact}`];
  if (!existsSync(`${root}dist/bundle/agent-gate.js`)) console.log("dist/bundle is missing: run `npm run build` first");
  const rows: Row[] = [];
  const nodeEmpty = time(process.execPath, ["-e", "0"]);
  const cosignPath = `${root}.tools/bin/cosign`;
  const cosign = existsSync(cosignPath) ? time(cosignPath, ["verify-blob", ...flags]) : undefined;
  const add = (what: string, r: { ms: number; ok: boolean }): void => {
    rows.push({ process: what, "median ms": r.ms, "x cosign": cosign ? r.ms / cosign.ms : "n/a", target: what.startsWith("agent-gate (bundle") ? "<= 2.00" : "", exit: r.ok ? "0" : "not 0" });
  };
  if (cosign) add("cosign verify-blob", cosign);
  if (existsSync(`${root}dist/bundle/agent-gate.js`)) add("agent-gate (bundle, bin/agent-gate.js)", time(process.execPath, ["bin/agent-gate.js", "verify-bundle", ...flags]));
  if (existsSync(`${root}dist/cli/main.js`)) {
    add("agent-gate (dist/cli/main.js, unbundled)", time(process.execPath, ["--input-type=module", "-e", 'const { main } = await import("./dist/cli/main.js"); process.exitCode = await main(process.argv.slice(1));', "verify-bundle", ...flags]));
  }
  add("node -e 0 (the floor of any Node process)", nodeEmpty);
  return Promise.resolve(rows);
}
