// Class 4, "fail closed on truncation and noise": every list the gate reads from GitHub (commits, files, reviews,
// comments) stops somewhere, and a list can be shorter than the pull request says it is. An attacker adds noise (files,
// commits, reviews, comments, provenance blocks) so that what decides the verdict falls out of view: a workflow change
// past the files GitHub lists, a change request past the reviews read, an agent's provenance block past a budget that
// a stranger's blocks used up. Each case must deny "too many ... to evaluate", or still see the agent's evidence.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { StandInComment, StandInCommit, StandInFile, StandInPull, StandInReview } from "../../src/demo/github/model.js";
import { renderProvenanceBlock } from "../../src/core/provenance-block.js";
import { answerGraphql } from "../../src/demo/github/graphql.js";
import { CONFIG, agentPull, bob, claude, commit, humanPull, judge, mallory, payloadFor, provenanceBlock, repo, shown } from "./support.js";

/** Opens pull request 1 and returns its check; `fault` changes what GitHub answers first. */
async function openOne(pull: StandInPull, fault?: (s: GitHubStandIn) => void, config = CONFIG) {
  const r = repo([pull], config);
  const judged = await judge([r], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, 1), ...(fault ? { before: fault } : {}) }]);
  assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
  const run = judged.run(pull.head.sha);
  return { conclusion: run.conclusion, title: run.output.title ?? "", text: shown(run) };
}

/**
 * GitHub's pull request reports `by` more of `field` than its list holds (a list cut short, an item hidden from the
 * App): the GraphQL read of pull request 1 answers the stand-in's own answer with the count raised.
 */
function reportsMore(field: "commits" | "changed_files" | "comments", by = 1): (s: GitHubStandIn) => void {
  return (s) =>
    s.faults.push((req) => {
      const query = (req.body as { query?: unknown } | undefined)?.query;
      if (req.method !== "POST" || req.url.split("?")[0] !== "/graphql" || typeof query !== "string" || !query.startsWith("query AgentGatePull(")) return undefined;
      const res = answerGraphql(s.repos, req);
      const pr = (res.body as { data: { repository: { pullRequest: { changedFiles: number; commits: { totalCount: number }; comments: { totalCount: number } } } } }).data.repository.pullRequest;
      if (field === "changed_files") pr.changedFiles += by;
      else pr[field].totalCount += by;
      return res;
    });
}

/** The agent's signed pull request with bob's approval on its head: it passes unless something is out of view. */
async function approvedAgentPull(label: string, extra: Partial<StandInPull> = {}): Promise<{ pull: StandInPull; c: StandInCommit }> {
  const c = commit(label);
  const approval: StandInReview = { user: bob, state: "APPROVED", commit_id: c.sha, submitted_at: "2026-11-20T11:00:00Z" };
  const pull = agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c] })}`, { reviews: [approval], ...extra });
  return { pull, c };
}

const files = (n: number, prefix = "src/gen"): StandInFile[] => Array.from({ length: n }, (_, i) => ({ filename: `${prefix}/f${i}.ts`, additions: 0, deletions: 1, patch: "@@ -1 +0,0 @@\n-x" }));
const noise = (n: number, body = "+1"): StandInComment[] => Array.from({ length: n }, (_, i) => ({ id: 10_000 + i, user: mallory, body, author_association: "NONE" as const }));

test("control: the approved, signed agent PR passes", async () => {
  const { pull } = await approvedAgentPull("n0");
  assert.equal((await openOne(pull)).conclusion, "success");
});

test("a workflow change hidden past 3,000 changed files (GitHub lists no more) denies: too many changed files", async () => {
  const { pull } = await approvedAgentPull("n1", { files: [...files(3000), { filename: ".github/workflows/release.yml", additions: 5, deletions: 0 }] });
  // Size limits raised, so that only what is out of view can decide. A guard: a cut file list denied before 45a004d too.
  const check = await openOne(pull, undefined, `${CONFIG}  size:\n    max_files: 5000\n    max_lines: 100000\n`);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /^Blocked: too many changed files to evaluate: GitHub lists at most 3000 and this pull request has more/);
});

test("a file list shorter than the PR's changed_files denies, even on a human's PR", async () => {
  const h = commit("n2", "human-alice");
  const check = await openOne(humanPull(1, [h]), reportsMore("changed_files"));
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /too many changed files to evaluate: GitHub listed 2 of the 3 the pull request reports/);
});

test("a commit list shorter than the PR's commits (an agent commit out of view) denies, even on a human's PR", async () => {
  const h = commit("n3", "human-alice");
  const check = await openOne(humanPull(1, [h]), reportsMore("commits"));
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /too many commits to evaluate: GitHub listed 1 of the 2 the pull request reports/);
});

test("an agent commit buried under 250 human commits (GitHub lists no more) denies: too many commits", async () => {
  // GitHub lists the oldest 250, so the head is never listed: this was "head moved" and retried for ever, a false reason.
  const human = Array.from({ length: 250 }, (_, i) => commit(`n4-${i}`, "human-alice"));
  const agentCommit = commit("n4-agent", { name: "Dev", email: "dev@example.com", account: null }, "tweak\n\nCo-authored-by: Claude <noreply@anthropic.com>\n");
  const check = await openOne(humanPull(1, [agentCommit, ...human]));
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /^Blocked: too many commits to evaluate: GitHub lists at most 250/, "denied, not \"head moved\" and retried for ever");
});

test("3,001 comments by a stranger on an agent PR deny: too many comments", async () => {
  const { pull } = await approvedAgentPull("n5", { comments: noise(3001) });
  const check = await openOne(pull);
  assert.equal(check.conclusion, "failure");
  assert.match(check.text, /too many comments to evaluate: GitHub lists at most 3000 and this pull request has more/);
});

test("a comment list shorter than the agent PR's comment count denies", async () => {
  const { pull } = await approvedAgentPull("n6", { comments: noise(3) });
  const check = await openOne(pull, reportsMore("comments"));
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /too many comments to evaluate: GitHub listed 3 of the 4 the pull request reports/);
});

test("a maintainer's change request pushed past 1,000 of a stranger's reviews cannot leave the earlier approval standing", async () => {
  const { pull, c } = await approvedAgentPull("n7");
  const chatter: StandInReview[] = Array.from({ length: 1000 }, () => ({ user: mallory, state: "COMMENTED", commit_id: c.sha, submitted_at: "2026-11-20T11:30:00Z" }));
  pull.reviews.push(...chatter, { user: bob, state: "CHANGES_REQUESTED", commit_id: c.sha, submitted_at: "2026-11-20T12:00:00Z" });
  const check = await openOne(pull);
  assert.equal(check.conclusion, "failure");
  assert.match(check.text, /too many reviews to evaluate: GitHub lists at most 1000 and this pull request has more/);
});

test("a maintainer's change request in the same second as his approval is his latest review: the approval is gone", async () => {
  // GitHub's times have whole seconds; its list (and the reviews' ids) keep the order: the host passes it on.
  const { pull, c } = await approvedAgentPull("n7b");
  pull.reviews.push({ user: bob, state: "CHANGES_REQUESTED", commit_id: c.sha, submitted_at: "2026-11-20T11:00:00Z" });
  assert.equal((await openOne(pull)).conclusion, "failure");
});

test("control: an approval in the same second as the same maintainer's change request, after it, counts", async () => {
  const { pull, c } = await approvedAgentPull("n7c");
  pull.reviews.unshift({ user: bob, state: "CHANGES_REQUESTED", commit_id: c.sha, submitted_at: "2026-11-20T11:00:00Z" });
  const check = await openOne(pull);
  assert.equal(check.conclusion, "success", check.title);
});

test("a stranger's 200 provenance blocks cannot use up the block budget the agent's own comment needs", async () => {
  const c = commit("n8");
  const junk = renderProvenanceBlock(JSON.stringify({ mediaType: "not a bundle" }));
  const strangers = noise(5, Array.from({ length: 50 }, () => junk).join("\n"));
  const agents: StandInComment = { id: 20_000, user: claude, body: `Provenance for this change:\n\n${await provenanceBlock({ commits: [c] })}` };
  const pull = agentPull(1, [c], "Adds validation.", { comments: [...strangers, agents], reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }] });
  const check = await openOne(pull);
  assert.equal(check.conclusion, "success", check.title);
  assert.ok(check.text.includes("✅ verified"), "the agent's block was read and verified");
});

test("a stranger's 5 MB of provenance blocks cannot use up the byte budget the agent's own comment needs", async () => {
  const c = commit("n9");
  const big = renderProvenanceBlock(JSON.stringify({ pad: "x".repeat(500 * 1024) }));
  const strangers = noise(11, big);
  const agents: StandInComment = { id: 20_000, user: claude, body: `Provenance:\n\n${await provenanceBlock({ commits: [c] })}` };
  const pull = agentPull(1, [c], "Adds validation.", { comments: [...strangers, agents], reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }] });
  const check = await openOne(pull);
  assert.equal(check.conclusion, "success", check.title);
  assert.ok(check.text.includes("✅ verified"));
});
