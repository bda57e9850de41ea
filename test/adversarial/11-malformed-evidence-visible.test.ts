// Class 11, "malformed evidence is visible": a provenance block that cannot be read proves nothing, but dropping it
// in silence hides from the reviewer that evidence was offered and broke (or that someone is posting noise). Each
// case offers such a block (cut short, of another version, empty, unterminated, from a stranger, by the dozen, beside
// a good one) and asserts that the check run says so; and that the detection signals and PR-body claims the
// renderer supports ("signals, not proof") reach the check run.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { StandInComment, StandInPull } from "../../src/demo/github/model.js";
import { agentPull, alice, bob, carol, commit, humanPull, judge, mallory, payloadFor, provenanceBlock, repo, shown } from "./support.js";

async function opened(pulls: StandInPull[]): Promise<{ conclusion: string | null; title: string; text: string }> {
  const r = repo(pulls);
  const judged = await judge([r], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, 1) }]);
  assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
  const run = judged.run(pulls[0]!.head.sha);
  return { conclusion: run.conclusion, title: run.output.title ?? "", text: shown(run) };
}

/** alice's own pull request (human commits) with `body` and `comments`: only the evidence warnings can show. */
function alicePull(label: string, body: string, comments: StandInComment[] = []): StandInPull {
  const c = commit(label, alice);
  return humanPull(1, [c], alice, { body, comments, head: { ref: "fix-parser", sha: c.sha } });
}

/** A genuine block for `label`'s commit cut after half its base64 lines, its terminator kept. */
async function truncatedBlock(label: string): Promise<string> {
  const lines = (await provenanceBlock({ commits: [commit(label, alice)] })).split("\n");
  return `${lines.slice(0, Math.floor(lines.length / 2)).join("\n")}\n-->`;
}

const UNREADABLE = /a provenance block (in the PR description|in a comment by @\w+) could not be read/;

test("a genuine block cut short (truncated base64, terminator kept) is reported, not passed on in silence", async () => {
  const v = await opened([alicePull("tr1", `Fix.\n\n${await truncatedBlock("tr1")}`)]);
  assert.equal(v.conclusion, "success", "a warning, not a verdict: the PR is a human's");
  assert.match(v.title, /^Mergeable with 1 warning: a provenance block in the PR description could not be read/);
  assert.ok(v.text.includes("not base64 of a JSON object"), "the reason is shown");
});

test("a truncated block on the agent's own PR is reported beside the commit that lacks provenance", async () => {
  const c = commit("tr2");
  const lines = (await provenanceBlock({ commits: [c] })).split("\n");
  const pull = agentPull(1, [c], `Fix.\n\n${lines.slice(0, 5).join("\n")}\n-->`, { reviews: [{ user: carol, state: "APPROVED", commit_id: c.sha }] });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.ok(v.text.includes("carries no verified provenance"));
  assert.match(v.text, UNREADABLE);
});

test("a block of version v2 is reported with the version expected", async () => {
  const block = (await provenanceBlock({ commits: [commit("v2a", alice)] })).replace("provenance v1", "provenance v2");
  const v = await opened([alicePull("v2a", `Fix.\n\n${block}`)]);
  assert.match(v.title, /^Mergeable with 1 warning: a provenance block in the PR description could not be read/);
  assert.ok(v.text.includes("provenance block version v2 is not supported; expected v1"));
});

test("an empty block is reported", async () => {
  const v = await opened([alicePull("em1", "Fix.\n\n<!-- agent-gate:provenance v1\n-->")]);
  assert.match(v.title, /^Mergeable with 1 warning/);
  assert.ok(v.text.includes("provenance block is empty; expected the base64 of a Sigstore bundle"));
});

test("an opener with no terminator is reported", async () => {
  const v = await opened([alicePull("un1", "Fix.\n\n<!-- agent-gate:provenance v1\nZXlKaGJHY2lPaUp")]);
  assert.match(v.title, /^Mergeable with 1 warning/);
  assert.ok(v.text.includes("1 provenance block(s) could not be read: expected"));
});

test("a broken block in a stranger's comment is shown with who posted it, and cannot fail the maintainer's PR", async () => {
  const v = await opened([alicePull("st1", "Fix.", [{ user: mallory, body: "LGTM\n\n<!-- agent-gate:provenance v1\n!!!!\n-->" }])]);
  assert.equal(v.conclusion, "success");
  assert.match(v.title, /^Mergeable with 1 warning: a provenance block in a comment by @mallory could not be read/);
});

test("a dozen broken blocks in comments are all counted, the ones past the tenth included", async () => {
  const comments: StandInComment[] = Array.from({ length: 12 }, (_, i) => ({ user: mallory, body: `noise ${i}\n<!-- agent-gate:provenance v${i + 2}\nAAAA\n-->` }));
  comments.push({ user: bob, body: "<!-- agent-gate:provenance v1\n-->" });
  const v = await opened([alicePull("mn1", "Fix.", comments)]);
  assert.equal(v.conclusion, "success");
  assert.match(v.title, /^Mergeable with 11 warnings/);
  assert.ok(v.text.includes("3 more provenance blocks could not be read (13 in all; the first 10 are listed)"), "the reviewer learns how many there were");
});

test("a genuine block beside a broken one: the commit is verified and the broken one is still reported", async () => {
  const c = commit("gb1");
  const good = await provenanceBlock({ commits: [c] });
  const pull = agentPull(1, [c], `Fix.\n\n${good}\n\n<!-- agent-gate:provenance v1\n-->`, { reviews: [{ user: carol, state: "APPROVED", commit_id: c.sha }] });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "success");
  assert.match(v.title, /^Mergeable with 1 warning: a provenance block in the PR description could not be read/);
  assert.ok(v.text.includes("✅ verified"));
});

test("a body marker on a maintainer's PR shows as agent work with its signals marked 'signals, not proof', and the claim is listed", async () => {
  const c = commit("sg1", alice);
  const pull = humanPull(1, [c], alice, { body: "Fix.\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)", head: { ref: "fix-parser", sha: c.sha } });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure", "unsigned, it still tightens: agent work needs provenance and approval");
  assert.ok(v.text.includes("**Agent work by** `body-marker:"), "the signal is shown");
  assert.ok(v.text.includes("<sub>(signals, not proof)</sub>"));
  assert.ok(v.text.includes("### Unsigned claims"));
  assert.ok(v.text.includes("Generated with [Claude Code]") || v.text.includes("Generated with \\[Claude Code\\]"), "the claim as written");
});
