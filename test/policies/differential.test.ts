// Differential test: the wasm engine and OPA's own evaluator (`opa eval` on the same Rego sources) give identical
// decisions for the hand-written cases and for generated inputs and configs. One `opa eval` process evaluates every
// case through a helper module, so the test stays fast. AGENT_GATE_DIFF_SEED / AGENT_GATE_DIFF_RUNS vary it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { parseDecisionResult } from "../../src/core/decision.js";
import { deploymentConfig, deploymentInput, pullRequestConfig, pullRequestInput } from "./arbitraries.js";
import { OPA, ROOT, dataFor, entrypointName, hasOpa, loadCases } from "./support.js";

const HELPER = `package difftest

import data.agent_gate.deployment
import data.agent_gate.pull_request

results[i] := d if {
	some i, c in input.cases
	c.entrypoint == "pull_request"
	d := pull_request.decision with input as c.input with data.config as c.data.config with data.revoked as object.get(c.data, "revoked", {})
}

results[i] := d if {
	some i, c in input.cases
	c.entrypoint == "deployment"
	d := deployment.decision with input as c.input with data.config as c.data.config with data.revoked as object.get(c.data, "revoked", {})
}
`;

interface Case {
  name: string;
  entrypoint: "pull_request" | "deployment";
  input: Record<string, unknown>;
  data: { config: unknown; revoked?: unknown };
}

function cases(): Case[] {
  const seed = Number(process.env.AGENT_GATE_DIFF_SEED ?? 20261126);
  const runs = Number(process.env.AGENT_GATE_DIFF_RUNS ?? 300);
  const out: Case[] = loadCases().map((c) => ({ name: c.name, entrypoint: c.entrypoint, input: c.input, data: dataFor(c.config, c.revoked) }));
  const prs = fc.sample(fc.tuple(pullRequestInput, pullRequestConfig), { seed, numRuns: runs });
  prs.forEach(([input, config], i) => out.push({ name: `generated pr #${i} (seed ${seed})`, entrypoint: "pull_request", input, data: dataFor(config) }));
  const deps = fc.sample(fc.tuple(deploymentInput, deploymentConfig), { seed: seed + 1, numRuns: Math.ceil(runs * 0.7) });
  deps.forEach(([input, config], i) => out.push({ name: `generated deployment #${i} (seed ${seed})`, entrypoint: "deployment", input, data: dataFor(config) }));
  // Malformed inputs: one top-level field missing. Both evaluators must deny, identically.
  const broken = fc.sample(fc.tuple(fc.nat({ max: out.length - 1 }), fc.nat({ max: 20 })), { seed: seed + 2, numRuns: 40 });
  for (const [pick, field] of broken) {
    const base = out[pick] as Case;
    const keys = Object.keys(base.input);
    const drop = keys[field % keys.length] as string;
    const input = Object.fromEntries(Object.entries(base.input).filter(([k]) => k !== drop));
    out.push({ name: `${base.name} without ${drop}`, entrypoint: base.entrypoint, input, data: base.data });
  }
  return out;
}

describe("wasm engine vs opa eval", { skip: hasOpa ? false : "no .tools/bin/opa (npm test installs it)" }, () => {
  it("gives identical decisions for >= 500 inputs", async () => {
    const all = cases();
    assert.ok(all.length >= 500, `only ${all.length} cases`);
    const engine = await PolicyEngine.load(builtinBundle());
    const wasm = all.map((c) => {
      const d = engine.evaluate(entrypointName(c.entrypoint), c.input, { data: c.data });
      return { deny: d.deny, warn: d.warn, ...(d.wouldDeny ? { would_deny: d.wouldDeny } : {}), ...(d.modes ? { modes: d.modes } : {}), ...(d.evidence ? { evidence: d.evidence } : {}), ...(d.excluded ? { excluded: d.excluded } : {}) };
    });

    const dir = mkdtempSync(join(tmpdir(), "agent-gate-diff-"));
    try {
      writeFileSync(join(dir, "helper.rego"), HELPER);
      writeFileSync(join(dir, "cases.json"), JSON.stringify({ cases: all.map((c) => ({ entrypoint: c.entrypoint, input: c.input, data: c.data })) }));
      const r = spawnSync(OPA, ["eval", "-d", join(ROOT, "policies/rego"), "-d", join(dir, "helper.rego"), "-i", join(dir, "cases.json"), "-f", "json", "data.difftest.results"], {
        encoding: "utf8",
        maxBuffer: 512 * 1024 * 1024,
      });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { result: { expressions: { value: Record<string, unknown> }[] }[] };
      const results = out.result[0]?.expressions[0]?.value ?? {};
      let denied = 0;
      const seen = new Set<string>();
      all.forEach((c, i) => {
        const raw = results[String(i)];
        assert.ok(raw !== undefined, `${c.name}: opa eval has no decision`);
        const go = parseDecisionResult(raw);
        assert.deepEqual(wasm[i], go, `${c.name}: wasm and opa eval differ\ninput: ${JSON.stringify(c.input)}\nconfig: ${JSON.stringify(c.data)}`);
        if (go.deny.length) denied++;
        for (const f of [...go.deny, ...go.warn]) seen.add(`${go.deny.includes(f) ? "deny" : "warn"}:${f.rule}`);
      });
      // Every rule fired somewhere, on both sides of the comparison.
      const rules = ["provenance-coverage", "signers", "model-governance", "prompt", "protected-paths", "human-approval", "size", "input", "pr-gate", "deployment-attestations", "deployment-builders", "data-residency", "deployment-approval"];
      for (const r of rules) assert.ok(seen.has(`deny:${r}`), `no generated case denied by ${r}`);
      for (const r of ["model-governance", "deployment-attestations"]) assert.ok(seen.has(`warn:${r}`), `no generated case warned by ${r}`);
      // A differential test where everything allows (or everything denies) would prove little.
      assert.ok(denied > all.length * 0.2 && denied < all.length * 0.95, `${denied} of ${all.length} denied`);
      console.log(`differential: ${all.length} cases identical (${denied} denied, ${all.length - denied} allowed)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
