// An owner's `.github` repository that reads as missing (REST 404, GraphQL NOT_FOUND) is missing only when the
// installation covers every repository of the owner, or lists `.github`, or the operator declared the owner has none
// (org-repo-scope.ts): GitHub answers a private repository outside an installation on selected repositories exactly as
// one that does not exist. Every exchange is checked against GitHub's REST description (the stand-in models
// installations on selected repositories: src/demo/github/installations.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { validatedGitHub, type ValidatedGitHub } from "../../support/github.js";
import { GitHubConnector } from "../../../src/adapters/github/octokit-github.js";
import { OrgRepoScope, SCOPE_TTL_MS } from "../../../src/adapters/github/org-repo-scope.js";
import { loadRepoConfig } from "../../../src/app/load-config.js";
import { AgentGateError } from "../../../src/core/errors.js";
import type { StandInRepo } from "../../../src/demo/github/model.js";

const sha = (n: number): string => n.toString(16).padStart(40, "0");
const agent = { login: "claude[bot]", id: 209825114 };
const REVOCATIONS = ".github/agent-gate-revocations.yml";
const LIST = "version: 1\nmodels:\n  - model: anthropic/claude-sonnet-4-5\n    reason: a flaw\n";
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const client = (fetch: typeof globalThis.fetch): Octokit => new Octokit({ auth: "test-token", request: { fetch }, log: quiet });

function web(): StandInRepo {
  return {
    owner: "acme", name: "web", id: 77, defaultBranch: "main", files: { ".github/agent-gate.yml": "rules: {}\n" },
    pulls: [{
      number: 7, title: "Add feature", body: "body", user: agent,
      head: { ref: "claude/feature", sha: sha(1) }, base: { ref: "main", sha: sha(100) },
      commits: [{ sha: sha(1), tree: sha(2), message: "change\n", author: { name: "Claude", email: "claude@example.com", account: null } }],
      files: [{ filename: "src/a.ts", additions: 1, deletions: 0 }], reviews: [], comments: [],
    }],
  };
}
const dotGithub = (extra: Partial<StandInRepo> = {}): StandInRepo => ({ owner: "acme", name: ".github", id: 78, defaultBranch: "main", files: { [REVOCATIONS]: LIST }, pulls: [], private: true, ...extra });
const reads = (gh: ValidatedGitHub): string[] => gh.standIn.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
const unconfirmed = (pattern: RegExp) => (e: unknown): boolean => e instanceof AgentGateError && e.code === "ORG_REPO_UNCONFIRMED" && pattern.test(e.message);

/** The config as the PR gate reads it (the pull request's query first), or over REST alone (the deployment gate). */
async function load(gh: ValidatedGitHub, connector: GitHubConnector, via: "graphql" | "rest") {
  const github = connector.installation(client(gh.fetch));
  if (via === "graphql") await github.pull("acme", "web", 7);
  return loadRepoConfig(github, "acme", "web");
}

for (const via of ["graphql", "rest"] as const) {
  test(`${via}: the revocation list in a .github outside the installation is never read as no list`, async () => {
    const readable = validatedGitHub([web(), dotGithub()]);
    assert.equal((await load(readable, new GitHubConnector(), via)).revoked?.models[0]?.model, "anthropic/claude-sonnet-4-5", "control: installed, it is read");

    const hidden = validatedGitHub([web(), dotGithub({ installed: false })]);
    await assert.rejects(load(hidden, new GitHubConnector(), via), unconfirmed(/acme\/\.github .*reads as missing, but agent-gate is installed on selected repositories of acme without it.*install agent-gate on acme\/\.github \(or on all repositories of acme\), or declare that acme has no \.github repository with AGENT_GATE_OWNERS_WITHOUT_ORG_REPO=acme/));
    assert.ok(reads(hidden).includes("GET /installation/repositories 200"));
    assert.deepEqual([...readable.problems, ...hidden.problems], []);
  });

  test(`${via}: a missing .github is missing where the installation covers all of the owner, and where it lists .github`, async () => {
    const all = validatedGitHub([web()]);
    assert.equal((await load(all, new GitHubConnector(), via)).revoked, undefined);
    const selected = validatedGitHub([web()]);
    selected.standIn.repositorySelection = { acme: "selected" };
    await assert.rejects(load(selected, new GitHubConnector(), via), unconfirmed(/installed on selected repositories of acme without it/), "selected, without .github: it may be hidden");
    // Listed, readable, and without a revocation list: only the file is missing.
    const listed = validatedGitHub([web(), dotGithub({ files: {} })]);
    listed.standIn.repositorySelection = { acme: "selected" };
    assert.equal((await load(listed, new GitHubConnector(), via)).revoked, undefined);
    assert.deepEqual([...all.problems, ...selected.problems, ...listed.problems], []);
  });

  test(`${via}: an owner declared without .github reads a missing one as missing, unasked`, async () => {
    const gh = validatedGitHub([web(), dotGithub({ installed: false })]);
    const connector = new GitHubConnector({ orgRepoScope: new OrgRepoScope({ ownersWithout: ["ACME"] }) });
    assert.equal((await load(gh, connector, via)).revoked, undefined, "the operator's word");
    assert.ok(!reads(gh).includes("GET /installation/repositories 200"));
    // A readable .github is read all the same: the declaration never hides a list the App can see.
    const readable = validatedGitHub([web(), dotGithub()]);
    assert.ok((await load(readable, connector, via)).revoked);
  });
}

test("what the installation covers is read once per owner and TTL; an installation event or a contradicting answer reads it again", async () => {
  const repos = [web(), dotGithub({ files: {} })];
  const gh = validatedGitHub(repos);
  gh.standIn.repositorySelection = { acme: "selected" };
  let now = 0;
  const scope = new OrgRepoScope({ now: () => now });
  const connector = new GitHubConnector({ orgRepoScope: scope });
  const scopeReads = (): number => gh.standIn.requests.filter((r) => r.path === "/installation/repositories").length;
  await load(gh, connector, "rest");
  await load(gh, connector, "rest");
  assert.equal(scopeReads(), 1, "remembered");
  now += SCOPE_TTL_MS;
  await load(gh, connector, "rest");
  assert.equal(scopeReads(), 2, "read again past its TTL");

  // .github leaves the installation. Over REST a 404 cannot tell the repository from the file: until the event (or
  // the TTL), the remembered listing stands; the event makes the next read ask.
  repos[1]!.installed = false;
  scope.forget("Acme");
  await assert.rejects(load(gh, connector, "rest"), unconfirmed(/without it/));
  assert.equal(scopeReads(), 3);

  // Back in, remembered as listed; then out again with no event: GraphQL's NOT_FOUND on the repository itself
  // contradicts the remembered listing, which is read again before anything is believed.
  repos[1]!.installed = true;
  scope.forget("acme");
  await load(gh, connector, "graphql");
  repos[1]!.installed = false;
  await assert.rejects(load(gh, connector, "graphql"), unconfirmed(/without it/));
  assert.deepEqual(gh.problems, []);
});

test("a selection is read page by page until .github is found; a listing that ends short or runs past the cap is refused", async () => {
  const others = Array.from({ length: 230 }, (_, i): StandInRepo => ({ owner: "acme", name: `r${i}`, id: 1000 + i, defaultBranch: "main", files: {}, pulls: [] }));
  const found = validatedGitHub([web(), ...others, dotGithub({ files: {} })]);
  found.standIn.repositorySelection = { acme: "selected" };
  assert.equal((await load(found, new GitHubConnector(), "rest")).revoked, undefined);
  assert.equal(found.standIn.requests.filter((r) => r.path === "/installation/repositories").length, 3, "232 repositories: three pages, .github on the last");

  const capped = validatedGitHub([web(), ...others, dotGithub({ files: {} })]);
  capped.standIn.repositorySelection = { acme: "selected" };
  await assert.rejects(load(capped, new GitHubConnector({ orgRepoScope: new OrgRepoScope({ maxPages: 2 }) }), "rest"), unconfirmed(/installed on 232 selected repositories of acme, more than the 200 it reads/));

  // GitHub counts more than its pages hold (the selection changed while it was read): refused, and retried.
  const short = validatedGitHub([web(), ...others]);
  short.standIn.repositorySelection = { acme: "selected" };
  short.standIn.faults.push((req) => {
    if (!req.url.startsWith("/installation/repositories") || !req.url.includes("page=3")) return undefined;
    return { status: 200, headers: { "content-type": "application/json; charset=utf-8" }, body: { total_count: 231, repository_selection: "selected", repositories: [] } };
  });
  await assert.rejects(load(short, new GitHubConnector(), "rest"), (e: unknown) => e instanceof AgentGateError && e.code === "ORG_REPO_UNCONFIRMED" && e.kind === "transient" && /ended after 200 of the 231/.test(e.message));
  assert.deepEqual([...found.problems, ...capped.problems, ...short.problems], []);
});

test("a token that is not an installation's cannot say what it covers: refused with both fixes named", async () => {
  const gh = validatedGitHub([web()]);
  gh.standIn.faults.push((req) => (req.url.startsWith("/installation/repositories") ? { status: 403, headers: { "content-type": "application/json; charset=utf-8" }, body: { message: "You must authenticate with an installation access token in order to list repositories for an installation.", documentation_url: "https://docs.github.com/rest", status: "403" } } : undefined));
  await assert.rejects(load(gh, new GitHubConnector(), "rest"), unconfirmed(/GET \/installation\/repositories answered HTTP 403, so agent-gate cannot tell whether it is missing or hidden from this token.*AGENT_GATE_OWNERS_WITHOUT_ORG_REPO=acme/));
});
