// The GitHub calls moved into src/adapters/github/ (issue 15) make the same requests as before and refuse, with a
// named error, an answer that lacks what the caller relies on.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Octokit } from "@octokit/rest";
import { hookDeliveriesPage, installationRepositoriesPage, installationsPage, openPullsPage, redeliver } from "../../../src/adapters/github/app-api.js";
import { CheckRunPublisher, latestCheckRuns } from "../../../src/adapters/github/check-runs.js";
import { pullMergedAs, readPull } from "../../../src/adapters/github/pull-request-source.js";
import { readPullBody, writePullBody } from "../../../src/adapters/github/pull-body.js";
import { GitHubConnector } from "../../../src/adapters/github/octokit-github.js";
import { PULL_QUERY } from "../../../src/adapters/github/graphql-pull.js";
import { AgentGateError } from "../../../src/core/errors.js";

type Call = [route: string, params: Record<string, unknown>];

/** An Octokit that answers every request with `data` (and `headers`), recording what was asked. */
function fake(data: unknown, headers: Record<string, string> = {}): { octokit: Octokit; calls: Call[] } {
  const calls: Call[] = [];
  const request = (route: string, params: Record<string, unknown>) => {
    calls.push([route, params]);
    return Promise.resolve({ status: 200, headers, data, url: "" });
  };
  return { octokit: { request } as unknown as Octokit, calls };
}

const SHA = "a".repeat(40);
const run = { id: 7, status: "completed", conclusion: "success", external_id: "d-1", app: { id: 3 }, output: { title: "Allowed" } };

test("the latest check run of a commit is one request, whoever asks (publisher, reconciliation, deployment gate)", async () => {
  const { octokit, calls } = fake({ total_count: 1, check_runs: [run] });
  assert.equal(await new CheckRunPublisher().find(octokit, "o", "r", SHA), 7);
  assert.deepEqual(await latestCheckRuns(octokit, "o", "r", SHA, "other"), [run]);
  assert.deepEqual(calls, [
    ["GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner: "o", repo: "r", ref: SHA, check_name: "agent-gate", filter: "latest" }],
    ["GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner: "o", repo: "r", ref: SHA, check_name: "other", filter: "latest" }],
  ]);
});

test("a check-run listing without check_runs is refused, not read as 'no run'", async () => {
  await assert.rejects(latestCheckRuns(fake({ total_count: 0 }).octokit, "o", "r", SHA));
});

test("reconciliation's App calls keep their routes and parameters", async () => {
  const delivery = { id: 9, guid: "g", delivered_at: "2026-12-01T00:00:00Z", status_code: 502, event: "pull_request", action: "opened" };
  const link = '<https://api.example.test/app/hook/deliveries?per_page=100&cursor=c2>; rel="next"';
  const d = fake([delivery], { link });
  assert.deepEqual(await hookDeliveriesPage(d.octokit, undefined), { rows: [delivery], next: "c2" });
  await hookDeliveriesPage(d.octokit, "c2");
  await redeliver(d.octokit, 9);
  assert.deepEqual(d.calls, [
    ["GET /app/hook/deliveries", { per_page: 100 }],
    ["GET /app/hook/deliveries", { per_page: 100, cursor: "c2" }],
    ["POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: 9 }],
  ]);
  const i = fake([{ id: 5 }]);
  assert.deepEqual(await installationsPage(i.octokit, 2), [5]);
  assert.deepEqual(i.calls, [["GET /app/installations", { per_page: 100, page: 2 }]]);
  const r = fake({ total_count: 1, repositories: [{ name: "r", owner: { login: "o" } }] });
  assert.deepEqual(await installationRepositoriesPage(r.octokit, 1), [{ owner: "o", name: "r" }]);
  assert.deepEqual(r.calls, [["GET /installation/repositories", { per_page: 100, page: 1 }]]);
  const p = fake([{ number: 4, head: { sha: SHA } }]);
  assert.deepEqual(await openPullsPage(p.octokit, "o", "r", 1), [{ number: 4, headSha: SHA }]);
  assert.deepEqual(p.calls, [["GET /repos/{owner}/{repo}/pulls", { owner: "o", repo: "r", state: "open", per_page: 100, page: 1 }]]);
});

test("a delivery history row without a status code is refused rather than counted as settled", async () => {
  await assert.rejects(hookDeliveriesPage(fake([{ id: 1, guid: "g", delivered_at: "x", event: "e", action: null }]).octokit, undefined));
});

const HERE = { repo: { id: 31, full_name: "o/r" } };

test("the pull merged as a commit is found on the commit's pulls; an open one naming it is not", async () => {
  const merged = { number: 2, merged_at: "2026-12-01T00:00:00Z", merge_commit_sha: SHA, user: { login: "bot", id: 8 }, labels: [{ name: "agent" }], head: { sha: "b".repeat(40), ref: "agent/x" }, base: HERE };
  const open = { number: 3, merged_at: null, merge_commit_sha: "c".repeat(40), user: null, labels: [], head: { sha: SHA, ref: "y" }, base: HERE };
  const { octokit, calls } = fake([open, merged]);
  const found = await pullMergedAs(octokit, "o", "r", SHA);
  assert.equal(found?.head.ref, "agent/x");
  assert.deepEqual(calls, [["GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", { owner: "o", repo: "r", commit_sha: SHA }]]);
  assert.equal(await pullMergedAs(fake([open]).octokit, "o", "r", SHA), undefined);
});

test("a pull request of another repository of the fork network merged as the commit is not this repository's", async () => {
  const pull = (number: number, base: unknown, ref: string) => ({ number, merged_at: "2026-12-01T00:00:00Z", merge_commit_sha: SHA, user: { login: "alice", id: 9 }, labels: [], head: { sha: "b".repeat(40), ref }, base });
  // Upstream's #2 was merged as the commit, which this fork shares: #2 here is another pull request.
  const upstream = pull(2, { repo: { id: 4_242, full_name: "upstream/r" } }, "upstream-x");
  assert.equal(await pullMergedAs(fake([upstream]).octokit, "o", "r", SHA), undefined);
  assert.equal((await pullMergedAs(fake([upstream, pull(5, { repo: { id: 31, full_name: "O/R" } }, "ours")]).octokit, "o", "r", SHA))?.number, 5, "by full name, any case");
  // A repository created later under the old name is told apart by its id when the caller knows it.
  assert.equal(await pullMergedAs(fake([pull(2, { repo: { id: 30, full_name: "o/r" } }, "old")]).octokit, "o", "r", SHA, 31), undefined);
  assert.equal((await pullMergedAs(fake([pull(2, HERE, "ours")]).octokit, "o", "r", SHA, 31))?.number, 2);
  await assert.rejects(pullMergedAs(fake([pull(2, null, "x")]).octokit, "o", "r", SHA), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_RESPONSE_INVALID" && /names no base repository/.test(e.message));
});

test("a pull request read by number is one GraphQL query (issue 19); an answer without it is a named error", async () => {
  const { octokit, calls } = fake({ data: { repository: null } });
  await assert.rejects(readPull(new GitHubConnector().installation(octokit), "o", "r", 4), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_REQUEST_FAILED" && e.message.includes("o/r#4"));
  assert.deepEqual(calls, [[{ method: "POST", url: "/graphql", query: PULL_QUERY, variables: { owner: "o", name: "r", number: 4 } }, undefined]]);
  const thin = fake({ data: { repository: { nameWithOwner: "o/r", databaseId: 1, isPrivate: false, defaultBranchRef: { name: "main" }, pullRequest: { number: 4, title: "t" } } } });
  await assert.rejects(readPull(new GitHubConnector().installation(thin.octokit), "o", "r", 4), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_RESPONSE_INVALID" && e.message.includes("pullRequest."));
});

test("--publish pr's body read and write: same URL and headers; an answer that is not a pull request is a named error", async () => {
  const seen: { url: string; method: string; auth: string | null }[] = [];
  const answer = (data: unknown): typeof fetch =>
    ((url: string, init: RequestInit = {}) => {
      seen.push({ url, method: init.method ?? "GET", auth: new Headers(init.headers).get("authorization") });
      return Promise.resolve(new Response(JSON.stringify(data), { status: 200 }));
    }) as typeof fetch;
  const target = { api: "https://api.example.test", token: "t0k", repository: "o/r", pr: 7 };
  assert.deepEqual(await readPullBody({ ...target, fetch: answer({ body: null, head: { sha: SHA } }) }), { body: "", headSha: SHA });
  await writePullBody({ ...target, fetch: answer({}) }, "new body");
  assert.deepEqual(seen, [
    { url: "https://api.example.test/repos/o/r/pulls/7", method: "GET", auth: "Bearer t0k" },
    { url: "https://api.example.test/repos/o/r/pulls/7", method: "PATCH", auth: "Bearer t0k" },
  ]);
  await assert.rejects(readPullBody({ ...target, fetch: answer(["not", "a", "pull"]) }), (e: unknown) => e instanceof AgentGateError && e.code === "PUBLISH_FAILED" && /expected an object/.test(e.message));
});
