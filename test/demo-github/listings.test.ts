// The lists an App's reconciler walks: installations, an installation's repositories, open pull requests, a commit's
// check runs (status and filter), paginated as GitHub does, every exchange valid against the REST description.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Octokit } from "@octokit/rest";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { StandInCheckRun, StandInRepo } from "../../src/demo/github/model.js";
import appTemplates from "../../src/demo/github/app-templates.js";
import { repo, sha, validated } from "./support.js";
import { PULL_QUERY } from "../../src/adapters/github/graphql-pull.js";

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const client = (fetch: typeof globalThis.fetch, auth = "test-token"): Octokit => new Octokit({ auth, request: { fetch }, log: quiet });

function world(): StandInRepo[] {
  const web = repo("acme", "web", 77, 5);
  web.pulls[1]!.state = "closed";
  web.pulls[2]!.merged = { commitSha: sha(9), at: "2026-11-27T00:00:00Z" };
  web.pulls[3]!.base.ref = "release";
  web.pulls[4]!.head.repo = { owner: "forker", name: "web", id: 900 };
  return [web, repo("acme", "api", 78, 0), repo("globex", "site", 90, 1), repo("acme", ".github", 5, 0)];
}

test("the app templates still equal GitHub's examples in the REST description", () => {
  const require = createRequire(import.meta.url);
  const doc = JSON.parse(readFileSync(require.resolve("@octokit/openapi/generated/api.github.com.json"), "utf8")) as { info: { version: string }; components: { examples: Record<string, { value: unknown }> } };
  const ex = doc.components.examples;
  assert.equal(appTemplates.source, `@octokit/openapi ${doc.info.version} components.examples`);
  assert.deepEqual(appTemplates.installation, (ex["base-installation-items"]!.value as unknown[])[0]);
  assert.deepEqual(appTemplates.pullSimpleKeys, Object.keys((ex["pull-request-simple-items"]!.value as Record<string, unknown>[])[0]!));
});

test("installations: one per owner (the first is installationId), paginated; each issues its own token", async () => {
  const standIn = new GitHubStandIn(world(), { appId: 4321 });
  assert.equal(standIn.installationId, 77, "the recorded scenarios' installation by default");
  const gh = validated(standIn);
  const app = client(gh.fetch, "jwt.for.app");
  const all = await app.paginate("GET /app/installations", { per_page: 1 });
  assert.deepEqual(all.map((i) => [i.id, i.account && "login" in i.account ? i.account.login : null, i.app_id, i.target_type]), [[77, "acme", 4321, "Organization"], [78, "globex", 4321, "Organization"]]);
  assert.equal(all[0]!.access_tokens_url, "https://api.github.com/app/installations/77/access_tokens");
  assert.deepEqual(all[0]!.permissions, { metadata: "read", checks: "write", pull_requests: "read", issues: "read", contents: "read", deployments: "write", actions: "read", attestations: "read", merge_queues: "read" });
  const page = await app.request("GET /app/installations", { per_page: 1 });
  assert.equal(page.headers.link, `<https://api.github.com/app/installations?per_page=1&page=2>; rel="next", <https://api.github.com/app/installations?per_page=1&page=2>; rel="last"`);

  const first = await app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: 77 });
  const second = await app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: 78 });
  assert.equal(first.data.token, "ghs_16C7e42F292c6912E7710c838347Ae178B4a", "unchanged for the first installation");
  assert.match(second.data.token, /^ghs_[A-Za-z0-9]{36}$/);
  assert.notEqual(second.data.token, first.data.token);
  assert.equal((await app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: 1 })).data.token, first.data.token, "an unknown installation gets the first's token, as before");
  assert.deepEqual(gh.problems, []);
  const other = new GitHubStandIn(world(), { installationId: 5000 });
  assert.deepEqual(other.installations().map((i) => i.id), [5000, 5001]);
});

test("GET /installation/repositories lists the token's installation's repositories, paginated with total_count", async () => {
  const standIn = new GitHubStandIn(world());
  const gh = validated(standIn);
  const [acme, globex] = standIn.installations();
  const asAcme = client(gh.fetch, acme!.token);
  const page = await asAcme.request("GET /installation/repositories", { per_page: 2 });
  assert.equal(page.data.total_count, 3);
  assert.deepEqual(page.data.repositories.map((r) => r.full_name), ["acme/web", "acme/api"]);
  assert.match(page.headers.link ?? "", /rel="next"/);
  const r = page.data.repositories[0]!;
  assert.deepEqual([r.id, r.name, r.owner.login, r.default_branch, r.private, r.url], [77, "web", "acme", "main", false, "https://api.github.com/repos/acme/web"]);
  assert.equal(r.pulls_url, "https://api.github.com/repos/acme/web/pulls{/number}");
  const all = await asAcme.paginate("GET /installation/repositories", { per_page: 2 });
  assert.deepEqual(all.map((x) => x.full_name), ["acme/web", "acme/api", "acme/.github"]);
  const globexRepos = await client(gh.fetch, globex!.token).paginate("GET /installation/repositories");
  assert.deepEqual(globexRepos.map((x) => x.full_name), ["globex/site"]);
  assert.deepEqual(gh.problems, []);
  const anonymous = await standIn.fetch("https://api.github.com/installation/repositories");
  assert.equal(anonymous.status, 401);
});

test("an installation on selected repositories: listed as such, and a private repository outside it is hidden as GitHub hides it", async () => {
  const repos = world();
  const dotGithub = repos[3]!;
  Object.assign(dotGithub, { private: true, installed: false });
  const outsidePublic = { ...repo("acme", "docs", 79, 0), installed: false };
  repos.push(outsidePublic);
  const standIn = new GitHubStandIn(repos);
  const gh = validated(standIn);
  const [acme, globex] = standIn.installations();
  assert.deepEqual([acme!.repositorySelection, globex!.repositorySelection], ["selected", "all"], "a repository outside the installation makes it a selection");
  const listed = await client(gh.fetch, acme!.token).request("GET /installation/repositories");
  assert.equal(listed.data.repository_selection, "selected");
  assert.deepEqual(listed.data.repositories.map((r) => r.full_name), ["acme/web", "acme/api"]);
  assert.equal((await client(gh.fetch, globex!.token).request("GET /installation/repositories")).data.repository_selection, "all");
  const installations = await client(gh.fetch, "jwt.for.app").request("GET /app/installations");
  assert.deepEqual(installations.data.map((i) => i.repository_selection), ["selected", "all"]);
  // Private and outside: 404 over REST and NOT_FOUND over GraphQL, exactly as a repository that does not exist.
  const octokit = client(gh.fetch, acme!.token);
  await assert.rejects(octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { owner: "acme", repo: ".github", path: ".github/agent-gate.yml" }), (e: unknown) => (e as { status?: number }).status === 404);
  await assert.rejects(octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { owner: "acme", repo: "nothing-here", path: ".github/agent-gate.yml" }), (e: unknown) => (e as { status?: number }).status === 404);
  // Public and outside: readable, as GitHub lets any token read a public repository.
  assert.equal((await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { owner: "acme", repo: "docs", path: ".github/agent-gate.yml" })).status, 200);
  const query = PULL_QUERY;
  const answer = (await octokit.request("POST /graphql", { query, variables: { owner: "acme", name: "web", number: 1 } })).data as { data: Record<string, unknown>; errors?: { type: string; path: string[] }[] };
  assert.equal(answer.data["ownerDotGithub"], null);
  assert.deepEqual(answer.errors?.map((e) => [e.type, e.path]), [["NOT_FOUND", ["ownerDotGithub"]]]);
  dotGithub.installed = true;
  const seen = (await octokit.request("POST /graphql", { query, variables: { owner: "acme", name: "web", number: 1 } })).data as { data: Record<string, unknown> };
  assert.notEqual(seen.data["ownerDotGithub"], null, "installed, it is found");
  assert.deepEqual(gh.problems, []);
});

test("GET /repos/{owner}/{repo}/pulls: open by default, newest first, state/base/head filters, paginated", async () => {
  const standIn = new GitHubStandIn(world());
  const gh = validated(standIn);
  const octokit = client(gh.fetch);
  const open = await octokit.paginate("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "web", state: "open", per_page: 2 });
  assert.deepEqual(open.map((p) => p.number), [5, 4, 1]);
  assert.deepEqual(Object.keys(open[0]!), appTemplates.pullSimpleKeys, "a list carries the simple fields only, in GitHub's order");
  assert.equal(open[0]!.head.sha, sha(1004));
  assert.equal(open[0]!.head.repo?.full_name, "forker/web");
  const byDefault = await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "web" });
  assert.deepEqual(byDefault.data.map((p) => p.number), [5, 4, 1]);
  const closed = await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "web", state: "closed" });
  assert.deepEqual(closed.data.map((p) => [p.number, p.state, p.merged_at]), [[3, "closed", "2026-11-27T00:00:00Z"], [2, "closed", null]]);
  const all = await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "web", state: "all", direction: "asc" });
  assert.deepEqual(all.data.map((p) => p.number), [1, 2, 3, 4, 5]);
  const release = await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "web", base: "release" });
  assert.deepEqual(release.data.map((p) => p.number), [4]);
  const fork = await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "web", head: "forker:claude/change-5" });
  assert.deepEqual(fork.data.map((p) => p.number), [5]);
  const none = await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "api" });
  assert.deepEqual(none.data, []);
  assert.deepEqual(gh.problems, []);
  await assert.rejects(octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "web", state: "merged" as "open" }), { status: 422 });
});

test("check runs of a commit: filter=latest (the default) keeps the newest run per name; status and check_name filter; paginated", async () => {
  const standIn = new GitHubStandIn(world());
  const head = sha(1000);
  const run = (id: number, name: string, status: StandInCheckRun["status"], conclusion: string | null = null): StandInCheckRun => ({
    id, owner: "acme", repo: "web", head_sha: head, name, status, conclusion, external_id: null,
    output: { title: null, summary: null, text: null, annotations_count: 0 }, annotations: [], actions: [], started_at: null, completed_at: null, writes: [],
  });
  standIn.checkRuns.push(run(1, "agent-gate", "completed", "failure"), run(2, "ci", "completed", "success"), run(3, "agent-gate", "in_progress"), run(4, "lint", "queued"), { ...run(5, "agent-gate", "completed", "success"), head_sha: sha(7) });
  const gh = validated(standIn);
  const octokit = client(gh.fetch);
  const list = async (q: Record<string, string | number> = {}): Promise<{ total: number; ids: number[]; link: string | undefined }> => {
    const res = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner: "acme", repo: "web", ref: head, ...q });
    return { total: res.data.total_count, ids: res.data.check_runs.map((r) => Number(r.id)), link: res.headers.link };
  };
  assert.deepEqual(await list(), { total: 3, ids: [4, 3, 2], link: undefined });
  assert.deepEqual((await list({ filter: "latest" })).ids, [4, 3, 2]);
  assert.deepEqual((await list({ filter: "all" })).ids, [4, 3, 2, 1]);
  assert.deepEqual((await list({ filter: "all", check_name: "agent-gate" })).ids, [3, 1]);
  assert.deepEqual((await list({ check_name: "agent-gate" })).ids, [3]);
  assert.deepEqual((await list({ status: "completed" })).ids, [2], "status filters the latest runs: agent-gate's newest run is in progress");
  assert.deepEqual((await list({ status: "completed", check_name: "agent-gate" })).ids, []);
  assert.deepEqual((await list({ status: "completed", check_name: "agent-gate", filter: "all" })).ids, [1]);
  assert.deepEqual((await list({ status: "in_progress" })).ids, [3]);
  const paged = await list({ filter: "all", per_page: 3 });
  assert.deepEqual([paged.total, paged.ids], [4, [4, 3, 2]]);
  assert.match(paged.link ?? "", /page=2>; rel="next"/);
  assert.deepEqual((await list({ filter: "all", per_page: 3, page: 2 })).ids, [1]);
  const all = await octokit.paginate("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner: "acme", repo: "web", ref: head, filter: "all", per_page: 1 });
  assert.deepEqual(all.map((r) => r.id), [4, 3, 2, 1]);
  assert.deepEqual(gh.problems, []);
});

test("served on loopback, Link headers point at the loopback server", async () => {
  const standIn = new GitHubStandIn(world());
  const base = await standIn.listen();
  try {
    const res = await fetch(`${base}/repos/acme/web/pulls?state=all&per_page=2`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("link") ?? "", new RegExp(`^<${base}/repos/acme/web/pulls\\?state=all&per_page=2&page=2>; rel="next"`));
    const octokit = new Octokit({ baseUrl: base, auth: "t", log: quiet });
    assert.deepEqual((await octokit.paginate("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "web", state: "all", per_page: 2 })).map((p) => p.number), [5, 4, 3, 2, 1]);
  } finally {
    await standIn.close();
  }
});
