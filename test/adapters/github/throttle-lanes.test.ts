// With REDIS_URL, Probot's throttling shared its limiters through Redis. A shared concurrency slot was freed only
// when its job expired (60 s), so an App process killed mid-request held its slots that long: with the token
// lane's single slot, every other process waited up to a minute for an installation token (the fault harness saw
// all four workers of a restarted process stall 44 s after each SIGKILL). Only the pacing of writes, which holds no
// slot during a request, is shared (one Redis key per installation and interval); concurrency lanes stay in the
// process. Probot's own throttling is off; the budget finds Redis in the connection Probot passes.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPairSync, randomInt } from "node:crypto";
import { Redis } from "ioredis";
import { Probot } from "probot";
import pino from "pino";
import { budgetedOctokit, type GitHubBudget } from "../../../src/adapters/github/octokit.js";

interface Lanes {
  readonly redis: Redis;
  readonly redisUrl: string;
  readonly baseUrl: string;
  readonly installation: number;
  /** Arrival times (performance.now()) of the requests the loopback GitHub answered, with method and path. */
  readonly seen: { method: string; url: string; at: number }[];
}

/** Runs `body` with Redis (skipped where none answers), a loopback GitHub that answers every request (tokens
 *  included), and an installation of its own. */
async function withLanes(t: TestContext, body: (l: Lanes) => Promise<void>): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
  } catch {
    t.skip(`no Redis at ${redisUrl}`);
    redis.disconnect();
    return;
  }
  const seen: Lanes["seen"] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", at: performance.now() });
    req.resume();
    const token = /\/access_tokens$/.test(req.url ?? "");
    const answer = token ? { token: "ghs_lanes", expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {}, repository_selection: "all" } : { id: 1 };
    res.writeHead(token ? 201 : 200, { "content-type": "application/json" }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const installation = randomInt(10_000_000, 99_999_999);
  try {
    await body({ redis, redisUrl, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, installation, seen });
  } finally {
    const keys = await redis.keys(`*${installation}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

let privateKey: string | undefined;

/** An installation's client as Probot makes it with REDIS_URL (its throttle options carry Probot's Redis connection);
 *  `close` ends that connection. */
async function probotInstallation(l: Lanes, budget: Partial<GitHubBudget>) {
  privateKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const connections = new Set<{ disconnect(flush: boolean): Promise<void> }>();
  const capture = (_octokit: unknown, options: { throttle?: { connection?: { disconnect(flush: boolean): Promise<void> } } }) => {
    if (options.throttle?.connection) connections.add(options.throttle.connection);
  };
  const Octokit = budgetedOctokit({ retries: 0, retryBaseMs: 1, maxRetryAfterSeconds: 1, writeIntervalMs: 0, ...budget, plugins: [capture as never] });
  const probot = new Probot({ appId: 1, privateKey, redisConfig: l.redisUrl, baseUrl: l.baseUrl, log: pino({ level: "silent" }), Octokit });
  const octokit = await probot.auth(l.installation);
  return {
    octokit,
    connected: () => connections.size > 0,
    close: async () => {
      for (const c of connections) await c.disconnect(false);
    },
  };
}

const checkRun = { owner: "acme", repo: "widgets", name: "agent-gate", head_sha: "a".repeat(40) };

test("with Redis, an installation's write pacing is shared between processes; its request and token lanes are not", { timeout: 60_000 }, (t) =>
  withLanes(t, async (l) => {
    const writeIntervalMs = 300;
    // Two processes: two Probots, each with its own Octokit class, lanes and Redis connection.
    const [a, b] = [await probotInstallation(l, { writeIntervalMs }), await probotInstallation(l, { writeIntervalMs })];
    try {
      assert.ok(a.connected() && b.connected(), "Probot passed its Redis connection");
      await a.octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "widgets" });
      await Promise.all([a.octokit.request("POST /repos/{owner}/{repo}/check-runs", checkRun), b.octokit.request("POST /repos/{owner}/{repo}/check-runs", checkRun)]);
      const writes = l.seen.filter((r) => r.method === "POST" && r.url.endsWith("/check-runs"));
      assert.equal(writes.length, 2);
      assert.ok(writes[1]!.at - writes[0]!.at >= writeIntervalMs * 0.6, `the two processes' writes are an interval apart: ${writes.map((w) => w.at.toFixed(0)).join(", ")}`);
      const keys = await l.redis.keys(`*${l.installation}*`);
      assert.deepEqual(keys, [`agent-gate:write-pacing:${writeIntervalMs}ms:${l.installation}`], "only the write pacing is in Redis");
    } finally {
      await a.close();
      await b.close();
    }
  }),
);

test("with Redis, a changed write interval applies at once: the pacing key of another interval is not reused; 0 does not ask Redis", { timeout: 60_000 }, (t) =>
  withLanes(t, async (l) => {
    // A process paced at 5 s, then (restarted with another setting while the first key lives) at 3 s, then at 0.
    // Neither waits: each interval has its own key (alive for one interval after its last write).
    for (const writeIntervalMs of [5000, 3000, 0]) {
      const p = await probotInstallation(l, { writeIntervalMs });
      try {
        await p.octokit.request("POST /repos/{owner}/{repo}/check-runs", checkRun);
      } finally {
        await p.close();
      }
    }
    const keys = (await l.redis.keys(`agent-gate:write-pacing:*${l.installation}`)).sort();
    assert.deepEqual(keys, [`agent-gate:write-pacing:3000ms:${l.installation}`, `agent-gate:write-pacing:5000ms:${l.installation}`]);
    const ttl = await l.redis.pttl(keys[1]!);
    assert.ok(ttl > 0 && ttl <= 5000, `the key expires when it paces nothing: ${ttl} ms`);
  }),
);
