// The hand-written cases in fixtures/policy: valid inputs and configs, and the decisions a reviewer expects.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { deploymentInput, pullRequestInput } from "../../src/core/policy-input.js";
import { EXPECTED as expected, dataFor, entrypointName, loadCases } from "./support.js";

describe("fixtures/policy cases", async () => {
  const engine = await PolicyEngine.load(builtinBundle());
  const cases = loadCases();

  it("has an expectation for every case and a case for every expectation", () => {
    assert.deepEqual(cases.map((c) => c.name).sort(), Object.keys(expected).sort());
  });

  for (const c of cases) {
    it(`${c.name}: ${c.note ?? ""}`, () => {
      const input = c.entrypoint === "pull_request" ? pullRequestInput(c.input) : deploymentInput(c.input);
      const d = engine.evaluate(entrypointName(c.entrypoint), input, { data: dataFor(c.config, c.revoked) });
      const want = expected[c.name];
      assert.ok(want);
      assert.deepEqual([...new Set(d.deny.map((f) => f.rule))].sort(), want.deny);
      // Every agent case's config lets the model expire in 24 days, so those also warn.
      const warn = want.warn ?? (c.name.startsWith("pr-") && c.name !== "pr-human" ? ["model-governance"] : []);
      assert.deepEqual([...new Set(d.warn.map((f) => f.rule))].sort(), warn);
      assert.equal(d.allow, want.deny.length === 0);
      for (const f of [...d.deny, ...d.warn]) assert.ok(f.remediation && f.severity, `${f.rule} has remediation and severity`);
    });
  }
});
