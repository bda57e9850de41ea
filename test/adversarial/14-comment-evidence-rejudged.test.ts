// Class 14, "a comment's evidence is a fact like any other": provenance blocks are read from a pull request's comments
// (src/app/snapshot-facts.ts), so a comment that brings, changes or takes one away re-judges the pull request then,
// not at its next push. A trusted commenter's verified bundle can make a human-looking commit an agent's (tightens),
// and an agent's bundle that arrives as a comment after the pull request opened is what lets it pass.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { Account, StandInFile, StandInRepo } from "../../src/demo/github/model.js";
import { renderProvenanceBlock } from "../../src/core/provenance-block.js";
import { actionsBot, agentPull, alice, bob, claude, commit, humanPull, judge, payloadFor, repo, shown, signedBundle, OWNER, REPO, type Delivery } from "./support.js";

const WORKFLOW_EDIT: StandInFile[] = [{ filename: ".github/workflows/release.yml", additions: 4, deletions: 1 }];
const COMMENT_ID = 9001;

/** An issue_comment delivery for pull request 1 as GitHub sends it: the comment's body (and, edited, its old body). */
function commentDelivery(r: StandInRepo, action: "created" | "edited" | "deleted", who: Account, body: string, change: (gh: GitHubStandIn) => void, from?: string): Delivery {
  const p = payloadFor(`issue_comment.${action}`, r, 1);
  const issue = { ...(p.issue as object), number: 1, pull_request: { url: `https://api.github.com/repos/${OWNER}/${REPO}/pulls/1` }, comments: 1 };
  const comment = { ...(p.comment as object), id: COMMENT_ID, body, user: { login: who.login, id: who.id, type: who.type ?? "User" } };
  return { event: `issue_comment.${action}`, payload: { ...p, issue, comment, ...(from !== undefined ? { changes: { body: { from } } } : {}) }, before: change };
}

const comments = (gh: GitHubStandIn) => gh.pull(OWNER, REPO, 1)!.comments;

test("the agent's signed provenance posted as a comment after a human-looking PR passed turns its check to failure", async () => {
  const c = commit("ic1", alice);
  const block = renderProvenanceBlock(await signedBundle({ commits: [c] }));
  const r = repo([humanPull(1, [c], alice, { head: { ref: "fix-parser", sha: c.sha }, files: WORKFLOW_EDIT })]);
  const opened: Delivery = { event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, 1) };
  const before = await judge([r], [opened]);
  assert.equal(before.run(c.sha).conclusion, "success", "a human's workflow edit passes");
  const judged = await judge([r], [opened, commentDelivery(r, "created", actionsBot, block, (gh) => void comments(gh).push({ id: COMMENT_ID, user: actionsBot, body: block }))]);
  assert.deepEqual(judged.problems, []);
  const run = judged.run(c.sha);
  assert.equal(run.conclusion, "failure", `the commit is an agent's editing a workflow: ${run.output.title}`);
  assert.match(shown(run), /workflow|approval/i);
});

test("an agent PR whose bundle arrives as a comment after it opened passes then; the bundle edited away or deleted fails it again", async () => {
  const c = commit("ic2");
  const block = renderProvenanceBlock(await signedBundle({ commits: [c] }));
  const r = repo([agentPull(1, [c], "Adds validation.", { reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }] })]);
  const opened: Delivery = { event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, 1) };
  const posted = commentDelivery(r, "created", claude, block, (gh) => void comments(gh).push({ id: COMMENT_ID, user: claude, body: block }));
  const red = await judge([r], [opened]);
  assert.equal(red.run(c.sha).conclusion, "failure", "no provenance yet");
  const green = await judge([r], [opened, posted]);
  assert.deepEqual(green.problems, []);
  assert.equal(green.run(c.sha).conclusion, "success", green.run(c.sha).output.title ?? "");

  const edited = commentDelivery(r, "edited", claude, "Provenance withdrawn.", (gh) => (comments(gh)[0]!.body = "Provenance withdrawn."), block);
  assert.equal((await judge([r], [opened, posted, edited])).run(c.sha).conclusion, "failure", "edited away");
  const deleted = commentDelivery(r, "deleted", claude, block, (gh) => void comments(gh).splice(0));
  assert.equal((await judge([r], [opened, posted, deleted])).run(c.sha).conclusion, "failure", "deleted");
});

test("a comment without a provenance block, far from the comments the gate lists, costs no evaluation", async () => {
  const c = commit("ic3", alice);
  const r = repo([humanPull(1, [c], alice, { head: { ref: "fix-parser", sha: c.sha } })]);
  const opened: Delivery = { event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, 1) };
  const once = await judge([r], [opened]);
  const twice = await judge([r], [opened, commentDelivery(r, "created", alice, "LGTM", (gh) => void comments(gh).push({ id: COMMENT_ID, user: alice, body: "LGTM" }))]);
  assert.equal(twice.standIn.requests.length, once.standIn.requests.length, "not one GitHub request for the comment");
});
