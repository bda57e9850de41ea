// The fault injector: each kind answers as GitHub does (status, headers, body), real clients recognise the rate
// limits, faults are deterministic under a seed, counted, and only hit the requests the predicate picks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { ProbotOctokit } from "probot";
import { GitHubStandIn, type Fault, type StandInRequest } from "../../src/demo/github/stand-in.js";
import { FAULT_KINDS, FaultInjector, mulberry32, type FaultInjectorOptions } from "../../src/demo/github/faults.js";
import { repo, sha, validated } from "./support.js";
import { budgetedOctokit } from "../../src/adapters/github/octokit.js";
import { rateLimitWait } from "../../src/adapters/github/request-budget.js";

/** agent-gate's own client reads the stand-in's rate limit as one (the wait it asks), and past its
 *  maxRetryAfterSeconds fails at once: the injector counts one request. */
async function budgetSees(kind: "primaryRateLimit" | "secondaryRateLimit"): Promise<void> {
  const { standIn, injector } = faulted({ rates: { [kind]: 1 }, retryAfterSeconds: [1, 5] });
  const Budgeted = budgetedOctokit({ retries: 2, retryBaseMs: 1, maxRetryAfterSeconds: 0, writeIntervalMs: 0 });
  const octokit = new Budgeted({ auth: { token: TOKEN }, request: { fetch: standIn.fetch } });
  const route = { method: "GET", url: "/repos/{owner}/{repo}/pulls/{pull_number}" };
  const err: unknown = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "web", pull_number: 1 }).then(
    () => assert.fail("expected the rate limit to fail the request"),
    (e: unknown) => e,
  );
  assert.ok((rateLimitWait(err, route) ?? 0) >= 1, `a rate limit asking for a wait: ${String(err)}`);
  assert.equal(injector.counts[kind === "primaryRateLimit" ? "primary-rate-limit" : "secondary-rate-limit"], 1, "no retry past the budget");
}

const TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
const get = (path = "/repos/acme/web/pulls/1"): StandInRequest => ({ method: "GET", url: path, headers: { authorization: `token ${TOKEN}` }, body: undefined });

function faulted(options: Omit<FaultInjectorOptions, "seed"> & { seed?: number }): { standIn: GitHubStandIn; injector: FaultInjector } {
  const standIn = new GitHubStandIn([repo()]);
  const injector = new FaultInjector({ seed: 1, ...options });
  standIn.faults.push(injector.fault);
  return { standIn, injector };
}

const call = (standIn: GitHubStandIn, path = "/repos/acme/web/pulls/1", init: RequestInit = {}): Promise<Response> =>
  standIn.fetch(`https://api.github.com${path}`, { headers: { authorization: `token ${TOKEN}` }, ...init });

test("mulberry32 is a deterministic PRNG in [0, 1)", () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, mulberry32(43)));
  assert.ok(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5) < 0.05);
});

test("server errors: 500, 502 or 503 with a JSON message, all three drawn", async () => {
  const { standIn, injector } = faulted({ rates: { serverError: 1 } });
  const gh = validated(standIn);
  const statuses = new Set<number>();
  for (let i = 0; i < 30; i++) {
    const res = await gh.fetch("https://api.github.com/repos/acme/web/pulls/1");
    statuses.add(res.status);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.match(res.headers.get("x-github-request-id") ?? "", /^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{6}:[0-9A-F]{8}$/);
    const body = (await res.json()) as { message: string };
    assert.equal(body.message, res.status === 503 ? "Service Unavailable" : "Server Error");
  }
  assert.deepEqual([...statuses].sort(), [500, 502, 503]);
  assert.equal(injector.counts["server-error"], 30);
  assert.deepEqual(gh.problems, []);
  const only502 = faulted({ rates: { serverError: 1 }, serverErrorStatuses: [502] });
  assert.equal((await call(only502.standIn)).status, 502);
});

test("latency: the normal answer, after the drawn delay", async () => {
  const { standIn, injector } = faulted({ rates: { latency: 1 }, latencyMs: [80, 120] });
  const t0 = performance.now();
  const res = await call(standIn);
  const took = performance.now() - t0;
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { number: number }).number, 1);
  assert.ok(took >= 75, `answered after ${took} ms`);
  assert.equal(injector.counts.latency, 1);
  assert.equal(standIn.requests.at(-1)?.status, 200);
});

test("timeout: the response hangs until the client gives up (in-process and on loopback)", async () => {
  const { standIn, injector } = faulted({ rates: { timeout: 1 }, timeoutMs: 60_000 });
  const t0 = performance.now();
  await assert.rejects(call(standIn, "/repos/acme/web/pulls/1", { signal: AbortSignal.timeout(100) }), { name: "TimeoutError" });
  assert.ok(performance.now() - t0 < 5000);
  assert.deepEqual(standIn.requests.at(-1), { method: "GET", path: "/repos/acme/web/pulls/1", status: 0, write: false, outcome: "aborted" });

  const base = await standIn.listen();
  try {
    await assert.rejects(fetch(`${base}/repos/acme/web/pulls/1`, { signal: AbortSignal.timeout(100) }), { name: "TimeoutError" });
    // The server sees the client leave; the request is recorded as aborted once its socket closes.
    for (let i = 0; i < 50 && standIn.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(standIn.requests.at(-1)?.outcome, "aborted");
  } finally {
    await standIn.close();
  }
  assert.equal(injector.counts.timeout, 2);
});

test("timeout: after the hang the connection is dropped; close() ends hangs early", async () => {
  const short = faulted({ rates: { timeout: 1 }, timeoutMs: 50 });
  await assert.rejects(call(short.standIn), (e: unknown) => e instanceof TypeError && e.message === "fetch failed");
  const long = faulted({ rates: { timeout: 1 }, timeoutMs: 60_000 });
  const pending = call(long.standIn);
  setTimeout(() => void long.standIn.close(), 20);
  await assert.rejects(pending, /the GitHub stand-in closed/);
});

test("drop: the connection is reset (fetch fails in-process; the socket closes on loopback)", async () => {
  const { standIn, injector } = faulted({ rates: { drop: 1 } });
  await assert.rejects(call(standIn), (e: unknown) => e instanceof TypeError && e.message === "fetch failed");
  assert.deepEqual(standIn.requests.at(-1), { method: "GET", path: "/repos/acme/web/pulls/1", status: 0, write: false, outcome: "dropped" });
  const base = await standIn.listen();
  try {
    await assert.rejects(fetch(`${base}/repos/acme/web/pulls/1`), TypeError);
  } finally {
    await standIn.close();
  }
  assert.equal(injector.counts.drop, 2);
  await assert.rejects(new Octokit({ auth: TOKEN, request: { fetch: standIn.fetch } }).request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "web", pull_number: 1 }), { name: "HttpError", status: 500 });
});

test("primary rate limit: 403, x-ratelimit-remaining 0, reset a few seconds ahead, GitHub's message; Octokit's throttling sees it", async () => {
  const now = 1_800_000_000_000;
  const { standIn, injector } = faulted({ rates: { primaryRateLimit: 1 }, now: () => now });
  const gh = validated(standIn);
  const res = await gh.fetch("https://api.github.com/repos/acme/web/pulls/1");
  assert.equal(res.status, 403);
  assert.equal(res.headers.get("x-ratelimit-remaining"), "0");
  assert.equal(res.headers.get("x-ratelimit-limit"), "5000");
  const reset = Number(res.headers.get("x-ratelimit-reset"));
  assert.ok(reset >= now / 1000 + 2 && reset <= now / 1000 + 5, `reset ${reset}`);
  const body = (await res.json()) as { message: string; documentation_url: string };
  assert.match(body.message, /^API rate limit exceeded for installation ID 77\. /);
  assert.match(body.documentation_url, /^https:\/\/docs\.github\.com\//);
  assert.deepEqual(gh.problems, []);

  const custom = faulted({ rates: { primaryRateLimit: 1 }, installationFor: () => 4242 });
  assert.match(((await (await call(custom.standIn)).json()) as { message: string }).message, /installation ID 4242\./);

  const seen: { kind: string; retryAfter: number }[] = [];
  const octokit = new ProbotOctokit({
    auth: { token: TOKEN },
    request: { fetch: standIn.fetch },
    retry: { enabled: false },
    throttle: { onRateLimit: (retryAfter: number) => void seen.push({ kind: "primary", retryAfter }), onSecondaryRateLimit: (retryAfter: number) => void seen.push({ kind: "secondary", retryAfter }) },
  });
  await assert.rejects(octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "web", pull_number: 1 }), { status: 403 });
  assert.equal(seen[0]?.kind, "primary");
  assert.equal(injector.counts["primary-rate-limit"], 2);
  await budgetSees("primaryRateLimit");
});

test("secondary rate limit: 403 or 429 with retry-after and GitHub's message; Octokit's throttling sees it", async () => {
  const { standIn, injector } = faulted({ rates: { secondaryRateLimit: 1 }, retryAfterSeconds: [1, 5] });
  const gh = validated(standIn);
  const statuses = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const res = await gh.fetch("https://api.github.com/repos/acme/web/pulls/1");
    statuses.add(res.status);
    const retryAfter = Number(res.headers.get("retry-after"));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 5);
    assert.match(((await res.json()) as { message: string }).message, /^You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\./);
  }
  assert.deepEqual([...statuses].sort(), [403, 429]);
  assert.deepEqual(gh.problems, []);
  assert.equal((await call(faulted({ rates: { secondaryRateLimit: 1 }, secondaryStatus: 429 }).standIn)).status, 429);

  const seen: { kind: string; retryAfter: number }[] = [];
  const octokit = new ProbotOctokit({
    auth: { token: TOKEN },
    request: { fetch: standIn.fetch },
    retry: { enabled: false },
    throttle: { onRateLimit: (retryAfter: number) => void seen.push({ kind: "primary", retryAfter }), onSecondaryRateLimit: (retryAfter: number) => void seen.push({ kind: "secondary", retryAfter }) },
  });
  await assert.rejects(octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "web", pull_number: 1 }));
  assert.equal(seen[0]?.kind, "secondary");
  assert.ok((seen[0]?.retryAfter ?? 0) >= 1);
  assert.equal(injector.counts["secondary-rate-limit"], 21);
  await budgetSees("secondaryRateLimit");
});

test("deterministic under a seed: the same requests get the same faults, counts match the log and the rates", async () => {
  const rates = { serverError: 0.1, drop: 0.05, primaryRateLimit: 0.05, secondaryRateLimit: 0.05, latency: 0.05 };
  const run = async (seed: number): Promise<FaultInjector> => {
    const { standIn, injector } = faulted({ seed, rates, latencyMs: 1 });
    for (let i = 0; i < 400; i++) await call(standIn, `/repos/acme/web/pulls/1?n=${i}`).catch(() => undefined);
    return injector;
  };
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  assert.deepEqual(a.log, b.log);
  assert.deepEqual(a.counts, b.counts);
  assert.notDeepEqual(a.log, c.log);
  assert.equal(a.targeted, 400);
  assert.equal(a.total, a.log.length);
  for (const kind of FAULT_KINDS) assert.equal(a.counts[kind], a.log.filter((f) => f.kind === kind).length, kind);
  assert.equal(a.counts.timeout, 0);
  assert.ok(a.counts["server-error"] > 20 && a.counts["server-error"] < 65, `server errors ${a.counts["server-error"]}`);
  assert.ok(a.total > 70 && a.total < 170, `total ${a.total}`);
  assert.match(a.summary(), /^server-error: \d+, latency: \d+, drop: \d+, primary-rate-limit: \d+, secondary-rate-limit: \d+ \(of 400 targeted requests\)$/);
  // Request n's fault depends only on the seed and n: a sync replay draws the same.
  const replay = new FaultInjector({ seed: 7, rates, latencyMs: 1 });
  for (let i = 0; i < 400; i++) void Promise.resolve(replay.fault(get(`/repos/acme/web/pulls/1?n=${i}`), new AbortController().signal)).catch(() => undefined);
  assert.deepEqual(replay.log.map((f) => [f.seq, f.kind, f.status]), a.log.map((f) => [f.seq, f.kind, f.status]));
});

test("targets: API requests but not token requests (unless asked) nor bundle downloads; a custom predicate; enabled", () => {
  const byDefault = new FaultInjector({ seed: 1, rates: { serverError: 1 } });
  const tokenReq: StandInRequest = { method: "POST", url: "/app/installations/77/access_tokens", headers: {}, body: undefined };
  const signal = new AbortController().signal;
  assert.equal(byDefault.fault(tokenReq, signal), undefined);
  assert.equal(byDefault.fault({ method: "GET", url: "/_attestation-bundles/acme/web/0", headers: {}, body: undefined }, signal), undefined);
  assert.equal((byDefault.fault(get(), signal) as { status: number }).status >= 500, true);
  assert.equal(byDefault.targeted, 1);
  const withTokens = new FaultInjector({ seed: 1, rates: { serverError: 1 }, includeTokenRequests: true });
  assert.ok(withTokens.fault(tokenReq, signal));
  const writesOnly = new FaultInjector({ seed: 1, rates: { drop: 1 }, target: (req) => req.method !== "GET" });
  assert.equal(writesOnly.fault(get(), signal), undefined);
  assert.equal(writesOnly.fault({ method: "POST", url: "/repos/acme/web/check-runs", headers: {}, body: {} }, signal), "drop");
  writesOnly.enabled = false;
  assert.equal(writesOnly.fault({ method: "POST", url: "/repos/acme/web/check-runs", headers: {}, body: {} }, signal), undefined);
  assert.equal(writesOnly.counts.drop, 1);
  assert.throws(() => new FaultInjector({ seed: 1, rates: { drop: 0.6, serverError: 0.6 } }), RangeError);
  assert.throws(() => new FaultInjector({ seed: 1, rates: { drop: -0.1 } }), RangeError);
});

test("sticky rate limits answer every request with the same token until the reset", async () => {
  let now = 1_800_000_000_000;
  const { standIn, injector } = faulted({ rates: { primaryRateLimit: 0.5 }, sticky: true, resetInSeconds: 3, now: () => now });
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) statuses.push((await call(standIn)).status);
  const first = statuses.indexOf(403);
  assert.ok(first >= 0);
  assert.ok(statuses.slice(first).every((s) => s === 403), statuses.join(","));
  now += 3000;
  const other = await standIn.fetch("https://api.github.com/repos/acme/web/pulls/1", { headers: { authorization: "token other" } });
  assert.ok([200, 403].includes(other.status));
  assert.equal(injector.counts["primary-rate-limit"], statuses.filter((s) => s === 403).length + (other.status === 403 ? 1 : 0));
});

test("handle answers synchronous faults as before; handleSync keeps the old synchronous form", async () => {
  const standIn = new GitHubStandIn([repo()]);
  const outage: Fault = (req) => (req.url.includes("/pulls/") ? { status: 503, headers: { "content-type": "application/json" }, body: { message: "Service Unavailable" } } : undefined);
  standIn.faults.push(outage);
  assert.equal(((await standIn.handle(get())) as { status: number }).status, 503);
  assert.equal((standIn.handleSync(get()) as { status: number }).status, 503);
  assert.equal((standIn.handleSync(get("/repos/acme/web/contents/.github/agent-gate.yml")) as { status: number }).status, 200);
  standIn.faults.push(() => ({ status: 200, headers: {}, body: {}, delayMs: 30 }));
  assert.throws(() => standIn.handleSync(get("/repos/acme/web/commits/x/check-runs")), /use handle\(\)/);
  const t0 = performance.now();
  const delayed = await standIn.handle(get("/repos/acme/web/commits/x/check-runs"));
  assert.ok(performance.now() - t0 >= 25);
  assert.deepEqual(delayed, { status: 200, headers: {}, body: {} });
  standIn.faults = [() => Promise.resolve(undefined)];
  assert.throws(() => standIn.handleSync(get()), /use handle\(\)/);
});

test("a rate-limit budget per installation token: remaining decrements, 403 when spent, resets after the window", async () => {
  let now = 1_800_000_000_000;
  const standIn = new GitHubStandIn([repo()], { rateLimit: { limit: 3, windowSeconds: 60 }, now: () => now });
  const remaining: (string | null)[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await call(standIn);
    remaining.push(res.status === 200 ? res.headers.get("x-ratelimit-remaining") : `${res.status}:${res.headers.get("x-ratelimit-remaining")}`);
  }
  assert.deepEqual(remaining, ["2", "1", "0", "403:0"]);
  const limited = await call(standIn);
  assert.equal(limited.headers.get("x-ratelimit-reset"), String(now / 1000 + 60));
  assert.match(((await limited.json()) as { message: string }).message, /^API rate limit exceeded for installation ID 77\./);
  // Another token has its own budget; the App's JWT is not counted.
  assert.equal((await standIn.fetch("https://api.github.com/repos/acme/web/pulls/1", { headers: { authorization: "token other" } })).headers.get("x-ratelimit-remaining"), "2");
  const jwt = await standIn.fetch("https://api.github.com/app/installations", { headers: { authorization: "bearer a.b.c" } });
  assert.equal(jwt.headers.get("x-ratelimit-remaining"), "4999");
  now += 60_000;
  assert.equal((await call(standIn)).headers.get("x-ratelimit-remaining"), "2");
  // A conditional request answered 304 is not counted, as on GitHub.
  const config = await call(standIn, "/repos/acme/web/contents/.github/agent-gate.yml");
  assert.equal(config.headers.get("x-ratelimit-remaining"), "1");
  const unchanged = await call(standIn, "/repos/acme/web/contents/.github/agent-gate.yml", { headers: { authorization: `token ${TOKEN}`, "if-none-match": config.headers.get("etag")! } });
  assert.equal(unchanged.status, 304);
  assert.equal((await call(standIn)).headers.get("x-ratelimit-remaining"), "0");
  // Unconfigured, every answer says 4999 as before.
  assert.equal((await call(new GitHubStandIn([repo()]))).headers.get("x-ratelimit-remaining"), "4999");
});

test("the check runs list is faulted like any API call, the bundle download is not", async () => {
  const standIn = new GitHubStandIn([{ ...repo(), attestations: [{ digest: `sha256:${"a".repeat(64)}`, bundle: { mediaType: "x" } }] }]);
  const injector = new FaultInjector({ seed: 3, rates: { serverError: 1 } });
  standIn.faults.push(injector.fault);
  assert.equal((await call(standIn, `/repos/acme/web/commits/${sha(1000)}/check-runs`)).status >= 500, true);
  const bundle = await standIn.fetch(`${standIn.bundleBase}/_attestation-bundles/acme/web/0`);
  assert.equal(bundle.status, 200);
  assert.equal(injector.targeted, 1);
});
