// With REDIS_URL, Probot's throttling shares its limiters through Redis. A shared concurrency slot is freed only
// when its job expires (60 s), so an App process killed mid-request held its slots that long: with the token
// lane's single slot, every other process waited up to a minute for an installation token (the fault harness saw
// all four workers of a restarted process stall 44 s after each SIGKILL). Only the pacing of writes, which holds no
// slot during a request, may be shared; concurrency lanes stay in the process.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { randomInt } from "node:crypto";
import Bottleneck from "bottleneck";
import { Redis } from "ioredis";
import { budgetedOctokit } from "../../../src/adapters/github/octokit.js";

interface Lanes {
  readonly redis: Redis;
  readonly connection: InstanceType<typeof Bottleneck.IORedisConnection>;
  readonly baseUrl: string;
  readonly installation: number;
  /** An installation's client as Probot makes it (its auth names the installation), with a token at hand. */
  readonly authStrategy: () => unknown;
}

/** Runs `body` with Redis (skipped where none answers), the Redis connection Probot gives Octokit's throttling with
 *  REDIS_URL, a loopback GitHub that answers every request, and an installation of its own. */
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
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: 1 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const connection = new Bottleneck.IORedisConnection({ client: new Redis(redisUrl) });
  try {
    const authStrategy = () => Object.assign(() => Promise.resolve({ type: "token", token: "ghs_lanes" }), { hook: (request: (o: object) => unknown, options: object) => request(options) });
    await body({ redis, connection, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, installation: randomInt(10_000_000, 99_999_999), authStrategy });
  } finally {
    redis.disconnect();
    await connection.disconnect(false);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test("with Redis, an installation's request and token lanes are not shared between processes; write pacing is", { timeout: 60_000 }, (t) =>
  withLanes(t, async ({ redis, connection, baseUrl, installation, authStrategy }) => {
    const Octokit = budgetedOctokit({ retries: 0, retryBaseMs: 1, maxRetryAfterSeconds: 1, writeIntervalMs: 0 });
    const octokit = new Octokit({ baseUrl, authStrategy, auth: { installationId: installation }, throttle: { Bottleneck, connection } });
    await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "widgets" });
    await octokit.request("POST /repos/{owner}/{repo}/check-runs", { owner: "acme", repo: "widgets", name: "agent-gate", head_sha: "a".repeat(40) });
    const keys = await redis.keys(`b_*${installation}*`);
    assert.deepEqual(keys.filter((k) => /octokit-(global|auth)/.test(k)), [], `shared concurrency lanes: ${keys.join(", ")}`);
    assert.ok(keys.some((k) => k.startsWith("b_agent-gate-write-")), `write pacing is shared: ${keys.join(", ")}`);
    await redis.del(...keys);
  }),
);

test("with Redis, a changed write interval applies at once: the shared lane of another interval is not reused", { timeout: 60_000 }, (t) =>
  withLanes(t, async ({ redis, connection, baseUrl, installation, authStrategy }) => {
    // A process paced at 1 s, then (restarted with another setting while the first lane's keys live) at 0.
    for (const writeIntervalMs of [1000, 0]) {
      const Octokit = budgetedOctokit({ retries: 0, retryBaseMs: 1, maxRetryAfterSeconds: 1, writeIntervalMs });
      const octokit = new Octokit({ baseUrl, authStrategy, auth: { installationId: installation }, throttle: { Bottleneck, connection } });
      await octokit.request("POST /repos/{owner}/{repo}/check-runs", { owner: "acme", repo: "widgets", name: "agent-gate", head_sha: "a".repeat(40) });
    }
    const settings = (await redis.keys(`b_agent-gate-write-*${installation}_settings`)).sort();
    const minTimes = await Promise.all(settings.map((k) => redis.hget(k, "minTime")));
    assert.deepEqual(minTimes, ["0", "1000"], `each interval paces with its own lane: ${settings.join(", ")}`);
    await redis.del(...(await redis.keys(`b_*${installation}*`)));
  }),
);
