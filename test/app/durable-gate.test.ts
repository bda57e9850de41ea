// Gate state in the database: a redelivery after a restart, a retried job, or a second process never adds a second
// check run, never repeats a finished evaluation, and an older trigger never overwrites a newer result.
import { test } from "node:test";
import assert from "node:assert/strict";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { openStorage } from "../../src/adapters/storage/index.js";
import { SqlGateStore, evaluationKey, type PruneReport } from "../../src/adapters/storage/gate-store.js";
import { Intake } from "../../src/app/intake.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";

const { trustedRoot, scenarios } = loadScenarios();
const human = scenarios.find((s) => s.name === "human-pr")!;

test("a redelivery after a restart updates nothing and adds no check run", async () => {
  const storage = await openStorage({ dataDir: "memory://" });
  try {
    const store = new SqlGateStore(storage.db);
    const gh = validatedGitHub(structuredClone(human.repos));
    const step = human.steps[0]!;
    const first = await startApp(agentGateApp({ gate: await composeGate({ trustedRoot, store }) }), gh.fetch);
    assert.equal((await first.deliver("pull_request", step.payload, { id: "delivery-1" })).status, 200);
    await first.close();
    assert.equal(gh.standIn.checkRuns.length, 1);
    const writes = gh.standIn.requests.filter((r) => r.write).length;

    // A new process (nothing in memory) gets the same delivery again: the evaluation is a duplicate.
    const second = await startApp(agentGateApp({ gate: await composeGate({ trustedRoot, store }) }), gh.fetch);
    assert.equal((await second.deliver("pull_request", step.payload, { id: "delivery-1" })).status, 200);
    assert.equal(gh.standIn.requests.filter((r) => r.write).length, writes, "no write for a delivery already evaluated");
    // Another delivery for the same head (GitHub sent `opened` twice): the remembered run is updated in place.
    assert.equal((await second.deliver("pull_request", step.payload, { id: "delivery-2" })).status, 200);
    await second.close();
    assert.equal(gh.standIn.checkRuns.length, 1, "one check run per head commit");
    assert.equal(gh.standIn.checkRuns[0]!.status, "completed");
    assert.equal(gh.standIn.checkRuns[0]!.conclusion, step.expect.conclusion);
    assert.equal(gh.standIn.requests.filter((r) => r.method === "POST" && r.path.endsWith("/check-runs")).length, 1);
    assert.deepEqual(gh.problems, []);
  } finally {
    await storage.close();
  }
});

test("an older trigger never overwrites the result of a newer one", async () => {
  const storage = await openStorage({ dataDir: "memory://" });
  try {
    const store = new SqlGateStore(storage.db);
    const gh = validatedGitHub(structuredClone(human.repos));
    const gate = await composeGate({ trustedRoot, store });
    const step = human.steps[0]!;
    const octokit = (await import("@octokit/rest")).Octokit;
    const api = new GitHubConnector().installation(new octokit({ auth: "t", request: { fetch: gh.fetch } }));
    const trigger = { kind: "pull_request" as const, event: "pull_request.edited", owner: "acme", repo: "widgets", installationId: 77, headSha: step.expect.headSha, pullNumbers: [5] };
    const newer = await gate.handle(api, trigger, { deliveryId: "newer", receivedAt: new Date("2026-11-26T10:00:10Z") });
    assert.equal(newer[0]!.outcome, "evaluated");
    assert.equal(newer[0]!.conclusion, "success");
    const older = await gate.handle(api, trigger, { deliveryId: "older", receivedAt: new Date("2026-11-26T10:00:00Z") });
    assert.equal(older[0]!.outcome, "superseded");
    // What the check shows (the newer result), not a failure of its own: a merge group asking about this head passes.
    assert.equal(older[0]!.conclusion, "success");
    const again = await gate.handle(api, trigger, { deliveryId: "newer", receivedAt: new Date("2026-11-26T10:00:10Z") });
    assert.equal(again[0]!.outcome, "duplicate");
    const olderAgain = await gate.handle(api, trigger, { deliveryId: "older", receivedAt: new Date("2026-11-26T10:00:00Z") });
    assert.deepEqual([olderAgain[0]!.outcome, olderAgain[0]!.conclusion], ["duplicate", "success"]);
    assert.equal((await store.checkRun("acme/widgets", step.expect.headSha))?.lastConclusion, "success");
    assert.equal(gh.standIn.checkRuns.length, 1);
  } finally {
    await storage.close();
  }
});

test("the idempotency key changes with each of its parts", () => {
  const base = { repository: "acme/widgets", headSha: "a".repeat(40), trigger: "d-1", configDigest: "sha256:1", policyDigest: "sha256:2" };
  const k = evaluationKey(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(evaluationKey({ ...base, repository: "ACME/Widgets" }), k, "repository names are case-insensitive");
  for (const part of ["headSha", "trigger", "configDigest", "policyDigest"] as const) assert.notEqual(evaluationKey({ ...base, [part]: `${base[part]}x` }), k, part);
});

test("the job queue runs on the embedded database: retries a failed job, and a singleton window holds one job", async () => {
  const storage = await openStorage({ dataDir: "memory://" });
  const queue = await JobQueue.open(storage.db, { retryDelaySeconds: 1, maintenanceIntervalSeconds: 1, pollingIntervalSeconds: 0.5 });
  try {
    const seen: number[] = [];
    const stamps: Date[] = [];
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    await queue.work<{ n: number }>("t", 1, async (job) => {
      seen.push(job.retryCount);
      stamps.push(job.createdOn);
      if (job.retryCount === 0) throw new Error("first attempt fails");
      release();
      return Promise.resolve();
    });
    await queue.send("t", { n: 1 });
    await done;
    assert.deepEqual(seen, [0, 1]);
    // a retried job keeps the time it was stored (by the database's clock): it orders as the trigger it was
    assert.equal(stamps.length, 2);
    assert.ok(stamps.every((d) => d instanceof Date && !Number.isNaN(d.getTime())));
    assert.equal(stamps[0]!.getTime(), stamps[1]!.getTime());
    const a = await queue.send("s", { x: 1 }, { singletonKey: "once", singletonSeconds: 60 });
    const b = await queue.send("s", { x: 2 }, { singletonKey: "once", singletonSeconds: 60 });
    assert.ok(a);
    assert.equal(b, null);
    assert.equal(await queue.depth(["s"]), 1);
  } finally {
    await queue.stop(false);
    await storage.close();
  }
});

test("gate state past its retention is pruned after each reconciliation run, in batches; newer state is kept", async () => {
  const storage = await openStorage({ dataDir: "memory://" });
  const queue = await JobQueue.open(storage.db, { schema: "agent_gate_jobs", pollingIntervalSeconds: 0.5 });
  const store = new SqlGateStore(storage.db);
  const sha = (c: string): string => c.repeat(40);
  try {
    // Five of each kind 40 days old, one of each from now.
    for (const [i, c] of ["a", "b", "c", "d", "e", "f"].entries()) {
      await store.takeDelivery(`delivery-${c}`, "pull_request.opened");
      await store.saveCheckRun("acme/web", sha(c), 100 + i);
      await store.recordEvaluation({ key: c.repeat(64), trigger: `delivery-${c}`, repository: "acme/web", headSha: sha(c), decisionId: `dec-${c}`, conclusion: "success", transient: false, triggerAt: new Date() });
    }
    const old = "now() - interval '40 days'";
    await storage.db.query(`UPDATE intake_deliveries SET received_at = ${old} WHERE delivery_id <> 'delivery-f'`);
    await storage.db.query(`UPDATE gate_check_runs SET updated_at = ${old} WHERE head_sha <> $1`, [sha("f")]);
    await storage.db.query(`UPDATE gate_evaluations SET completed_at = ${old} WHERE key <> $1`, ["f".repeat(64)]);

    // The store, in batches of two: all five old rows of each table go, the new ones stay.
    assert.deepEqual(await store.prune(new Date(Date.now() - 30 * 86_400_000), 2), { deliveries: 5, evaluations: 5, checkRuns: 5 });
    assert.deepEqual([...(await store.knownDeliveries(["delivery-a", "delivery-f"]))], ["delivery-f"]);
    assert.equal(await store.checkRun("acme/web", sha("a")), undefined);
    assert.equal((await store.checkRun("acme/web", sha("f")))?.id, 105);
    assert.equal(await store.evaluation("a".repeat(64)), undefined);
    assert.equal((await store.evaluation("f".repeat(64)))?.decisionId, "dec-f");

    // The App: the reconciliation run at start prunes with AGENT_GATE_STATE_RETENTION_DAYS.
    await store.takeDelivery("delivery-g", "pull_request.opened");
    await storage.db.query(`UPDATE intake_deliveries SET received_at = ${old} WHERE delivery_id = 'delivery-g'`);
    const gh = validatedGitHub(structuredClone(human.repos));
    const intake = new Intake(queue, store);
    let pruned!: (r: PruneReport) => void;
    const report = new Promise<PruneReport>((r) => (pruned = r));
    const app = await startApp(
      agentGateApp({
        gate: await composeGate({ trustedRoot, store }),
        durable: { intake, concurrency: 1, reconcileEverySeconds: 0, reconcileBudget: 50, stateRetentionDays: 30, onPruned: pruned },
      }),
      gh.fetch,
    );
    try {
      assert.deepEqual(await report, { deliveries: 1, evaluations: 0, checkRuns: 0 });
    } finally {
      await app.close();
    }
    assert.deepEqual([...(await store.knownDeliveries(["delivery-f", "delivery-g"]))], ["delivery-f"]);
    assert.deepEqual(gh.problems, []);
  } finally {
    await queue.stop(false);
    await storage.close();
  }
});
