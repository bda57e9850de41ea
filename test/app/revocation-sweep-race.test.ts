// A revocation sweep that finds the head's evaluation already running must still queue one (reviewer's finding): the
// running job read the old list before the sweep asked. Before, the sweep took any unfinished job for the head
// (`state < 'completed'`, active included) as covering it, queued nothing, recorded the list's digest as swept, and
// the running job published success under the old list: the revoked model's pull request stayed green for good
// (reconciliation skips a swept digest and a settled head). The running job is held at a controlled point, its
// in_progress write, after it has read the list; no timing is asserted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { openDemoRecorder } from "../../src/demo/record.js";
import { SqlGateStore } from "../../src/adapters/storage/gate-store.js";
import { Intake } from "../../src/app/intake.js";
import { JobQueue, QUEUE_SCHEMA } from "../../src/adapters/queue/job-queue.js";
import { revocationStores } from "../../src/app/revocation-trigger.js";
import { applyMutation } from "../../src/demo/run.js";
import { CHECK_NAME } from "../../src/adapters/github/check-runs.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";

const { trustedRoot, scenarios } = loadScenarios();
const scenario = scenarios.find((s) => s.name === "revoked-model-flips-open-pr")!;
const until = async (ok: () => boolean | Promise<boolean>): Promise<void> => { while (!(await ok())) await new Promise((r) => setTimeout(r, 100)); };

test("durable intake: a revocation sweep racing a running evaluation of the same head still turns its check to failure", { timeout: 300_000 }, async () => {
  const recorder = await openDemoRecorder("memory://");
  const queue = await JobQueue.open(recorder.storage.db, { pollingIntervalSeconds: 0.5 });
  const store = new SqlGateStore(recorder.storage.db);
  const intake = new Intake(queue, store);
  const gh = validatedGitHub(structuredClone(scenario.repos));
  let hold = false;
  let held: (() => void) | undefined;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const req = input instanceof Request ? input : new Request(input, init);
    if (hold && req.method === "PATCH" && /check-runs\/\d+$/.test(new URL(req.url).pathname)) {
      const body = JSON.parse(await req.clone().text()) as { status?: string };
      if (body.status === "in_progress") { hold = false; held?.(); await released; }
    }
    return gh.fetch(req);
  };
  const gate = await composeGate({ trustedRoot, store, engine: recorder.engine, onDecision: recorder.onDecision, auditLog: recorder.storage.audit, tlogEntryUrl: () => undefined });
  const stores = revocationStores(recorder.storage.db);
  const app = await startApp(agentGateApp({ gate, revocations: stores, durable: { intake, concurrency: 2, reconcileEverySeconds: 0, reconcileBudget: 50 } }), fetch);
  try {
    const [opened, pushed] = scenario.steps as [(typeof scenario.steps)[number], (typeof scenario.steps)[number]];
    const head = opened.expect.headSha;
    const run = () => gh.standIn.checkRuns.filter((r) => r.head_sha === head && r.name === CHECK_NAME).at(-1);
    assert.equal((await app.deliver("pull_request", opened.payload, { id: opened.deliveryId })).status, 200);
    await until(() => run()?.status === "completed");
    assert.equal(run()!.conclusion, "success");
    // An ordinary event (the PR's title edited) starts evaluating the same head; it reads the current (old) list.
    hold = true;
    const isHeld = new Promise<void>((r) => (held = r));
    assert.equal((await app.deliver("pull_request", { ...(opened.payload as object), action: "edited" }, { id: "edited-1" })).status, 200);
    await isHeld;
    // The org revokes the model meanwhile: the push's sweep runs while the edited job is active.
    applyMutation(gh.standIn, scenario, pushed);
    assert.equal((await app.deliver("push", pushed.payload, { id: pushed.deliveryId })).status, 200);
    await until(async () => (await stores.state.get("globex"))?.done === true);
    release();
    // Settled: every evaluate job finished (none waits, retries or runs), so the check shows its final result.
    const unfinished = async (): Promise<number> => Number((await recorder.storage.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND state < 'completed'`, ["evaluate"]))[0]?.n);
    await until(async () => (await unfinished()) === 0 && run()?.status === "completed");
    const r = run()!;
    assert.equal(r.conclusion, "failure", `the revoked model's pull request must not stay green (${r.output.title ?? ""})`);
    assert.match(r.output.summary ?? "", /model anthropic\/claude-sonnet-4-5 version 20250929 is revoked by the organisation/);
    assert.deepEqual(gh.problems, []);
  } finally {
    await app.close();
    await queue.stop(false);
    await recorder.close();
  }
});
