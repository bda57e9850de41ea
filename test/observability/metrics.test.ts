// Metrics: own registries, every series the App reports, the scrape-time queue depth, timers, and the Octokit
// hook (route templates, statuses including 0 for no answer, rate limit by resource and installation).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { Octokit } from "@octokit/rest";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { Metrics } from "../../src/observability/metrics.js";
import { instrumentOctokit, octokitMetricsPlugin, routeTemplate } from "../../src/observability/octokit.js";

const line = (text: string, series: string): string | undefined => text.split("\n").find((l) => l.startsWith(series));
const value = (text: string, series: string): number => {
  const l = line(text, series);
  assert.ok(l, `no series ${series} in\n${text.slice(0, 2000)}`);
  return Number(l.slice(series.length).trim());
};

describe("Metrics", () => {
  it("each instance owns its registry: two can coexist and count separately", async () => {
    const a = new Metrics({ defaultMetrics: false });
    const b = new Metrics({ defaultMetrics: false });
    a.eventReceived("pull_request", "opened");
    a.eventReceived("pull_request", "opened");
    b.eventReceived("pull_request", "opened");
    assert.equal(value(await a.text(), 'agent_gate_events_received_total{event="pull_request",action="opened"}'), 2);
    assert.equal(value(await b.text(), 'agent_gate_events_received_total{event="pull_request",action="opened"}'), 1);
    assert.match(a.contentType, /^text\/plain; version=0\.0\.4/);
  });

  it("reports events, evaluations, conclusions, jobs, GitHub requests and rate limits", async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.eventReceived("check_run");
    m.evaluated("pull_request", "allow", 0.3);
    m.evaluated("deployment", "deny");
    m.evaluated("merge_group", "error", 2);
    m.concluded("success");
    m.concluded("failure");
    m.jobRetried();
    m.jobFailed("reconcile");
    m.folded("check_run.completed");
    m.githubRequest("get", "/repos/{owner}/{repo}", 200);
    m.rateLimitRemaining("core", "42", 4999);
    const t = await m.text();
    assert.equal(value(t, 'agent_gate_events_received_total{event="check_run",action=""}'), 1);
    assert.equal(value(t, 'agent_gate_evaluations_total{kind="pull_request",outcome="allow"}'), 1);
    assert.equal(value(t, 'agent_gate_evaluations_total{kind="deployment",outcome="deny"}'), 1);
    assert.equal(value(t, 'agent_gate_evaluations_total{kind="merge_group",outcome="error"}'), 1);
    assert.equal(value(t, 'agent_gate_evaluation_duration_seconds_count{kind="pull_request",outcome="allow"}'), 1);
    assert.equal(value(t, 'agent_gate_evaluation_duration_seconds_bucket{le="0.5",kind="pull_request",outcome="allow"}'), 1);
    assert.equal(value(t, 'agent_gate_conclusions_total{conclusion="failure"}'), 1);
    assert.equal(value(t, 'agent_gate_jobs_retried_total{queue="evaluate"}'), 1);
    assert.equal(value(t, 'agent_gate_deliveries_folded_total{event="check_run.completed"}'), 1);
    assert.equal(value(t, 'agent_gate_jobs_failed_total{queue="reconcile"}'), 1);
    assert.equal(value(t, 'agent_gate_github_requests_total{method="GET",route="/repos/{owner}/{repo}",status="200"}'), 1);
    assert.equal(value(t, 'agent_gate_github_rate_limit_remaining{resource="core",installation="42"}'), 4999);
  });

  it("verification and policy histograms have buckets from 0.1 ms to 1 s", async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.observeVerification("verified", 0.00005);
    m.observePolicy("agent_gate/pull_request/decision", 0.7);
    const t = await m.text();
    assert.equal(value(t, 'agent_gate_verification_duration_seconds_bucket{le="0.0001",outcome="verified"}'), 1);
    assert.equal(value(t, 'agent_gate_policy_evaluation_duration_seconds_bucket{le="0.5",entrypoint="agent_gate/pull_request/decision"}'), 0);
    assert.equal(value(t, 'agent_gate_policy_evaluation_duration_seconds_bucket{le="1",entrypoint="agent_gate/pull_request/decision"}'), 1);
  });

  it("timers observe sync and async work, classify results, and record throws as error", async () => {
    const m = new Metrics({ defaultMetrics: false });
    assert.equal(m.timeVerification(() => ({ ok: false, code: "IDENTITY_MISMATCH" }), (o) => (o.ok ? "verified" : o.code)).code, "IDENTITY_MISMATCH");
    assert.equal(await m.timeVerification(() => Promise.resolve(7)), 7);
    assert.throws(() => m.timeVerification(() => { throw new Error("boom"); }), /boom/);
    await assert.rejects(m.timePolicy("e", () => Promise.reject(new Error("late"))), /late/);
    assert.equal(m.timePolicy("e", () => 1), 1);
    const t = await m.text();
    assert.equal(value(t, 'agent_gate_verification_duration_seconds_count{outcome="IDENTITY_MISMATCH"}'), 1);
    assert.equal(value(t, 'agent_gate_verification_duration_seconds_count{outcome="ok"}'), 1);
    assert.equal(value(t, 'agent_gate_verification_duration_seconds_count{outcome="error"}'), 1);
    assert.equal(value(t, 'agent_gate_policy_evaluation_duration_seconds_count{entrypoint="e"}'), 2);
  });

  it("queue depth is read at scrape time; a failing or hung callback reads NaN instead of failing the scrape", async () => {
    const m = new Metrics({ defaultMetrics: false, collectTimeoutMs: 50 });
    let depth = 3;
    m.setQueueDepth(() => depth);
    assert.equal(value(await m.text(), "agent_gate_queue_depth"), 3);
    depth = 5;
    assert.equal(value(await m.text(), "agent_gate_queue_depth"), 5);
    m.setQueueDepth(() => Promise.resolve(8));
    assert.equal(value(await m.text(), "agent_gate_queue_depth"), 8);
    m.setQueueDepth(() => Promise.reject(new Error("db down")));
    assert.match(line(await m.text(), "agent_gate_queue_depth ") ?? "", /^agent_gate_queue_depth nan$/i, "prom-client writes Nan; Prometheus reads any case");
    m.setQueueDepth(() => new Promise<number>(() => {}));
    assert.match(line(await m.text(), "agent_gate_queue_depth ") ?? "", /^agent_gate_queue_depth nan$/i);
  });

  it("process default metrics are included unless turned off, and default labels apply", async () => {
    const m = new Metrics({ defaultLabels: { instance: "a" } });
    const t = await m.text();
    assert.ok(line(t, "agent_gate_process_resident_memory_bytes"), "process metrics");
    assert.ok(line(t, "agent_gate_nodejs_eventloop_lag_seconds"), "event-loop lag");
    m.concluded("success");
    assert.ok(line(await m.text(), 'agent_gate_conclusions_total{conclusion="success",instance="a"}'));
    assert.equal(line(await new Metrics({ defaultMetrics: false }).text(), "agent_gate_process_"), undefined);
  });
});

describe("routeTemplate", () => {
  it("keeps templates, and bounds full URLs and names written into routes", () => {
    assert.equal(routeTemplate("/repos/{owner}/{repo}/check-runs"), "/repos/{owner}/{repo}/check-runs");
    assert.equal(routeTemplate("https://api.github.com/repositories/77/pulls/7/commits?per_page=100&page=2"), "/repositories/{id}/pulls/{id}/commits");
    assert.equal(routeTemplate("/repos/acme/web/contents/{path}"), "/repos/{owner}/{repo}/contents/{path}");
    assert.equal(routeTemplate(`/repos/acme/web/commits/${"a".repeat(40)}/check-runs`), "/repos/{owner}/{repo}/commits/{sha}/check-runs");
    assert.equal(routeTemplate("/orgs/acme/installation"), "/orgs/{org}/installation");
    assert.equal(routeTemplate("/users/alice"), "/users/{username}");
    assert.equal(routeTemplate("/app/installations/123/access_tokens"), "/app/installations/{id}/access_tokens");
    assert.equal(routeTemplate("/graphql"), "/graphql");
    assert.equal(routeTemplate(undefined), "unknown");
  });
});

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | "network-error";

function stubFetch(replies: Record<string, Reply>): typeof fetch {
  return (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const reply = replies[decodeURIComponent(url.pathname)];
    if (!reply || reply === "network-error") return Promise.reject(new TypeError("fetch failed", { cause: new Error("ECONNREFUSED") }));
    return Promise.resolve(
      new Response(reply.status === 204 || reply.status === 304 ? null : JSON.stringify(reply.body ?? {}), {
        status: reply.status,
        headers: { "content-type": "application/json", ...reply.headers },
      }),
    );
  };
}

describe("instrumentOctokit", () => {
  it("counts each request by method, route template and status, with 0 for no answer, and records the rate limit", async () => {
    const m = new Metrics({ defaultMetrics: false });
    const fetch = stubFetch({
      "/repos/acme/web": { status: 200, body: { id: 1 }, headers: { "x-ratelimit-remaining": "4998", "x-ratelimit-resource": "core" } },
      "/repos/acme/web/contents/.github/agent-gate.yml": { status: 404, body: { message: "Not Found" }, headers: { "x-ratelimit-remaining": "4997" } },
      "/graphql": { status: 200, body: { data: {} }, headers: { "x-ratelimit-remaining": "4000", "x-ratelimit-resource": "graphql" } },
    });
    const octokit = new Octokit({ auth: "t", request: { fetch } });
    instrumentOctokit(octokit, m, { installation: 42 });
    await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "web" });
    await assert.rejects(octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { owner: "acme", repo: "web", path: ".github/agent-gate.yml" }));
    await assert.rejects(octokit.request("POST /repos/{owner}/{repo}/check-runs", { owner: "acme", repo: "web", name: "x", head_sha: "a" }));
    await octokit.graphql("{ viewer { login } }");
    const t = await m.text();
    assert.equal(value(t, 'agent_gate_github_requests_total{method="GET",route="/repos/{owner}/{repo}",status="200"}'), 1);
    assert.equal(value(t, 'agent_gate_github_requests_total{method="GET",route="/repos/{owner}/{repo}/contents/{path}",status="404"}'), 1);
    assert.equal(value(t, 'agent_gate_github_requests_total{method="POST",route="/repos/{owner}/{repo}/check-runs",status="0"}'), 1);
    assert.equal(value(t, 'agent_gate_github_requests_total{method="POST",route="/graphql",status="200"}'), 1);
    assert.equal(value(t, 'agent_gate_github_rate_limit_remaining{resource="core",installation="42"}'), 4997, "the latest answer, errors included");
    assert.equal(value(t, 'agent_gate_github_rate_limit_remaining{resource="graphql",installation="42"}'), 4000);
  });

  it("as a plugin on ProbotOctokit, every client Probot creates is counted, labelled by installation", async () => {
    const m = new Metrics({ defaultMetrics: false });
    const fetch = stubFetch({
      "/app/installations/77/access_tokens": { status: 201, body: { token: "ghs_" + "a".repeat(36), expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: "all" } },
      "/repos/acme/web/pulls/7": { status: 200, body: { number: 7 }, headers: { "x-ratelimit-remaining": "4321", "x-ratelimit-resource": "core" } },
      "/app": { status: 200, body: { id: 1 }, headers: { "x-ratelimit-remaining": "100" } },
    });
    const probot = new Probot({
      appId: 1,
      privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      log: pino({ level: "silent" }),
      Octokit: ProbotOctokit.plugin(octokitMetricsPlugin(m)).defaults({ throttle: { enabled: false }, retry: { enabled: false } }),
      request: { fetch },
    });
    const installation = await probot.auth(77);
    await installation.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "web", pull_number: 7 });
    const app = await probot.auth();
    await app.request("GET /app");
    const t = await m.text();
    assert.equal(value(t, 'agent_gate_github_requests_total{method="GET",route="/repos/{owner}/{repo}/pulls/{pull_number}",status="200"}'), 1);
    assert.equal(value(t, 'agent_gate_github_rate_limit_remaining{resource="core",installation="77"}'), 4321);
    assert.equal(value(t, 'agent_gate_github_rate_limit_remaining{resource="core",installation="app"}'), 100);
  });
});
