// A rolling upgrade: a newer agent-gate migrates the database while this one runs. The running process notices
// within a second, stops taking deliveries and jobs, answers 503 on /readyz, stops its running job at once and leaves
// it for retry (by a newer process), and `npm start`'s process exits with a line that says why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { startServer } from "../../src/app-server.js";
import { LATEST_MIGRATION } from "../../src/adapters/storage/migrations.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { dropSchema, requirePostgres, uniqueSchema } from "../adapters/storage/support.js";

const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const secret = "a-test-webhook-secret";

async function sql<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** A GitHub that issues tokens and answers reconciliation, but never answers the gate's own calls. */
async function hangingGitHub(): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  const open = new Set<IncomingMessage>();
  let calls = 0;
  const github = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0]!;
    if (req.method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ token: "ghs_test", expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: "all" }));
      return;
    }
    if (path === "/app/hook/deliveries" || path === "/app/installations") {
      res.writeHead(200, { "content-type": "application/json" }).end("[]");
      return;
    }
    calls++;
    open.add(req);
    res.on("close", () => open.delete(req));
  });
  await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(github.address() as AddressInfo).port}`,
    calls: () => calls,
    close: async () => {
      github.closeAllConnections();
      await new Promise<void>((resolve) => github.close(() => resolve()));
    },
  };
}

test("a database migrated past this process's schema: it stops taking work, fails /readyz, leaves its running job for retry and stops", { timeout: 120_000 }, async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const human = loadScenarios().scenarios.find((x) => x.name === "human-pr")!;
  const github = await hangingGitHub();
  const schema = uniqueSchema("newer");
  const server = await startServer({
    APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: secret, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", DATABASE_URL: url, AGENT_GATE_DB_SCHEMA: schema,
    AGENT_GATE_RECONCILE_SECONDS: "0", AGENT_GATE_POLICY_THREADS: "0", AGENT_GATE_GITHUB_API_URL: github.url, AGENT_GATE_GITHUB_TIMEOUT_MS: "60000",
    AGENT_GATE_GITHUB_RETRIES: "0", AGENT_GATE_TRUSTED_ROOT: "fixtures/scenarios/trusted_root.json",
  });
  let stopped = false;
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const body = JSON.stringify(human.steps[0]!.payload);
    const res = await fetch(`${base}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": "newer-1", "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` },
      body,
    });
    assert.equal(res.status, 200, await res.text());
    for (let i = 0; i < 400 && github.calls() === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(github.calls() > 0, "the job never called GitHub");

    // A newer agent-gate migrates the schema (one migration further than this one knows).
    await sql(url, `INSERT INTO "${schema}".schema_migrations (version, name) VALUES ($1, 'from a newer agent-gate')`, [LATEST_MIGRATION + 1]);
    const t0 = Date.now();
    // While it winds down, /readyz answers 503 naming the migration (or the port is closed already).
    const during = await fetch(`${base}/readyz`).then(async (r) => ({ status: r.status, text: await r.text() }), () => undefined);
    const reason = await Promise.race([server.stoppedOnItsOwn, new Promise<string>((_, reject) => setTimeout(() => reject(new Error("the server never stopped by itself")), 15_000))]);
    stopped = true;
    assert.match(reason, new RegExp(`the database schema is at migration ${LATEST_MIGRATION + 1}, newer than this agent-gate knows \\(${LATEST_MIGRATION}\\)`));
    // Not the 20 s drain, nor the hanging call's 60 s: the running job was stopped at once.
    assert.ok(Date.now() - t0 < 10_000, `stopped after ${Date.now() - t0} ms`);
    if (during && during.status !== 200) assert.match(during.text, /newer than this agent-gate knows|draining/);
    await assert.rejects(fetch(`${base}/readyz`), "the port is closed");
    const jobs = await sql<{ state: string }>(url, `SELECT state FROM "${schema}_jobs".job WHERE name = 'evaluate'`);
    assert.equal(jobs.length, 1);
    assert.ok(["retry", "created"].includes(jobs[0]!.state), `the job is ${jobs[0]!.state}, not left for retry`);
  } finally {
    if (!stopped) await server.stop({ drainMs: 0 });
    await github.close();
    await dropSchema(url, schema);
    await dropSchema(url, `${schema}_jobs`);
  }
});

test("npm start's process exits (status 1) with a line naming the newer migration", { timeout: 120_000 }, async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const schema = uniqueSchema("newerexit");
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    env: {
      PATH: process.env.PATH, APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: secret, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "error", DATABASE_URL: url, AGENT_GATE_DB_SCHEMA: schema,
      AGENT_GATE_RECONCILE_SECONDS: "0", AGENT_GATE_POLICY_THREADS: "0", AGENT_GATE_GITHUB_API_URL: "http://127.0.0.1:9", AGENT_GATE_TRUSTED_ROOT: "fixtures/scenarios/trusted_root.json",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = once(child, "exit") as Promise<[number | null, string | null]>;
  try {
    // Started: the schema is migrated (the table exists and is at this version).
    let version = 0;
    for (let i = 0; i < 600 && version < LATEST_MIGRATION; i++) {
      version = await sql<{ v: number }>(url, `SELECT max(version) AS v FROM "${schema}".schema_migrations`).then((r) => Number(r[0]?.v ?? 0), () => 0);
      if (version < LATEST_MIGRATION) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(version, LATEST_MIGRATION, out);
    await sql(url, `INSERT INTO "${schema}".schema_migrations (version, name) VALUES ($1, 'from a newer agent-gate')`, [LATEST_MIGRATION + 1]);
    const [code] = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the process did not exit:\n${out}`)), 30_000))]);
    assert.equal(code, 1, out);
    assert.match(out, new RegExp(`agent-gate: stopped: the database schema is at migration ${LATEST_MIGRATION + 1}, newer than this agent-gate knows`));
    assert.match(out, /(ERROR \(probot\)|"level":50)[^\n]*newer than this agent-gate knows/, "the log has the line too");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await dropSchema(url, schema);
    await dropSchema(url, `${schema}_jobs`);
  }
});
