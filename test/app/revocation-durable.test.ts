// The revocation list through durable intake: a push to the owner's .github repository is taken in as a job, the
// sweep it runs queues an evaluation for each open pull request whose recorded evidence the list names, and the
// worker turns that head's check to failure naming the revoked model, with no new push (scenario 29, as the App
// server runs it: jobs in the database, decisions in the audit log).
import { test } from "node:test";
import assert from "node:assert/strict";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { openDemoRecorder } from "../../src/demo/record.js";
import { SqlGateStore } from "../../src/adapters/storage/gate-store.js";
import { Intake } from "../../src/app/intake.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import { revocationStores } from "../../src/app/revocation-trigger.js";
import { applyMutation } from "../../src/demo/run.js";
import { CHECK_NAME } from "../../src/adapters/github/check-runs.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";

const { trustedRoot, scenarios } = loadScenarios();
const scenario = scenarios.find((s) => s.name === "revoked-model-flips-open-pr")!;

/** Waits (polling) until `ok` holds; the test's own timeout bounds it. */
async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 100));
}

test("durable intake: a push that revokes the model queues the sweep, and the open PR's check turns to failure", { timeout: 300_000 }, async () => {
  const recorder = await openDemoRecorder("memory://");
  const queue = await JobQueue.open(recorder.storage.db, { pollingIntervalSeconds: 0.5 });
  const store = new SqlGateStore(recorder.storage.db);
  const intake = new Intake(queue, store);
  const gh = validatedGitHub(structuredClone(scenario.repos));
  const gate = await composeGate({ trustedRoot, store, engine: recorder.engine, onDecision: recorder.onDecision, auditLog: recorder.storage.audit, tlogEntryUrl: () => undefined });
  const app = await startApp(agentGateApp({ gate, revocations: revocationStores(recorder.storage.db), durable: { intake, concurrency: 1, reconcileEverySeconds: 0, reconcileBudget: 50 } }), gh.fetch);
  try {
    const [opened, pushed] = scenario.steps as [(typeof scenario.steps)[number], (typeof scenario.steps)[number]];
    const head = opened.expect.headSha;
    const run = () => gh.standIn.checkRuns.filter((r) => r.head_sha === head && r.name === CHECK_NAME).at(-1);
    assert.equal((await app.deliver("pull_request", opened.payload, { id: opened.deliveryId })).status, 200);
    await until(() => run()?.status === "completed");
    assert.equal(run()!.conclusion, "success");

    applyMutation(gh.standIn, scenario, pushed);
    assert.equal((await app.deliver("push", pushed.payload, { id: pushed.deliveryId })).status, 200);
    await until(() => run()?.conclusion === "failure");
    assert.match(run()!.output.summary ?? "", /model anthropic\/claude-sonnet-4-5 version 20250929 is revoked by the organisation: prompt-injection jailbreak/);
    assert.equal(gh.standIn.checkRuns.filter((r) => r.head_sha === head).length, 1, "the same check run, updated");
    assert.equal((await revocationStores(recorder.storage.db).state.get("globex"))?.done, true);
    assert.deepEqual(gh.problems, []);
  } finally {
    await app.close();
    await queue.stop(false);
    await recorder.close();
  }
});
