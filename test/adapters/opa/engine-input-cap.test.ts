// The policy input cap: measured as UTF-8 JSON bytes, refused before anything reaches wasm memory.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinBundle } from "../../../src/adapters/opa/bundle-source.js";
import { DEFAULT_MAX_INPUT_BYTES, PULL_REQUEST_ENTRYPOINT, PolicyEngine } from "../../../src/adapters/opa/engine.js";
import { AgentGateError } from "../../../src/core/errors.js";

const tooLarge = (size: string, max: number) => (err: unknown) =>
  err instanceof AgentGateError &&
  err.code === "POLICY_INPUT_TOO_LARGE" &&
  err.kind === "invalid-input" &&
  err.message === `the policy input is ${size} bytes of JSON; expected at most ${max} bytes (EngineOptions.maxInputBytes)`;

describe("policy input size cap", () => {
  const bundle = builtinBundle();

  it("defaults to 8 MiB", () => assert.equal(DEFAULT_MAX_INPUT_BYTES, 8 * 1024 * 1024));

  it("an input just under the default cap is evaluated; one just over is refused without touching wasm memory", async () => {
    const engine = await PolicyEngine.load(bundle);
    const overhead = JSON.stringify({ pad: "" }).length;
    const fits = { pad: "x".repeat(DEFAULT_MAX_INPUT_BYTES - overhead) };
    assert.equal(engine.evaluate(PULL_REQUEST_ENTRYPOINT, fits).allow, false, "a malformed input is denied, but evaluated");
    const memory = engine.memoryBytes();
    const over = { pad: "x".repeat(DEFAULT_MAX_INPUT_BYTES - overhead + 1) };
    assert.throws(() => engine.evaluate(PULL_REQUEST_ENTRYPOINT, over), tooLarge(`at least ${DEFAULT_MAX_INPUT_BYTES + 1}`, DEFAULT_MAX_INPUT_BYTES));
    assert.equal(engine.memoryBytes(), memory, "the refused input did not grow the instance's memory");
  });

  it("counts UTF-8 bytes, not characters: multi-byte text under the cap in characters is over it in bytes", async () => {
    const engine = await PolicyEngine.load(bundle, { maxInputBytes: 1000 });
    const input = { pad: "é".repeat(600) }; // 610 characters of JSON, 1210 bytes
    assert.equal(JSON.stringify(input).length, 610);
    assert.throws(() => engine.evaluate(PULL_REQUEST_ENTRYPOINT, input), tooLarge("1210", 1000));
  });

  it("the engine still evaluates after a refusal", async () => {
    const engine = await PolicyEngine.load(bundle, { maxInputBytes: 64 });
    assert.throws(() => engine.evaluate(PULL_REQUEST_ENTRYPOINT, { pad: "x".repeat(100) }), (e: unknown) => e instanceof AgentGateError && e.code === "POLICY_INPUT_TOO_LARGE");
    assert.equal(engine.evaluate(PULL_REQUEST_ENTRYPOINT, { hello: "world" }).allow, false);
  });
});
