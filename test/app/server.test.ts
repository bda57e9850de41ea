// The deployed App's process: readiness, liveness and Prometheus metrics on Probot's port; unsigned deliveries
// refused; a bad environment stops it with a message naming the variable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { startServer } from "../../src/app-server.js";
import { readServerEnv } from "../../src/config/server-env.js";

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
