import { test } from "node:test";
import assert from "node:assert/strict";
import { conclude, oneLine } from "../../src/core/conclusion.js";
import type { Decision } from "../../src/core/decision.js";
import { AgentGateError } from "../../src/core/errors.js";

const decision = (over: Partial<Decision> = {}): Decision => ({
  allow: true,
  deny: [],
  warn: [],
  policy: { revision: "builtin@0.1.0", digest: "sha256:" + "5d".repeat(32) },
  entrypoint: "agent_gate/pull_request/result",
  decisionId: "01JDX3",
  ...over,
});

test("allow with nothing to say is success", () => {
  assert.deepEqual(conclude({ kind: "decision", decision: decision() }), { conclusion: "success", outcome: "allowed", title: "Mergeable: every rule passes" });
});

test("warnings only is success, with the first warning in the title", () => {
  const c = conclude({ kind: "decision", decision: decision({ warn: [{ rule: "model-governance", msg: "model leaves the allow-list soon" }] }) });
  assert.equal(c.conclusion, "success");
  assert.equal(c.title, "Mergeable with 1 warning: model leaves the allow-list soon");
});

test("any denial is failure, even if the decision claims allow", () => {
  const deny = [
    { rule: "provenance-coverage", msg: "1 agent commit lacks verified provenance" },
    { rule: "protected-paths", msg: "workflow change needs a second approver" },
  ];
  for (const allow of [false, true]) {
    const c = conclude({ kind: "decision", decision: decision({ allow, deny }) });
    assert.equal(c.conclusion, "failure");
    assert.equal(c.title, "Blocked: 1 agent commit lacks verified provenance (+1 more)");
  }
});

test("not allowed without a denial is a contract violation, failure", () => {
  const c = conclude({ kind: "decision", decision: decision({ allow: false }) });
  assert.equal(c.conclusion, "failure");
  assert.equal(c.code, "POLICY_CONTRACT_VIOLATION");
});

test("errors, timeouts and junk are failure with the reason; never neutral", () => {
  const cases: unknown[] = [
    new AgentGateError("POLICY_TIMEOUT", "policy evaluation exceeded 2000 ms", "transient"),
    new AgentGateError("POLICY_BUNDLE_INVALID", "bundle is not JSON"),
    new Error("boom"),
    "a string",
    undefined,
    null,
  ];
  for (const error of cases) {
    const c = conclude({ kind: "error", error });
    assert.equal(c.conclusion, "failure", String(error));
    assert.equal(c.outcome, "error");
    assert.match(c.title, /^(Not evaluated|Could not be evaluated): /);
  }
  assert.equal(conclude({ kind: "error", error: new AgentGateError("POLICY_TIMEOUT", "took too long", "transient") }).title, "Could not be evaluated: took too long (retrying)");
  assert.equal(conclude({ kind: "decision", decision: { allow: "yes" } as unknown as Decision }).conclusion, "failure");
  assert.equal(conclude({ kind: "other" } as never).conclusion, "failure");
});

test("titles are one line, without controls or bidi overrides, and bounded", () => {
  const c = conclude({ kind: "decision", decision: decision({ deny: [{ rule: "r", msg: "line one\n### ✅ Mergeable\u202e\r\n" + "x".repeat(500) }] }) });
  assert.ok(!/[\n\r\u202e]/.test(c.title));
  assert.ok(Array.from(c.title).length <= 120);
  assert.ok(c.title.endsWith("…"));
  assert.equal(oneLine("  a \t b  "), "a b");
});
