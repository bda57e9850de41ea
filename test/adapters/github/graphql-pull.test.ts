// The GraphQL read of a pull request (issue 19: requests per event): the queries are ones GitHub's schema accepts, the
// answers become exactly what the REST lists gave, lists are complete or marked truncated at the same caps, and
// what GraphQL cannot say (a Bot behind a commit's noreply address) is asked of REST.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { validatedGitHub } from "../../support/github.js";
import { GraphqlDescription } from "../../support/graphql-schema.js";
import { PULL_QUERY, pageQuery } from "../../../src/adapters/github/graphql-pull.js";
import { GitHubConnector } from "../../../src/adapters/github/octokit-github.js";
import { LIMITS } from "../../../src/adapters/github/pull-request-source.js";
import { AgentGateError } from "../../../src/core/errors.js";
import { DEFAULT_AGENT_CONFIG } from "../../../src/core/agents.js";
import { factsFromSnapshot } from "../../../src/app/snapshot-facts.js";
import type { StandInRepo } from "../../../src/demo/github/model.js";
import { answerGraphql } from "../../../src/demo/github/graphql.js";

const sha = (n: number): string => n.toString(16).padStart(40, "0");
const human = { login: "alice", id: 1001 };
const agent = { login: "claude[bot]", id: 209825114 };
const actions = { login: "github-actions[bot]", id: 41898282 };
const client = (fetch: typeof globalThis.fetch): Octokit => new Octokit({ auth: "test-token", request: { fetch } });

function repo(opts: { commits?: number; reviews?: number; comments?: number; email?: string; account?: { login: string; id: number } } = {}): StandInRepo {
  const commits = opts.commits ?? 3;
  return {
    owner: "acme", name: "web", id: 77, defaultBranch: "main", collaborators: { alice: "write" },
    files: {},
    pulls: [{
      number: 7, title: "Add feature", body: "body", user: agent, labels: ["agent"],
      head: { ref: "claude/feature", sha: sha(commits) }, base: { ref: "main", sha: sha(100_000) },
      commits: Array.from({ length: commits }, (_, i) => ({
        sha: sha(i + 1), tree: sha(50_000 + i), message: `change ${i}\n`, parents: i === 0 ? [] : [sha(i)],
        author: { name: "Claude", email: opts.email ?? "209825114+claude[bot]@users.noreply.github.com", account: opts.account ?? agent },
        ...(i === 0 ? { verification: { verified: false, reason: "malformed_signature", signature: "-----BEGIN SIGNED MESSAGE-----\nx\n-----END SIGNED MESSAGE-----\n", payload: `tree ${sha(50_000)}\n` } } : {}),
      })),
      files: [{ filename: "src/a.ts", additions: 3, deletions: 1 }],
      reviews: Array.from({ length: opts.reviews ?? 1 }, (_, i) => ({ id: 3_000_000_000 + i, user: human, state: "APPROVED" as const, commit_id: sha(commits) })),
      comments: Array.from({ length: opts.comments ?? 1 }, (_, i) => ({ id: 2_500_000_000 + i, user: i % 2 ? actions : human, body: `comment ${i}` })),
    }],
  };
}

test("every query agent-gate sends is one GitHub's GraphQL schema accepts", () => {
  const schema = GraphqlDescription.load();
  for (const q of [PULL_QUERY, pageQuery("commits"), pageQuery("reviews"), pageQuery("comments")]) assert.deepEqual(schema.validateQuery(q), []);
  assert.notDeepEqual(schema.validateQuery(PULL_QUERY.replace("isDraft", "isDrafted")), [], "the check itself refuses an unknown field");
});

test("one query reads the pull request, its commits, reviews, comments and its head's pull requests, as REST gave them", async () => {
  const gh = validatedGitHub([repo()]);
  const octokit = client(gh.fetch);
  const github = new GitHubConnector().installation(octokit);
  const payload = await github.pull("acme", "web", 7);
  assert.deepEqual(gh.standIn.requests.map((r) => `${r.method} ${r.path}`), ["POST /graphql"]);
  assert.deepEqual(await github.pullsForCommit("acme", "web", sha(3)), [7], "answered from the same read");
  const snap = await github.snapshot("acme", "web", payload);
  assert.deepEqual(gh.standIn.requests.map((r) => `${r.method} ${r.path}`).sort(), ["GET /repos/acme/web/collaborators/alice/permission", "GET /repos/acme/web/pulls/7/files", "POST /graphql"]);
  assert.deepEqual(gh.problems, []);

  // The same facts as GitHub's REST answers (the stand-in's, from the same state).
  const rest = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "web", pull_number: 7 });
  const p = rest.data;
  assert.deepEqual(snap.pull, {
    number: p.number, title: p.title, body: p.body, state: p.state, draft: p.draft, user: { login: p.user.login, id: p.user.id, type: p.user.type }, labels: [{ name: "agent" }],
    comments: 1, commits: 3, changed_files: 1, head: { sha: p.head.sha, ref: p.head.ref, repo: { full_name: p.head.repo.full_name, id: p.head.repo.id } },
    base: { sha: p.base.sha, ref: p.base.ref, repo: { full_name: p.base.repo.full_name, id: p.base.repo.id, default_branch: p.base.repo.default_branch, private: p.base.repo.private } },
  });
  const commits = (await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", { owner: "acme", repo: "web", pull_number: 7 })).data;
  assert.deepEqual(snap.commits.map((c) => [c.sha, c.commit.tree.sha, c.commit.message, c.commit.author, c.author, c.parents]), commits.map((c) => [c.sha, c.commit.tree.sha, c.commit.message, c.commit.author, { login: c.author!.login, id: c.author!.id, type: c.author!.type }, c.parents.map((x) => ({ sha: x.sha }))]));
  assert.deepEqual(snap.commits[0]?.commit.verification, { verified: false, reason: "malformed_signature", signature: commits[0]!.commit.verification!.signature, payload: commits[0]!.commit.verification!.payload }, "GraphQL's MALFORMED_SIG is REST's malformed_signature, same bytes");
  assert.deepEqual(snap.commits[1]?.commit.verification, { verified: false, reason: "unsigned" });
  assert.deepEqual(snap.reviews, [{ id: 3_000_000_000, user: { login: "alice", id: 1001, type: "User" }, state: "APPROVED", commit_id: sha(3), submitted_at: "2026-11-26T06:00:00Z" }], "64-bit ids (fullDatabaseId)");
  assert.deepEqual(snap.comments, [{ id: 2_500_000_000, user: { login: "alice", id: 1001, type: "User" }, body: "comment 0", author_association: "COLLABORATOR" }]);
  assert.deepEqual(snap.permissions, { 1001: "write" });
});

test("lists past 100 are paged, and cut at the same caps as REST's (truncated)", async () => {
  const gh = validatedGitHub([repo({ commits: LIMITS.commits + 10, reviews: 150, comments: 201 })]);
  const github = new GitHubConnector().installation(client(gh.fetch));
  const snap = await github.snapshot("acme", "web", await github.pull("acme", "web", 7));
  assert.deepEqual(snap.listed, { commits: LIMITS.commits, files: 1, reviews: 150, comments: 201 });
  assert.deepEqual(snap.truncated, ["commits"]);
  assert.equal(snap.comments[1]?.user?.login, "github-actions[bot]", "a Bot as REST names it");
  assert.equal(snap.comments[1]?.user?.type, "Bot");
  assert.equal(gh.standIn.requests.filter((r) => r.path === "/graphql").length, 1 + 2 + 1 + 2, "one query, then pages of commits (to the cap), reviews and comments");
  assert.deepEqual(gh.problems, []);
});

test("a commit whose noreply address is another Bot's is read from REST, which names the Bot", async () => {
  const gh = validatedGitHub([repo({ email: "41898282+github-actions[bot]@users.noreply.github.com", account: actions })]);
  const github = new GitHubConnector().installation(client(gh.fetch));
  const snap = await github.snapshot("acme", "web", await github.pull("acme", "web", 7));
  assert.deepEqual(snap.commits.map((c) => c.author), Array(3).fill({ login: "github-actions[bot]", id: 41898282, type: "Bot" }));
  assert.ok(gh.standIn.requests.some((r) => r.path === "/repos/acme/web/pulls/7/commits"));
  assert.deepEqual(gh.problems, []);
});

test("GitHub's GraphQL errors fail the read: a missing pull request for good, a rate limit for a retry", async () => {
  const gh = validatedGitHub([repo()]);
  const github = new GitHubConnector().installation(client(gh.fetch));
  await assert.rejects(github.pull("acme", "web", 8), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_REQUEST_FAILED" && /Could not resolve to a PullRequest/.test(e.message));
  gh.standIn.faults.push((req) => (req.url.startsWith("/graphql") ? { status: 200, headers: { "content-type": "application/json" }, body: { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded" }] } } : undefined));
  const limited = new GitHubConnector().installation(new Octokit({ auth: "test-token", request: { fetch: gh.standIn.fetch } }));
  await assert.rejects(limited.pull("acme", "web", 7), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_UNAVAILABLE" && e.kind === "transient");
});

test("a head that moves while a list is paged fails the read (HEAD_MOVED), never a list of two commits", async () => {
  const r = repo({ commits: 150 });
  const gh = validatedGitHub([r]);
  let queries = 0;
  gh.standIn.faults.push((req) => {
    if (req.url.startsWith("/graphql") && ++queries === 2) r.pulls[0]!.head.sha = sha(999); // a push between the pages
    return undefined;
  });
  const github = new GitHubConnector().installation(client(gh.fetch));
  await assert.rejects(github.pull("acme", "web", 7), (e: unknown) => e instanceof AgentGateError && e.code === "HEAD_MOVED" && e.kind === "transient");
});

test("more pull requests on one head than agent-gate judges: TOO_MANY_PULLS from the same read", async () => {
  const r = repo();
  const first = r.pulls[0]!;
  for (let n = 8; n < 8 + 30; n++) r.pulls.push({ ...structuredClone(first), number: n });
  const gh = validatedGitHub([r]);
  const github = new GitHubConnector().installation(client(gh.fetch));
  await github.pull("acme", "web", 7);
  await assert.rejects(github.pullsForCommit("acme", "web", sha(3)), (e: unknown) => e instanceof AgentGateError && e.code === "TOO_MANY_PULLS");
  assert.deepEqual(gh.standIn.requests.map((q) => q.path), ["/graphql"], "no REST read of the commit's pull requests");
  assert.deepEqual(gh.problems, []);
});

test("a pull request of another repository of the fork network on the same head is not one of this repository's", async () => {
  const r = repo();
  r.pulls.push({ ...structuredClone(r.pulls[0]!), number: 8 });
  const gh = validatedGitHub([r]);
  const control = new GitHubConnector().installation(client(gh.fetch));
  await control.pull("acme", "web", 7);
  assert.deepEqual(await control.pullsForCommit("acme", "web", sha(3)), [7, 8]);
  // GitHub lists #8 of the upstream repository (another id) for the shared commit: its number names another PR here.
  const upstream = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await gh.fetch(url, init);
    if (!(url instanceof Request ? url.url : url.toString()).endsWith("/graphql")) return res;
    const body = (await res.json()) as { data: { repository: { pullRequest: { lastCommit: { nodes: { commit: { associatedPullRequests: { nodes: { number: number; baseRepository: unknown }[] } } }[] } } } } };
    for (const n of body.data.repository.pullRequest.lastCommit.nodes[0]!.commit.associatedPullRequests.nodes) if (n.number === 8) n.baseRepository = { databaseId: 4_242 };
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
  };
  const github = new GitHubConnector().installation(client(upstream));
  await github.pull("acme", "web", 7);
  assert.deepEqual(await github.pullsForCommit("acme", "web", sha(3)), [7]);
  assert.deepEqual(gh.problems, []);
});

test("a commit's git date with its committer's offset reads as REST gives it: UTC, whole seconds", async () => {
  const r = repo();
  const gh = validatedGitHub([r]);
  gh.standIn.faults.push((req) => {
    if (!req.url.startsWith("/graphql")) return undefined;
    const res = answerGraphql([r], req);
    const pr = (res.body as { data: { repository: { pullRequest: { commits?: { nodes: { commit: { author: { date: string } } }[] } } } } }).data.repository.pullRequest;
    for (const n of pr.commits?.nodes ?? []) n.commit.author.date = "2026-11-26T06:00:00+01:00";
    return res;
  });
  const github = new GitHubConnector().installation(client(gh.fetch));
  const snap = await github.snapshot("acme", "web", await github.pull("acme", "web", 7));
  assert.deepEqual(snap.commits.map((c) => c.commit.author?.date), Array(3).fill("2026-11-26T05:00:00Z"));
});

type Answer = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: unknown[] };

/** The stand-in's answers to the GraphQL read, each edited by `edit` (given the query's name and the pull request's node). */
function editAnswers(r: StandInRepo, gh: ReturnType<typeof validatedGitHub>, edit: (op: string, pr: Record<string, Answer>) => void): void {
  gh.standIn.faults.push((req) => {
    if (!req.url.startsWith("/graphql")) return undefined;
    const res = answerGraphql([r], req);
    const op = /query\s+(\w+)/.exec((req.body as { query: string }).query)![1]!;
    edit(op, (res.body as { data: { repository: { pullRequest: Record<string, Answer> } } }).data.repository.pullRequest);
    return res;
  });
}

test("a list that ends with fewer items than GitHub counts is truncated (a later review left out must not let an approval count)", async () => {
  for (const list of ["commits", "reviews", "comments"] as const) {
    const r = repo({ commits: 2, reviews: 2, comments: 2 });
    r.pulls[0]!.reviews[1]!.state = "CHANGES_REQUESTED";
    const gh = validatedGitHub([r]);
    // GitHub counts 2 but its last page (hasNextPage: false) holds one: the approval without the later change request.
    editAnswers(r, gh, (op, pr) => {
      if (op === "AgentGatePull") pr[list]!.nodes = pr[list]!.nodes.slice(0, 1);
    });
    const github = new GitHubConnector().installation(client(gh.fetch));
    const snap = await github.snapshot("acme", "web", await github.pull("acme", "web", 7));
    assert.deepEqual(snap.truncated, [list], list);
    assert.equal(snap.listed[list], 1);
    assert.deepEqual(snap.reported, { reviews: 2 }, "the reviews' count goes on (the pull request gives none)");
    if (list !== "reviews") continue;
    const facts = factsFromSnapshot(snap, { source: "default", path: ".github/agent-gate.yml", digest: `sha256:${"0".repeat(64)}` }, DEFAULT_AGENT_CONFIG, new Date());
    assert.deepEqual(facts.completeness.reviews, { listed: 1, reported: 2, limit: LIMITS.reviews, truncated: true }, "the policy's completeness rule sees the gap");
  }
});

test("a complete read is not truncated, and carries GitHub's count of the reviews", async () => {
  const gh = validatedGitHub([repo({ reviews: 150 })]);
  const github = new GitHubConnector().installation(client(gh.fetch));
  const snap = await github.snapshot("acme", "web", await github.pull("acme", "web", 7));
  assert.deepEqual(snap.truncated, []);
  assert.deepEqual(snap.reported, { reviews: 150 });
});

test("paging that makes no progress fails the read, never loops: an empty page, a repeated cursor, more pages than the cap allows", async () => {
  let cursor = 0;
  const cases: [string, (op: string, pr: Record<string, Answer>) => void, RegExp][] = [
    ["an empty page that says more follow", (op, pr) => {
      if (op === "AgentGatePullReviews") pr["reviews"]!.nodes = [];
    }, /reviews: page 2 holds no items but says more follow/],
    ["an empty first page", (op, pr) => {
      if (op === "AgentGatePull") pr["comments"] = { totalCount: 5, pageInfo: { hasNextPage: true, endCursor: "x" }, nodes: [] };
    }, /comments: page 1 holds no items but says more follow/],
    ["the same cursor again", (op, pr) => {
      if (op === "AgentGatePullReviews") pr["reviews"]!.pageInfo = { hasNextPage: true, endCursor: "100" };
    }, /reviews: page 2 repeats an earlier cursor/],
    ["one item a page, always with a new cursor", (_op, pr) => {
      const l = pr["reviews"]!;
      l.nodes = l.nodes.slice(0, 1);
      l.pageInfo = { hasNextPage: true, endCursor: `c${++cursor}` };
    }, new RegExp(`reviews: more than ${Math.ceil(LIMITS.reviews / 100) + 1} pages for at most ${LIMITS.reviews} items`)],
  ];
  for (const [name, edit, message] of cases) {
    const r = repo({ reviews: 250 });
    const gh = validatedGitHub([r]);
    editAnswers(r, gh, edit);
    const github = new GitHubConnector().installation(client(gh.fetch));
    await assert.rejects(github.pull("acme", "web", 7), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_RESPONSE_INVALID" && message.test(e.message), name);
    assert.ok(gh.standIn.requests.length <= 1 + Math.ceil(LIMITS.reviews / 100) + 1, `${name}: ${gh.standIn.requests.length} requests`);
  }
});
