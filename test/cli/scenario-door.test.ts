// `agent-gate evaluate --scenario FILE`: the stable door for outside test suites (docs/scenarios.md). A scenario
// file runs through the App against the stand-in; --json prints one document with each step's check run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluateCommand } from "../../src/cli/evaluate.js";
import { loadScenarios } from "../../src/demo/scenario.js";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    return { code: await evaluateCommand(args), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const dir = mkdtempSync(join(tmpdir(), "scenario-door-"));

test("a scenario file by path: each step's check run as one JSON document, exit 1 when a step fails", async () => {
  const r = await run(["--scenario", "fixtures/scenarios/06-workflow-change-approval.json", "--json"]);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.out) as { kind: string; steps: { event: string; check_run: { conclusion: string; title: string; summary: string; annotations: unknown[] }; problems: string[] }[] };
  assert.equal(doc.kind, "pull_request");
  assert.deepEqual(doc.steps.map((s) => s.check_run.conclusion), ["failure", "success"]);
  assert.deepEqual(doc.steps.map((s) => s.problems), [[], []]);
  assert.ok(doc.steps[0]!.check_run.annotations.length > 0, "the protected path is annotated");
});

test("a scenario without expectations (an outside suite's) runs and reports what happened", async () => {
  const s = structuredClone(loadScenarios().scenarios.find((x) => x.name === "signed-agent-pr")!) as unknown as { steps: Record<string, unknown>[] };
  for (const step of s.steps) delete step.expect;
  const file = join(dir, "open.json");
  writeFileSync(file, JSON.stringify({ ...s, trustedRoot: loadScenarios().trustedRoot }));
  const r = await run(["--scenario", file, "--json"]);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { steps: { head_sha: string; check_run: { conclusion: string } }[] };
  assert.equal(doc.steps[0]!.check_run.conclusion, "success");
  assert.match(doc.steps[0]!.head_sha, /^[0-9a-f]{40}$/);
});

test("a file that is not a scenario: exit 2, and with --json one document naming the field and what was expected", async () => {
  const file = join(dir, "bad.json");
  writeFileSync(file, JSON.stringify({ repos: [{ owner: "acme" }], steps: [] }));
  const r = await run(["--scenario", file, "--json"]);
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.out) as { error: { code: string; message: string } };
  assert.equal(doc.error.code, "SCENARIO_INVALID");
  assert.match(doc.error.message, /repos\.0\.name: .*expected string/);
  assert.equal((await run(["--scenario", join(dir, "missing.json")])).code, 2);
  writeFileSync(join(dir, "notjson.json"), "{");
  assert.match((await run(["--scenario", join(dir, "notjson.json")])).err, /is not JSON/);
});

test("deployment scenarios go through the same door", async () => {
  const r = await run(["--scenario", "fixtures/deployments/deployments.json", "--json"]);
  const doc = JSON.parse(r.out) as { kind: string; deployments: { name: string; state: string; problems: string[] }[] };
  assert.equal(doc.kind, "deployment");
  assert.equal(r.code, 1, "some recorded deployments are rejected");
  assert.deepEqual(doc.deployments.flatMap((d) => d.problems), []);
  assert.equal(doc.deployments.find((d) => d.name === "deploy-signed-release")?.state, "approved");
});
