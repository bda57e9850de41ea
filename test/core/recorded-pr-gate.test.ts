// The pull-request gate's records for one commit, combined for a deployment: the latest of each pull request,
// strictly (worst conclusion, agent-authored if any, everyone kept from approving and every piece of evidence,
// incomplete if any is; whom a record kept from approving unknown if its result does not say).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuditRecord } from "../../src/core/audit-record.js";
import { combinePrGateRecords } from "../../src/core/recorded-pr-gate.js";
import { MAX_RECORDED_ATTESTATIONS } from "../../src/core/recorded-evidence.js";

let n = 0;
const NONE = { ids: [], logins: [] };
function rec(pull: number | null, conclusion: string, input: Record<string, unknown>, result: Record<string, unknown> = { excluded: NONE }): AuditRecord {
  n++;
  return { decision_id: `d-${n}`, agent_gate: { pull_request: pull, conclusion }, input: { kind: "pull_request", ...input }, result: { allow: true, deny: [], warn: [], ...result } } as unknown as AuditRecord;
}
const att = (id: string): Record<string, unknown> => ({ tier: "sigstore", signer: { identity: id } });

test("no record: nothing is known", () => {
  assert.equal(combinePrGateRecords([]), undefined);
});

test("the newest record of another pull request does not decide: the worst conclusion does, agent-authored if any says so", () => {
  const fork = rec(2, "success", { agent: { detected: false }, prompters: [] });
  const agents = rec(1, "failure", { agent: { detected: true }, prompters: [{ login: "alice", id: 5001 }], commits: [{ attestations: [att("a")] }] });
  const c = combinePrGateRecords([fork, agents])!;
  assert.equal(c.conclusion, "failure");
  assert.equal(c.decisionId, agents.decision_id);
  assert.equal(c.agentAuthored, true);
  assert.deepEqual(c.pullRequests, [2, 1]);
  assert.deepEqual(c.prompters, [{ login: "alice", id: 5001 }]);
  assert.deepEqual(c.evidence, [att("a")]);
  assert.equal(c.evidenceComplete, true);
});

test("only each pull request's latest record counts: an older failure of the same pull request is superseded", () => {
  const now = rec(1, "success", { agent: { detected: true } });
  const before = rec(1, "failure", { agent: { detected: true } });
  assert.equal(combinePrGateRecords([now, before])!.conclusion, "success");
});

test("prompters are united: login-only ones kept, matched case-insensitively, and agent commits' authors added", () => {
  const a = rec(1, "success", { agent: { detected: true }, prompters: [{ login: "Carol" }], commits: [{ is_agent: true, author: { login: "dave", id: 7 } }, { is_agent: false, author: { login: "erin", id: 8 } }] });
  const b = rec(2, "success", { agent: { detected: false }, prompters: [{ login: "carol", id: 5003 }, { login: "" }, { id: 9 }] });
  assert.deepEqual(combinePrGateRecords([a, b])!.prompters, [{ login: "carol", id: 5003 }, { login: "dave", id: 7 }, { id: 9 }]);
});

test("whom each decision kept from approving (its result's excluded) is added: signed prompters the input does not list, ids alone too", () => {
  const a = rec(1, "success", { agent: { detected: true }, prompters: [] }, { excluded: { ids: [5003, 42], logins: ["carol"] } });
  const b = rec(2, "success", { agent: { detected: false }, prompters: [{ login: "Erin", id: 8 }] }, { excluded: { ids: [8], logins: ["erin", "frank"] } });
  const c = combinePrGateRecords([a, b])!;
  assert.equal(c.promptersKnown, true);
  assert.deepEqual(c.prompters, [{ login: "carol" }, { login: "Erin", id: 8 }, { login: "frank" }, { id: 5003 }, { id: 42 }]);
});

test("a record whose result does not say whom it kept from approving (older, or an error) leaves the prompters unknown", () => {
  const now = rec(1, "success", { agent: { detected: true }, prompters: [{ login: "alice", id: 5001 }] });
  const old = rec(2, "success", { agent: { detected: true }, prompters: [] }, {});
  const failed = rec(3, "failure", { agent: { detected: true } }, { error: { code: "POLICY_EVAL_FAILED", message: "x" } });
  const malformed = rec(4, "success", { agent: { detected: true } }, { excluded: { ids: [5003] } });
  assert.equal(combinePrGateRecords([now])!.promptersKnown, true);
  for (const r of [old, failed, malformed]) assert.equal(combinePrGateRecords([now, r])!.promptersKnown, false);
});

test("agent detection: false only when every record says false; unknown when one does not say", () => {
  assert.equal(combinePrGateRecords([rec(1, "success", { agent: { detected: false } }), rec(2, "success", { agent: { detected: false } })])!.agentAuthored, false);
  assert.equal(combinePrGateRecords([rec(1, "success", { agent: { detected: false } }), rec(2, "success", {})])!.agentAuthored, undefined);
  assert.equal(combinePrGateRecords([rec(1, "success", {}), rec(2, "success", { agent: { detected: true } })])!.agentAuthored, true);
});

test("evidence is incomplete if any record's is, or past the cap together; the pull request is named", () => {
  const many = Array.from({ length: MAX_RECORDED_ATTESTATIONS }, (_, i) => att(`x${i}`));
  const c = combinePrGateRecords([rec(4, "success", { commits: [{ attestations: many }] }), rec(5, "success", { commits: [{ attestations: [att("y")] }] })])!;
  assert.equal(c.evidence.length, MAX_RECORDED_ATTESTATIONS);
  assert.equal(c.evidenceComplete, false);
  assert.equal(c.evidencePull, 5);
});

test("the merged pull request's record must be among them, else nothing here is its decision", () => {
  const records = [rec(2, "success", { agent: { detected: false } })];
  assert.equal(combinePrGateRecords(records, 1), undefined);
  assert.equal(combinePrGateRecords([...records, rec(1, "failure", {})], 1)!.conclusion, "failure");
});
