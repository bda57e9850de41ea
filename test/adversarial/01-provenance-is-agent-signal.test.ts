// Class 1, "verified provenance is an agent signal": a commit that a verified agent statement names is an agent's
// commit, and a pull request holding one is an agent's pull request, whoever opened it, whatever the author's name,
// branch or account says. Each case dresses agent work as something else (our own example workflow, a human name,
// a maintainer's PR, dependabot, a plain branch, a statement that fails binding) and asserts that the check denies
// what an agent PR must not get without approval.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Account, StandInCommit, StandInFile, StandInPull } from "../../src/demo/github/model.js";
import { renderProvenanceBlock } from "../../src/core/provenance-block.js";
import { actionsBot, agentPull, alice, bob, carol, commit, humanPull, judge, payloadFor, provenanceBlock, repo, shown, signedBundle, type SignOpts } from "./support.js";

const dependabot: Account = { login: "dependabot[bot]", id: 49699333, type: "Bot" };
const WORKFLOW_EDIT: StandInFile[] = [{ filename: ".github/workflows/release.yml", additions: 4, deletions: 1 }];
/** The author docs/examples/agent-workflow.yml gives the agent's commits: no GitHub account resolves it. */
const EXAMPLE_AUTHOR = { name: "agent[bot]", email: "agent@users.noreply.github.com", account: null };

/** Opens pull request `number` through the real App and returns what its check run shows. */
async function opened(pulls: StandInPull[], number = 1): Promise<{ conclusion: string | null; title: string; text: string }> {
  const r = repo(pulls);
  const pull = pulls.find((p) => p.number === number)!;
  const judged = await judge([r], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, number) }]);
  assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
  const run = judged.run(pull.head.sha);
  return { conclusion: run.conclusion, title: run.output.title ?? "", text: shown(run) };
}

/** A pull request exactly as the example workflow opens it: github-actions[bot], agent/issue-N, block in the body. */
async function examplePull(c: StandInCommit, extra: Partial<StandInPull> = {}, sign: Partial<SignOpts> = {}): Promise<StandInPull> {
  const block = await provenanceBlock({ commits: [c], ...sign });
  return agentPull(1, [c], `Closes #7\n\n${block}`, { title: "Agent: issue #7", user: actionsBot, head: { ref: "agent/issue-7", sha: c.sha }, files: WORKFLOW_EDIT, ...extra });
}

test("a PR made exactly like docs/examples/agent-workflow.yml that edits a workflow cannot pass without approval", async () => {
  const c = commit("ex1", EXAMPLE_AUTHOR);
  const v = await opened([await examplePull(c)]);
  assert.equal(v.conclusion, "failure");
  assert.match(v.title, /^Blocked: an agent pull request needs 1 human approval/);
  assert.ok(v.text.includes("`protected-paths`"), "the workflow edit is a protected path");
  assert.ok(v.text.includes("verified agent provenance names 1 of its 1 commits"), "the reason is the provenance");
});

test("the example's PR with its branch renamed to one without a prefix and the block moved to the bot's comment is still the agent's", async () => {
  const c = commit("ex2", EXAMPLE_AUTHOR);
  const block = await provenanceBlock({ commits: [c] });
  const pull = agentPull(1, [c], "Closes #7", { user: actionsBot, head: { ref: "patch-7", sha: c.sha }, files: WORKFLOW_EDIT, comments: [{ user: actionsBot, body: block }] });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.match(v.title, /needs 1 human approval/);
  assert.ok(v.text.includes("`provenance: verified agent provenance names 1 of its 1 commits`"), "the only signal is the provenance");
});

test("an agent commit under a human-looking author name on a maintainer's own branch is an agent commit", async () => {
  const c = commit("hn1", { name: "Alice Smith", email: "alice.smith@acme.example", account: alice });
  const pull = humanPull(1, [c], alice, { body: `Parser fix.\n\n${await provenanceBlock({ commits: [c], prompter: alice })}`, files: WORKFLOW_EDIT });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.match(v.title, /an agent pull request needs 1 human approval/);
  assert.ok(v.text.includes("`Alice Smith`") || v.text.includes("`alice`"), "the author is shown");
  assert.ok(v.text.includes("(agent `claude-code`)"), "the commit row says agent, not human");
});

test("a maintainer who opens the agent's PR and whose prompter approves it does not get it through", async () => {
  // bob opened it with his own commit; carol prompted the run and approves: neither may approve agent work.
  const c = commit("mt1", bob);
  const block = await provenanceBlock({ commits: [c], prompter: carol });
  const pull = humanPull(1, [c], bob, { body: `Refactor.\n\n${block}`, reviews: [{ user: carol, state: "APPROVED", commit_id: c.sha }] });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.match(v.title, /^Blocked: an agent pull request needs 1 human approval/);
  assert.match(v.text, /"msg": "an agent pull request needs 1 human approval on the head commit \w+ \(has 0; not counted: @carol \(agent or prompter\)\)"/);
});

test("provenance that covers one commit of three makes the whole PR an agent's, and the other two need provenance", async () => {
  const [h1, a1, h2] = [commit("sv1", alice), commit("sv2", alice), commit("sv3", alice)];
  const block = await provenanceBlock({ commits: [a1], prompter: carol });
  // bob approves (he neither prompted nor wrote anything): the approval is not what is missing.
  const pull = humanPull(1, [h1, a1, h2], alice, { body: `Three steps.\n\n${block}`, reviews: [{ user: bob, state: "APPROVED", commit_id: h2.sha }] });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.ok(v.text.includes("verified agent provenance names 1 of its 3 commits"));
  assert.ok(v.text.includes(`commit ${h1.sha.slice(0, 7)} by @alice carries no verified provenance`), "the first human-looking commit needs provenance");
  assert.ok(v.text.includes(`commit ${h2.sha.slice(0, 7)} (head) by @alice carries no verified provenance`), "so does the head");
});

test("dependabot as PR opener and commit author cannot outweigh verified agent provenance on a workflow edit", async () => {
  const c = commit("db1", dependabot);
  const block = await provenanceBlock({ commits: [c] });
  const pull = agentPull(1, [c], `Bumps actions/checkout.\n\n${block}`, { user: dependabot, head: { ref: "dependabot/github_actions/actions/checkout-5", sha: c.sha }, files: WORKFLOW_EDIT });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.match(v.title, /an agent pull request needs 1 human approval/);
  assert.ok(v.text.includes("`protected-paths`"));
});

test("a statement that names the commit but points the agent at another repository still makes the commit an agent's", async () => {
  const c = commit("tg1", alice);
  const bundle = await signedBundle({ commits: [c], statement: (st) => void ((st.predicate as { buildDefinition: { externalParameters: { target: { repository: string } } } }).buildDefinition.externalParameters.target.repository = "https://github.com/acme/other") });
  const pull = humanPull(1, [c], alice, { head: { ref: "fix-parser", sha: c.sha }, body: `Fix.\n\n${renderProvenanceBlock(bundle)}` });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.ok(v.text.includes("carries no verified provenance (verification failed: TARGET_OTHER_REPOSITORY)"));
  assert.ok(v.text.includes("needs 1 human approval"));
});

test("a statement whose included prompt does not hash to its digest still makes the commit an agent's", async () => {
  const c = commit("pd1", alice);
  const bundle = await signedBundle({
    commits: [c],
    statement: (st) => void ((st.predicate as { buildDefinition: { externalParameters: { prompt: { text?: string } } } }).buildDefinition.externalParameters.prompt.text = "Something else entirely."),
  });
  // The block sits in a comment of the bot, not the body: nothing but the signed statement says "agent".
  const pull = humanPull(1, [c], alice, { head: { ref: "fix-parser", sha: c.sha }, comments: [{ user: actionsBot, body: renderProvenanceBlock(bundle) }], files: WORKFLOW_EDIT });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.ok(v.text.includes("verification failed: PROMPT_DIGEST_MISMATCH"));
  assert.ok(v.text.includes("`protected-paths`"));
});

test("a signed agent statement with one field the schema does not know still makes the commit an agent's", async () => {
  // Signed by the trusted agent workflow, agent-gate's buildType, names this commit: an agent claim even if unreadable.
  const c = commit("sx1", alice);
  const bundle = await signedBundle({ commits: [c], predicate: (p) => ((p as { buildDefinition: { internalParameters: { agent: Record<string, unknown> } } }).buildDefinition.internalParameters.agent["temperature"] = 0.2, p) });
  const pull = humanPull(1, [c], alice, { head: { ref: "fix-parser", sha: c.sha }, comments: [{ user: actionsBot, body: renderProvenanceBlock(bundle) }], files: WORKFLOW_EDIT });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.ok(v.text.includes("verification failed: PREDICATE_INVALID"), "the commit needs readable provenance");
  assert.ok(v.text.includes("`protected-paths`"), "the workflow edit is an agent's");
});

test("a block in the PR body signed by an identity the repository does not trust still marks the commit as an agent's", async () => {
  const c = commit("ui1", alice);
  const block = await provenanceBlock({ commits: [c], identity: "https://github.com/mallory/agents/.github/workflows/agent.yml@refs/heads/main" });
  const pull = humanPull(1, [c], alice, { head: { ref: "fix-parser", sha: c.sha }, body: `Fix.\n\n${block}`, files: WORKFLOW_EDIT });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  // The bundle is valid for any certified identity: it reaches the policy, whose signers rule refuses the signer.
  assert.ok(v.text.includes("verified agent provenance"), "the signed statement is an agent signal");
  assert.ok(v.text.includes("`https://github.com/mallory/agents/.github/workflows/agent.yml@refs/heads/main`"));
  assert.ok(v.text.includes("is not from an allowed signer"));
  assert.ok(v.text.includes("`protected-paths`"), "the workflow edit is an agent's");
});

// The Claude Code Action commits, by default, as `claude[bot] <41898282+claude[bot]@users.noreply.github.com>`
// (anthropics/claude-code-action action.yml: bot_id "41898282", bot_name "claude[bot]"), an address GitHub resolves
// to github-actions[bot], not to the claude[bot] App. After "@claude fix this" from bob on alice's PR:
const actionCommit = (label: string, who: { name: string; email: string } = { name: "claude[bot]", email: "41898282+claude[bot]@users.noreply.github.com" }): StandInCommit =>
  commit(label, { ...who, account: actionsBot }, "Fix the parser\n\nCo-authored-by: bob <5002+bob@users.noreply.github.com>\n");

test("the Claude Code Action's default commit identity on a human's PR is the agent's, and bob who asked cannot approve it", async () => {
  const c1 = commit("cca-h1", "human-alice");
  const c2 = actionCommit("cca-a1");
  const v = await opened([humanPull(1, [c1, c2], alice, { reviews: [{ user: bob, state: "APPROVED", commit_id: c2.sha }] })]);
  assert.equal(v.conclusion, "failure");
  assert.ok(v.text.includes("`github-actions[bot]` (agent `claude-code`)"), "the commit row says agent, not human");
  assert.ok(v.text.includes("commit: 1 of 2 commits show agent signals"));
  assert.match(v.text, /commit \w+ \(head\) by &#64;⁠github-actions&#91;bot&#93; carries no verified provenance/, "the agent's commit needs provenance");
  assert.match(v.text, /an agent pull request needs 1 human approval on the head commit \w+ \(has 0; not counted: @bob \(agent or prompter\)\)/);
});

test("the Action's identity under another bot id, by its name alone, or only as the committer, is still the agent's", async () => {
  // The address's login part names a known agent account, whatever account GitHub resolves it to (bot_id is an input).
  const byId = actionCommit("cca-id", { name: "Claude", email: "12345+claude[bot]@users.noreply.github.com" });
  const byName = actionCommit("cca-name", { name: "claude[bot]", email: "ci@acme.example" });
  const asCommitter: StandInCommit = { ...commit("cca-cm", "human-alice"), committer: { name: "claude[bot]", email: "41898282+claude[bot]@users.noreply.github.com", account: actionsBot, date: "2026-11-20T09:58:00Z" } };
  for (const c of [byId, byName, asCommitter]) {
    const v = await opened([humanPull(1, [c], alice)]);
    assert.equal(v.conclusion, "failure", c.sha);
    assert.ok(v.text.includes("(agent `claude-code`)"), `${c.sha}: the commit row says agent`);
  }
});

test("the Action's commit covered by a signed statement passes with a maintainer's approval (the tiers stay reachable)", async () => {
  const c1 = commit("cca-h2", "human-alice");
  const c2 = actionCommit("cca-a2");
  const block = await provenanceBlock({ commits: [c1, c2], prompter: bob });
  const v = await opened([humanPull(1, [c1, c2], alice, { body: `Parser fix.\n\n${block}`, reviews: [{ user: carol, state: "APPROVED", commit_id: c2.sha }] })]);
  assert.equal(v.conclusion, "success", v.title);
});
