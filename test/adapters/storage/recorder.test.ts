// The gates' onDecision hook records decisions and failed evaluations, never dry runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SqlAuditLog } from "../../../src/adapters/storage/audit-log.js";
import { openEmbedded } from "../../../src/adapters/storage/db.js";
import { auditEventOf, decisionRecorder } from "../../../src/adapters/storage/recorder.js";
import type { GateDecision } from "../../../src/adapters/storage/recorder.js";
import type { DecisionEvent } from "../../../src/app/pull-request-gate.js";
import type { Decision } from "../../../src/core/decision.js";
import { pullRequestInput } from "../../../src/core/policy-input.js";

// The PR gate's DecisionEvent must stay assignable to what the recorder takes (a compile-time check).
export const fits: (e: DecisionEvent) => GateDecision = (e) => e;

const policy = { revision: "r1", digest: "sha256:" + "ef".repeat(32) };
const input = pullRequestInput((JSON.parse(readFileSync("fixtures/policy/pr-signed-agent-passes.json", "utf8")) as { input: unknown }).input);
const decision: Decision = { allow: true, deny: [], warn: [], policy, entrypoint: "agent_gate/pull_request/decision", decisionId: "d-1" };
const base: GateDecision = {
  decisionId: "d-1",
  deliveryId: "delivery-1",
  installationId: 7,
  repository: "acme/app",
  pullNumber: 12,
  headSha: input.pull_request.head_sha,
  input,
  decision,
  conclusion: { conclusion: "success", title: "Allowed" },
  durationMs: 12.5,
};

test("a decision becomes a record with the evidence of its input", () => {
  const e = auditEventOf(base, { policy, now: () => new Date("2026-11-26T07:00:00Z") })!;
  assert.equal(e.agent_gate.kind, "pull_request");
  assert.equal(e.agent_gate.pull_request, 12);
  assert.equal(e.agent_gate.conclusion, "success");
  assert.ok(e.agent_gate.signer_identities.length > 0);
  assert.equal(e.metrics["timer_agent_gate_evaluation_ns"], 12_500_000);
});

test("the recorder appends decisions and failures with their data, and skips dry runs", { timeout: 60_000 }, async () => {
  const db = await openEmbedded("memory://");
  try {
    const log = await SqlAuditLog.open(db, false);
    const record = decisionRecorder(log, { policy });
    assert.equal((await record({ ...base, policyData: { config: { a: 1 } } }))?.seq, 1);
    const failed = await record({ ...base, decisionId: "d-2", decision: undefined, input: undefined, conclusion: { conclusion: "failure", title: "Not evaluated: GitHub timed out", code: "GITHUB_TIMEOUT" } });
    assert.equal(failed?.seq, 2);
    assert.equal(await record({ ...base, decisionId: "d-3", dryRun: true }), undefined);
    const r2 = await log.get("d-2");
    assert.deepEqual(r2?.result, { error: { code: "GITHUB_TIMEOUT", message: "Not evaluated: GitHub timed out" } });
    assert.equal(r2?.path, "agent_gate/pull_request/decision");
    assert.deepEqual(r2?.bundles, { "agent-gate": policy });
    assert.match((await log.get("d-1"))?.agent_gate.policy_data_digest ?? "", /^sha256:/);
    assert.equal(await log.get("d-3"), undefined);
    assert.ok((await log.verify()).ok);
  } finally {
    await db.close();
  }
});
