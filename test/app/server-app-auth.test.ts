// /readyz is not ready while GitHub refuses the App's credentials: the key parses at start, but only GitHub can say
// it is the App's. A request signed as the App answered 401 fails the github_app check until one succeeds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startServer } from "../../src/app-server.js";
import { loadScenarios } from "../../src/demo/scenario.js";

test("a 401 to a request signed as the App fails /readyz (github_app) until such a request succeeds", { timeout: 120_000 }, async () => {
  let refuse = true;
  const appRequests: string[] = [];
  const github = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0]!;
    if (path.startsWith("/app")) {
      appRequests.push(`${req.method} ${path} ${refuse ? 401 : "ok"}`);
      if (refuse) return void res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ message: "A JSON web token could not be decoded", documentation_url: "https://docs.github.com/rest" }));
      if (req.method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path))
        return void res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ token: "ghs_test", expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: "all" }));
      return void res.writeHead(200, { "content-type": "application/json" }).end("[]");
    }
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: "Not Found" }));
  });
  await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const secret = "a-test-webhook-secret";
  const server = await startServer({
    APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: secret, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", AGENT_GATE_DATA_DIR: "memory://", AGENT_GATE_RECONCILE_SECONDS: "0",
    AGENT_GATE_POLICY_THREADS: "0", AGENT_GATE_GITHUB_API_URL: `http://127.0.0.1:${(github.address() as AddressInfo).port}`, AGENT_GATE_GITHUB_RETRIES: "0", AGENT_GATE_TRUSTED_ROOT: "fixtures/scenarios/trusted_root.json",
  });
  const base = `http://127.0.0.1:${server.port}`;
  const readiness = async (): Promise<{ status: number; body: { checks: Record<string, { status: string; error?: string }> } }> => {
    const r = await fetch(`${base}/readyz`);
    return { status: r.status, body: (await r.json()) as { checks: Record<string, { status: string; error?: string }> } };
  };
  try {
    // Reconciliation at start reads the App's delivery history, signed as the App: refused.
    let ready = await readiness();
    for (let i = 0; i < 200 && ready.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await readiness();
    }
    assert.equal(ready.status, 503, JSON.stringify(appRequests));
    assert.equal(ready.body.checks["github_app"]?.status, "fail");
    assert.match(ready.body.checks["github_app"]?.error ?? "", /GitHub refused the App's credentials \(401 on GET \/app\/(hook\/deliveries|installations) at .*\): check APP_ID and that the private key is the App's/);
    assert.equal(ready.body.checks["database"]?.status, "ok");

    // GitHub takes them again: the next request signed as the App (an installation token for a delivery) clears it.
    refuse = false;
    const body = JSON.stringify(loadScenarios().scenarios.find((x) => x.name === "human-pr")!.steps[0]!.payload);
    const res = await fetch(`${base}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": "auth-1", "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` },
      body,
    });
    assert.equal(res.status, 200);
    for (let i = 0; i < 200 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await readiness();
    }
    assert.equal(ready.status, 200, JSON.stringify({ ready: ready.body, appRequests }));
    assert.ok(appRequests.some((r) => /^POST \/app\/installations\/\d+\/access_tokens ok$/.test(r)), JSON.stringify(appRequests));
  } finally {
    await server.stop({ drainMs: 0 });
    github.closeAllConnections();
    await new Promise<void>((resolve) => github.close(() => resolve()));
  }
});
