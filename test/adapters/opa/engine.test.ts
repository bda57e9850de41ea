// The wasm engine: loads the committed bundle, refuses bad inputs and broken policies with coded errors,
// and never turns a failure into an allow.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { builtinBundle, bundleFromFile, readTar, BUILTIN_BUNDLE_PATH } from "../../../src/adapters/opa/bundle-source.js";
import { DEPLOYMENT_ENTRYPOINT, PULL_REQUEST_ENTRYPOINT, PolicyEngine } from "../../../src/adapters/opa/engine.js";
import type { PolicyBundle } from "../../../src/adapters/opa/engine.js";
import { AgentGateError } from "../../../src/core/errors.js";
import { OPA, hasOpa, loadCases } from "../../policies/support.js";
import { costlyCase } from "./costly.js";
import { gunzipSync } from "node:zlib";

const code = (c: string) => (err: unknown) => err instanceof AgentGateError && err.code === c;
const prCase = () => {
  const c = loadCases().find((x) => x.name === "pr-signed-agent-passes");
  assert.ok(c);
  return c;
};

describe("PolicyEngine with the built-in bundle", async () => {
  const bundle = builtinBundle();
  const engine = await PolicyEngine.load(bundle);

  it("exposes both entrypoints, the manifest revision and a digest of wasm + data", () => {
    assert.deepEqual(engine.entrypoints, [DEPLOYMENT_ENTRYPOINT, PULL_REQUEST_ENTRYPOINT]);
    const manifest = JSON.parse(Buffer.from(readTar(gunzipSync(readFileSync(BUILTIN_BUNDLE_PATH))).get(".manifest") ?? []).toString()) as { revision: string };
    assert.match(manifest.revision, /^builtin-[0-9a-f]{12}$/);
    assert.equal(engine.policy.revision, manifest.revision);
    assert.match(engine.policy.digest, /^sha256:[0-9a-f]{64}$/);
  });

  it("on the calling thread, an evaluation that finishes past its deadline is refused (POLICY_TIMEOUT), as the pool would; the next is answered", () => {
    const { input, data } = costlyCase();
    assert.throws(() => engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data, deadlineMs: 1 }), (e: unknown) => code("POLICY_TIMEOUT")(e) && /could not be evaluated in time: .*cannot be stopped/.test((e as Error).message));
    assert.equal(engine.evaluate(PULL_REQUEST_ENTRYPOINT, prCase().input).allow, false, "answered, by the default data");
  });

  it("denies with the bundle's default data (no signer or model allowed yet) and names the rules", () => {
    const d = engine.evaluate(PULL_REQUEST_ENTRYPOINT, prCase().input, { decisionId: "d1" });
    assert.equal(d.allow, false);
    assert.deepEqual([...new Set(d.deny.map((f) => f.rule))].sort(), ["model-governance", "signers"], "no signer is allowed: the signers rule denies, and with no allowed attestation covering the commit its statements are judged by the model rule too (a rule's mode never narrows what another judges)");
    assert.equal(d.decisionId, "d1");
    assert.equal(d.entrypoint, PULL_REQUEST_ENTRYPOINT);
  });

  it("refuses an input that is not a JSON object (opa-wasm would read a falsy one as no input)", () => {
    for (const bad of [null, undefined, 0, "", false, [], "{}"]) assert.throws(() => engine.evaluate(PULL_REQUEST_ENTRYPOINT, bad), code("INPUT_INVALID"));
  });

  it("denies a malformed object input instead of passing it by silence", () => {
    const d = engine.evaluate(PULL_REQUEST_ENTRYPOINT, { hello: "world" });
    assert.equal(d.allow, false);
    assert.ok(d.deny.some((f) => f.rule === "input"));
  });

  it("refuses an oversized input with the limit in the message", async () => {
    const small = await PolicyEngine.load(bundle, { maxInputBytes: 2048 });
    assert.throws(
      () => small.evaluate(PULL_REQUEST_ENTRYPOINT, prCase().input),
      (err: unknown) => code("POLICY_INPUT_TOO_LARGE")(err) && /expected at most 2048 bytes/.test((err as Error).message),
    );
  });

  it("refuses an unknown entrypoint, naming the ones it has", () => {
    assert.throws(() => engine.evaluate("agent_gate/merge/decision", {}), (e: unknown) => code("POLICY_ENTRYPOINT_UNKNOWN")(e) && /pull_request/.test((e as Error).message));
  });

  it("refuses data that is not an object, every time it is given (never evaluating with the data before it)", () => {
    const bad = [1];
    engine.evaluate(PULL_REQUEST_ENTRYPOINT, prCase().input, { data: { config: {} } });
    assert.throws(() => engine.evaluate(PULL_REQUEST_ENTRYPOINT, prCase().input, { data: bad }), code("POLICY_DATA_INVALID"));
    assert.throws(() => engine.evaluate(PULL_REQUEST_ENTRYPOINT, prCase().input, { data: bad }), code("POLICY_DATA_INVALID"));
  });
});

describe("broken and replaced policies", { skip: hasOpa ? false : "no .tools/bin/opa" }, () => {
  let dir = "";
  const build = (name: string, rego: string, entrypoints: string[], revision = "test-1"): string => {
    writeFileSync(join(dir, `${name}.rego`), rego);
    const out = join(dir, `${name}.tar.gz`);
    const r = spawnSync(OPA, ["build", "-t", "wasm", ...entrypoints.flatMap((e) => ["-e", e]), "--revision", revision, "-o", out, join(dir, `${name}.rego`)], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return out;
  };
  const load = (path: string): PolicyBundle => bundleFromFile(path, undefined, { allowUnpinned: true });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "agent-gate-opa-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a result without `rule`, a non-array deny and an undefined decision are contract violations", async () => {
    const path = build(
      "bad",
      `package bad
no_rule := {"deny": [{"msg": "x"}], "warn": []}
not_array := {"deny": "nope", "warn": []}
undefined_decision := {"deny": [], "warn": []} if input.never
`,
      ["bad/no_rule", "bad/not_array", "bad/undefined_decision"],
    );
    const engine = await PolicyEngine.load(load(path));
    assert.throws(() => engine.evaluate("bad/no_rule", {}), (e: unknown) => code("POLICY_CONTRACT_VIOLATION")(e) && /deny\.0\.rule/.test((e as Error).message));
    assert.throws(() => engine.evaluate("bad/not_array", {}), code("POLICY_CONTRACT_VIOLATION"));
    assert.throws(() => engine.evaluate("bad/undefined_decision", {}), (e: unknown) => code("POLICY_CONTRACT_VIOLATION")(e) && /undefined/.test((e as Error).message));
  });

  it("a runtime error in the policy is an evaluation failure, and the next evaluation still works", async () => {
    const path = build(
      "conflict",
      `package conflict
x := 1 if input.a
x := 2 if input.b
decision := {"deny": [{"msg": "m", "rule": "r", "x": x}], "warn": []}
`,
      ["conflict/decision"],
    );
    const engine = await PolicyEngine.load(load(path));
    assert.throws(() => engine.evaluate("conflict/decision", { a: true, b: true }), code("POLICY_EVAL_FAILED"));
    assert.equal(engine.evaluate("conflict/decision", { a: true }).allow, false);
  });

  it("hitting the memory cap is a coded error, and the engine recovers", async () => {
    const path = build(
      "hungry",
      `package hungry
decision := {"deny": [{"msg": "m", "rule": "r", "n": count([x | some x in numbers.range(1, input.n)])}], "warn": []}
`,
      ["hungry/decision"],
    );
    const engine = await PolicyEngine.load(load(path), { maxMemoryPages: 40 });
    assert.throws(() => engine.evaluate("hungry/decision", { n: 5_000_000 }), code("POLICY_MEMORY_EXCEEDED"));
    assert.equal(engine.evaluate("hungry/decision", { n: 10 }).deny[0]?.details, undefined);
    assert.equal(engine.memoryBytes() <= 40 * 65536, true);
  });

  it("an organisation's own bundle replaces the built-in one; its revision and digest go into the decision", async () => {
    const path = build(
      "org",
      `package agent_gate.pull_request
decision := {"deny": [{"msg": "org says no", "rule": "org-rule", "severity": "low"} | input.pull_request.draft], "warn": []}
`,
      ["agent_gate/pull_request/decision"],
      "acme-policy-7",
    );
    const engine = await PolicyEngine.load(load(path));
    const d = engine.evaluate(PULL_REQUEST_ENTRYPOINT, { pull_request: { draft: true } });
    assert.equal(d.policy.revision, "acme-policy-7");
    assert.notEqual(d.policy.digest, (await PolicyEngine.load(builtinBundle())).policy.digest);
    assert.deepEqual(d.deny, [{ msg: "org says no", rule: "org-rule", severity: "low" }]);
    assert.equal(engine.evaluate(PULL_REQUEST_ENTRYPOINT, { pull_request: { draft: false } }).allow, true);
  });
});
