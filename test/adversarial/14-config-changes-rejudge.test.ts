// A config tightened on the default branch re-judges the open pull requests it applies to at once: a verdict made
// under the old config never stays green (docs/configuration.md, "When the config changes"). Through the real App,
// inline (no durable intake): a push to the repository's own config, to the organisation's `.github` config, and a
// changed default branch each turn the check of an open agent pull request with one approval to failure once two are
// required; a push that touches no config (or another branch) evaluates nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import type { StandInRepo } from "../../src/demo/github/model.js";
import { CONFIG, INSTALLATION, OWNER, REPO, agentPull, bob, commit, judge, payloadFor, provenanceBlock, repo, type Delivery } from "./support.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
const TWO = CONFIG.replace("count: 1", "count: 2");

/** A real push payload (webhooks-examples) to `r`'s branch `ref` whose one commit touches `files`. */
function pushPayload(r: StandInRepo, files: string[], ref = `refs/heads/${r.defaultBranch}`): Record<string, unknown> {
  const ex = structuredClone(examples.find((e) => e.name === "push")!.examples[4]!);
  const repository = { ...(ex.repository as object), id: r.id, name: r.name, full_name: `${r.owner}/${r.name}`, default_branch: r.defaultBranch, owner: { ...(ex.repository as { owner: object }).owner, login: r.owner, name: r.owner } };
  return { ...ex, ref, forced: false, repository, installation: { id: INSTALLATION }, commits: [{ ...((ex.commits as object[])[0] ?? {}), added: [], removed: [], modified: files }] };
}

/** An agent pull request with one approval, passing under CONFIG (one approval required). */
async function approvedAgentPull(label: string, config: string | null = CONFIG) {
  const c = commit(label);
  const block = await provenanceBlock({ commits: [c] });
  const r = repo([agentPull(1, [c], `Adds validation.\n\n${block}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }] })], config ?? "");
  if (config === null) r.files = {}; // none of its own: the organisation's applies
  return { c, r };
}

/** The organisation's `.github` repository, holding the config its repositories without one are judged by. */
function dotGithub(config: string): StandInRepo {
  return { owner: OWNER, name: ".github", id: 424299, defaultBranch: "main", files: { ".github/agent-gate.yml": config }, pulls: [] };
}

async function afterOpened(repos: StandInRepo[], r: StandInRepo, headSha: string, later: Delivery[]) {
  const judged = await judge(repos, [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, 1) }, ...later]);
  const run = judged.run(headSha);
  assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
  return run;
}

test("a push that raises human_approval.count in the repository's config turns its open PR's check to failure", async () => {
  const { c, r } = await approvedAgentPull("cfg-own");
  const run = await afterOpened([r], r, c.sha, [{ event: "push", payload: pushPayload(r, [".github/agent-gate.yml"]), before: (gh) => void (gh.repo(OWNER, REPO)!.files[".github/agent-gate.yml"] = TWO) }]);
  assert.equal(run.conclusion, "failure", `the PR has 1 of 2 approvals now; the check says ${run.conclusion}: ${run.output.title}`);
  assert.match(run.output.title ?? "", /needs 2 human approvals/);
});

test("a push that raises it in the organisation's .github config re-judges the PRs of every repository without one", async () => {
  const { c, r } = await approvedAgentPull("cfg-org", null);
  const org = dotGithub(CONFIG);
  const first = await afterOpened([r, org], r, c.sha, []);
  assert.equal(first.conclusion, "success", `judged by the organisation's config first: ${first.output.title}`);
  const run = await afterOpened([r, org], r, c.sha, [{ event: "push", payload: pushPayload(org, [".github/agent-gate.yml"]), before: (gh) => void (gh.repo(OWNER, ".github")!.files[".github/agent-gate.yml"] = TWO) }]);
  assert.equal(run.conclusion, "failure", `the organisation now requires 2 approvals; the check says ${run.conclusion}: ${run.output.title}`);
});

test("a repository whose default branch changed to one with a stricter config re-judges its open PRs", async () => {
  const { c, r } = await approvedAgentPull("cfg-branch");
  const edited = payloadFor("repository.edited", r, 1, { changes: { default_branch: { from: "main" } } });
  const release = { ...r, defaultBranch: "release" };
  const run = await afterOpened([r], r, c.sha, [
    {
      event: "repository.edited",
      payload: { ...edited, repository: { ...(edited.repository as object), default_branch: "release" } },
      // The stand-in serves one branch's files: the new default branch's config requires two approvals.
      before: (gh) => Object.assign(gh.repo(OWNER, REPO)!, { defaultBranch: release.defaultBranch, files: { ".github/agent-gate.yml": TWO } }),
    },
  ]);
  assert.equal(run.conclusion, "failure", `the new default branch's config requires 2 approvals; the check says ${run.conclusion}: ${run.output.title}`);
});

test("control: a push that touches no config file, a push to another branch, and a push leaving the config as it was evaluate nothing", async () => {
  const { c, r } = await approvedAgentPull("cfg-control");
  const opened = await afterOpened([r], r, c.sha, []);
  const writes = opened.writes.length;
  const run = await afterOpened([r], r, c.sha, [
    { event: "push", payload: pushPayload(r, ["README.md", "src/parser.ts"]) },
    { event: "push", payload: pushPayload(r, [".github/agent-gate.yml"], "refs/heads/claude/feature"), before: (gh) => void (gh.repo(OWNER, REPO)!.files[".github/agent-gate.yml"] = CONFIG) },
    // The config file was pushed, but its text (so its digest) is the one the check was judged under.
    { event: "push", payload: pushPayload(r, [".github/agent-gate.yml"]) },
  ]);
  assert.equal(run.conclusion, "success");
  assert.equal(run.writes.length, writes, "no check run write: nothing was evaluated again");
});
