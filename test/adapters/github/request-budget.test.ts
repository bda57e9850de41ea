// The GitHub request budget (request-budget.ts) through budgetedOctokit, over a scripted fetch: what is retried
// and how often, rate limits waited out within the budget or failed at once past it, write pacing (in the process,
// and in the process when Redis errs), and the lanes. Timings are checked by lower bounds only.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { budgetedOctokit, type GitHubBudget } from "../../../src/adapters/github/octokit.js";
import { classify, Lanes, rateLimitWait } from "../../../src/adapters/github/request-budget.js";
import { SharedPacer, type RedisLike } from "../../../src/adapters/github/write-pacing.js";

interface Call {
  readonly method: string;
  readonly path: string;
  readonly at: number;
  readonly body: string;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | "network-error";

/** A fetch answering each request with the next scripted answer (the last repeats), recording the calls. */
function scripted(answers: readonly Answer[], opts: { holdMs?: number } = {}) {
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    calls.push({ method: init?.method ?? "GET", path: url.pathname, at: performance.now(), body: typeof init?.body === "string" ? init.body : "" });
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (opts.holdMs) await new Promise((r) => setTimeout(r, opts.holdMs));
      if (answer === "network-error") throw new TypeError("fetch failed", { cause: new Error("ECONNRESET") });
      return new Response(JSON.stringify(answer.body ?? {}), { status: answer.status, headers: { "content-type": "application/json", ...answer.headers } });
    } finally {
      inFlight--;
    }
  };
  return { fetch, calls, maxInFlight: () => maxInFlight };
}

const authStrategy = () => Object.assign(() => Promise.resolve({ type: "token", token: "ghs_budget" }), { hook: (request: (o: object) => unknown, options: object) => request(options) });

function client(budget: Partial<GitHubBudget>, fetch: unknown, extra: Record<string, unknown> = {}) {
  const Octokit = budgetedOctokit({ retries: 2, retryBaseMs: 10, maxRetryAfterSeconds: 2, writeIntervalMs: 0, ...budget });
  return new Octokit({ baseUrl: "http://github.test", authStrategy, auth: { installationId: 7 }, request: { fetch }, log: { debug() {}, info() {}, warn() {}, error() {} }, ...extra });
}

const get = (o: ReturnType<typeof client>) => o.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "widgets" });
const write = (o: ReturnType<typeof client>) => o.request("POST /repos/{owner}/{repo}/check-runs", { owner: "acme", repo: "widgets", name: "agent-gate", head_sha: "a".repeat(40) });
const secondary = (status: number, retryAfter: string): Answer => ({ status, headers: { "retry-after": retryAfter }, body: { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." } });

describe("retries", () => {
  it("retries a 5xx `retries` times, the n-th after retryBaseMs × n², then succeeds", async () => {
    const s = scripted([{ status: 502 }, { status: 503 }, { status: 200, body: { id: 1 } }]);
    const res = await get(client({ retries: 2, retryBaseMs: 20 }, s.fetch));
    assert.equal(res.status, 200);
    assert.equal(s.calls.length, 3);
    assert.ok(s.calls[1]!.at - s.calls[0]!.at >= 15, "first retry after about 20 ms");
    assert.ok(s.calls[2]!.at - s.calls[1]!.at >= 70, "second retry after about 80 ms");
  });

  it("fails with the last answer once the retries are spent", async () => {
    const s = scripted([{ status: 500 }]);
    await assert.rejects(get(client({ retries: 2 }, s.fetch)), (e: { status?: number }) => e.status === 500);
    assert.equal(s.calls.length, 3, "one request and two retries");
    const none = scripted([{ status: 500 }]);
    await assert.rejects(get(client({ retries: 0 }, none.fetch)), (e: { status?: number }) => e.status === 500);
    assert.equal(none.calls.length, 1, "retries: 0 sends the request once");
  });

  it("a request that asks for no retries (the check-run create: a lost answer may have made the run) is sent once on a 5xx or no answer, and still waits out a rate limit", async () => {
    const createOnce = (o: ReturnType<typeof client>) => o.request("POST /repos/{owner}/{repo}/check-runs", { owner: "acme", repo: "widgets", name: "agent-gate", head_sha: "a".repeat(40), request: { retries: 0 } });
    for (const failure of ["network-error", { status: 502 }] as const) {
      const s = scripted([failure, { status: 201, body: { id: 1 } }]);
      await assert.rejects(createOnce(client({ retries: 2 }, s.fetch)));
      assert.equal(s.calls.length, 1, `sent once after ${JSON.stringify(failure)}`);
    }
    const limited = scripted([secondary(403, "1"), { status: 201, body: { id: 1 } }]);
    assert.equal((await createOnce(client({ retries: 2 }, limited.fetch))).status, 201, "GitHub refused it, so it is sent again");
    assert.equal(limited.calls.length, 2);
  });

  it("retries a request that got no answer", async () => {
    const s = scripted(["network-error", "network-error", { status: 200 }]);
    assert.equal((await get(client({}, s.fetch))).status, 200);
    assert.equal(s.calls.length, 3);
  });

  for (const status of [400, 401, 403, 404, 410, 422, 451]) {
    it(`never retries a ${status}`, async () => {
      const s = scripted([{ status, body: { message: "no" } }, { status: 200 }]);
      await assert.rejects(write(client({ retries: 2 }, s.fetch)), (e: { status?: number }) => e.status === status);
      assert.equal(s.calls.length, 1);
    });
  }

  it("retries GraphQL's 'Something went wrong' answer as a 500", async () => {
    const s = scripted([{ status: 200, body: { errors: [{ message: "Something went wrong while executing your query. Please try again later." }] } }, { status: 200, body: { data: { viewer: { login: "x" } } } }]);
    const o = client({}, s.fetch);
    assert.deepEqual(await o.graphql("query AgentGateViewer { viewer { login } }"), { viewer: { login: "x" } });
    assert.equal(s.calls.length, 2);
  });

  it("stops retrying when the request's signal aborts", async () => {
    const s = scripted([{ status: 502 }]);
    const controller = new AbortController();
    const pending = client({ retries: 2, retryBaseMs: 50 }, s.fetch).request("GET /repos/{owner}/{repo}", { owner: "a", repo: "b", request: { signal: controller.signal } });
    setTimeout(() => controller.abort(new Error("the attempt's deadline")), 20);
    await assert.rejects(pending, /the attempt's deadline/);
    assert.equal(s.calls.length, 1);
  });
});

describe("rate limits", () => {
  it("waits out a secondary rate limit (403 or 429) within maxRetryAfterSeconds, then succeeds", async () => {
    for (const status of [403, 429]) {
      const s = scripted([secondary(status, "1"), { status: 201, body: { id: 1 } }]);
      const res = await write(client({ maxRetryAfterSeconds: 1 }, s.fetch));
      assert.equal(res.status, 201);
      assert.equal(s.calls.length, 2);
      assert.ok(s.calls[1]!.at - s.calls[0]!.at >= 950, `waited retry-after (${status})`);
    }
  });

  it("fails at once when the wait asked for is beyond maxRetryAfterSeconds", async () => {
    for (const answer of [secondary(403, "60"), secondary(429, "60"), { status: 403, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600) }, body: { message: "API rate limit exceeded" } }]) {
      const s = scripted([answer, { status: 200 }]);
      await assert.rejects(get(client({ maxRetryAfterSeconds: 10, retries: 2 }, s.fetch)), (e: { status?: number }) => e.status === (answer as { status: number }).status);
      assert.equal(s.calls.length, 1, "no retry");
    }
  });

  it("counts rate-limit retries in the same budget", async () => {
    const s = scripted([secondary(403, "0.01")]);
    await assert.rejects(get(client({ retries: 1 }, s.fetch)), (e: { status?: number }) => e.status === 403);
    assert.equal(s.calls.length, 2);
  });

  it("reads the wait as plugin-throttling did: retry-after, else until the reset plus one second", () => {
    const now = 1_700_000_000_000;
    const options = { method: "GET", url: "/repos/{owner}/{repo}" };
    const err = (status: number, message: string, headers: Record<string, string>, data?: unknown) => ({ status, message, response: { headers, data } });
    assert.equal(rateLimitWait(err(403, "You have exceeded a secondary rate limit", { "retry-after": "7" }), options, now), 7);
    assert.equal(rateLimitWait(err(429, "You have exceeded a secondary rate limit", {}), options, now), 60, "no retry-after: 60 s");
    assert.equal(rateLimitWait(err(403, "API rate limit exceeded", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 5) }), options, now), 6);
    assert.equal(rateLimitWait(err(403, "Resource not accessible by integration", {}), options, now), undefined, "a 403 that is not a rate limit");
    assert.equal(rateLimitWait(err(404, "secondary rate", {}), options, now), undefined);
    assert.equal(rateLimitWait(err(200, "", { "x-ratelimit-reset": String(now / 1000 + 2) }, { errors: [{ type: "RATE_LIMITED" }] }), { method: "POST", url: "/graphql" }, now), 3);
  });

  it("a GraphQL RATE_LIMITED answer is retried after the reset, and past the budget fails as a transient 403", async () => {
    const limited: Answer = { status: 200, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) - 1) }, body: { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded" }] } };
    const s = scripted([limited, { status: 200, body: { data: { ok: true } } }]);
    assert.deepEqual(await client({}, s.fetch).graphql("query AgentGateOk { ok }"), { ok: true });
    assert.equal(s.calls.length, 2);
    const far: Answer = { ...limited, headers: { "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600) } };
    const t = scripted([far]);
    await assert.rejects(client({}, t.fetch).graphql("query AgentGateOk { ok }"), (e: { status?: number; message?: string }) => e.status === 403 && /rate limit/i.test(e.message ?? ""));
    assert.equal(t.calls.length, 1);
  });
});

describe("write pacing", () => {
  it("keeps an installation's writes writeIntervalMs apart; reads are not paced", async () => {
    const s = scripted([{ status: 201 }]);
    const o = client({ writeIntervalMs: 300 }, s.fetch);
    await write(o);
    await write(o);
    await Promise.all([write(o), get(o)]);
    const writes = s.calls.filter((c) => c.method === "POST");
    assert.equal(writes.length, 3);
    // Each write takes the next slot an interval after the last one reserved (a late wake-up does not move it). The
    // slots are an interval apart from the first reservation, not from the first send, which a busy machine may delay:
    // the margin (100 ms) is for that delay, so the bound holds on a loaded machine too.
    assert.ok(writes[1]!.at - writes[0]!.at >= 200 && writes[2]!.at - writes[0]!.at >= 500, `writes apart: ${writes.map((w) => w.at.toFixed(0)).join(", ")}`);
    const read = s.calls.find((c) => c.method === "GET")!;
    assert.ok(read.at < writes[2]!.at, "the read did not wait for the paced write");
  });

  it("tells GraphQL queries (reads) from mutations (writes), and token requests from writes", () => {
    assert.equal(classify({ method: "POST", url: "/graphql", query: "query AgentGatePull { __typename }" }), "read");
    assert.equal(classify({ method: "POST", url: "/graphql", query: "mutation AgentGateX { __typename }" }), "write");
    assert.equal(classify({ method: "POST", url: "/graphql", query: "{ viewer { login } }" }), "write", "an anonymous document is paced, as before");
    assert.equal(classify({ method: "POST", url: "/app/installations/{installation_id}/access_tokens" }), "auth");
    assert.equal(classify({ method: "POST", url: "https://api.github.com/app/installations/9/access_tokens?x=1" }), "auth");
    assert.equal(classify({ method: "PATCH", url: "/repos/{owner}/{repo}/check-runs/{check_run_id}" }), "write");
    assert.equal(classify({ method: "HEAD", url: "/repos/a/b" }), "read");
  });

  it("with writeIntervalMs 0, writes are not paced and Redis is not asked", async () => {
    let asked = 0;
    const redis: RedisLike = { status: "ready", evalsha: () => Promise.resolve(asked++), eval: () => Promise.resolve(asked++) };
    const s = scripted([{ status: 201 }]);
    const o = client({ writeIntervalMs: 0 }, s.fetch, { throttle: { connection: { client: redis } } });
    await Promise.all([write(o), write(o)]);
    assert.equal(asked, 0);
    assert.equal(s.calls.length, 2);
  });

  it("when Redis errs, paces in the process and warns once", async () => {
    let asked = 0;
    const redis: RedisLike = { status: "ready", evalsha: () => Promise.reject(new Error(`ECONNRESET ${++asked}`)), eval: () => Promise.reject(new Error("unused")) };
    const warnings: string[] = [];
    const s = scripted([{ status: 201 }]);
    const o = client({ writeIntervalMs: 300 }, s.fetch, { throttle: { connection: { client: redis } }, log: { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {} } });
    await write(o);
    await write(o);
    assert.equal(asked, 2, "Redis was asked for each write");
    // Measured from the first send, which a busy machine may delay past its reservation: 100 ms of margin.
    assert.ok(s.calls[1]!.at - s.calls[0]!.at >= 200, "paced in the process");
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /write pacing could not use Redis \(ECONNRESET 1\)/);
  });

  it("a Redis that is not ready is not asked", async () => {
    let asked = 0;
    const pacer = new SharedPacer({ status: "reconnecting", evalsha: () => Promise.resolve(asked++), eval: () => Promise.resolve(asked++) }, { warn: () => undefined });
    assert.equal((await pacer.reserve("k", 100, 1000))?.waitMs, 0);
    assert.ok(((await pacer.reserve("k", 100, 1000))?.waitMs ?? 0) > 50, "the second write waits for the first's interval");
    assert.equal(asked, 0);
  });
});

describe("lanes", () => {
  it("runs an installation's token requests one at a time and at most 10 of its other requests at once", async () => {
    const tokens = scripted([{ status: 201, body: { token: "ghs_x" } }], { holdMs: 20 });
    const o = client({}, tokens.fetch);
    await Promise.all([1, 2, 3].map(() => o.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: 7 })));
    assert.equal(tokens.calls.length, 3);
    assert.equal(tokens.maxInFlight(), 1);
    const reads = scripted([{ status: 200 }], { holdMs: 20 });
    const r = client({}, reads.fetch);
    await Promise.all(Array.from({ length: 25 }, () => get(r)));
    assert.equal(reads.calls.length, 25);
    assert.equal(reads.maxInFlight(), 10);
  });

  it("a freed slot passes to the next waiter; a waiter whose signal aborts leaves the queue", async () => {
    const lanes = new Lanes();
    assert.ok(lanes.tryAcquire("k", 1));
    assert.ok(!lanes.tryAcquire("k", 1));
    const controller = new AbortController();
    const aborted = lanes.wait("k", 1, controller.signal);
    const next = lanes.wait("k", 1);
    controller.abort(new Error("gone"));
    await assert.rejects(aborted, /gone/);
    lanes.release("k");
    await next;
    assert.equal(lanes.active("k"), 1);
    lanes.release("k");
    assert.equal(lanes.active("k"), 0);
  });
});
