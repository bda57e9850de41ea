// The server's policy settings: worker threads by default (an evaluation past its deadline can only be stopped
// there), a deadline in milliseconds, and a clear refusal of a value that is not one.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { policyEvaluator } from "../../src/app/compose.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { PolicyPool } from "../../src/adapters/opa/pool.js";
import { readPolicyDeadline, readServerEnv } from "../../src/config/server-env.js";
import { AgentGateError } from "../../src/core/errors.js";

const base = { APP_ID: "1", PRIVATE_KEY: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(), WEBHOOK_SECRET: "a-secret-of-sixteen+" };

describe("server settings for policy evaluation", () => {
  it("evaluates on two worker threads with a 2,000 ms deadline unless told otherwise", () => {
    const s = readServerEnv(base);
    assert.equal(s.AGENT_GATE_POLICY_THREADS, 1);
    assert.equal(s.AGENT_GATE_POLICY_DEADLINE_MS, 2000);
    assert.equal(readServerEnv({ ...base, AGENT_GATE_POLICY_DEADLINE_MS: "500", AGENT_GATE_POLICY_THREADS: "0" }).AGENT_GATE_POLICY_DEADLINE_MS, 500);
    assert.equal(readPolicyDeadline({}), 2000);
    assert.equal(readPolicyDeadline({ AGENT_GATE_POLICY_DEADLINE_MS: "750" }), 750);
  });

  it("refuses a deadline that is not milliseconds from 10 to 600,000, naming the variable", () => {
    for (const bad of ["soon", "0", "5", "1e9", "2.5"]) {
      assert.throws(() => readServerEnv({ ...base, AGENT_GATE_POLICY_DEADLINE_MS: bad }), (e: unknown) => e instanceof AgentGateError && e.code === "ENV_INVALID" && /AGENT_GATE_POLICY_DEADLINE_MS/.test(e.message), bad);
      assert.throws(() => readPolicyDeadline({ AGENT_GATE_POLICY_DEADLINE_MS: bad }), (e: unknown) => e instanceof AgentGateError && e.code === "ENV_INVALID" && /AGENT_GATE_POLICY_DEADLINE_MS: expected milliseconds/.test(e.message), bad);
    }
  });

  it("the App's evaluator is a pool of worker threads; 0 threads keeps the calling thread", async () => {
    const pool = await policyEvaluator(builtinBundle(), { threads: 1, deadlineMs: 1500 });
    try {
      assert.ok(pool instanceof PolicyPool);
    } finally {
      if (pool instanceof PolicyPool) await pool.close();
    }
    assert.ok((await policyEvaluator(builtinBundle(), { threads: 0 })) instanceof PolicyEngine);
  });
});
