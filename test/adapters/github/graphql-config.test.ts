// Config files read in the pull request's GraphQL query (issue 19 item 3: requests per event): the repository's
// config and its owner's `.github` config and revocation list come with the pull request, so the config read that
// follows needs no request, and a missing file (a 404 over REST, counted at every event) costs nothing. The files are
// exactly what REST gives (same text, source, digest); a revocation list added counts with the next event; whatever
// the query does not tell for certain is asked of REST, which answers as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { validatedGitHub, type ValidatedGitHub } from "../../support/github.js";
import { GraphqlDescription } from "../../support/graphql-schema.js";
import { PULL_QUERY } from "../../../src/adapters/github/graphql-pull.js";
import { OWNER_REPO_ALIAS } from "../../../src/adapters/github/graphql-config.js";
import { GitHubConnector } from "../../../src/adapters/github/octokit-github.js";
import { CONFIG_MAX_BYTES } from "../../../src/adapters/github/config-source.js";
import { loadRepoConfig } from "../../../src/app/load-config.js";
import { AgentGateError } from "../../../src/core/errors.js";
import type { StandInRepo } from "../../../src/demo/github/model.js";
import { answerGraphql } from "../../../src/demo/github/graphql.js";
import type { StandInRequest, StandInResponse } from "../../../src/demo/github/stand-in.js";

const sha = (n: number): string => n.toString(16).padStart(40, "0");
const agent = { login: "claude[bot]", id: 209825114 };
const client = (fetch: typeof globalThis.fetch): Octokit => new Octokit({ auth: "test-token", request: { fetch } });
const CONFIG = ".github/agent-gate.yml";
const REVOCATIONS = ".github/agent-gate-revocations.yml";
const LIST = "version: 1\nmodels:\n  - model: anthropic/claude-sonnet-4-5\n    reason: a flaw\n";

function web(files: Record<string, string> = {}): StandInRepo {
  return {
    owner: "acme", name: "web", id: 77, defaultBranch: "main", files,
    pulls: [{
      number: 7, title: "Add feature", body: "body", user: agent,
      head: { ref: "claude/feature", sha: sha(1) }, base: { ref: "main", sha: sha(100) },
      commits: [{ sha: sha(1), tree: sha(2), message: "change\n", author: { name: "Claude", email: "claude@example.com", account: null } }],
      files: [{ filename: "src/a.ts", additions: 1, deletions: 0 }], reviews: [], comments: [],
    }],
  };
}
const dotGithub = (files: Record<string, string>): StandInRepo => ({ owner: "acme", name: ".github", id: 78, defaultBranch: "main", files, pulls: [] });

const reads = (gh: ValidatedGitHub): string[] => gh.standIn.requests.map((r) => `${r.method} ${r.path} ${r.status}`);

/** One event's reads as the PR gate makes them: the pull request, then the config (with the revocation list). */
async function event(gh: ValidatedGitHub, connector = new GitHubConnector()) {
  const github = connector.installation(client(gh.fetch));
  await github.pull("acme", "web", 7);
  return loadRepoConfig(github, "acme", "web");
}

/** The same files read over REST alone (no pull request read first): what the gate judged by before. */
async function overRest(gh: ValidatedGitHub) {
  return loadRepoConfig(new GitHubConnector().installation(client(gh.fetch)), "acme", "web");
}

/** Rewrites the pull request query's answer. */
function rewrite(repos: StandInRepo[], edit: (body: { data: Record<string, unknown>; errors?: unknown[] }) => void): (req: StandInRequest) => StandInResponse | undefined {
  return (req) => {
    if (!req.url.startsWith("/graphql")) return undefined;
    const res = answerGraphql(repos, req);
    edit(res.body as { data: Record<string, unknown>; errors?: unknown[] });
    return res;
  };
}

test("the query with its config files is one GitHub's GraphQL schema accepts", () => {
  assert.deepEqual(GraphqlDescription.load().validateQuery(PULL_QUERY), []);
  assert.match(PULL_QUERY, /ownerDotGithub: repository\(owner: \$owner, name: "\.github"\)/);
});

test("the repository's own config, no .github repository: the pull request's query is the only read, and the config is REST's to the byte", async () => {
  const config = "rules:\n  signers:\n    mode: warn # é, ü: multi-byte text\n";
  const gh = validatedGitHub([web({ [CONFIG]: config })]);
  const connector = new GitHubConnector();
  const loaded = await event(gh, connector);
  // GitHub's NOT_FOUND for acme/.github is believed once the installation is known to cover all of acme (org-repo-scope.ts).
  assert.deepEqual(reads(gh), ["POST /graphql 200", "GET /installation/repositories 200"], "no REST read of the config, nor a 404 for the revocation list");
  assert.equal(loaded.revoked, undefined);
  assert.equal(loaded.facts.source, "repository");
  gh.standIn.requests.length = 0;
  assert.deepEqual(await event(gh, connector), loaded);
  assert.deepEqual(reads(gh), ["POST /graphql 200"], "what the installation covers is remembered: the next event is the query alone");
  gh.standIn.requests.length = 0;
  const rest = await overRest(gh);
  assert.deepEqual(reads(gh), [`GET /repos/acme/web/contents/${encodeURIComponent(CONFIG)} 200`, `GET /repos/acme/.github/contents/${encodeURIComponent(REVOCATIONS)} 404`, "GET /installation/repositories 200"]);
  assert.deepEqual(loaded, rest, "same config, files, sources and digest as over REST");
  assert.deepEqual(gh.problems, []);
});

test("the organisation's config and revocation list come with the pull request; a list added counts with the next event", async () => {
  const org = dotGithub({ [CONFIG]: "rules:\n  signers:\n    mode: warn\n" });
  const gh = validatedGitHub([web(), org]);
  const connector = new GitHubConnector(); // shared as in the App: its REST cache must not hide the new list either
  const first = await event(gh, connector);
  assert.equal(first.facts.source, "organization");
  assert.equal(first.revoked, undefined);
  assert.deepEqual(reads(gh), ["POST /graphql 200"]);

  org.files[REVOCATIONS] = LIST;
  const second = await event(gh, connector);
  assert.deepEqual(second.revoked?.models.map((m) => m.model), ["anthropic/claude-sonnet-4-5"]);
  assert.equal(second.revoked?.source, `acme/.github:${REVOCATIONS} (default branch)`);
  assert.notEqual(second.facts.digest, first.facts.digest, "the list's digest joins the config digest");
  assert.deepEqual(reads(gh), ["POST /graphql 200", "POST /graphql 200"]);
  gh.standIn.requests.length = 0;
  assert.deepEqual(second, await overRest(gh));

  delete org.files[REVOCATIONS];
  assert.equal((await event(gh, connector)).revoked, undefined, "and a list removed is gone with the next event");
  assert.deepEqual(gh.problems, []);
});

test("a broken revocation list read from the query fails the evaluation as over REST (CONFIG_INVALID)", async () => {
  const gh = validatedGitHub([web(), dotGithub({ [REVOCATIONS]: "version: 1\nmodels: nope\n" })]);
  await assert.rejects(event(gh), (e: unknown) => e instanceof AgentGateError && e.code === "CONFIG_INVALID" && /agent-gate-revocations\.yml/.test(e.message));
  assert.deepEqual(reads(gh), ["POST /graphql 200"]);
});

test("what the query does not tell for certain is read over REST, which refuses or resolves it as before", async () => {
  const cases: { name: string; edit: (entry: { mode: number; object: Record<string, unknown> }) => void }[] = [
    { name: "a symlink", edit: (e) => void (e.mode = 0o120000) },
    { name: "a binary", edit: (e) => void Object.assign(e.object, { isBinary: true, text: null }) },
    { name: "truncated text", edit: (e) => void (e.object["isTruncated"] = true) },
    { name: "text that is not its bytes", edit: (e) => void (e.object["byteSize"] = (e.object["byteSize"] as number) + 1) },
  ];
  for (const c of cases) {
    const repos = [web({ [CONFIG]: "rules: {}\n" })];
    const gh = validatedGitHub(repos);
    gh.standIn.faults.push(rewrite(repos, (body) => c.edit(((body.data["repository"] as { defaultBranchRef: { target: Record<string, unknown> } }).defaultBranchRef.target["config"]) as { mode: number; object: Record<string, unknown> })));
    const loaded = await event(gh);
    assert.equal(loaded.facts.source, "repository", c.name);
    assert.ok(reads(gh).includes(`GET /repos/acme/web/contents/${encodeURIComponent(CONFIG)} 200`), `${c.name}: asked of REST`);
  }
  // Over the cap: REST's CONFIG_TOO_LARGE, as before.
  const gh = validatedGitHub([web({ [CONFIG]: `# ${"x".repeat(CONFIG_MAX_BYTES)}\n` })]);
  await assert.rejects(event(gh), (e: unknown) => e instanceof AgentGateError && e.code === "CONFIG_TOO_LARGE");
  assert.ok(reads(gh).includes(`GET /repos/acme/web/contents/${encodeURIComponent(CONFIG)} 200`));
});

test("a file field nulled by an error is no missing file: the repository's config is then asked of REST", async () => {
  const repos = [web({ [CONFIG]: "rules: {}\n" })];
  const gh = validatedGitHub(repos);
  gh.standIn.faults.push(rewrite(repos, (body) => {
    (body.data["repository"] as { defaultBranchRef: { target: Record<string, unknown> } }).defaultBranchRef.target["config"] = null;
    body.errors = [...(body.errors ?? []), { type: "SERVICE_UNAVAILABLE", path: ["repository", "defaultBranchRef", "target", "config"], message: "timeout" }];
  }));
  const loaded = await event(gh);
  assert.equal(loaded.facts.source, "repository", "not the default config");
  assert.ok(reads(gh).includes(`GET /repos/acme/web/contents/${encodeURIComponent(CONFIG)} 200`));
});

test("the owner's .github repository: NOT_FOUND leaves its files unseen (org-repo-scope.ts decides); any other error there leaves them to REST; an error elsewhere still fails the read", async () => {
  // FORBIDDEN on the owner's repository: the pull request is read, the owner's files over REST (here: a list).
  const repos = [web(), dotGithub({ [REVOCATIONS]: LIST })];
  const gh = validatedGitHub(repos);
  gh.standIn.faults.push(rewrite(repos, (body) => {
    body.data[OWNER_REPO_ALIAS] = null;
    body.errors = [{ type: "FORBIDDEN", path: [OWNER_REPO_ALIAS], message: "Resource not accessible by integration" }];
  }));
  const loaded = await event(gh);
  assert.deepEqual(loaded.revoked?.models.map((m) => m.model), ["anthropic/claude-sonnet-4-5"], "the list still counts");
  assert.ok(reads(gh).includes(`GET /repos/acme/.github/contents/${encodeURIComponent(REVOCATIONS)} 200`));
  assert.ok(reads(gh).includes(`GET /repos/acme/.github/contents/${encodeURIComponent(CONFIG)} 404`));

  // A NOT_FOUND that is not the owner's repository itself (deeper in its answer) is no proof of absence either.
  const deeper = validatedGitHub(repos);
  deeper.standIn.faults.push(rewrite(repos, (body) => {
    ((body.data[OWNER_REPO_ALIAS] as { defaultBranchRef: { target: Record<string, unknown> } }).defaultBranchRef.target)["revocations"] = null;
    body.errors = [{ type: "NOT_FOUND", path: [OWNER_REPO_ALIAS, "defaultBranchRef", "target", "revocations"], message: "not found" }];
  }));
  assert.ok((await event(deeper)).revoked, "read over REST");

  // An error on the pull request's own part of the answer fails the read, as before.
  const broken = validatedGitHub(repos);
  broken.standIn.faults.push(rewrite(repos, (body) => {
    (body.data["repository"] as Record<string, unknown>)["pullRequest"] = null;
    body.errors = [{ type: "SERVICE_UNAVAILABLE", path: ["repository", "pullRequest"], message: "timeout" }];
  }));
  await assert.rejects(event(broken), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_REQUEST_FAILED");
});

test("a config read with no pull request read first (deployments, the CLI) is REST's, as before", async () => {
  const gh = validatedGitHub([web({ [CONFIG]: "rules: {}\n" })]);
  await overRest(gh);
  assert.deepEqual(reads(gh), [`GET /repos/acme/web/contents/${encodeURIComponent(CONFIG)} 200`, `GET /repos/acme/.github/contents/${encodeURIComponent(REVOCATIONS)} 404`, "GET /installation/repositories 200"]);
});
