// Folding (availability, src/app/fold.ts): an outsider's fork pull request whose workflow runs a 256-job matrix named
// like a required check sends 512 check_run deliveries per push; each was a job, an evaluation and two paced
// check-run writes (~17 minutes of the installation's write lane). A delivery that carries nothing beyond its head is
// now folded into a job of that head that waits to start, in the statement that records the delivery: it is taken in
// (redelivery and reconciliation see it), and the evaluation that covers it is recorded under its own id. Never into a
// job running (it read its facts before), never a delivery that changes the head or the set of pull requests. On both
// databases (the fold is SQL over pg-boss's job rows).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { openStorage, type Storage } from "../../src/adapters/storage/index.js";
import { SqlGateStore } from "../../src/adapters/storage/gate-store.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import { EVALUATE_QUEUE, Intake, type EvaluateJob } from "../../src/app/intake.js";
import { foldTrigger, MAX_FOLDED, MAX_FOLDED_CHECKS } from "../../src/app/fold.js";
import { composeGate } from "../../src/app/compose.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import type { PullRequestTrigger, Trigger } from "../../src/adapters/github/triggers.js";
import { dropSchema, requirePostgres, uniqueSchema } from "../adapters/storage/support.js";
import { validatedGitHub } from "../support/github.js";
import { CONFIG, commit, humanPull, mallory, payloadFor, repo, sigstore } from "../adversarial/support.js";

interface Rig {
  storage: Storage;
  queue: JobQueue;
  store: SqlGateStore;
  intake: Intake;
  jobs(where?: string): Promise<Array<{ id: string; state: string; data: EvaluateJob }>>;
  close(): Promise<void>;
}

async function rig(t: TestContext, kind: "embedded" | "postgres"): Promise<Rig | undefined> {
  let url: string | undefined;
  let schema: string | undefined;
  if (kind === "postgres") {
    url = await requirePostgres(t);
    if (!url) return undefined;
    schema = uniqueSchema("fold");
  }
  const storage = await openStorage(url ? { databaseUrl: url, schema } : { dataDir: "memory://" });
  const jobSchema = `${storage.db.schema}_jobs`;
  const queue = await JobQueue.open(storage.db, { schema: jobSchema, pollingIntervalSeconds: 0.5 });
  const store = new SqlGateStore(storage.db);
  return {
    storage,
    queue,
    store,
    intake: new Intake(queue, store),
    jobs: (where = "true") => storage.db.query(`SELECT id, state::text AS state, data FROM ${jobSchema}.job WHERE name = $1 AND ${where} ORDER BY created_on, id`, [EVALUATE_QUEUE]),
    close: async () => {
      await queue.stop(false);
      await storage.close();
      if (url && schema) for (const s of [jobSchema, schema]) await dropSchema(url, s);
    },
  };
}

const HEAD = "c".repeat(40);
const base = { kind: "pull_request", owner: "mallory", repo: "widgets", installationId: 77, headSha: HEAD } as const;
const checkRun = (name: string, appId = 15368): PullRequestTrigger => ({ ...base, event: "check_run.completed", pullNumbers: [], completedCheck: { name, appId, appSlug: "github-actions" } });
const review: PullRequestTrigger = { ...base, event: "pull_request_review.submitted", pullNumbers: [1] };

/** A worker for the evaluate queue that holds the job it takes until released; resolves once one is running. */
async function holdOne(queue: JobQueue): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  await queue.work(EVALUATE_QUEUE, 1, async () => {
    started();
    await released;
  });
  await running;
  return release;
}

for (const kind of ["embedded", "postgres"] as const) {
  test(`${kind}: 256 check_run deliveries for one head queue one job, every delivery taken in and named by it`, { timeout: 120_000 }, async (t) => {
    const r = await rig(t, kind);
    if (!r) return;
    try {
      for (let i = 0; i < 256; i++) await r.intake.acceptTrigger(`delivery-${i}`, checkRun("tests"));
      const jobs = await r.jobs();
      assert.equal(jobs.length, 1, "one evaluation for the head");
      assert.deepEqual(jobs[0]!.data.folded, Array.from({ length: 255 }, (_, i) => `delivery-${i + 1}`));
      assert.ok(jobs[0]!.data.foldedAt !== undefined && new Date(jobs[0]!.data.foldedAt).getTime() > 0);
      assert.deepEqual((jobs[0]!.data.trigger as PullRequestTrigger).completedCheck, { name: "tests", appId: 15368, appSlug: "github-actions" });
      assert.equal((await r.store.knownDeliveries(Array.from({ length: 256 }, (_, i) => `delivery-${i}`))).size, 256, "reconciliation sees every one taken in");
      // A job answers for MAX_FOLDED deliveries at most: the next one queues its own, and the rest fold into that.
      assert.equal(MAX_FOLDED, 256);
      for (let i = 256; i < 260; i++) await r.intake.acceptTrigger(`delivery-${i}`, checkRun("tests"));
      assert.deepEqual((await r.jobs()).map((j) => j.data.folded?.length ?? 0).sort((a, b) => b - a), [MAX_FOLDED, 2]);
      // A redelivery of a folded delivery (GitHub keeps its GUID) folds again: taken in once.
      await r.intake.acceptTrigger("delivery-7", checkRun("tests"));
      assert.equal((await r.jobs()).length, 2);
      const [n] = await r.storage.db.query<{ n: number }>("SELECT count(*)::int AS n FROM intake_deliveries");
      assert.equal(Number(n!.n), 260);
    } finally {
      await r.close();
    }
  });

  test(`${kind}: a running job never stands in; a delivery that changes the head or the pull requests is never folded`, { timeout: 120_000 }, async (t) => {
    const r = await rig(t, kind);
    if (!r) return;
    let release: (() => void) | undefined;
    try {
      await r.intake.acceptTrigger("d-1", review);
      release = await holdOne(r.queue);
      assert.deepEqual((await r.jobs()).map((j) => j.state), ["active"]);
      await r.intake.acceptTrigger("d-2", review);
      assert.deepEqual((await r.jobs()).map((j) => [j.state, j.data.deliveryId, j.data.folded]), [["active", "d-1", undefined], ["created", "d-2", undefined]], "the running job read its facts before d-2: a job of its own");
      await r.intake.acceptTrigger("d-3", checkRun("tests"));
      assert.deepEqual((await r.jobs("state = 'created'")).map((j) => j.data.folded), [["d-3"]], "folded into the job that waits");

      const never: Array<[string, Trigger]> = [
        ["d-open", { ...base, event: "pull_request.opened", pullNumbers: [1] }],
        ["d-sync", { ...base, event: "pull_request.synchronize", pullNumbers: [1], leftHead: "b".repeat(40) }],
        ["d-reopen", { ...base, event: "pull_request.reopened", pullNumbers: [1] }],
        ["d-close", { ...base, event: "pull_request.closed", pullNumbers: [], leftHead: HEAD }],
        ["d-retarget", { ...base, event: "pull_request.edited", pullNumbers: [1], retargeted: true }],
        ["d-rerun", { ...base, event: "check_run.rerequested", pullNumbers: [1], checkRunId: 5 }],
        ["d-group", { kind: "merge_group", event: "merge_group.checks_requested", owner: "mallory", repo: "widgets", installationId: 77, headSha: HEAD, headRef: "refs/heads/gh-readonly-queue/main/pr-1-" + HEAD, pullNumbers: [1] }],
      ];
      for (const [id, trigger] of never) await r.intake.acceptTrigger(id, trigger);
      const folds = async (): Promise<Record<string, readonly string[]>> => Object.fromEntries((await r.jobs("state = 'created'")).map((j) => [j.data.deliveryId!, j.data.folded ?? []]));
      assert.deepEqual(await folds(), Object.fromEntries([["d-2", ["d-3"]], ...never.map(([id]) => [id, []])]), "each a job of its own");
      // A foldable delivery now folds into one of the jobs of the head that wait: never a merge group's.
      await r.intake.acceptTrigger("d-edit", { ...base, event: "pull_request.edited", pullNumbers: [1] });
      const into = (await r.jobs("data->'folded' ? 'd-edit'")).map((j) => j.data.trigger.kind);
      assert.deepEqual(into, ["pull_request"]);
      // Another head, or a comment's pull request (no head), is another subject.
      await r.intake.acceptTrigger("d-other", { ...review, headSha: "d".repeat(40) });
      await r.intake.acceptTrigger("d-comment", { ...base, event: "issue_comment.created", headSha: undefined, pullNumbers: [1] });
      await r.intake.acceptTrigger("d-comment-2", { ...base, event: "issue_comment.edited", headSha: undefined, pullNumbers: [1] });
      await r.intake.acceptTrigger("d-comment-3", { ...base, event: "issue_comment.created", headSha: undefined, pullNumbers: [2] });
      const now = await folds();
      assert.deepEqual([now["d-other"], now["d-comment"], now["d-comment-3"]], [[], ["d-comment-2"], []]);
    } finally {
      release?.();
      await r.close();
    }
  });

  test(`${kind}: the fold of the checks in SQL is foldTrigger's; a failure of the delivery's row leaves the job as it was`, { timeout: 120_000 }, async (t) => {
    const r = await rig(t, kind);
    if (!r) return;
    try {
      const others = Array.from({ length: MAX_FOLDED_CHECKS + 1 }, (_, i) => checkRun(`lint-${i}`));
      const sequences: PullRequestTrigger[][] = [
        [checkRun("tests"), checkRun("tests"), checkRun("tests", 99)],
        [checkRun("tests"), review, checkRun("lint")],
        [review, checkRun("tests")],
        [checkRun("tests"), checkRun("lint"), checkRun("tests"), checkRun("lint"), checkRun("build")],
        [checkRun("tests"), ...others],
        [checkRun("tests"), { ...checkRun("tests"), completedCheck: { name: "tests" } }],
      ];
      for (const [n, seq] of sequences.entries()) {
        const head = String(n).repeat(40);
        for (const [i, trigger] of seq.entries()) await r.intake.acceptTrigger(`s${n}-${i}`, { ...trigger, headSha: head });
        const [job] = await r.jobs(`singleton_key = 'mallory/widgets@${head}'`);
        const expected = seq.slice(1).reduce((held, next) => foldTrigger(held, next), seq[0]!);
        assert.deepEqual(job!.data.trigger, { ...expected, headSha: head }, `sequence ${n}`);
      }

      // The delivery's row cannot be written: the fold fails with it, in one statement.
      await r.intake.acceptTrigger("a-1", review);
      const before = await r.jobs();
      await r.storage.db.executeSql(`CREATE FUNCTION ${r.storage.db.schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected: no row'; END $$;
        CREATE TRIGGER refuse BEFORE INSERT ON ${r.storage.db.schema}.intake_deliveries FOR EACH ROW EXECUTE FUNCTION ${r.storage.db.schema}.refuse();`);
      await assert.rejects(r.intake.acceptTrigger("a-2", review), /injected/);
      assert.deepEqual(await r.jobs(), before, "nothing folded");
      assert.equal((await r.store.knownDeliveries(["a-2"])).size, 0, "and not taken in: GitHub or reconciliation sends it again");
    } finally {
      await r.close();
    }
  });
}

test("embedded: deliveries folded into a job are answered by its evaluation, recorded under their own ids; a redelivery of one is a duplicate", { timeout: 180_000 }, async (t) => {
  const r = await rig(t, "embedded");
  if (!r) return;
  try {
    const c = commit("fold1", mallory);
    const config = `${CONFIG}  required_checks:\n    checks:\n      - name: tests\n        app: github-actions\n`;
    const gh = validatedGitHub([repo([humanPull(1, [c], mallory, { head: { ref: "patch-1", sha: c.sha, repo: { owner: "mallory", name: "widgets", id: 906666 } } })], config)]);
    const opened = payloadFor("pull_request.opened", gh.standIn.repos[0]!, 1);
    const triggerOf = (name: string, payload: Record<string, unknown>): Trigger => r.intake.toTrigger("x", name, payload)!;
    await r.intake.acceptTrigger("opened-1", triggerOf("pull_request", opened));
    const ids: string[] = [];
    const check = payloadFor("check_run.completed", gh.standIn.repos[0]!, 1);
    for (let i = 0; i < 40; i++) {
      ids.push(`check-${i}`);
      const payload = { ...check, check_run: { ...(check.check_run as object), id: 70_000 + i, name: "tests", head_sha: c.sha, pull_requests: [], app: { id: 15368, slug: "github-actions" } } };
      await r.intake.acceptTrigger(`check-${i}`, triggerOf("check_run", payload));
    }
    assert.equal((await r.jobs()).length, 1, "the opened job, waiting, answers for the 40");

    const gate = await composeGate({ trustedRoot: (await sigstore()).trustedRoot, store: r.store, tlogEntryUrl: () => undefined });
    const api = new GitHubConnector().installation(new Octokit({ auth: "t", request: { fetch: gh.fetch } }));
    await r.intake.start({ auth: () => Promise.resolve(api), gate, concurrency: 2 });
    const settled = async (id: string): Promise<boolean> => (await r.storage.db.query("SELECT 1 FROM gate_evaluations WHERE delivery_id = $1 AND NOT transient", [id])).length > 0;
    for (const id of ["opened-1", ...ids]) while (!(await settled(id))) await new Promise((res) => setTimeout(res, 100));
    const runs = gh.standIn.checkRuns.filter((x) => x.head_sha === c.sha && x.name === "agent-gate");
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, "completed");
    const writes = gh.standIn.requests.filter((q) => q.write).length;
    assert.equal(writes, 2, "one evaluation: the check run created in progress, then completed");

    // GitHub redelivers a folded delivery: its evaluation is recorded, so its job writes nothing.
    await r.intake.acceptTrigger("check-3", triggerOf("check_run", { ...check, check_run: { ...(check.check_run as object), id: 70_003, name: "tests", head_sha: c.sha, pull_requests: [], app: { id: 15368, slug: "github-actions" } } }));
    while ((await r.jobs("state < 'completed'")).length > 0) await new Promise((res) => setTimeout(res, 100));
    assert.equal(gh.standIn.requests.filter((q) => q.write).length, writes, "a duplicate");
    // A job whose folds include a delivery answered before (its redelivery folded into a job that waited) is still
    // judged for its own trigger: the evaluation is named by the job and its folds, not by the newest delivery.
    const results = await gate.handle(api, triggerOf("pull_request", opened), { deliveryId: "review-1", covers: { as: "job-9+1", head: c.sha, triggers: ["review-1", "check-3"] }, receivedAt: new Date() });
    assert.deepEqual(results.map((x) => x.outcome), ["evaluated"]);
    assert.equal(gh.standIn.requests.filter((q) => q.write).length, writes + 2);
    assert.equal((await r.store.evaluation((await r.storage.db.query<{ key: string }>("SELECT key FROM gate_evaluations WHERE delivery_id = 'review-1'"))[0]!.key))?.transient, false);
    assert.deepEqual(gh.problems, []);
  } finally {
    await r.close();
  }
});

test("embedded: a job of a head its pull request has left records the deliveries folded into it under their own ids (nothing is lost)", { timeout: 120_000 }, async (t) => {
  const r = await rig(t, "embedded");
  if (!r) return;
  try {
    // A label, a review and a comment came for head c1 and folded into one waiting job; the pull request was pushed to
    // c2 (its synchronize marked c1 left) before the job ran: no open pull request heads c1, so the job publishes
    // nothing, and records that for every delivery it answers for.
    const c1 = commit("fold2", mallory);
    const c2 = commit("fold3", mallory);
    const gh = validatedGitHub([repo([humanPull(1, [c1], mallory, { head: { ref: "patch-1", sha: c1.sha, repo: { owner: "mallory", name: "widgets", id: 906666 } } })], CONFIG)]);
    const gate = await composeGate({ trustedRoot: (await sigstore()).trustedRoot, store: r.store, tlogEntryUrl: () => undefined });
    const api = new GitHubConnector().installation(new Octokit({ auth: "t", request: { fetch: gh.fetch } }));
    const labeled = r.intake.toTrigger("x", "pull_request", payloadFor("pull_request.labeled", gh.standIn.repos[0]!, 1))! as PullRequestTrigger;
    assert.deepEqual((await gate.handle(api, labeled, { deliveryId: "opened-1", receivedAt: new Date() })).map((x) => x.outcome), ["evaluated"]);
    const receivedAt = new Date();
    const pull = gh.standIn.repos[0]!.pulls[0]!;
    pull.commits = [c1, c2];
    pull.head = { ...pull.head, sha: c2.sha };
    await new Promise((res) => setTimeout(res, 5));
    assert.equal(await r.store.leaveHead(`${labeled.owner}/${labeled.repo}`, c1.sha, new Date()), true);
    const writes = gh.standIn.requests.filter((q) => q.write).length;

    const results = await gate.handle(api, labeled, { deliveryId: "label-1", covers: { as: "job-7+2", head: c1.sha, triggers: ["label-1", "review-2", "comment-3"] }, receivedAt });
    assert.deepEqual(results.map((x) => x.outcome), ["superseded"]);
    const rows = await r.storage.db.query<{ delivery_id: string }>("SELECT delivery_id FROM gate_evaluations WHERE delivery_id <> 'opened-1' ORDER BY delivery_id");
    assert.deepEqual(rows.map((x) => x.delivery_id), ["comment-3", "job-7+2", "label-1", "review-2"]);
    // A redelivery of a folded one is a duplicate: nothing is written to GitHub.
    const again = await gate.handle(api, labeled, { deliveryId: "review-2", receivedAt });
    assert.deepEqual(again.map((x) => x.outcome), ["duplicate"]);
    assert.equal(gh.standIn.requests.filter((q) => q.write).length, writes);
  } finally {
    await r.close();
  }
});
