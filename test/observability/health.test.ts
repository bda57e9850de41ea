// Health endpoints on real HTTP servers: liveness, readiness with deadlines and scrubbed reasons, draining,
// metrics with and without a token, and the handler inside Probot 14's own Server through addHandler.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPairSync } from "node:crypto";
import pino from "pino";
import { Probot, Server as ProbotServer } from "probot";
import { Readiness, healthHandler, requestListener } from "../../src/observability/health.js";
import type { NodeHandler } from "../../src/observability/health.js";
import { Metrics } from "../../src/observability/metrics.js";
import { freePort } from "../support/net.js";

async function serve(handler: NodeHandler): Promise<{ base: string; close: () => Promise<void> }> {
  const server: Server = createServer(requestListener(handler));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string; json: () => Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

describe("health handler", () => {
  const metrics = new Metrics({ defaultMetrics: false });
  const readiness = new Readiness(100);
  let state: { db: "up" | "down" | "hang"; calls: number; aborted: boolean } = { db: "up", calls: 0, aborted: false };
  readiness.register("database", async (signal) => {
    state.calls++;
    signal.addEventListener("abort", () => (state.aborted = true));
    if (state.db === "down") throw new Error("connect ECONNREFUSED postgres://gate:hunter2hunter2@db:5432/gate");
    if (state.db === "hang") await new Promise(() => {});
    return "select 1 in 1 ms";
  });
  readiness.register("queue", () => true);
  let srv: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    srv = await serve(healthHandler({ readiness, metrics }));
  });
  after(() => srv.close());

  it("/healthz is 200 while the process runs, for GET and HEAD, whatever the query string", async () => {
    const r = await get(`${srv.base}/healthz?probe=1`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { status: "ok" });
    assert.equal(r.headers.get("cache-control"), "no-store");
    const h = await get(`${srv.base}/healthz`, { method: "HEAD" });
    assert.equal(h.status, 200);
    assert.equal(h.text, "");
  });

  it("other methods are 405 with Allow; other paths are left to the next handler (here 404)", async () => {
    const r = await get(`${srv.base}/readyz`, { method: "POST", body: "x" });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get("allow"), "GET, HEAD");
    assert.equal((await get(`${srv.base}/api/github/webhooks`)).status, 404);
  });

  it("/readyz is 200 with every check's result when all pass", async () => {
    state = { db: "up", calls: 0, aborted: false };
    const r = await get(`${srv.base}/readyz`);
    assert.equal(r.status, 200);
    const body = r.json() as { status: string; checks: Record<string, { status: string; detail?: string; ms: number }> };
    assert.equal(body.status, "ready");
    assert.equal(body.checks["database"]?.status, "ok");
    assert.equal(body.checks["database"]?.detail, "select 1 in 1 ms");
    assert.equal(body.checks["queue"]?.status, "ok");
    assert.equal(typeof body.checks["database"]?.ms, "number");
  });

  it("/readyz is 503 naming the failing check, with secrets in its reason scrubbed", async () => {
    state = { db: "down", calls: 0, aborted: false };
    const r = await get(`${srv.base}/readyz`);
    assert.equal(r.status, 503);
    const body = r.json() as { status: string; reason: string; checks: Record<string, { status: string; error?: string }> };
    assert.equal(body.status, "not ready");
    assert.match(body.reason, /^database: connect ECONNREFUSED postgres:\/\/\[REDACTED\]@db:5432\/gate$/);
    assert.ok(!r.text.includes("hunter2"));
    assert.equal(body.checks["queue"]?.status, "ok");
  });

  it("a check that does not answer within its deadline fails, and its signal is aborted", async () => {
    state = { db: "hang", calls: 0, aborted: false };
    const started = Date.now();
    const r = await get(`${srv.base}/readyz`);
    assert.equal(r.status, 503);
    assert.match(String(r.json()["reason"]), /database: no answer within 100 ms/);
    assert.ok(Date.now() - started < 5000);
    assert.equal(state.aborted, true);
  });

  it("concurrent probes share one run of the checks", async () => {
    let calls = 0;
    const shared = new Readiness().register("slow", async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
    });
    const reports = await Promise.all([1, 2, 3, 4].map(() => shared.evaluate()));
    assert.deepEqual(reports.map((r) => r.status), ["ready", "ready", "ready", "ready"]);
    assert.equal(calls, 1);
    await shared.evaluate();
    assert.equal(calls, 2, "a later probe runs the checks again");
  });

  it("/metrics serves the Prometheus text of the Metrics instance", async () => {
    metrics.concluded("success");
    const r = await get(`${srv.base}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.match(r.text, /agent_gate_conclusions_total\{conclusion="success"\} 1/);
  });

  it("a check resolving false is not ready; draining answers 503 at once without running checks", async () => {
    const r2 = new Readiness().register("worker", () => false);
    const report = await r2.evaluate();
    assert.equal(report.status, "not ready");
    assert.equal(report.reason, "worker: worker reported not ready");
    let ran = false;
    const r3 = new Readiness().register("x", () => (ran = true));
    r3.setDraining();
    assert.deepEqual(await r3.evaluate(), { status: "draining", reason: "shutting down", checks: {} });
    assert.equal(ran, false);
  });
});

describe("metrics behind a token", () => {
  it("needs Authorization: Bearer <token>; liveness and readiness do not", async () => {
    const srv = await serve(healthHandler({ metrics: new Metrics({ defaultMetrics: false }), metricsToken: "s3cret-metrics-token" }));
    try {
      const none = await get(`${srv.base}/metrics`);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="metrics"');
      assert.equal((await get(`${srv.base}/metrics`, { headers: { authorization: "Bearer wrong" } })).status, 401);
      assert.equal((await get(`${srv.base}/metrics`, { headers: { authorization: "Bearer s3cret-metrics-token" } })).status, 200);
      assert.equal((await get(`${srv.base}/healthz`)).status, 200);
      assert.equal((await get(`${srv.base}/readyz`)).status, 200);
    } finally {
      await srv.close();
    }
  });

  it("without a Metrics instance, /metrics is not handled", async () => {
    const srv = await serve(healthHandler());
    try {
      assert.equal((await get(`${srv.base}/metrics`)).status, 404);
    } finally {
      await srv.close();
    }
  });
});


describe("inside Probot 14's Server", () => {
  it("an app function registers the handler with addHandler; Probot's own routes still answer", async () => {
    const log = pino({ level: "silent" });
    const metrics = new Metrics({ defaultMetrics: false });
    const readiness = new Readiness().register("database", () => "ok");
    const server = new ProbotServer({
      host: "127.0.0.1",
      port: await freePort(),
      log,
      Probot: Probot.defaults({
        appId: 1,
        privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
        secret: "s",
        log,
      }),
    });
    await server.load((_app, { addHandler }) => {
      addHandler(healthHandler({ readiness, metrics }));
    });
    await server.start();
    try {
      const base = `http://127.0.0.1:${server.port}`;
      assert.equal((await get(`${base}/healthz`)).status, 200);
      assert.equal((await get(`${base}/readyz`)).json()["status"], "ready");
      assert.match((await get(`${base}/metrics`)).text, /agent_gate_queue_depth/);
      assert.equal((await get(`${base}/ping`)).text, "PONG");
      assert.equal((await get(`${base}/nothing`)).status, 404);
      const hook = await get(`${base}/api/github/webhooks`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      assert.equal(hook.status, 400, "the webhook middleware still answers its path first");
    } finally {
      await server.stop();
    }
  });
});
