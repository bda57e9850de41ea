// The hand-written cases in fixtures/policy: valid inputs and configs, and the decisions a reviewer expects.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { deploymentInput, pullRequestInput } from "../../src/core/policy-input.js";
import { dataFor, entrypointName, loadCases } from "./support.js";

const expected: Record<string, { deny: string[]; warn?: string[] }> = {
  "pr-signed-agent-passes": { deny: [] },
  "pr-unsigned-head": { deny: ["provenance-coverage"] },
  "pr-replayed-provenance": { deny: ["provenance-coverage"] },
  "pr-untrusted-signer": { deny: ["signers"] },
  "pr-human": { deny: [] },
  "pr-workflow-change-unapproved": { deny: ["human-approval", "protected-paths"] },
  "pr-workflow-change-approved": { deny: [] },
  "pr-prompter-self-approval": { deny: ["human-approval"] },
  "pr-prompt-with-secret": { deny: ["prompt"] },
  "pr-unlisted-model": { deny: ["model-governance"] },
  "pr-too-large": { deny: ["size"] },
  "pr-markup-in-facts": { deny: ["model-governance"] },
  // Signers in warn mode hold back the signers finding, never the organisation's list; the commits rest on the
  // revoked signer's statements, so the model rule judges them (the model's expiry warns).
  "pr-revoked-signer-signers-warn": { deny: ["revoked"] },
  // Signers in warn mode hold back the signers finding, never the enforced model rule.
  "pr-unlisted-model-signers-warn": { deny: ["model-governance"], warn: [] },
  "deploy-staging-passes": { deny: [] },
  "deploy-production-agent-unapproved": { deny: ["deployment-approval"] },
  "deploy-production-agent-approved": { deny: [] },
  "deploy-unsigned-artifact": { deny: ["deployment-attestations"], warn: ["deployment-attestations"] },
  "deploy-untrusted-builder": { deny: ["deployment-builders"] },
  "deploy-failed-gate": { deny: ["pr-gate"] },
  "deploy-never-gated": { deny: ["pr-gate"] },
  "deploy-wrong-region": { deny: ["data-residency"] },
  // Revoked by its TBS fingerprint: the DER fingerprint (another encoding of the same certificate) differs.
  "deploy-revoked-certificate-reencoded": { deny: ["revoked"] },
};

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
