// An audit log holding one real decision of the built-in policy (replayable: its bundle and data are stored) and
// five sample records, for the audit command's tests.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { contentDigest, openStorage } from "../../src/adapters/storage/index.js";
import { policyData, validateRepoConfig } from "../../src/config/repo-config.js";
import { auditEventFromDecision } from "../../src/core/audit.js";
import { pullRequestInput } from "../../src/core/policy-input.js";
import { sampleEvent } from "../adapters/storage/events.js";

export const REAL_ID = "dec-real-1";

/** A real decision: the built-in bundle on a fixture input, recorded with its bundle and data. */
export async function recordRealDecision(opts: { dataDir?: string; databaseUrl?: string; schema?: string }): Promise<void> {
  const fixture = JSON.parse(readFileSync("fixtures/policy/pr-signed-agent-passes.json", "utf8")) as { config: unknown; input: unknown };
  const checked = validateRepoConfig(fixture.config);
  if (!checked.ok) throw new Error(checked.messages.join("\n"));
  const data = policyData(checked.config);
  const bundle = builtinBundle();
  const engine = await PolicyEngine.load(bundle);
  const input = pullRequestInput(fixture.input);
  const decision = engine.evaluate("agent_gate/pull_request/decision", input, { data, decisionId: REAL_ID });
  const event = auditEventFromDecision(decision, { input, decidedAt: new Date("2026-11-26T07:00:00Z"), context: { ...sampleEvent(0).agent_gate, conclusion: "success" } });
  const s = await openStorage(opts);
  try {
    const text = new TextDecoder().decode(bundle.dataBytes);
    assert.equal(contentDigest(bundle.wasm, text), engine.policy.digest, "the store's digest is the engine's");
    await s.bundles.put({ digest: engine.policy.digest, revision: bundle.revision, wasm: bundle.wasm, data: text });
    await s.audit.append(event!, { policyData: data });
    for (let i = 1; i <= 5; i++) await s.audit.append(sampleEvent(i));
  } finally {
    await s.close();
  }
}
