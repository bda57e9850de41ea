// The engine calls the module's opa_eval itself (ABI 1.2 and later), encoding the input straight into wasm memory:
// it must give exactly what the SDK's own evaluate gives, for any text, and grow memory (within the cap) as needed.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { builtinBundle } from "../../../src/adapters/opa/bundle-source.js";
import { PULL_REQUEST_ENTRYPOINT, PolicyEngine } from "../../../src/adapters/opa/engine.js";
import { parseDecisionResult } from "../../../src/core/decision.js";
import { AgentGateError } from "../../../src/core/errors.js";
import { dataFor, entrypointName, loadCases } from "../../policies/support.js";

interface Sdk {
  loadPolicySync(wasm: Uint8Array, memory: { initial: number; maximum: number }): {
    setData(data: unknown): void;
    evaluate(input: unknown, entrypoint: string): { result: unknown }[];
  };
}
const sdk = createRequire(import.meta.url)("@open-policy-agent/opa-wasm") as Sdk;

const prCase = () => {
  const c = loadCases().find((x) => x.name === "pr-signed-agent-passes");
  assert.ok(c);
  return c;
};

// An agent pull request changing protected files whose names are not ASCII: the paths come back in the findings.
function nonAsciiInput(): Record<string, unknown> {
  const input = structuredClone(prCase().input);
  input.files = ["infra/naïve-😀.tf", "infra/日本語/設定.tf", "infra/\u00e9\u0301-combining.tf", 'infra/quote"back\\slash.tf'].map((path) => ({
    path,
    status: "modified",
    additions: 1,
    deletions: 0,
    agent_touched: true,
  }));
  return input;
}

describe("the engine's direct opa_eval path", async () => {
  const bundle = builtinBundle();
  const engine = await PolicyEngine.load(bundle);

  it("is taken for the built-in bundle (ABI 1.2 or later)", () => {
    assert.equal(typeof (engine as unknown as { opaEval?: unknown }).opaEval, "function");
  });

  it("gives what the SDK's evaluate gives, for every hand-written case and for non-ASCII text", () => {
    const reference = sdk.loadPolicySync(bundle.wasm, { initial: 64, maximum: 1024 });
    const cases = loadCases().map((c) => ({ entrypoint: entrypointName(c.entrypoint), input: c.input, data: dataFor(c.config) }));
    cases.push({ entrypoint: PULL_REQUEST_ENTRYPOINT, input: nonAsciiInput(), data: dataFor({ rules: { protected_paths: { mode: "deny" } } }) });
    for (const c of cases) {
      reference.setData(c.data);
      const want = parseDecisionResult(reference.evaluate(c.input, c.entrypoint)[0]?.result);
      const got = engine.evaluate(c.entrypoint, c.input, { data: c.data });
      assert.deepEqual({ deny: got.deny, warn: got.warn, ...(got.wouldDeny ? { would_deny: got.wouldDeny } : {}), ...(got.modes ? { modes: got.modes } : {}), ...(got.evidence ? { evidence: got.evidence } : {}), ...(got.excluded ? { excluded: got.excluded } : {}) }, want);
    }
  });

  it("carries non-ASCII text through wasm memory and back unchanged", () => {
    const input = nonAsciiInput();
    const d = engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data: dataFor({ rules: { protected_paths: { mode: "deny" } } }) });
    const denied = d.deny.filter((f) => f.rule === "protected-paths").map((f) => (f.details as { path: string }).path);
    assert.deepEqual(denied.sort(), (input.files as { path: string }[]).map((f) => f.path).sort());
  });

  it("grows wasm memory for an input larger than the instance holds, and keeps evaluating", async () => {
    const small = await PolicyEngine.load(bundle);
    const before = small.memoryBytes();
    const big = { ...prCase().input, padding: "x".repeat(before * 2) };
    assert.equal(small.evaluate(PULL_REQUEST_ENTRYPOINT, big, { data: dataFor(prCase().config) }).allow, true);
    assert.ok(small.memoryBytes() > before * 2);
    assert.equal(small.evaluate(PULL_REQUEST_ENTRYPOINT, prCase().input, { data: dataFor(prCase().config) }).allow, true);
  });

  it("an input that fits the byte cap but not the memory cap is a memory error, and the engine recovers", async () => {
    const capped = await PolicyEngine.load(bundle, { maxMemoryPages: 40 }); // 2.5 MiB
    const big = { ...prCase().input, padding: "x".repeat(3 * 1024 * 1024) };
    assert.throws(() => capped.evaluate(PULL_REQUEST_ENTRYPOINT, big), (e: unknown) => e instanceof AgentGateError && e.code === "POLICY_MEMORY_EXCEEDED");
    assert.equal(capped.evaluate(PULL_REQUEST_ENTRYPOINT, prCase().input, { data: dataFor(prCase().config) }).allow, true);
  });
});
