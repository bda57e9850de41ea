import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { toTrigger, mergeQueuePullNumbers } from "../../../src/adapters/github/triggers.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
const of = (name: string, action: string): Record<string, unknown>[] =>
  (examples.find((e) => e.name === name)?.examples ?? []).filter((x) => x.action === action).map((x) => ({ installation: { id: 42 }, ...x }));

test("real pull_request payloads of every gated action become a trigger bound to the head SHA", () => {
  for (const action of ["opened", "synchronize", "reopened", "labeled", "unlabeled", "ready_for_review"]) {
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
