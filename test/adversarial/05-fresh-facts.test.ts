// Class 5, "facts from GitHub at evaluation time, not from the delivery": a webhook delivery carries the pull request
// as it was when the event happened. A late, redelivered or out-of-order delivery carries a stale body, labels, draft
// state, head and reviews. Each case delivers a payload whose fields differ from what GitHub holds now (in both
// directions: stale fields that would pass, and stale fields that would fail) and asserts that the check run follows
// GitHub's current state.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { StandInCommit, StandInPull, StandInRepo } from "../../src/demo/github/model.js";
import { CONFIG, OWNER, REPO, agentPull, bob, commit, humanPull, judge, payloadFor, provenanceBlock, repo, reviewPayload, shown, type Delivery } from "./support.js";

const LABEL_CONFIG = `${CONFIG}agents:\n  labels: [ai-generated]\n`;

/** A delivery of `event` for pull request 1 as it stood in `stale`, judged against GitHub holding `now`. */
async function deliverStale(now: StandInRepo, stale: StandInRepo, event = "pull_request.opened", extra?: Delivery) {
  const deliveries: Delivery[] = [{ event, payload: payloadFor(event, stale, 1) }];
  if (extra) deliveries.push(extra);
  const judged = await judge([now], deliveries);
  assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
  const head = now.pulls[0]!.head.sha;
  const run = judged.run(head);
  return { conclusion: run.conclusion, title: run.output.title ?? "", text: shown(run), judged };
}

/** The same repository with pull request 1 changed by `edit` (what the delivery saw, or what GitHub holds now). */
function edited(r: StandInRepo, edit: (p: StandInPull) => void): StandInRepo {
  const copy = structuredClone(r);
  edit(copy.pulls[0]!);
  return copy;
}

const approvedBy = (c: StandInCommit) => [{ user: bob, state: "APPROVED" as const, commit_id: c.sha }];

test("a late delivery whose body still holds the provenance block cannot pass a PR whose body no longer has it", async () => {
  const c = commit("f1");
  const block = await provenanceBlock({ commits: [c] });
  const now = repo([agentPull(1, [c], "Adds validation.", { reviews: approvedBy(c) })]);
  const stale = edited(now, (p) => (p.body = `Adds validation.\n\n${block}`));
  const check = await deliverStale(now, stale);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /provenance/i);
  assert.ok(!check.text.includes("✅ verified"), "no verified provenance is shown: GitHub's body has none");
});

test("a late delivery whose body lacks the provenance block does not fail a PR whose body now has it", async () => {
  const c = commit("f2");
  const block = await provenanceBlock({ commits: [c] });
  const now = repo([agentPull(1, [c], `Adds validation.\n\n${block}`, { reviews: approvedBy(c) })]);
  const stale = edited(now, (p) => (p.body = "Adds validation."));
  const check = await deliverStale(now, stale);
  assert.equal(check.conclusion, "success", check.title);
  assert.equal(check.title, "Mergeable: every rule passes");
  assert.ok(check.text.includes("✅ verified"));
});

test("a delivery from before the agent label was added cannot pass a PR GitHub now labels as an agent's", async () => {
  const h = commit("f3", "human-alice");
  const now = repo([humanPull(1, [h], undefined, { labels: ["ai-generated"] })], LABEL_CONFIG);
  const stale = edited(now, (p) => (p.labels = []));
  const check = await deliverStale(now, stale);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /agent pull request needs 1 human approval/);
  assert.match(check.text, /label/);
});

test("a delivery from before the agent label was removed does not fail a PR GitHub no longer labels", async () => {
  const h = commit("f4", "human-alice");
  const now = repo([humanPull(1, [h])], LABEL_CONFIG);
  const stale = edited(now, (p) => (p.labels = ["ai-generated"]));
  const check = await deliverStale(now, stale, "pull_request.labeled");
  assert.equal(check.conclusion, "success", check.title);
});

test("a late delivery from before 'Requested by @bob' was written cannot let bob approve his own request", async () => {
  // Before 45a004d this passed twice over: the stale body was used, and body requesters were not read at all.
  const c = commit("f5");
  const block = await provenanceBlock({ commits: [c] });
  const now = repo([agentPull(1, [c], `Adds validation.\n\nRequested by @bob\n\n${block}`, { reviews: approvedBy(c) })]);
  const stale = edited(now, (p) => (p.body = `Adds validation.\n\n${block}`));
  const check = await deliverStale(now, stale);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /needs 1 human approval .*\(has 0; not counted: @bob/);
  assert.match(check.text, /not counted: @bob \(agent or prompter\)/);
});

test("a review delivery saying 'approved' cannot pass a PR whose approval GitHub now shows dismissed", async () => {
  // A guard: reviews were listed fresh before 45a004d too (this case held then); the payload's review must stay unread.
  const c = commit("f6");
  const block = await provenanceBlock({ commits: [c] });
  const now = repo([agentPull(1, [c], `Adds validation.\n\n${block}`, { reviews: [{ user: bob, state: "DISMISSED", commit_id: c.sha }] })]);
  const judged = await judge([now], [{ event: "pull_request_review.submitted", payload: reviewPayload(now, 1, bob, c.sha) }]);
  assert.deepEqual(judged.problems, []);
  const run = judged.run(c.sha);
  assert.equal(run.conclusion, "failure");
  assert.match(run.output.title ?? "", /needs 1 human approval .*\(has 0\)/);
});

test("a late delivery naming an older head cannot publish a pass for the commit the PR has moved on from", async () => {
  // The stale head looked harmless (docs only); GitHub's PR has moved on, and its commits say so. A guard: the commit
  // list was read fresh before 45a004d too (this case held then); the payload's head must never be trusted further.
  const c1 = commit("f7-1");
  const c2 = commit("f7-2");
  const block = await provenanceBlock({ commits: [c1, c2] });
  const now = repo([agentPull(1, [c1, c2], `Adds validation.\n\n${block}`, { reviews: approvedBy(c1), files: [{ filename: ".github/workflows/ci.yml", additions: 3, deletions: 1 }] })]);
  const stale = edited(now, (p) => Object.assign(p, { commits: [c1], head: { ...p.head, sha: c1.sha }, files: [{ filename: "docs/readme.md", additions: 3, deletions: 0 }] }));
  const judged = await judge([now], [{ event: "pull_request.synchronize", payload: payloadFor("pull_request.synchronize", stale, 1) }]);
  assert.deepEqual(judged.problems, []);
  const run = judged.run(c1.sha);
  assert.equal(run.conclusion, "failure", "never a pass for a head the PR has left");
  assert.match(shown(run), /head moved from [0-9a-f]{7} to [0-9a-f]{7}/);
});

test("a delivery whose draft flag and title are stale changes nothing GitHub does not say now", async () => {
  // Draft state and title decide nothing in the built-in policy; the body GitHub holds now does: its block is gone.
  const c = commit("f8");
  const block = await provenanceBlock({ commits: [c] });
  const now = repo([agentPull(1, [c], "Work in progress.", { draft: true, title: "WIP", reviews: approvedBy(c) })]);
  const stale = edited(now, (p) => Object.assign(p, { draft: false, title: "Validate widget input", body: `Ready.\n\n${block}` }));
  const check = await deliverStale(now, stale, "pull_request.ready_for_review");
  assert.equal(check.conclusion, "failure");
  assert.ok(!check.text.includes("✅ verified"));
});

describe("a push between the pull request's read and its files' read", () => {
  // Commit Y changes a workflow; protected paths need 2 approvals and bob approved once. The files are listed by a
  // request of their own (REST serves the pull request's head as it is then): a push of Z, whose only change is a
  // readme, answering the first file list must not lend Y Z's diff.
  const PROTECTED = `${CONFIG}  protected_paths:\n    approvals: 2\n`;
  async function setup(label: string) {
    const y = commit(`${label}-y`);
    const z = commit(`${label}-z`);
    const block = await provenanceBlock({ commits: [y] });
    const now = repo([agentPull(1, [y], `Adds release.\n\n${block}`, { reviews: approvedBy(y), files: [{ filename: ".github/workflows/release.yml", additions: 12, deletions: 0 }] })], PROTECTED);
    return { y, z, now };
  }
  const pushOnFirstFiles = (z: StandInCommit) => (s: GitHubStandIn) => {
    let pushed = false;
    s.faults.push((req) => {
      if (pushed || req.method !== "GET" || req.url.split("?")[0] !== `/repos/${OWNER}/${REPO}/pulls/1/files`) return undefined;
      pushed = true;
      const p = s.repos[0]!.pulls[0]!;
      Object.assign(p, { commits: [...p.commits, z], head: { ...p.head, sha: z.sha }, files: [{ filename: "docs/readme.md", additions: 3, deletions: 0 }] });
      return undefined; // answered from the state as it now is: Z's files
    });
  };

  test("control: without the push, Y fails for want of a second approval", async () => {
    const { y, now } = await setup("p1");
    const judged = await judge([now], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", now, 1) }]);
    assert.deepEqual(judged.problems, []);
    const run = judged.run(y.sha);
    assert.equal(run.conclusion, "failure");
    assert.match(run.output.title ?? "", /needs 2 approvals on the head commit \(has 1\)/);
  });

  test("Y is never judged by Z's files: the head moved, and Y's check run does not pass", async () => {
    const { y, z, now } = await setup("p2");
    const judged = await judge([now], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", now, 1), before: pushOnFirstFiles(z) }]);
    assert.deepEqual(judged.problems, []);
    const run = judged.run(y.sha);
    assert.notEqual(run.conclusion, "success", shown(run));
    assert.match(shown(run), /head moved from [0-9a-f]{7} to [0-9a-f]{7}/);
  });
});

describe("a push of a removal-only commit between the pull request's read and its files' read", () => {
  // Y changes a protected workflow (1 file); Z only removes README.md (1 file: the same count). A removed file's entry
  // names the base side, not the head, so nothing in Z's list says it is not Y's: before the fix Y passed on Z's diff.
  const PROTECTED = `${CONFIG}  protected_paths:\n    approvals: 2\n`;
  const REMOVAL = { filename: "README.md", status: "removed" as const, additions: 0, deletions: 12 };

  test("Y is never judged by Z's removals: GitHub's comparison at Y lists other files, and Y's check run does not pass", async () => {
    const y = commit("r1-y");
    const z = commit("r1-z");
    const block = await provenanceBlock({ commits: [y] });
    const yFiles = [{ filename: ".github/workflows/deploy.yml", additions: 12, deletions: 0 }];
    const now = repo([agentPull(1, [y], `Adds deploy.\n\n${block}`, { reviews: approvedBy(y), files: yFiles })], PROTECTED);
    const pushZ = (s: GitHubStandIn) => {
      let pushed = false;
      s.faults.push((req) => {
        if (pushed || req.method !== "GET" || req.url.split("?")[0] !== `/repos/${OWNER}/${REPO}/pulls/1/files`) return undefined;
        pushed = true;
        const p = s.repos[0]!.pulls[0]!;
        Object.assign(p, { commits: [...p.commits, z], head: { ...p.head, sha: z.sha }, files: [REMOVAL], earlierHeads: [{ sha: y.sha, files: yFiles }] });
        return undefined; // answered from the state as it now is: Z's files
      });
    };
    const judged = await judge([now], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", now, 1), before: pushZ }]);
    assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
    const run = judged.run(y.sha);
    assert.notEqual(run.conclusion, "success", shown(run));
    assert.match(shown(run), /only removed files.*lists other files: the head moved between the reads/s);
  });

  test("control: a genuine removal-only pull request passes, bound by the comparison", async () => {
    const c = commit("r2");
    const block = await provenanceBlock({ commits: [c] });
    const now = repo([agentPull(1, [c], `Removes the readme.\n\n${block}`, { reviews: approvedBy(c), files: [REMOVAL] })], PROTECTED);
    const judged = await judge([now], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", now, 1) }]);
    assert.deepEqual(judged.problems, []);
    const run = judged.run(c.sha);
    assert.equal(run.conclusion, "success", shown(run));
    assert.deepEqual(judged.standIn.requests.filter((r) => r.path.includes("/compare/")).map((r) => r.status), [200], "one comparison binds the removals");
  });
});
