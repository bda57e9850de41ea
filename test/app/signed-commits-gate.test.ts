// Signed commits through the App (issue 17 items 1-2): the recorded signed-commit scenarios with one fact changed,
// each only able to make the verdict worse: a person's verified key on a commit authored as Copilot is not GitHub's
// platform signature, even naming GitHub's key where its signature does not cover it; a gitsign signature by a signer the repository does not allow is the signers rule's; a
// gitsign commit whose verifier cannot check commits fails closed.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Scenario } from "../../src/demo/scenario.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { inProcessApp, runScenario } from "../../src/demo/run.js";
import { DEMO_WEB_FLOW, newPgpKey, pgpSign } from "../support/pgp-signature.js";
import { commitObjectId, rebuildSignedCommit } from "../../src/core/signed-commits.js";

const { trustedRoot, scenarios } = loadScenarios();
const named = (name: string): Scenario => {
  const s = scenarios.find((x) => x.name === name);
  assert.ok(s, `scenario ${name} is recorded (node --import tsx scripts/make-scenarios.ts)`);
  return structuredClone(s);
};

async function run(scenario: Scenario): Promise<string[]> {
  const { standIn, deliver } = await inProcessApp(scenario, trustedRoot);
  const outcomes = await runScenario(scenario, standIn, deliver);
  return outcomes.flatMap((o) => o.problems.map((p) => `${o.step.event}: ${p}`));
}

/** The scenario with its Copilot commit's signature replaced, the commit's id (and every mention of it) the new object's. */
function resigned(s: Scenario, signature: string): Scenario {
  const commit = s.repos[0]!.pulls[0]!.commits[0]!;
  const sha = commitObjectId(rebuildSignedCommit(commit.verification!.payload!, signature), 40);
  const out = JSON.parse(JSON.stringify(s).replaceAll(commit.sha, sha)) as Scenario;
  out.repos[0]!.pulls[0]!.commits[0]!.verification!.signature = signature;
  return out;
}
const uncovered = (s: Scenario): Scenario => ({ ...s, steps: s.steps.map((step) => ({ ...step, expect: { ...step.expect, conclusion: "failure", summaryIncludes: ["carries no verified provenance (none found)"] } })) });

test("a person's verified GPG key on a commit authored as Copilot is no platform evidence", async () => {
  const s = named("copilot-platform-accepted");
  // GitHub shows it verified (the person's own key), but the key is not GitHub's web-flow key
  const payload = s.repos[0]!.pulls[0]!.commits[0]!.verification!.payload!;
  assert.deepEqual(await run(uncovered(resigned(s, pgpSign(payload, newPgpKey())))), []);
});

test("a person's signature naming GitHub's web-flow key in its unhashed subpackets is no platform evidence", async () => {
  const s = named("copilot-platform-accepted");
  const payload = s.repos[0]!.pulls[0]!.commits[0]!.verification!.payload!;
  const web = DEMO_WEB_FLOW.pinned.fingerprint;
  assert.deepEqual(await run(resigned(s, pgpSign(payload, DEMO_WEB_FLOW))), [], "re-signed by the stand-in's GitHub: still accepted");
  assert.deepEqual(await run(uncovered(resigned(s, pgpSign(payload, newPgpKey(), { unhashed: { fingerprint: web, keyId: web.slice(24) } })))), []);
});

test("GitHub not verifying the signature leaves the Copilot commit uncovered", async () => {
  const s = named("copilot-platform-accepted");
  const commit = s.repos[0]!.pulls[0]!.commits[0]!;
  commit.verification = { ...commit.verification!, verified: false, reason: "bad_email" };
  const expected: Scenario = { ...s, steps: s.steps.map((step) => ({ ...step, expect: { ...step.expect, conclusion: "failure", summaryIncludes: ["carries no verified provenance"] } })) };
  assert.deepEqual(await run(expected), []);
});

test("a gitsign commit signed by a workflow the repository does not allow is denied by the signers rule", async () => {
  const s = named("gitsign-signed-agent-pr");
  const repo = s.repos[0]!;
  repo.files[".github/agent-gate.yml"] = repo.files[".github/agent-gate.yml"]!.replace(/identity: \S+/, "identity: https://github.com/acme/agents/.github/workflows/other.yml@refs/heads/main");
  const expected: Scenario = { ...s, steps: s.steps.map((step) => ({ ...step, expect: { ...step.expect, conclusion: "failure", summaryIncludes: ["`signers`", "is not from an allowed signer"] } })) };
  assert.deepEqual(await run(expected), []);
});

test("a gitsign commit the platform tier alone may cover (signed-commit not accepted for its agent) is denied, naming the tiers", async () => {
  const s = named("gitsign-signed-agent-pr");
  const repo = s.repos[0]!;
  repo.files[".github/agent-gate.yml"] = `${repo.files[".github/agent-gate.yml"]!}  provenance_coverage:\n    tiers:\n      claude-code: [sigstore]\n`;
  const expected: Scenario = { ...s, steps: s.steps.map((step) => ({ ...step, expect: { ...step.expect, conclusion: "failure", summaryIncludes: ["carries only signed-commit evidence, which is not accepted for claude-code (accepted: sigstore)"] } })) };
  assert.deepEqual(await run(expected), []);
});

test("a verified gitsign commit with agent trailers is an agent's commit, whoever opened the pull request", async () => {
  const s = named("gitsign-signed-agent-pr");
  const pull = s.repos[0]!.pulls[0]!;
  const alice = { login: "alice", id: 5001, type: "User" as const };
  pull.user = alice;
  pull.head = { ...pull.head, ref: "validate" };
  pull.reviews = [];
  pull.commits[0]!.author = { ...pull.commits[0]!.author, name: "Alice", email: "alice@acme.example", account: alice };
  const expected: Scenario = { ...s, steps: s.steps.map((step) => ({ ...step, expect: { ...step.expect, conclusion: "failure", summaryIncludes: ["`human-approval`", "verified agent provenance names 1 of its 1 commits"] } })) };
  assert.deepEqual(await run(expected), []);
});
