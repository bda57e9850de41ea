// The deployed App's process: readiness, liveness and Prometheus metrics on Probot's port; unsigned deliveries
// refused; a bad environment stops it with a message naming the variable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { startServer } from "../../src/app-server.js";
import { readServerEnv } from "../../src/config/server-env.js";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { dropSchema, requirePostgres, uniqueSchema } from "../adapters/storage/support.js";

test("the server answers /healthz, /readyz and /metrics, and refuses an unsigned delivery", { timeout: 120_000 }, async () => {
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const server = await startServer({ APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: "a-test-webhook-secret", PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", AGENT_GATE_DATA_DIR: "memory://", AGENT_GATE_RECONCILE_SECONDS: "0", AGENT_GATE_GITHUB_API_URL: "http://127.0.0.1:9" });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200, await ready.clone().text());
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of ["events", "evaluations", "conclusions", "queue_depth", "github_requests", "verification", "policy"]) assert.match(metrics, new RegExp(`agent_gate_[a-z_]*${name}`), name);
    const unsigned = await fetch(`${base}/api/github/webhooks`, { method: "POST", headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": "d-1" }, body: "{}" });
    assert.ok(unsigned.status >= 400, `unsigned delivery answered ${unsigned.status}`);
  } finally {
    await server.stop();
  }
});

test("a missing or weak webhook secret stops the server, naming the variable", () => {
  assert.throws(() => readServerEnv({ APP_ID: "1", PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----" }), /WEBHOOK_SECRET/);
  assert.throws(() => readServerEnv({ APP_ID: "1", PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----", WEBHOOK_SECRET: "short" }), /WEBHOOK_SECRET: expected a webhook secret of at least 16/);
  assert.throws(() => readServerEnv({ APP_ID: "x", WEBHOOK_SECRET: "a-test-webhook-secret" }), /APP_ID/);
});

test("a state retention shorter than a job may live is refused, naming the variable and the bound", () => {
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const base = { APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: "a-test-webhook-secret" };
  assert.equal(readServerEnv(base).AGENT_GATE_STATE_RETENTION_DAYS, 30);
  assert.throws(() => readServerEnv({ ...base, AGENT_GATE_STATE_RETENTION_DAYS: "7" }), /AGENT_GATE_STATE_RETENTION_DAYS: .*>=15/);
  assert.throws(() => readServerEnv({ ...base, AGENT_GATE_STATE_RETENTION_DAYS: "thirty" }), /AGENT_GATE_STATE_RETENTION_DAYS: .*number/);
});

for (const threads of ["0", "2"]) test(`embedded default${threads === "0" ? "" : `, policies on ${threads} threads`}: a delivery is queued in the embedded database and a worker completes the check`, { timeout: 120_000 }, async () => {
  const { scenarios } = loadScenarios();
  const human = scenarios.find((x) => x.name === "human-pr")!;
  const standIn = new GitHubStandIn(structuredClone(human.repos));
  const api = await standIn.listen();
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const secret = "a-test-webhook-secret";
  const server = await startServer({ APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: secret, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", AGENT_GATE_DATA_DIR: "memory://", AGENT_GATE_RECONCILE_SECONDS: "0", AGENT_GATE_GITHUB_API_URL: api, AGENT_GATE_TRUSTED_ROOT: "fixtures/scenarios/trusted_root.json", AGENT_GATE_POLICY_THREADS: threads });
  try {
    const step = human.steps[0]!;
    const attempt = await standIn.deliver("pull_request", step.payload, { url: `http://127.0.0.1:${server.port}/api/github/webhooks`, secret });
    assert.equal(attempt.status_code, 200, attempt.status);
    for (let i = 0; i < 200 && standIn.checkRuns[0]?.status !== "completed"; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(standIn.checkRuns.length, 1);
    assert.equal(standIn.checkRuns[0]!.status, "completed");
    assert.equal(standIn.checkRuns[0]!.conclusion, step.expect.conclusion);
    // The job finishes (audit record, idempotency record) just after the check is written.
    let metrics = "";
    for (let i = 0; i < 100 && !/agent_gate_evaluations_total\{/.test(metrics); i++) {
      metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(metrics, /agent_gate_evaluations_total\{[^}]*kind="pull_request"[^}]*\} 1/);
  } finally {
    await server.stop();
    await standIn.close();
  }
});

test("stopped during a running job, the server drains: no unhandled rejection, the job left for retry", { timeout: 120_000 }, async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const { scenarios } = loadScenarios();
  const human = scenarios.find((x) => x.name === "human-pr")!;
  // A GitHub that issues tokens and answers reconciliation, but never answers the gate's own calls.
  const open = new Set<IncomingMessage>();
  let gateCalls = 0;
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
    gateCalls++;
    open.add(req);
    res.on("close", () => open.delete(req));
  });
  await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
  const schema = uniqueSchema("stop");
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => void rejections.push(reason);
  process.on("unhandledRejection", onRejection);
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const secret = "a-test-webhook-secret";
  const server = await startServer({
    APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: secret, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", DATABASE_URL: url, AGENT_GATE_DB_SCHEMA: schema,
    AGENT_GATE_RECONCILE_SECONDS: "0", AGENT_GATE_GITHUB_API_URL: `http://127.0.0.1:${(github.address() as AddressInfo).port}`,
    AGENT_GATE_GITHUB_TIMEOUT_MS: "60000", AGENT_GATE_GITHUB_RETRIES: "0", AGENT_GATE_TRUSTED_ROOT: "fixtures/scenarios/trusted_root.json",
  });
  let stopped = false;
  try {
    const body = JSON.stringify(human.steps[0]!.payload);
    const res = await fetch(`http://127.0.0.1:${server.port}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": "stop-1", "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` },
      body,
    });
    assert.equal(res.status, 200, await res.text());
    // The job is running: its first GitHub call hangs.
    for (let i = 0; i < 400 && gateCalls === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(gateCalls > 0, "the job never called GitHub");
    await server.stop({ drainMs: 1_000 });
    stopped = true;
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(rejections.map(String), []);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ state: string }>(`SELECT state FROM "${schema}_jobs".job WHERE name = 'evaluate'`);
      assert.equal(rows.length, 1);
      assert.ok(["completed", "retry", "created"].includes(rows[0]!.state), `the job is ${rows[0]!.state}`);
    } finally {
      await c.end();
    }
  } finally {
    if (!stopped) await server.stop({ drainMs: 0 });
    process.off("unhandledRejection", onRejection);
    github.closeAllConnections();
    await new Promise<void>((resolve) => github.close(() => resolve()));
    await dropSchema(url, schema);
    await dropSchema(url, `${schema}_jobs`);
  }
});
