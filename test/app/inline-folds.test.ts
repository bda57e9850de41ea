// Folding without durable intake (src/app/fold.ts: InlineFolds): the App evaluates a delivery before answering it, so
// a burst of deliveries for one head (another App's 256-job matrix) ran as many evaluations, each two check-run
// writes, one after another under the head's lock. Per head one evaluation runs at a time; a delivery that only asks
// for the head to be judged again is answered by the one waiting behind it, never by the one running.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InlineFolds } from "../../src/app/fold.js";
import type { PullRequestTrigger, Trigger } from "../../src/adapters/github/triggers.js";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";
import { CONFIG, commit, humanPull, mallory, payloadFor, repo, sigstore } from "../adversarial/support.js";

const base = { kind: "pull_request", owner: "o", repo: "r", installationId: 1, headSha: "a".repeat(40), pullNumbers: [1] } as const;
const review: PullRequestTrigger = { ...base, event: "pull_request_review.submitted" };
const check = (name: string): PullRequestTrigger => ({ ...base, event: "check_run.completed", pullNumbers: [], completedCheck: { name } });

test("per head one evaluation runs; foldable deliveries join the one waiting, others queue behind it", async () => {
  const folds = new InlineFolds<string>();
  const started: Trigger[] = [];
  const gates: Array<() => void> = [];
  const evaluate = (t: Trigger): Promise<string> => {
    const run = `run-${started.push(t)}`;
    return new Promise((resolve) => gates.push(() => resolve(run)));
  };
  const tick = () => new Promise((r) => setImmediate(r));
  const a = folds.run(check("tests"), evaluate);
  await tick();
  assert.equal(started.length, 1, "nothing ran: the first starts at once");
  const b = folds.run(check("tests"), evaluate);
  const c = folds.run(check("lint"), evaluate);
  const d = folds.run(review, evaluate);
  const e = folds.run({ ...base, event: "pull_request.synchronize", leftHead: "b".repeat(40) }, evaluate);
  const f = folds.run(check("tests"), evaluate);
  const other = folds.run({ ...review, headSha: "c".repeat(40) }, evaluate);
  await tick();
  assert.equal(started.length, 2, "the first runs, and another head's evaluation beside it");
  assert.equal(started[1]!.headSha, "c".repeat(40));
  gates[0]!();
  assert.equal(await a, "run-1");
  await tick();
  assert.equal(started.length, 3);
  // b, c and d are one evaluation: its trigger judged unconditionally (a review folded in).
  assert.deepEqual(started[2], { ...base, event: "check_run.completed", pullNumbers: [] });
  gates[2]!();
  assert.deepEqual(await Promise.all([b, c, d]), ["run-3", "run-3", "run-3"]);
  await tick();
  assert.equal(started[3]!.event, "pull_request.synchronize", "never folded, and f folded into it");
  gates[3]!();
  assert.deepEqual(await Promise.all([e, f]), ["run-4", "run-4"]);
  gates[1]!();
  assert.equal(await other, "run-2");
  assert.equal(started.length, 4);
});

test("a failed evaluation fails the deliveries folded into it, and the next one runs", async () => {
  const folds = new InlineFolds<string>();
  let release!: () => void;
  const first = folds.run(review, () => new Promise((resolve) => (release = () => resolve("ok"))));
  await new Promise((r) => setImmediate(r));
  const failing = folds.run(review, () => Promise.reject(new Error("GitHub down")));
  const folded = folds.run(check("tests"), () => Promise.resolve("never"));
  release();
  assert.equal(await first, "ok");
  await assert.rejects(failing, /GitHub down/);
  await assert.rejects(folded, /GitHub down/);
  assert.equal(await folds.run(review, () => Promise.resolve("after")), "after");
});

test("inline App: a burst of another App's check runs on one head costs at most two evaluations", { timeout: 120_000 }, async () => {
  const c = commit("fl2", mallory);
  const r = repo([humanPull(1, [c], mallory, { head: { ref: "patch-1", sha: c.sha, repo: { owner: "mallory", name: "widgets", id: 906666 } } })], `${CONFIG}  required_checks:\n    checks:\n      - name: tests\n        app: github-actions\n`);
  const gh = validatedGitHub(structuredClone([r]));
  const gate = await composeGate({ trustedRoot: (await sigstore()).trustedRoot, tlogEntryUrl: () => undefined });
  // GitHub answers once every delivery of the burst reached the App (a burst arrives while an evaluation runs; the
  // stand-in would answer in the same turn of the event loop, letting no other delivery in until it ended).
  let arrived = 0;
  let allArrived: () => void = () => undefined;
  let burst: Promise<void> = Promise.resolve();
  const networked: typeof fetch = async (input, init) => (await burst, gh.fetch(input, init));
  const onEvent = (name: string): void => {
    if (name === "check_run" && ++arrived === 64) allArrived();
  };
  const app = await startApp(agentGateApp({ gate, onEvent }), networked);
  try {
    assert.equal((await app.deliver("pull_request", payloadFor("pull_request.opened", r, 1))).status, 200);
    const writes = () => gh.standIn.requests.filter((q) => q.write).length;
    const before = writes();
    const payload = payloadFor("check_run.completed", r, 1);
    const deliveries = Array.from({ length: 64 }, (_, i) => ({ ...payload, check_run: { ...(payload.check_run as object), id: 80_000 + i, name: "tests", head_sha: c.sha, pull_requests: [], app: { id: 15368, slug: "github-actions" } } }));
    burst = new Promise((resolve) => (allArrived = resolve));
    const answers = await Promise.all(deliveries.map((p) => app.deliver("check_run", p)));
    assert.ok(writes() - before <= 4, `${writes() - before} writes for 64 deliveries of one head`);
    // Evaluated one after another, the last ones were answered past GitHub's ten seconds (202: still processing).
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [200]);
    assert.equal(gh.standIn.checkRuns.filter((x) => x.head_sha === c.sha).at(-1)?.status, "completed");
    assert.deepEqual(gh.problems, []);
  } finally {
    await app.close();
  }
});
