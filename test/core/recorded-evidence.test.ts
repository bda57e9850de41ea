// Recorded evidence (for deployments' pr_evidence and the audit log's evidence index) says when it was cut short,
// and keeps subagents' runtimes, so that a revocation can never miss what was left out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { evidenceKeys, INCOMPLETE_MARK, MAX_RECORDED_ATTESTATIONS, recordedEvidence } from "../../src/core/recorded-evidence.js";

const att = (i: number) => ({ tier: "sigstore", signer: { identity: `s${i}`, issuer: "i" }, model: { id: "anthropic/claude-sonnet-4-5" } });
const pull = (n: number) => ({ kind: "pull_request", commits: [{ sha: "a", attestations: Array.from({ length: n }, (_, i) => att(i)) }] });

test("evidence of a recorded decision is complete up to the cap, and says so when cut short", () => {
  assert.equal(recordedEvidence(pull(3)).complete, true);
  assert.equal(recordedEvidence(pull(MAX_RECORDED_ATTESTATIONS)).complete, true);
  const cut = recordedEvidence(pull(MAX_RECORDED_ATTESTATIONS + 1));
  assert.equal(cut.complete, false);
  assert.equal(cut.attestations.length, MAX_RECORDED_ATTESTATIONS);
  assert.equal(recordedEvidence({ kind: "deployment", artifacts: [], pr_evidence: [], pr_evidence_status: { state: "incomplete" } }).complete, false);
});

test("a pull request whose commits GitHub did not all list is recorded as incomplete evidence, whatever the rule modes", () => {
  const listed = (commits: object) => recordedEvidence({ ...pull(1), completeness: { commits } }).complete;
  assert.equal(listed({ listed: 2, reported: 2, limit: 250, truncated: false }), true);
  assert.equal(listed({ listed: 250, reported: 300, limit: 250, truncated: true }), false);
  assert.equal(listed({ listed: 250, reported: 300, limit: 250, truncated: false }), false);
  assert.equal(listed({ listed: 250, limit: 250, truncated: true }), false);
  assert.equal(evidenceKeys({ ...pull(1), completeness: { commits: { listed: 250, limit: 250, truncated: true } } }).at(-1)?.model, INCOMPLETE_MARK);
});

test("the index marks evidence cut short with a row every sweep matches", () => {
  assert.equal(evidenceKeys(pull(2)).some((r) => r.model === INCOMPLETE_MARK), false);
  const rows = evidenceKeys(pull(MAX_RECORDED_ATTESTATIONS + 1));
  assert.equal(rows.at(-1)?.model, INCOMPLETE_MARK);
});

test("subagents' runtimes are rows of their own", () => {
  const input = { kind: "pull_request", commits: [{ sha: "a", attestations: [{ ...att(1), agent: { name: "claude-code", version: "2" }, agents: [{ name: "aider", version: "0.80.0", role: "subagent" }] }] }] };
  assert.deepEqual(evidenceKeys(input).map((r) => [r.agent, r.agent_version, r.model]), [["claude-code", "2", "anthropic/claude-sonnet-4-5"], ["aider", "0.80.0", null]]);
});
