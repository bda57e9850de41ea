// Every fact an evaluation reads from a pull request's snapshot (src/app/snapshot-facts.ts) is mapped here to the
// deliveries that re-judge the pull request when that fact changes on GitHub. The map is checked against what
// factsFromSnapshot actually reads (a recording of its reads of a real snapshot), against app.yml's events and against
// toTrigger: a fact source added without a trigger that re-judges it fails this test, as does a trigger the App no
// longer subscribes to or no longer acts on. A fact no event the App can receive announces is listed with its reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Octokit } from "@octokit/rest";
import { parse } from "yaml";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import { CHECK_NAME } from "../../src/adapters/github/check-runs.js";
import { toTrigger } from "../../src/adapters/github/triggers.js";
import type { PullRequestSnapshot } from "../../src/adapters/github/pull-request-source.js";
import { factsOf } from "../../src/app/evaluate-pull-request.js";
import { loadRepoConfig } from "../../src/app/load-config.js";
import { renderProvenanceBlock } from "../../src/core/provenance-block.js";
import { validatedGitHub } from "../support/github.js";
import { agentPull, bob, claude, commit, payloadFor, repo, OWNER, REPO } from "../adversarial/support.js";

type Source = readonly string[] | { readonly none: string };
const SYNC = ["pull_request.synchronize"];
const COMMENTS = ["issue_comment.created", "issue_comment.edited", "issue_comment.deleted"];
const REVIEWS = ["pull_request_review.submitted", "pull_request_review.dismissed"];

/** Fact source (a snapshot field, the pull request's fields one by one) -> the deliveries that re-judge it. */
const FACT_TRIGGERS: Record<string, Source> = {
  "pull.number": { none: "the pull request's identity: it never changes" },
  "pull.title": ["pull_request.edited"],
  "pull.body": ["pull_request.edited"],
  // A label renamed (label.edited) changes the names of the labels pull requests carry without a pull_request event:
  // not subscribed, see docs/operations.md ("What re-judges a pull request").
  "pull.labels": ["pull_request.labeled", "pull_request.unlabeled"],
  "pull.user": ["pull_request.opened"],
  "pull.head": ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"],
  "pull.base": ["pull_request.edited", "pull_request.synchronize"],
  "pull.draft": ["pull_request.ready_for_review", "pull_request.converted_to_draft"],
  "pull.commits": SYNC,
  "pull.changed_files": SYNC,
  "pull.comments": ["issue_comment.created", "issue_comment.deleted"],
  commits: SYNC,
  files: SYNC,
  reviews: REVIEWS,
  // A comment's author_association (trusted or a stranger's block) follows the commenter's access, as permissions do.
  comments: COMMENTS,
  permissions: { none: "an approver's access to the repository: GitHub's `member` event needs the organisation's Members permission, which the App does not ask for; the next event on the pull request reads it again" },
  listed: [...SYNC, ...REVIEWS, ...COMMENTS],
  truncated: [...SYNC, ...REVIEWS, ...COMMENTS],
  reported: REVIEWS,
};

/** The snapshot with every read of a field (of the pull request's own fields too, present or not) recorded in `read`. */
function recorded(snap: PullRequestSnapshot, read: Set<string>): PullRequestSnapshot {
  const pull = new Proxy(snap.pull, { get: (t, k, r): unknown => (typeof k === "string" && read.add(`pull.${k}`), Reflect.get(t, k, r) as unknown) });
  return new Proxy(snap, { get: (t, k, r): unknown => (typeof k !== "string" ? Reflect.get(t, k, r) as unknown : k === "pull" ? pull : (read.add(k), Reflect.get(t, k, r) as unknown)) });
}

test("every fact factsFromSnapshot reads is re-judged by a delivery the App subscribes to and turns into a trigger", async () => {
  const c = commit("ft1");
  const block = renderProvenanceBlock('{"not":"a bundle"}');
  const r = repo([agentPull(1, [c], "Adds validation.", { reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }], comments: [{ user: claude, body: block }], labels: ["ai"] })]);
  const gh = validatedGitHub(structuredClone([r]));
  const api = new GitHubConnector().installation(new Octokit({ auth: "t", request: { fetch: gh.fetch } }));
  const snap = await api.snapshot(OWNER, REPO, await api.pull(OWNER, REPO, 1));
  const loaded = await loadRepoConfig(api, OWNER, REPO);
  const read = new Set<string>();
  factsOf(recorded(snap, read), loaded, new Date());

  const unmapped = [...read].filter((k) => !Object.hasOwn(FACT_TRIGGERS, k));
  assert.deepEqual(unmapped, [], "a fact source read without a trigger that re-judges it: map it in FACT_TRIGGERS (and subscribe its event)");
  const subscribed = new Set((parse(readFileSync(new URL("../../app.yml", import.meta.url), "utf8")) as { default_events: string[] }).default_events);
  for (const [source, events] of Object.entries(FACT_TRIGGERS)) {
    if (!Array.isArray(events)) continue;
    for (const event of events as readonly string[]) {
      const [name] = event.split(".") as [string];
      assert.ok(subscribed.has(name), `${source}: app.yml does not subscribe to ${name}`);
      const trigger = toTrigger(name, deliveryOf(event, r, block), CHECK_NAME);
      assert.ok(trigger?.kind === "pull_request", `${source}: ${event} is no trigger`);
      assert.ok(trigger.pullNumbers.includes(1) || trigger.headSha === c.sha, `${source}: ${event} does not name the pull request or its head`);
    }
  }
});

/** A delivery of `event` for pull request 1 that changes its fact: a comment carrying a provenance block. */
function deliveryOf(event: string, r: ReturnType<typeof repo>, block: string): Record<string, unknown> {
  const [name, action] = event.split(".") as [string, string];
  // GitHub's examples lack some actions (pull_request.edited): the opened one, with the action's name.
  if (name === "pull_request") return { ...payloadFor("pull_request.opened", r, 1), action };
  const p = payloadFor(event, r, 1);
  if (name !== "issue_comment") return p;
  const issue = { ...(p.issue as object), number: 1, pull_request: { url: "https://api.github.com/repos/acme/widgets/pulls/1" }, comments: 1 };
  return { ...p, issue, comment: { ...(p.comment as object), body: block }, ...(event.endsWith(".edited") ? { changes: { body: { from: block } } } : {}) };
}
