// The stand-in's webhook side: signed deliveries to the App, the delivery history (GET /app/hook/deliveries, with
// cursor pagination) and redeliveries (POST .../attempts), all validated against GitHub's REST description.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import { verify } from "@octokit/webhooks-methods";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { StandInHookDelivery } from "../../src/demo/github/model.js";
import { generateKeyPairSync } from "node:crypto";
import { Probot, createNodeMiddleware } from "probot";
import pino from "pino";
import { repo, validated } from "./support.js";

const SECRET = "s3cret";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A stand-in App on loopback: records every delivery and answers as `answer` says ("hang" never answers). */
async function fakeApp(answer: (n: number) => number | "hang" = () => 200): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const a = answer(received.length);
      if (a === "hang") return;
      res.writeHead(a, { "content-type": "text/plain" });
      res.end(a === 200 ? "ok" : "nope");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  return {
    url, received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const payload = (action = "opened", n = 1): Record<string, unknown> => ({ action, number: n, installation: { id: 77 }, repository: { id: 77, name: "web", owner: { login: "acme" } }, pull_request: { number: n } });

test("a delivery is signed over its exact body, carries GitHub's headers and is recorded as OK", async () => {
  const app = await fakeApp();
  const standIn = new GitHubStandIn([repo()], { appId: 4321 });
  try {
    const body = `{"action":"opened",  "number":1,"installation":{"id":77},"repository":{"id":77}}`; // spacing kept as given
    const d = await standIn.deliver("pull_request", body, { url: app.url, secret: SECRET });
    const got = app.received[0]!;
    assert.equal(got.body, body);
    assert.equal(await verify(SECRET, got.body, String(got.headers["x-hub-signature-256"])), true);
    assert.equal(await verify("wrong", got.body, String(got.headers["x-hub-signature-256"])), false);
    assert.match(String(got.headers["x-hub-signature"]), /^sha1=[0-9a-f]{40}$/);
    assert.equal(got.headers["x-github-delivery"], d.guid);
    assert.match(d.guid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(got.headers["x-github-event"], "pull_request");
    assert.equal(got.headers["x-github-hook-installation-target-id"], "4321");
    assert.equal(got.headers["x-github-hook-installation-target-type"], "integration");
    assert.match(String(got.headers["user-agent"]), /^GitHub-Hookshot\//);
    assert.equal(got.headers["content-type"], "application/json");
    assert.deepEqual(
      { id: d.id, status: d.status, status_code: d.status_code, redelivery: d.redelivery, event: d.event, action: d.action, installation_id: d.installation_id, repository_id: d.repository_id, url: d.url },
      { id: 1, status: "OK", status_code: 200, redelivery: false, event: "pull_request", action: "opened", installation_id: 77, repository_id: 77, url: app.url },
    );
    assert.match(d.delivered_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(d.duration >= 0 && d.duration < 10);
    assert.deepEqual(d.response.payload, "ok");
    assert.deepEqual(standIn.hookDeliveries, [d]);
  } finally {
    await app.close();
  }
});

test("Probot's own signature check accepts the stand-in's deliveries (and rejects one signed with another secret)", async () => {
  const seen: string[] = [];
  const probot = new Probot({ appId: 1, privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(), secret: SECRET, log: pino({ level: "silent" }) });
  const middleware = await createNodeMiddleware((app) => {
    app.on("pull_request.opened", (context) => {
      seen.push(context.id);
      return Promise.resolve();
    });
  }, { probot, webhooksPath: "/api/github/webhooks" });
  const server = createServer((req, res) => void Promise.resolve(middleware(req, res)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  const standIn = new GitHubStandIn([repo()]);
  try {
    const ok = await standIn.deliver("pull_request", payload(), { url, secret: SECRET });
    assert.equal(ok.status_code, 200, JSON.stringify(ok.response));
    assert.deepEqual(seen, [ok.guid]);
    const bad = await standIn.deliver("pull_request", payload(), { url, secret: "not-the-secret" });
    assert.equal(bad.status_code, 400);
    assert.equal(bad.status, "Invalid HTTP Response: 400");
    assert.deepEqual(seen, [ok.guid]);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("the App's failures are recorded: an error status, a timeout (status_code 0), no listener, a drop (502, nothing sent)", async () => {
  const app = await fakeApp((n) => (n === 1 ? 500 : "hang"));
  const standIn = new GitHubStandIn([repo()]);
  try {
    const error = await standIn.deliver("pull_request", payload(), { url: app.url, secret: SECRET });
    assert.deepEqual([error.status, error.status_code], ["Invalid HTTP Response: 500", 500]);
    const t0 = performance.now();
    const slow = await standIn.deliver("pull_request", payload(), { url: app.url, secret: SECRET, timeoutMs: 150 });
    assert.ok(performance.now() - t0 < 3000);
    assert.deepEqual([slow.status, slow.status_code, slow.response.payload], ["timed out", 0, null]);
    assert.ok(slow.duration >= 0.1);
    const refused = await standIn.deliver("pull_request", payload(), { url: "http://127.0.0.1:1/hooks", secret: SECRET });
    assert.deepEqual([refused.status, refused.status_code], ["failed to connect", 0]);
    const before = app.received.length;
    const dropped = await standIn.deliver("pull_request", payload(), { url: app.url, secret: SECRET, drop: true });
    assert.deepEqual([dropped.status, dropped.status_code, dropped.redelivery], ["failed to connect", 502, false]);
    assert.equal(app.received.length, before, "a dropped delivery is not sent");
    assert.deepEqual(standIn.hookDeliveries.map((d) => d.id), [1, 2, 3, 4]);
  } finally {
    await app.close();
  }
});

test("the default delivery timeout is GitHub's 10 s", async (t) => {
  const timeout = t.mock.method(AbortSignal, "timeout");
  const standIn = new GitHubStandIn([repo()]);
  const d = await standIn.deliver("ping", { zen: "z" }, { url: "http://app.invalid/hooks", secret: SECRET, fetch: () => Promise.resolve(new Response("ok")) });
  assert.equal(d.status, "OK");
  assert.deepEqual(timeout.mock.calls.map((c) => c.arguments), [[10_000]]);
});

test("history: newest first, cursor pagination with GitHub's Link header, status filter; bodies valid", async () => {
  const app = await fakeApp((n) => (n % 3 === 0 ? 500 : 200));
  const standIn = new GitHubStandIn([repo()]);
  const gh = validated(standIn);
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const octokit = new Octokit({ auth: "jwt.for.app", request: { fetch: gh.fetch }, log: quiet });
  try {
    for (let i = 1; i <= 7; i++) await standIn.deliver("pull_request", payload(i % 2 ? "opened" : "synchronize", i), { url: app.url, secret: SECRET });
    await standIn.deliver("pull_request", payload(), { url: app.url, secret: SECRET, drop: true });

    const first = await octokit.request("GET /app/hook/deliveries", { per_page: 3 });
    assert.deepEqual(first.data.map((d) => d.id), [8, 7, 6]);
    assert.equal(first.headers.link, `<https://api.github.com/app/hook/deliveries?per_page=3&cursor=v1_5>; rel="next"`);
    assert.deepEqual(Object.keys(first.data[0]!).sort(), ["action", "delivered_at", "duration", "event", "guid", "id", "installation_id", "redelivery", "repository_id", "status", "status_code", "throttled_at"]);
    const second = await octokit.request("GET /app/hook/deliveries", { per_page: 3, cursor: "v1_5" });
    assert.deepEqual(second.data.map((d) => d.id), [5, 4, 3]);
    const all = await octokit.paginate("GET /app/hook/deliveries", { per_page: 3 });
    assert.deepEqual(all.map((d) => d.id), [8, 7, 6, 5, 4, 3, 2, 1]);
    // @octokit/rest 22 does not type `status` for paginate yet (request passes it through).
    const failures = await octokit.paginate("GET /app/hook/deliveries", { per_page: 2, ...({ status: "failure" } as object) });
    assert.deepEqual(failures.map((d) => `${d.id}:${d.status_code}`), ["8:502", "6:500", "3:500"]);
    const successes = await octokit.request("GET /app/hook/deliveries", { status: "success" });
    assert.deepEqual(successes.data.map((d) => d.id), [7, 5, 4, 2, 1]);
    assert.equal(successes.headers.link, undefined);

    const one = await octokit.request("GET /app/hook/deliveries/{delivery_id}", { delivery_id: 2 });
    assert.equal(one.data.guid, standIn.hookDeliveries[1]!.guid);
    assert.equal(one.data.action, "synchronize");
    assert.equal(one.data.url, app.url);
    assert.deepEqual(one.data.request.payload, payload("synchronize", 2));
    assert.equal(one.data.request.headers?.["X-GitHub-Delivery"], one.data.guid);
    assert.equal(one.data.response.payload, "ok");

    assert.deepEqual(gh.problems, []);
    assert.equal(gh.exchanges.length, 1 + 1 + 3 + 2 + 1 + 1);
    await assert.rejects(octokit.request("GET /app/hook/deliveries", { cursor: "nonsense" }), { status: 400 });
    await assert.rejects(octokit.request("GET /app/hook/deliveries/{delivery_id}", { delivery_id: 999 }), { status: 404 });
  } finally {
    await app.close();
  }
});

test("a redelivery (POST .../attempts, 202) resends the same GUID and body as a new, later entry", async () => {
  const app = await fakeApp((n) => (n === 1 ? 503 : 200));
  const standIn = new GitHubStandIn([repo()]);
  const gh = validated(standIn);
  const octokit = new Octokit({ auth: "jwt.for.app", request: { fetch: gh.fetch } });
  try {
    const failed = await standIn.deliver("pull_request", payload(), { url: app.url, secret: SECRET });
    assert.equal(failed.status_code, 503);
    const res = await octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: failed.id });
    assert.equal(res.status, 202);
    assert.equal(app.received.length, 1, "queued, not sent before the 202");
    await standIn.idle();
    assert.equal(app.received.length, 2);
    const [a, b] = app.received;
    assert.equal(b!.headers["x-github-delivery"], failed.guid);
    assert.equal(b!.body, a!.body);
    assert.equal(b!.headers["x-hub-signature-256"], a!.headers["x-hub-signature-256"]);
    const again = standIn.hookDeliveries[1]!;
    assert.deepEqual([again.id, again.guid, again.redelivery, again.status, again.status_code], [2, failed.guid, true, "OK", 200]);
    const listed = await octokit.request("GET /app/hook/deliveries");
    assert.deepEqual(listed.data.map((d) => [d.id, d.guid, d.redelivery]), [[2, failed.guid, true], [1, failed.guid, false]]);
    assert.deepEqual(gh.problems, []);
  } finally {
    await app.close();
  }
});

test("a dropped delivery can be redelivered; dropDelivery fails chosen attempts, redeliveries included", async () => {
  const app = await fakeApp();
  const standIn = new GitHubStandIn([repo()]);
  try {
    const dropped = await standIn.deliver("check_run", payload("rerequested"), { url: app.url, secret: SECRET, drop: true });
    assert.equal(app.received.length, 0);
    const redelivered: StandInHookDelivery = await standIn.redeliver(dropped.id);
    assert.deepEqual([redelivered.guid, redelivered.redelivery, redelivered.status], [dropped.guid, true, "OK"]);
    assert.equal(app.received.length, 1);
    let down = true;
    standIn.dropDelivery = (attempt) => down && attempt.event === "check_run";
    const second = await standIn.redeliver(dropped.id);
    assert.deepEqual([second.status, second.status_code, second.redelivery], ["failed to connect", 502, true]);
    const other = await standIn.deliver("pull_request", payload(), { url: app.url, secret: SECRET });
    assert.equal(other.status, "OK");
    down = false;
    assert.equal((await standIn.redeliver(second.id)).status, "OK");
    assert.equal(app.received.filter((r) => r.headers["x-github-delivery"] === dropped.guid).length, 2);
    await assert.rejects(standIn.redeliver(999), /no webhook delivery 999/);
  } finally {
    await app.close();
  }
});

test("deliveries reach an App served in-process through the fetch option; the history is served on loopback too", async () => {
  const received: Request[] = [];
  const standIn = new GitHubStandIn([repo()]);
  const inProcess = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    received.push(new Request(input, init));
    return Promise.resolve(new Response(null, { status: 202 }));
  };
  for (let i = 0; i < 3; i++) await standIn.deliver("pull_request", payload(), { url: "http://app.invalid/hooks", secret: SECRET, fetch: inProcess });
  assert.equal(received.length, 3);
  assert.deepEqual(standIn.hookDeliveries.map((d) => d.status), ["OK", "OK", "OK"]);
  const base = await standIn.listen();
  try {
    const res = await fetch(`${base}/app/hook/deliveries?per_page=2`);
    assert.equal(res.headers.get("link"), `<${base}/app/hook/deliveries?per_page=2&cursor=v1_1>; rel="next"`);
    const attempt = await fetch(`${base}/app/hook/deliveries/1/attempts`, { method: "POST" });
    assert.equal(attempt.status, 202);
    await standIn.idle();
    assert.equal(received.length, 4);
  } finally {
    await standIn.close();
  }
});
