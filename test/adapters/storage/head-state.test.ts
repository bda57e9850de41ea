// GateStore.headState: the evaluation, the head's check run and the intent to create one, read and written in one
// statement, answer as evaluation + checkRun + intendCheckRun did one after another, on both databases and in memory;
// and GateStore.leaveHead, which marks a head a pull request left (or says GitHub must be asked), in one statement too.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { CHECK_RUN_INTENT, MemoryGateStore, SqlGateStore, type GateStore } from "../../../src/adapters/storage/gate-store.js";
import { withMigratedDb } from "./support.js";

const sha = (c: string): string => c.repeat(40);
const [K1, K2, K3, K4] = ["1", "2", "3", "4"].map((c) => c.repeat(64)) as [string, string, string, string];

async function exercise(store: GateStore): Promise<void> {
  // A fresh head: nothing recorded; the intent is recorded (a second caller sees it), unless asked not to.
  assert.deepEqual(await store.headState(K1, "Acme/Web", sha("a"), true), { evaluation: undefined, checkRun: undefined });
  assert.equal((await store.headState(K1, "acme/web", sha("a"), true)).checkRun?.id, CHECK_RUN_INTENT);
  assert.deepEqual(await store.headState(K2, "acme/web", sha("b"), false), { evaluation: undefined, checkRun: undefined });
  assert.equal(await store.checkRun("acme/web", sha("b")), undefined, "no intent when the caller knows its run");
  // A stored run and a final evaluation: both read back; the run is left as it is.
  await store.saveCheckRun("acme/web", sha("a"), 42);
  const at = new Date("2026-01-02T03:04:05Z");
  await store.recordEvaluation({ key: K1, trigger: "d-1", repository: "acme/web", headSha: sha("a"), decisionId: "dec-1", conclusion: "success", transient: false, triggerAt: at });
  const state = await store.headState(K1, "acme/web", sha("a"), true);
  assert.deepEqual(state.evaluation && { key: state.evaluation.key, decisionId: state.evaluation.decisionId, conclusion: state.evaluation.conclusion, transient: state.evaluation.transient }, { key: K1, decisionId: "dec-1", conclusion: "success", transient: false });
  assert.deepEqual(state.checkRun, { id: 42, lastTriggerAt: at, lastConclusion: "success", lastPulls: undefined, lastConfigDigest: undefined });
  // A final evaluation on a head without a run (its row pruned): a duplicate, for which no intent is recorded.
  await store.recordEvaluation({ key: K3, trigger: "d-3", repository: "acme/web", headSha: sha("c"), decisionId: "dec-3", conclusion: "failure", transient: false, triggerAt: at });
  assert.equal((await store.headState(K3, "acme/web", sha("c"), true)).checkRun, undefined);
  assert.equal(await store.checkRun("acme/web", sha("c")), undefined);
  // A transient one is evaluated again: the intent is recorded.
  await store.recordEvaluation({ key: K4, trigger: "d-4", repository: "acme/web", headSha: sha("d"), decisionId: "dec-4", conclusion: "failure", transient: true, triggerAt: at });
  const retry = await store.headState(K4, "acme/web", sha("d"), true);
  assert.equal(retry.evaluation?.transient, true);
  assert.equal(retry.checkRun, undefined);
  assert.equal((await store.checkRun("acme/web", sha("d")))?.id, CHECK_RUN_INTENT);
  // How many open pull requests a published verdict combined: kept by recordEvaluation (transient too: the check shows
  // it), forgotten by headState while an evaluation is under way (but not for a duplicate), kept by saveCheckRun.
  const [K5, K6] = ["5", "6"].map((c) => c.repeat(64)) as [string, string];
  await store.recordEvaluation({ key: K4, trigger: "d-4", repository: "acme/web", headSha: sha("d"), decisionId: "dec-4", conclusion: "failure", transient: true, triggerAt: at, pulls: 2, configDigest: "sha256:4" });
  assert.equal((await store.checkRun("acme/web", sha("d")))?.lastConfigDigest, undefined, "a transient result was judged under no config the check shows");
  assert.equal((await store.checkRun("acme/web", sha("d")))?.lastPulls, 2);
  assert.equal((await store.checkRun("acme/web", sha("d")))?.lastTriggerAt, undefined, "a transient result moves no trigger time");
  await store.saveCheckRun("acme/web", sha("d"), 43);
  assert.equal((await store.headState(K5, "acme/web", sha("d"), true)).checkRun?.lastPulls, 2, "read as it was before");
  assert.equal((await store.checkRun("acme/web", sha("d")))?.lastPulls, undefined, "under way: unknown");
  await store.recordEvaluation({ key: K5, trigger: "d-5", repository: "acme/web", headSha: sha("d"), decisionId: "dec-5", conclusion: "success", transient: false, triggerAt: at, pulls: 1, configDigest: "sha256:5" });
  assert.deepEqual(await store.checkRun("acme/web", sha("d")), { id: 43, lastTriggerAt: at, lastConclusion: "success", lastPulls: 1, lastConfigDigest: "sha256:5" });
  await store.headState(K5, "acme/web", sha("d"), false);
  assert.equal((await store.checkRun("acme/web", sha("d")))?.lastPulls, 1, "a duplicate publishes nothing: the count stands");
  await store.recordEvaluation({ key: K6, trigger: "d-6", repository: "acme/web", headSha: sha("d"), decisionId: "dec-6", conclusion: "superseded", transient: false, triggerAt: at });
  assert.equal((await store.checkRun("acme/web", sha("d")))?.lastPulls, 1, "a result with no count leaves it");
  // The config digest moves with the shown conclusion: a superseded or older trigger's result leaves it.
  assert.equal((await store.checkRun("acme/web", sha("d")))?.lastConfigDigest, "sha256:5", "a superseded result leaves the digest");
  const [K7, K8] = ["7", "8"].map((c) => c.repeat(64)) as [string, string];
  await store.recordEvaluation({ key: K7, trigger: "d-7", repository: "acme/web", headSha: sha("d"), decisionId: "dec-7", conclusion: "failure", transient: false, triggerAt: new Date(at.getTime() - 1000), configDigest: "sha256:7" });
  assert.equal((await store.checkRun("acme/web", sha("d")))?.lastConfigDigest, "sha256:5", "an older trigger's result is not what the check shows");
  await store.recordEvaluation({ key: K8, trigger: "d-8", repository: "acme/web", headSha: sha("d"), decisionId: "dec-8", conclusion: "failure", transient: false, triggerAt: new Date(at.getTime() + 1000), configDigest: "sha256:8" });
  assert.equal((await store.checkRun("acme/web", sha("d")))?.lastConfigDigest, "sha256:8");
  // A pull request leaving the head (leaveHead): marked left (count 0, trigger time moved forward, never back) only
  // when the last verdict combined at most one pull request and no evaluation is under way; else nothing changes.
  const [K9, K10, K11] = ["9", "a", "b"].map((c) => c.repeat(64)) as [string, string, string];
  await store.headState(K9, "acme/web", sha("f"), false);
  await store.saveCheckRun("acme/web", sha("f"), 44);
  await store.recordEvaluation({ key: K9, trigger: "d-9", repository: "acme/web", headSha: sha("f"), decisionId: "dec-9", conclusion: "success", transient: false, triggerAt: at, pulls: 1 });
  const later = new Date(at.getTime() + 60_000);
  assert.equal(await store.leaveHead("acme/web", sha("f"), later), true);
  assert.deepEqual(await store.checkRun("acme/web", sha("f")), { id: 44, lastTriggerAt: later, lastConclusion: "success", lastPulls: 0, lastConfigDigest: undefined });
  assert.equal(await store.leaveHead("Acme/Web", sha("f"), at), true, "left again: none known to head it");
  assert.deepEqual(await store.checkRun("acme/web", sha("f")), { id: 44, lastTriggerAt: later, lastConclusion: "success", lastPulls: 0, lastConfigDigest: undefined }, "never moved back");
  await store.headState(K10, "acme/web", sha("f"), false);
  assert.equal(await store.leaveHead("acme/web", sha("f"), later), false, "an evaluation under way: ask GitHub");
  await store.recordEvaluation({ key: K10, trigger: "d-10", repository: "acme/web", headSha: sha("f"), decisionId: "dec-10", conclusion: "failure", transient: false, triggerAt: later, pulls: 2 });
  assert.equal(await store.leaveHead("acme/web", sha("f"), new Date(later.getTime() + 1)), false, "two pull requests: ask GitHub");
  assert.deepEqual(await store.checkRun("acme/web", sha("f")), { id: 44, lastTriggerAt: later, lastConclusion: "failure", lastPulls: 2, lastConfigDigest: undefined }, "unchanged");
  await store.recordEvaluation({ key: K11, trigger: "d-11", repository: "acme/web", headSha: sha("f"), decisionId: "none", conclusion: "superseded", transient: false, triggerAt: later, pulls: 0 });
  assert.equal((await store.checkRun("acme/web", sha("f")))?.lastPulls, 0, "an evaluation that found no open pull request keeps it left");
  assert.equal(await store.leaveHead("acme/web", sha("e"), later), false, "no row: ask GitHub");
  assert.equal(await store.checkRun("acme/web", sha("e")), undefined);
}

async function onDb(t: TestContext, kind: "embedded" | "postgres"): Promise<void> {
  await withMigratedDb(t, kind, async (db) => {
    await exercise(new SqlGateStore(db));
  }, "headstate");
}

test("headState in memory", () => exercise(new MemoryGateStore()));
test("headState on PGlite", { timeout: 120_000 }, (t) => onDb(t, "embedded"));
test("headState on PostgreSQL", { timeout: 60_000 }, (t) => onDb(t, "postgres"));

// recordEvaluation with the triggers an evaluation covers (deliveries folded into its job): each is recorded with the
// result under its own key, in the same statement, and a later record of one of them updates it in place.
async function covered(store: GateStore): Promise<void> {
  const at = new Date("2026-01-02T03:04:05Z");
  const [C1, C2, C3] = ["a", "b", "c"].map((c) => c.repeat(64)) as [string, string, string];
  await store.recordEvaluation({ key: K1, trigger: "job+2", repository: "acme/web", headSha: sha("e"), decisionId: "dec-9", conclusion: "failure", transient: true, triggerAt: at, covered: [{ key: C1, trigger: "d-1" }, { key: C2, trigger: "d-2" }] });
  for (const [key, trigger] of [[K1, "job+2"], [C1, "d-1"], [C2, "d-2"]] as const) {
    const e = await store.evaluation(key);
    assert.deepEqual([e?.decisionId, e?.conclusion, e?.transient], ["dec-9", "failure", true], trigger);
  }
  await store.recordEvaluation({ key: K2, trigger: "job+3", repository: "acme/web", headSha: sha("e"), decisionId: "dec-10", conclusion: "success", transient: false, triggerAt: at, covered: [{ key: C2, trigger: "d-2" }, { key: C3, trigger: "d-3" }] });
  assert.deepEqual([(await store.evaluation(C1))?.transient, (await store.evaluation(C2))?.conclusion, (await store.evaluation(C3))?.decisionId], [true, "success", "dec-10"]);
}

test("covered triggers in memory", () => covered(new MemoryGateStore()));
for (const kind of ["embedded", "postgres"] as const) test(`covered triggers on ${kind}`, { timeout: 120_000 }, (t) => withMigratedDb(t, kind, (db) => covered(new SqlGateStore(db))));
