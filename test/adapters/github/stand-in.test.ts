import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { validatedGitHub } from "../../support/github.js";
import { ConfigSource } from "../../../src/adapters/github/config-source.js";
import { loadPullRequest, fetchPull, PermissionCache } from "../../../src/adapters/github/pull-request-source.js";
import { CheckRunPublisher } from "../../../src/adapters/github/check-runs.js";
import { fetchAttestations } from "../../../src/adapters/github/deployment-protection.js";
import type { StandInRepo } from "../../../src/demo/github/model.js";

const sha = (n: number): string => n.toString(16).padStart(40, "0");
const human = { login: "alice", id: 1001 };
const agent = { login: "claude[bot]", id: 209825114 };

function repo(commits = 3): StandInRepo {
  return {
    owner: "acme", name: "web", id: 77, defaultBranch: "main",
    files: { ".github/agent-gate.yml": "rules:\n  provenance_coverage:\n    enabled: true\n" },
    pulls: [{
      number: 7, title: "Add feature", body: "body", user: agent,
      head: { ref: "claude/feature", sha: sha(commits) }, base: { ref: "main", sha: sha(100) },
      commits: Array.from({ length: commits }, (_, i) => ({ sha: sha(i + 1), tree: sha(500 + i), message: `change ${i}`, author: { name: "Claude", email: "noreply@anthropic.com", account: agent } })),
      files: [{ filename: "src/a.ts", additions: 3, deletions: 1 }],
      reviews: [{ user: human, state: "APPROVED", commit_id: sha(commits) }],
      comments: [{ user: human, body: "looks good" }],
    }],
  };
}

const client = (fetch: typeof globalThis.fetch): Octokit => new Octokit({ auth: "test-token", request: { fetch } });

test("gathering a PR sends only requests GitHub documents and gets only responses its schema allows", async () => {
  const gh = validatedGitHub([repo(130)]);
  const octokit = client(gh.fetch);
  const pull = await fetchPull(octokit, "acme", "web", 7);
  const snap = await loadPullRequest(octokit, "acme", "web", pull);
  assert.equal(snap.commits.length, 130, "paginates past one page");
  assert.equal(snap.commits[0]?.author?.login, "claude[bot]");
  assert.equal(snap.reviews[0]?.commit_id, sha(130));
  assert.equal(snap.comments[0]?.body, "looks good");
  assert.deepEqual(snap.truncated, []);
  assert.deepEqual(gh.problems, []);
});

test("a snapshot is one GraphQL query (commits, reviews, comments) and the files from REST", async () => {
  const r = repo();
  r.pulls[0]!.comments = [];
  const gh = validatedGitHub([r]);
  const octokit = client(gh.fetch);
  const pull = await fetchPull(octokit, "acme", "web", 7);
  const mark = gh.standIn.requests.length;
  await loadPullRequest(octokit, "acme", "web", pull);
  assert.deepEqual(gh.standIn.since(mark).map((q) => q.path).sort(), [
    "/graphql",
    "/repos/acme/web/collaborators/alice/permission", // alice approved the head
    "/repos/acme/web/pulls/7/files",
  ]);
});

test("permissions are looked up for the humans who approved the head, once a minute per repository and person", async () => {
  const r = repo();
  const pull7 = r.pulls[0]!;
  r.collaborators = { alice: "maintain", bob: "triage" };
  pull7.reviews.push(
    { user: { login: "bob", id: 1002 }, state: "APPROVED", commit_id: pull7.head.sha },
    { user: { login: "carol", id: 1003 }, state: "APPROVED", commit_id: pull7.head.sha }, // not a collaborator: reads
    { user: { login: "dave", id: 1004 }, state: "APPROVED", commit_id: sha(1) }, // an older commit: not looked up
    { user: { login: "erin", id: 1005 }, state: "COMMENTED", commit_id: pull7.head.sha },
    { user: { login: "helper[bot]", id: 1006, type: "Bot" }, state: "APPROVED", commit_id: pull7.head.sha },
  );
  const gh = validatedGitHub([r]);
  const octokit = client(gh.fetch);
  const pull = await fetchPull(octokit, "acme", "web", 7);
  let now = 0;
  const cache = new PermissionCache(60_000, 100, () => now);
  const lookups = (): string[] => gh.standIn.requests.filter((q) => q.path.endsWith("/permission")).map((q) => q.path.split("/")[5]!);
  const snap = await loadPullRequest(octokit, "acme", "web", pull, { permissions: cache });
  // GitHub's legacy levels: maintain is write, triage is read
  assert.deepEqual(snap.permissions, { 1001: "write", 1002: "read", 1003: "read" });
  assert.deepEqual(lookups().sort(), ["alice", "bob", "carol"]);
  now = 59_999;
  await loadPullRequest(octokit, "acme", "web", pull, { permissions: cache });
  assert.equal(lookups().length, 3, "within the minute: from the cache");
  now = 60_000;
  await loadPullRequest(octokit, "acme", "web", pull, { permissions: cache });
  assert.equal(lookups().length, 6, "after it: looked up again (a revoked permission counts for at most a minute)");
  assert.deepEqual(gh.problems, []);
});

test("a private repository's non-collaborator (404) has no access; any other failure fails the gathering", async () => {
  const r = repo();
  r.private = true;
  r.collaborators = {};
  const gh = validatedGitHub([r]);
  const octokit = client(gh.fetch);
  const pull = await fetchPull(octokit, "acme", "web", 7);
  assert.deepEqual((await loadPullRequest(octokit, "acme", "web", pull)).permissions, { 1001: "none" });
  const failing = new Octokit({
    auth: "test-token",
    request: {
      retries: 0,
      fetch: (async (url: string | URL | Request, init?: RequestInit) =>
        (url instanceof Request ? url.url : url.toString()).endsWith("/permission") ? new Response(JSON.stringify({ message: "Server Error" }), { status: 502, headers: { "content-type": "application/json" } }) : gh.fetch(url, init)) as typeof fetch,
    },
  });
  await assert.rejects(loadPullRequest(failing, "acme", "web", pull), { status: 502 });
});

test("the config is read from the default branch, then conditionally (304) on later events", async () => {
  const gh = validatedGitHub([repo()]);
  const octokit = client(gh.fetch);
  const source = new ConfigSource();
  const first = await source.load(octokit, "acme", "web");
  const second = await source.load(octokit, "acme", "web");
  assert.equal(first?.text, "rules:\n  provenance_coverage:\n    enabled: true\n");
  assert.deepEqual(second, first);
  assert.deepEqual(gh.standIn.requests.map((q) => q.status), [200, 304]);
  assert.match(first?.digest ?? "", /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(gh.problems, []);
});

test("a repository without config falls back to the organisation's .github repository", async () => {
  const own = repo();
  own.files = {};
  const org: StandInRepo = { owner: "acme", name: ".github", id: 5, defaultBranch: "main", files: { ".github/agent-gate.yml": "org: true\n" }, pulls: [] };
  const gh = validatedGitHub([own, org]);
  const config = await new ConfigSource().load(client(gh.fetch), "acme", "web");
  assert.equal(config?.source, "acme/.github:.github/agent-gate.yml (default branch)");
  assert.equal(config?.text, "org: true\n");
});

test("check runs: created in progress, completed once, annotations beyond 50 sent in batches, same run on redelivery", async () => {
  const gh = validatedGitHub([repo()]);
  const octokit = client(gh.fetch);
  const publisher = new CheckRunPublisher();
  const id = await publisher.start(octokit, "acme", "web", sha(3), { lookup: false });
  const annotations = Array.from({ length: 120 }, (_, i) => ({ path: `f${i}`, start_line: 1, end_line: 1, annotation_level: "failure" as const, title: "t", message: "m" }));
  const annotationBatches = [annotations.slice(0, 50), annotations.slice(50, 100), annotations.slice(100)];
  await publisher.complete(octokit, "acme", "web", id, { conclusion: "failure", title: "Blocked", summary: "s", text: "", annotations, annotationBatches, externalId: "d1", actions: [{ label: "Re-evaluate", identifier: "reevaluate", description: "Evaluate this commit again" }] });
  const again = await new CheckRunPublisher().start(octokit, "acme", "web", sha(3), { lookup: true });
  assert.equal(again, id, "a fresh process finds the existing run instead of adding one");
  assert.equal(gh.standIn.checkRuns.length, 1);
  const run = gh.standIn.checkRuns[0]!;
  assert.equal(run.annotations.length, 120);
  assert.equal(run.writes.filter((w) => ((w.output as { annotations?: unknown[] } | undefined)?.annotations?.length ?? 0) > 50).length, 0);
  assert.deepEqual(gh.problems, []);
});

test("attestations: the App reads every page of the list as GitHub pages it (per_page, cursor `after`)", async () => {
  const digest = `sha256:${"a".repeat(64)}`;
  const r = repo();
  r.attestations = [...Array.from({ length: 130 }, (_, n) => ({ digest, bundle: { n } })), { digest: `sha256:${"b".repeat(64)}`, bundle: { other: true } }];
  const gh = validatedGitHub([r]);
  const out = await fetchAttestations(client(gh.fetch), "acme", "web", digest, { fetch: gh.standIn.fetch, maxAttestations: 200 });
  assert.deepEqual(out.map((a) => (a.bundle as { n: number }).n), Array.from({ length: 130 }, (_, n) => n));
  const lists = gh.standIn.requests.filter((q) => q.path.includes("/attestations/"));
  assert.equal(lists.length, 2, "two pages of at most 100");
  assert.deepEqual(gh.problems, []);
});
