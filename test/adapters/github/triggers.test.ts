import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { toTrigger, mergeQueuePullNumbers } from "../../../src/adapters/github/triggers.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
const of = (name: string, action: string): Record<string, unknown>[] =>
  (examples.find((e) => e.name === name)?.examples ?? []).filter((x) => x.action === action).map((x) => ({ installation: { id: 42 }, ...x }));

test("real pull_request payloads of every gated action become a trigger bound to the head SHA", () => {
  for (const action of ["opened", "synchronize", "reopened", "labeled", "unlabeled", "ready_for_review", "converted_to_draft"]) {
    for (const payload of of("pull_request", action)) {
      const t = toTrigger("pull_request", payload, "agent-gate");
      const pr = payload.pull_request as { number: number; head: { sha: string } };
      assert.ok(t, `pull_request.${action}`);
      assert.equal(t.headSha, pr.head.sha);
      assert.deepEqual(t.pullNumbers, [pr.number]);
      assert.equal(t.installationId, (payload.installation as { id: number }).id);
    }
  }
});

test("pull_request actions that do not change the verdict are ignored", () => {
  for (const action of ["assigned", "locked"]) {
    for (const payload of of("pull_request", action)) assert.equal(toTrigger("pull_request", payload, "agent-gate"), null);
  }
});

test("a closed pull request names only the head it leaves: the open pull requests still heading it are judged again", () => {
  const payloads = of("pull_request", "closed");
  assert.ok(payloads.length > 0);
  for (const payload of payloads) {
    const t = toTrigger("pull_request", payload, "agent-gate");
    const pr = payload.pull_request as { head: { sha: string } };
    assert.ok(t?.kind === "pull_request");
    assert.deepEqual([t.headSha, t.leftHead, t.pullNumbers], [pr.head.sha, pr.head.sha, []]);
  }
});

test("a synchronize names the head its pull request left (the payload's before) beside the new head", () => {
  const payloads = of("pull_request", "synchronize");
  assert.ok(payloads.length > 0);
  for (const payload of payloads) {
    const t = toTrigger("pull_request", payload, "agent-gate");
    assert.ok(t?.kind === "pull_request");
    assert.equal(t.headSha, (payload.pull_request as { head: { sha: string } }).head.sha);
    assert.equal(t.leftHead, payload.before);
    assert.throws(() => toTrigger("pull_request", { ...payload, before: "not-a-sha" }, "agent-gate"), /before/);
  }
  for (const payload of of("pull_request", "opened")) assert.equal((toTrigger("pull_request", payload, "agent-gate") as { leftHead?: string }).leftHead, undefined);
});

test("review submissions and dismissals re-evaluate; edits do not", () => {
  for (const payload of of("pull_request_review", "submitted")) assert.ok(toTrigger("pull_request_review", payload, "agent-gate"));
  for (const payload of of("pull_request_review", "dismissed")) assert.ok(toTrigger("pull_request_review", payload, "agent-gate"));
});

test("check_suite requests carry the head SHA even when the suite names no pull request (forks)", () => {
  for (const payload of [...of("check_suite", "requested"), ...of("check_suite", "rerequested")]) {
    const suite = payload.check_suite as Record<string, unknown>;
    const t = toTrigger("check_suite", { ...payload, check_suite: { ...suite, pull_requests: [] } }, "agent-gate");
    assert.ok(t);
    assert.match(t.headSha ?? "", /^[0-9a-f]{40}$/);
    assert.deepEqual(t.pullNumbers, []);
  }
});

test("a requested check suite that names its pull requests is left to the pull_request event", () => {
  for (const payload of of("check_suite", "requested")) {
    const suite = payload.check_suite as Record<string, unknown>;
    assert.equal(toTrigger("check_suite", { ...payload, check_suite: { ...suite, pull_requests: [{ number: 1 }] } }, "agent-gate"), null);
  }
  for (const payload of of("check_suite", "rerequested")) {
    const suite = payload.check_suite as Record<string, unknown>;
    assert.ok(toTrigger("check_suite", { ...payload, check_suite: { ...suite, pull_requests: [{ number: 1 }] } }, "agent-gate"));
  }
});

test("check_run re-requests of another app's check are not ours", () => {
  for (const payload of of("check_run", "rerequested")) {
    const foreign = toTrigger("check_run", payload, "agent-gate");
    assert.equal(foreign, null);
    const cr = payload.check_run as Record<string, unknown>;
    const ours = toTrigger("check_run", { ...payload, check_run: { ...cr, name: "agent-gate" } }, "agent-gate");
    assert.ok(ours?.kind === "pull_request" && ours.checkRunId === cr.id);
  }
});

test("a requested action other than Re-evaluate is ignored", () => {
  for (const payload of of("check_run", "requested_action")) {
    const cr = { ...(payload.check_run as Record<string, unknown>), name: "agent-gate" };
    assert.equal(toTrigger("check_run", { ...payload, check_run: cr, requested_action: { identifier: "other" } }, "agent-gate"), null);
    assert.ok(toTrigger("check_run", { ...payload, check_run: cr, requested_action: { identifier: "reevaluate" } }, "agent-gate"));
  }
});

test("merge_group checks_requested names the queued pull requests", () => {
  for (const payload of of("merge_group", "checks_requested")) {
    const t = toTrigger("merge_group", payload, "agent-gate");
    assert.ok(t?.kind === "merge_group");
    assert.match(t.headSha, /^[0-9a-f]{40}$/);
  }
  assert.deepEqual(mergeQueuePullNumbers(`refs/heads/gh-readonly-queue/main/pr-123-${"a".repeat(40)}`), [123]);
});

test("a payload missing a field the gate relies on is an error naming the field", () => {
  const [payload] = of("pull_request", "opened");
  const broken = { ...payload, pull_request: { ...(payload!.pull_request as object), head: { sha: "not-a-sha" } } };
  assert.throws(() => toTrigger("pull_request", broken, "agent-gate"), /pull_request\.opened payload: pull_request\.head\.sha: expected a 40-hex commit SHA/);
});

// issue_comment: a pull request's comments are read as facts (provenance blocks, and their count for completeness).
const BLOCK = "<!-- agent-gate:provenance v1\neyJhIjoxfQ==\n-->";
const onPull = (action: string, body: string, extra: Record<string, unknown> = {}): Record<string, unknown> => {
  const payload = of("issue_comment", action)[0]!;
  const issue = payload.issue as Record<string, unknown>;
  const comment = payload.comment as Record<string, unknown>;
  return { ...payload, issue: { ...issue, number: 9, pull_request: { url: "https://api.github.com/repos/o/r/pulls/9" }, comments: 4 }, comment: { ...comment, body }, ...extra };
};

test("a comment on a pull request that holds a provenance block (created, edited to or from one, deleted) re-judges the pull request, by number", () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ["created", onPull("created", `Provenance:\n${BLOCK}`)],
    ["created (an opener that makes no block: a problem is reported)", onPull("created", "<!-- agent-gate:provenance v2 -->")],
    ["edited to one", onPull("edited", BLOCK, { changes: { body: { from: "plain" } } })],
    ["edited away from one", onPull("edited", "plain now", { changes: { body: { from: BLOCK } } })],
    ["edited, old body not sent", onPull("edited", "plain now", { changes: {} })],
    ["deleted", onPull("deleted", BLOCK)],
  ];
  for (const [what, payload] of cases) {
    const t = toTrigger("issue_comment", payload, "agent-gate");
    assert.ok(t?.kind === "pull_request", what);
    assert.deepEqual([t.event, t.headSha, t.pullNumbers], [`issue_comment.${String(payload.action)}`, undefined, [9]], what);
  }
});

test("a comment that changes nothing the pull request is judged by, or on an issue, or an action not read, is no trigger", () => {
  assert.equal(toTrigger("issue_comment", onPull("created", "LGTM, <!-- a note -->, agent-gate:provenance v1"), "agent-gate"), null);
  assert.equal(toTrigger("issue_comment", onPull("edited", "typo fixed", { changes: { body: { from: "typo fxed" } } }), "agent-gate"), null);
  assert.equal(toTrigger("issue_comment", onPull("deleted", "plain"), "agent-gate"), null);
  for (const payload of of("issue_comment", "created")) assert.equal(toTrigger("issue_comment", { ...payload, comment: { ...(payload.comment as object), body: BLOCK } }, "agent-gate"), null, "an issue's comment");
  assert.equal(toTrigger("issue_comment", { ...onPull("created", BLOCK), action: "pinned" }, "agent-gate"), null);
});

test("near the comments the gate lists, any comment created or deleted re-judges (the count decides the list's completeness)", async () => {
  const { LIMITS } = await import("../../../src/adapters/github/pull-request-source.js");
  const near = (action: string, count: number | undefined) => {
    const p = onPull(action, "plain");
    return { ...p, issue: { ...(p.issue as object), comments: count } };
  };
  for (const action of ["created", "deleted"]) {
    assert.equal(toTrigger("issue_comment", near(action, LIMITS.comments - 11), "agent-gate"), null, action);
    for (const count of [LIMITS.comments - 10, LIMITS.comments, LIMITS.comments + 1, 10_000, undefined]) assert.ok(toTrigger("issue_comment", near(action, count), "agent-gate"), `${action} at ${count}`);
  }
  // An edit never moves the count.
  assert.equal(toTrigger("issue_comment", { ...near("edited", LIMITS.comments), changes: { body: { from: "x" } } }, "agent-gate"), null);
});

test("an issue_comment payload without the fields the gate reads is an error naming them", () => {
  const p = onPull("created", BLOCK);
  assert.throws(() => toTrigger("issue_comment", { ...p, issue: { pull_request: {} } }, "agent-gate"), /issue_comment\.created payload: issue\.number/);
  assert.throws(() => toTrigger("issue_comment", { ...p, comment: { body: 7 } }, "agent-gate"), /comment\.body/);
});
