// Class 1, unauthenticated memory exhaustion: 50 concurrent 25 MB deliveries with a wrong signature, sent over
// loopback to the App started as `npm start` starts it (dist/server.js, the start script's node flags, in a process
// of its own; bench/memory-probe.mjs preloaded reports its RSS). Once with content-length declared, once streamed
// chunked. Bound: peak RSS under 400 MB, every sender refused (one log line each, none with the payload), and
// afterwards /healthz answers and a signed delivery is taken.
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { request } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { appEnv, ensureBuilt, startCommand } from "../app-memory.js";
import type { HostileRow } from "../hostile.js";
import { freePort } from "../../test/support/net.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PROBE = fileURLToPath(new URL("../memory-probe.mjs", import.meta.url));
const SECRET = "bench-webhook-secret-0123456789";
const SENDERS = 50;
const BODY_BYTES = 25 * 1024 * 1024; // GitHub's cap: the largest body the App must read to the end
const MARKER = "HOSTILE-PAYLOAD-MARKER";
const BOUND_MB = 400;

interface Peak {
  rss: number;
  hwm: number | undefined;
}

/** Neither exited nor killed by a signal (a heap-limit abort leaves exitCode null). */
const running = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

function readFileSyncOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return ""; // not Linux, or the process is gone
  }
}

/** Asks the probe; resetPeak starts the peaks again from now. Undefined when the process has died. */
function ask(child: ChildProcess, id: number, resetPeak = false): Promise<Peak | undefined> {
  return new Promise((resolve) => {
    const finish = (p: Peak | undefined): void => {
      child.off("message", onMessage).off("exit", onGone).off("error", onGone);
      resolve(p);
    };
    const onMessage = (m: { probe?: number; peak?: { rss: number }; hwm?: number }): void => {
      if (m.probe === id) finish({ rss: m.peak!.rss, hwm: m.hwm });
    };
    const onGone = (): void => finish(undefined);
    child.on("message", onMessage).once("exit", onGone).once("error", onGone);
    if (!running(child) || !child.connected) return onGone();
    child.send({ probe: id, resetPeak }, (err) => (err ? onGone() : undefined));
  });
}

/** One sender: the whole body, declared or chunked; resolves with the status, or how the connection ended. */
function send(port: number, body: Buffer, signature: string, id: string, chunked: boolean): Promise<string> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": id, "x-hub-signature-256": signature };
    if (!chunked) headers["content-length"] = String(body.length);
    let status: string | undefined;
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/api/github/webhooks", headers, agent: false }, (res) => {
      status = String(res.statusCode);
      res.resume();
      res.on("close", () => resolve(status!));
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(status ?? e.code ?? "error"));
    req.on("close", () => resolve(status ?? "closed"));
    req.setTimeout(60_000, () => req.destroy(new Error("no answer in 60 s")));
    if (chunked) {
      const step = 1024 * 1024;
      let at = 0;
      const next = (): void => {
        if (at >= body.length || req.destroyed) return void req.end();
        const part = body.subarray(at, (at += step));
        if (req.write(part)) next();
        else req.once("drain", next);
      };
      next();
    } else req.end(body);
  });
}

async function attack(chunked: boolean): Promise<HostileRow> {
  ensureBuilt();
  const command = startCommand();
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-hostile-"));
  const port = await freePort();
  const env: Record<string, string> = {
    ...appEnv(command, port, SECRET),
    LOG_LEVEL: "info",
    AGENT_GATE_DATA_DIR: join(dir, "data"),
    AGENT_GATE_RECONCILE_SECONDS: "0",
    AGENT_GATE_GITHUB_API_URL: "http://127.0.0.1:9", // never reached: nothing here is verified
  };
  const child = spawn(process.execPath, [...command.nodeFlags, "--import", PROBE, "dist/server.js"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  let stderr = "";
  let refusedLines = 0;
  let markerInLogs = false;
  let tail = "";
  child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  child.stdout!.on("data", (c: Buffer) => {
    const text = tail + c.toString("utf8");
    if (text.includes(MARKER)) markerInLogs = true;
    const lines = text.split("\n");
    tail = (lines.pop() ?? "").slice(-200); // enough to find a marker split across reads
    refusedLines += lines.filter((l) => l.includes("webhook delivery refused")).length;
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    // The embedded database's first start (initdb) alone can take half a minute on a busy machine; not measured.
    for (const deadline = Date.now() + 180_000; ; ) {
      if (!running(child)) throw new Error(`the App exited at start: ${stderr}`);
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
      if (Date.now() > deadline) throw new Error(`the App did not start in 180 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await ask(child, 1, true);
    // A JSON-looking body that names itself, so a line of log that echoed it would be found.
    const body = Buffer.alloc(BODY_BYTES, 0x20);
    body.write(`{"action":"opened","note":"${MARKER}","pad":"`);
    body.write(`"}`, BODY_BYTES - 2);
    const wrong = `sha256=${createHmac("sha256", "not-the-webhook-secret").update(body).digest("hex")}`;
    // Also sampled from here, so a process that dies of the attack still reports how far it got.
    let sampled = 0;
    const sampler = setInterval(() => {
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSyncOr(`/proc/${child.pid}/status`))?.[1];
      if (kb) sampled = Math.max(sampled, Number(kb) * 1024);
    }, 20);
    const t0 = performance.now();
    const answers = await Promise.all(Array.from({ length: SENDERS }, (_, i) => send(port, body, wrong, `hostile-${i}`, chunked)));
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const peak = (await ask(child, 2)) ?? { rss: 0, hwm: undefined };
    const alive = running(child) && child.connected;
    const healthz = alive ? await fetch(`${base}/healthz`).then((r) => r.status, () => 0) : 0;
    const ping = Buffer.from(JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 }));
    const signed = alive ? await send(port, ping, `sha256=${createHmac("sha256", SECRET).update(ping).digest("hex")}`, "signed-after", false) : "dead";
    const counts = new Map<string, number>();
    for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
    const peakMb = Math.max(peak.rss, peak.hwm ?? 0, sampled) / 1024 / 1024;
    // A refused sender still writing when the server closes may see EPIPE/ECONNRESET before it reads the 429;
    // the server's one log line per refusal says it answered every one.
    const refusedAll = refusedLines === SENDERS && answers.every((a) => /^4\d\d$|^EPIPE$|^ECONNRESET$/.test(a));
    const met = running(child) && peakMb < BOUND_MB && healthz === 200 && signed === "200" && refusedAll && !markerInLogs;
    const outcome = `${running(child) && healthz !== 0 ? "" : "server DOWN; "}${[...counts].sort().map(([k, n]) => `${n}x ${k}`).join(", ")}; ${refusedLines} refusal log lines, payload logged: ${markerInLogs ? "YES" : "no"}; after: /healthz ${healthz}, signed delivery ${signed}`;
    return {
      class: "1 unauthenticated bodies",
      input: `${SENDERS} concurrent wrong-signature deliveries${chunked ? ", chunked" : ", content-length"}`,
      size: `${SENDERS} x 25 MB`,
      seconds,
      peakRssMb: peakMb,
      outcome,
      bound: `< ${BOUND_MB} MB RSS, all refused, /healthz after`,
      met,
    };
  } finally {
    if (running(child)) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function rows(): Promise<HostileRow[]> {
  return [await attack(false), await attack(true)];
}
