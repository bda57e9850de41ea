// Warn-mode rules and shadow mode in the conclusion and the check run (issue 18): held-back denials never fail the
// check, the title and a "Would block under enforce" section say what would have blocked; errors and enforced
// denials still fail, in shadow mode too.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { conclude } from "../../src/core/conclusion.js";
import type { Decision, Finding, RuleModes } from "../../src/core/decision.js";
import { AgentGateError } from "../../src/core/errors.js";
import { auditEventFromDecision, type AuditContext } from "../../src/core/audit-record.js";
import { maskEvent } from "../../src/core/audit-mask.js";
import { renderCheckRun } from "../../src/render/check-run.js";
import { richDecision, richInput } from "../render/scenario.js";

const size: Finding = { rule: "size", msg: "the agent changed 12 lines (at most 11)", remediation: "split the pull request", severity: "medium" };
const workflow: Finding = { rule: "protected-paths", msg: "the agent changed `.github/workflows/ci.yml`, which agents may not change", details: { path: ".github/workflows/ci.yml", mode: "deny" } };
const modes = (config: "enforce" | "shadow", rules: Record<string, "enforce" | "warn" | "off">): RuleModes => ({
  config,
  rules: Object.entries(rules).map(([section, mode]) => ({ section, mode })),
});
const decision = (over: Partial<Decision>): Decision => ({ ...richDecision(), allow: true, deny: [], warn: [], ...over });

describe("rule modes: conclusion", () => {
  it("a warn-mode rule's denial is success, its title saying it would block", () => {
    const c = conclude({ kind: "decision", decision: decision({ wouldDeny: [size], modes: modes("enforce", { size: "warn" }) }) });
    assert.equal(c.conclusion, "success");
    assert.equal(c.title, "Mergeable; a warn-mode rule would block: the agent changed 12 lines (at most 11)");
  });

  it("shadow mode is success and says so in the title, with what would block", () => {
    const c = conclude({ kind: "decision", decision: decision({ wouldDeny: [size, workflow], modes: modes("shadow", { size: "enforce" }) }) });
    assert.equal(c.conclusion, "success");
    assert.equal(c.title, "Shadow mode, would block: the agent changed 12 lines (at most 11) (+1 more)");
    const quiet = conclude({ kind: "decision", decision: decision({ wouldDeny: [], modes: modes("shadow", {}) }) });
    assert.equal(quiet.title, "Shadow mode: nothing would block");
  });

  it("an enforced denial still fails beside held-back ones, and in shadow mode", () => {
    const d = decision({ allow: false, deny: [{ rule: "input", msg: "the policy input is not version 1" }], wouldDeny: [size], modes: modes("shadow", {}) });
    assert.equal(conclude({ kind: "decision", decision: d }).conclusion, "failure");
  });

  it("an evaluation error fails in shadow mode too (an error is never a pass)", () => {
    const c = conclude({ kind: "error", error: new AgentGateError("POLICY_EVAL_FAILED", "boom", "internal") });
    assert.equal(c.conclusion, "failure");
  });
});

describe("rule modes: check run", () => {
  it("lists held-back denials under 'Would block under enforce' with their mode, and annotates paths as warnings", () => {
    const d = decision({ wouldDeny: [workflow, size], modes: modes("enforce", { protected_paths: "warn", size: "warn" }) });
    const out = renderCheckRun({ ...richInput(d), conclusion: conclude({ kind: "decision", decision: d }) });
    assert.equal(out.conclusion, "success");
    assert.match(out.summary, /### ✅ Mergeable; 2 findings of warn-mode rules would block under enforce/);
    assert.match(out.summary, /#### Would block under enforce\n\nThese rules run in warn mode/);
    assert.match(out.summary, /\| 👁️ \| `size` \| warn \| the agent changed 12 lines/);
    const note = out.annotations.find((a) => a.path === ".github/workflows/ci.yml");
    assert.equal(note?.annotation_level, "warning");
    assert.ok(!out.annotations.some((a) => a.annotation_level === "failure"));
  });

  it("shadow mode: the verdict says shadow and the section names shadow as the mode", () => {
    const d = decision({ wouldDeny: [size], modes: modes("shadow", { size: "enforce" }) });
    const out = renderCheckRun({ ...richInput(d), conclusion: conclude({ kind: "decision", decision: d }) });
    assert.match(out.summary, /### 👁️ Shadow mode: mergeable, but 1 finding would block under enforce/);
    assert.match(out.summary, /The config runs in shadow mode/);
    assert.match(out.summary, /\| 👁️ \| `size` \| shadow \|/);
  });

  it("no section when nothing was held back", () => {
    const d = decision({ wouldDeny: [], modes: modes("enforce", { size: "enforce" }) });
    assert.doesNotMatch(renderCheckRun({ ...richInput(d), conclusion: conclude({ kind: "decision", decision: d }) }).summary, /Would block/);
  });
});

const CONTEXT: AuditContext = {
  kind: "pull_request",
  delivery_id: null,
  installation_id: null,
  repository: "acme/web",
  pull_request: 7,
  deployment_id: null,
  environment: null,
  head_sha: "2".repeat(40),
  evidence_bundle_digests: [],
  signer_identities: [],
  rekor_log_indexes: [],
  conclusion: "success",
};

describe("rule modes: audit record", () => {
  it("the recorded result carries would_deny and each rule's mode, untouched by masking", () => {
    const d = decision({ wouldDeny: [size], modes: modes("enforce", { prompt: "enforce", size: "warn" }) });
    const event = auditEventFromDecision(d, { input: {}, decidedAt: new Date("2026-12-01T00:00:00Z"), context: CONTEXT });
    assert.ok(event);
    const { value, masked } = maskEvent(event);
    assert.deepEqual(masked, []);
    const result = value.result as { would_deny: Finding[]; modes: RuleModes };
    assert.deepEqual(result.would_deny, [size]);
    assert.deepEqual(result.modes.rules, [{ section: "prompt", mode: "enforce" }, { section: "size", mode: "warn" }]);
  });
});
