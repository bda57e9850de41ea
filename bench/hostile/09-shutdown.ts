// Class 9, shutdown: SIGTERM while evaluations are running (GitHub answering slowly). The App must stop taking jobs,
// let the running ones finish or leave them for retry, and only then close the queue and the database pool: no
// "Cannot use a pool after calling end on the pool", no unhandled rejection, and an exit within the drain deadline.
// The App runs as `npm start` runs it (dist/server.js in its own process) on the embedded database, against the
// GitHub stand-in on loopback with 2 s of latency on every request.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { appEnv, ensureBuilt, startCommand } from "../app-memory.js";
import type { HostileRow } from "../hostile.js";
import { freePort } from "../../test/support/net.js";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import { loadScenarios } from "../../src/demo/scenario.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SECRET = "bench-webhook-secret-0123456789";
const DELIVERIES = 6;
const LATENCY_MS = 2000;

export async function rows(): Promise<HostileRow[]> {
  ensureBuilt();
  const scenario = loadScenarios().scenarios.find((s) => s.name === "signed-agent-pr")!;
  const standIn = new GitHubStandIn(structuredClone(scenario.repos));
  standIn.faults.push(async (req) => (req.url.includes("/repos/") ? new Promise((r) => setTimeout(() => r(undefined), LATENCY_MS)) : undefined));
  const gh = await standIn.listen();
  const dir = mkdtempSync(join(tmpdir(), "bench-shutdown-"));
  const port = await freePort();
  const command = startCommand();
  const env: Record<string, string> = {
    ...appEnv(command, port, SECRET),
    LOG_LEVEL: "warn",
    AGENT_GATE_DATA_DIR: join(dir, "data"),
    AGENT_GATE_RECONCILE_SECONDS: "0",
    AGENT_GATE_GITHUB_API_URL: gh,
  };
  const child = spawn(process.execPath, [...command.nodeFlags, "dist/server.js"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  child.stderr.on("data", (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 900 && !(await fetch(`${base}/healthz`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 200));
    const step = scenario.steps[0]!;
    for (let i = 0; i < DELIVERIES; i++) await standIn.deliver(step.event.split(".")[0]!, step.payload, { url: `${base}/api/github/webhooks`, secret: SECRET });
    // Evaluations are running once the App is asking GitHub for the pull requests.
    for (let i = 0; i < 200 && !standIn.requests.some((r) => r.path.includes("/pulls/")); i++) await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.once("exit", (c) => (clearTimeout(t), resolve(c)));
    });
    const seconds = (performance.now() - started) / 1000;
    const poolAfterEnd = (out.match(/Cannot use a pool after calling end/g) ?? []).length;
    const unhandled = (out.match(/[Uu]nhandled ?[Rr]ejection/g) ?? []).length;
    const completed = standIn.checkRuns.filter((r) => r.status === "completed").length;
    return [
      {
        class: "9 shutdown",
        input: `SIGTERM with ${DELIVERIES} deliveries taken in, GitHub answering in ${LATENCY_MS / 1000} s`,
        size: `${DELIVERIES} jobs`,
        seconds,
        peakRssMb: 0,
        outcome: `exit ${code}; ${completed} check runs completed, the rest left queued; pool used after end: ${poolAfterEnd}; unhandled rejections: ${unhandled}`,
        bound: "drained, exit 0 within 30 s, no pool-after-end, no unhandled rejection",
        met: code === 0 && seconds < 30 && poolAfterEnd === 0 && unhandled === 0,
      },
    ];
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
