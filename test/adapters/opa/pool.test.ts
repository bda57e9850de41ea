// The policy pool evaluates on worker threads exactly what the engine evaluates on the calling thread: the same
// decisions for every hand-written case, the same coded errors, and a thread that dies fails what it held (never an
// allow) and is replaced.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { builtinBundle, bundleFromFile } from "../../../src/adapters/opa/bundle-source.js";
import { DEPLOYMENT_ENTRYPOINT, PULL_REQUEST_ENTRYPOINT, PolicyEngine } from "../../../src/adapters/opa/engine.js";
import { PolicyPool } from "../../../src/adapters/opa/pool.js";
import { AgentGateError } from "../../../src/core/errors.js";
import { OPA, dataFor, entrypointName, hasOpa, loadCases } from "../../policies/support.js";
import { costlyCase } from "./costly.js";

const code = (c: string) => (e: unknown) => e instanceof AgentGateError && e.code === c;

describe("PolicyPool", async () => {
  const bundle = builtinBundle();
  const engine = await PolicyEngine.load(bundle);
  let pool: PolicyPool;
  before(async () => {
    pool = await PolicyPool.start(bundle, { threads: 2 });
  });
  after(() => pool.close());

  it("gives the engine's decision for every hand-written case, all in flight at once", async () => {
    const cases = loadCases();
    assert.ok(cases.length >= 20);
    const pooled = await Promise.all(cases.map((c, i) => pool.evaluate(entrypointName(c.entrypoint), c.input, { data: dataFor(c.config), decisionId: `d-${i}` })));
    cases.forEach((c, i) => {
      const inline = engine.evaluate(entrypointName(c.entrypoint), c.input, { data: dataFor(c.config), decisionId: `d-${i}` });
      assert.deepEqual(pooled[i], inline, c.name);
    });
    assert.deepEqual(pool.policy, engine.policy);
    assert.deepEqual(pool.entrypoints, engine.entrypoints);
  });

  it("follows the data document when it changes between evaluations on the same thread", async () => {
    const c = loadCases().find((x) => x.name === "pr-signed-agent-passes");
    assert.ok(c);
    const allowing = dataFor(c.config);
    const defaults = undefined; // the bundle's own data: no signer or model allowed
    const single = await PolicyPool.start(bundle, { threads: 1 });
    try {
      const seq = [allowing, defaults, allowing, structuredClone(allowing), defaults];
      const got: boolean[] = [];
      for (const data of seq) got.push((await single.evaluate(PULL_REQUEST_ENTRYPOINT, c.input, data === undefined ? {} : { data })).allow);
      assert.deepEqual(got, [true, false, true, true, false]);
    } finally {
      await single.close();
    }
  });

  it("carries the engine's coded errors across threads", async () => {
    await assert.rejects(pool.evaluate("nope/decision", {}), code("POLICY_ENTRYPOINT_UNKNOWN"));
    await assert.rejects(pool.evaluate(PULL_REQUEST_ENTRYPOINT, [] as unknown), code("INPUT_INVALID"));
    await assert.rejects(pool.evaluate(PULL_REQUEST_ENTRYPOINT, {}, { data: [1] }), code("POLICY_DATA_INVALID"));
    const small = await PolicyPool.start(bundle, { threads: 1, maxInputBytes: 1024 });
    try {
      await assert.rejects(small.evaluate(DEPLOYMENT_ENTRYPOINT, { blob: "x".repeat(2000) }), (e: unknown) => code("POLICY_INPUT_TOO_LARGE")(e) && /at most 1024 bytes/.test((e as Error).message));
    } finally {
      await small.close();
    }
  });

  it("a thread that dies fails what it held and is replaced; the others go on serving", async () => {
    const c = loadCases().find((x) => x.name === "pr-signed-agent-passes");
    assert.ok(c);
    const data = dataFor(c.config);
    const local = await PolicyPool.start(bundle, { threads: 2 });
    try {
      const threads = (local as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads;
      // Stopped before the work is posted (its exit is not seen yet): the evaluation it takes is never answered.
      void threads[0]?.worker.terminate();
      const held = Array.from({ length: 8 }, () => local.evaluate(PULL_REQUEST_ENTRYPOINT, c.input, { data }));
      const settled = await Promise.allSettled(held);
      const failed = settled.filter((s) => s.status === "rejected");
      assert.equal(failed.length, 1, "the one evaluation the dead thread took fails; the queue goes to the others");
      for (const s of failed) assert.ok(code("POLICY_EVAL_FAILED")(s.reason) && (s.reason as AgentGateError).kind === "transient" && /exited/.test(String(s.reason)), String(s.reason));
      for (const s of settled) if (s.status === "fulfilled") assert.equal(s.value.allow, true);
      // Replaced in the background: the pool serves on two threads again.
      for (let i = 0; i < 200 && local.size() < 2; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(local.size(), 2);
      const again = await Promise.all(Array.from({ length: 4 }, () => local.evaluate(PULL_REQUEST_ENTRYPOINT, c.input, { data })));
      assert.ok(again.every((d) => d.allow));
    } finally {
      await local.close();
    }
    await assert.rejects(local.evaluate(PULL_REQUEST_ENTRYPOINT, c.input, { data }), code("POLICY_EVAL_FAILED"));
  });

  it("an evaluation past its deadline fails closed (POLICY_TIMEOUT, final), its thread is replaced, and what waited behind it is served", async () => {
    const c = loadCases().find((x) => x.name === "pr-signed-agent-passes");
    assert.ok(c);
    const data = dataFor(c.config);
    const { input: costly, data: costlyData } = costlyCase();
    const single = await PolicyPool.start(bundle, { threads: 1 });
    try {
      // One thread: the costly evaluation holds it, three others wait in the queue behind it.
      const first = single.evaluate(PULL_REQUEST_ENTRYPOINT, costly, { data: costlyData, deadlineMs: 1 });
      const behind = Array.from({ length: 3 }, () => single.evaluate(PULL_REQUEST_ENTRYPOINT, c.input, { data }));
      await assert.rejects(first, (e: unknown) => {
        assert.ok(e instanceof AgentGateError);
        assert.equal(e.code, "POLICY_TIMEOUT");
        assert.equal(e.kind, "invalid-input", "deterministic: not retried forever");
        assert.match(e.message, /^the policy could not be evaluated in time: agent_gate\/pull_request\/decision ran past its deadline of 1 ms/);
        return true;
      });
      assert.deepEqual((await Promise.all(behind)).map((d) => d.allow), [true, true, true]);
      assert.equal(single.timedOut(), 1);
      assert.equal(single.size(), 1, "the thread was replaced");
      assert.equal((await single.evaluate(PULL_REQUEST_ENTRYPOINT, c.input, { data })).allow, true, "the next one is served normally");
    } finally {
      await single.close();
    }
  });

  it("the pool's deadline applies to every evaluation; a deadline that is no whole number of milliseconds is refused", async () => {
    const { input, data } = costlyCase();
    const strict = await PolicyPool.start(bundle, { threads: 1, deadlineMs: 1 });
    try {
      await assert.rejects(strict.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data }), code("POLICY_TIMEOUT"));
      await assert.rejects(strict.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data, deadlineMs: 0 }), code("CONFIG_INVALID"));
    } finally {
      await strict.close();
    }
    await assert.rejects(PolicyPool.start(bundle, { threads: 1, deadlineMs: 1.5 }), code("CONFIG_INVALID"));
  });

  it("refuses a thread count below 1 and a module that is not WebAssembly", async () => {
    await assert.rejects(PolicyPool.start(bundle, { threads: 0 }), code("CONFIG_INVALID"));
    await assert.rejects(PolicyPool.start({ ...bundle, wasm: new Uint8Array([1, 2, 3]), source: "broken" }, { threads: 1 }), code("POLICY_BUNDLE_INVALID"));
  });
});

describe("PolicyPool with broken policies", { skip: hasOpa ? false : "no .tools/bin/opa" }, () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "agent-gate-pool-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("contract violations, runtime errors and the memory cap come back coded, and the thread goes on", async () => {
    writeFileSync(
      join(dir, "bad.rego"),
      `package bad
no_rule := {"deny": [{"msg": "x"}], "warn": []}
conflict := {"deny": [{"msg": "m", "rule": "r", "x": x}], "warn": []}
x := 1 if input.a
x := 2 if input.b
hungry := {"deny": [{"msg": "m", "rule": "r", "n": count([y | some y in numbers.range(1, input.n)])}], "warn": []}
`,
    );
    const out = join(dir, "bad.tar.gz");
    const r = spawnSync(OPA, ["build", "-t", "wasm", "-e", "bad/no_rule", "-e", "bad/conflict", "-e", "bad/hungry", "-o", out, join(dir, "bad.rego")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const pool = await PolicyPool.start(bundleFromFile(out, undefined, { allowUnpinned: true }), { threads: 1, maxMemoryPages: 40 });
    try {
      await assert.rejects(pool.evaluate("bad/no_rule", {}), (e: unknown) => code("POLICY_CONTRACT_VIOLATION")(e) && /deny\.0\.rule/.test((e as Error).message));
      await assert.rejects(pool.evaluate("bad/conflict", { a: true, b: true }), code("POLICY_EVAL_FAILED"));
      await assert.rejects(pool.evaluate("bad/hungry", { n: 5_000_000 }), code("POLICY_MEMORY_EXCEEDED"));
      assert.equal((await pool.evaluate("bad/hungry", { n: 10 })).deny[0]?.details, undefined);
      assert.equal((await pool.evaluate("bad/conflict", { a: true })).allow, false);
    } finally {
      await pool.close();
    }
  });
});
