// Round trip: what `agent-gate attest` signs, placed in a recorded PR (fixtures/scenarios), passes the PR gate; the
// same bundle in a PR about another commit fails it with SUBJECT_OTHER_COMMIT. The App runs as in test/e2e
// (Probot, signed deliveries, the GitHub stand-in validated against GitHub's REST description), with a key ring
// holding the attesting key and a repository config that trusts that key by its hint. The bundle is key-signed,
// logged in the tests' own Rekor v1 and timestamped by their TSA; the App is given their trusted root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { attestStatement, signStatement } from "../../src/app/attest.js";
import type { Attestation, VerificationKey } from "../../src/app/attest.js";
import { createKeySigner, generateSigningKey } from "../../src/adapters/sigstore/signing/index.js";
import type { Signer } from "../../src/adapters/sigstore/signing/index.js";
import { rekorV1Witness, tsaWitness } from "../support/sigstore/witnesses.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import type { Scenario } from "../../src/demo/scenario.js";
import { runScenario } from "../../src/demo/run.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";

const { scenarios } = loadScenarios();
const byName = (name: string): Scenario => {
  const s = scenarios.find((x) => x.name === name);
  assert.ok(s, `scenario ${name} is recorded`);
  return structuredClone(s);
};

const CONFIG = (hint: string): string => `version: 1
rules:
  signers:
    allowed:
      - key: ${hint}
  model_governance:
    allowed:
      - model: anthropic/claude-sonnet-4-5
        version: "20250929"
        expires: 2027-12-31
  human_approval:
    count: 1
`;

interface Pr {
  number: number;
  body: string;
  base: { ref: string; sha: string };
  commits: { sha: string; tree: string }[];
}

async function attestFor(world: TestSigstore, signer: Signer & { keyHint?: string }, pr: Pr, key?: VerificationKey): Promise<Attestation> {
  const at = world.now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const statement = attestStatement({
    repository: "acme/widgets",
    commits: pr.commits.map((c) => ({ sha: c.sha, tree: c.tree, ref: "refs/heads/claude/feature" })),
    runtime: { name: "claude-code", version: "2.0.14" },
    model: { id: "anthropic/claude-sonnet-4-5", version: "20250929" },
    prompt: { path: "prompt.txt", text: "Validate widget input and add tests.\n" },
    config: { path: ".claude/settings.json", text: '{"permissions":{"allow":["Bash(npm test)"]}}\n' },
    target: { repository: "acme/widgets", baseRef: pr.base.ref, baseCommit: pr.base.sha },
    delegation: { principal: { login: "alice", id: 5001 }, trigger: { event: "issue_comment", at } },
    builderId: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main",
    invocation: { invocationId: "https://github.com/acme/widgets/actions/runs/1/attempts/1", startedOn: at, finishedOn: at },
  });
  return signStatement(statement, {
    signer,
    ...(key ? { key } : {}),
    tlog: rekorV1Witness(world),
    timestamper: tsaWitness(world),
  });
}

/** The scenario with the PR body replaced by `block` and the config trusting `hint` (else as recorded); returns each step's run. */
async function gate(scenario: Scenario, world: TestSigstore, keyRing: Map<string, string>, hint: string | undefined, block: string) {
  const repo = scenario.repos[0]!;
  if (hint !== undefined) repo.files[".github/agent-gate.yml"] = CONFIG(hint);
  const pr = repo.pulls[0] as unknown as Pr;
  pr.body = `Agent change.\n\n${block}\n`;
  // the webhook payloads carry the body too, and the App reads it from there
  for (const step of scenario.steps) {
    const payload = step.payload as { pull_request?: { number?: number; body?: string | null } };
    if (payload.pull_request?.number === pr.number) payload.pull_request.body = pr.body;
  }
  const gh = validatedGitHub(structuredClone(scenario.repos));
  const g = await composeGate({ trustedRoot: world.trustedRoot, keyRing, tlogEntryUrl: () => undefined });
  const app = await startApp(agentGateApp({ gate: g }), gh.fetch);
  try {
    const outcomes = await runScenario(scenario, gh.standIn, async (step) => {
      const res = await app.deliver(step.event.split(".")[0]!, step.payload, { id: step.deliveryId });
      assert.equal(res.status, 200, res.body);
    });
    assert.deepEqual(gh.problems, [], "every request and response matches GitHub's REST description");
    return outcomes;
  } finally {
    await app.close();
  }
}

test("attest output in the recorded PR passes the gate; the same bundle on another commit fails with SUBJECT_OTHER_COMMIT", async () => {
  const world = await createTestSigstore();
  const signer = createKeySigner(generateSigningKey().privateKeyPem);
  const keyRing = new Map([[signer.keyHint, signer.publicKeyPem]]);
  const signed = byName("signed-agent-pr");
  const attestation = await attestFor(world, signer, signed.repos[0]!.pulls[0] as unknown as Pr);

  const pass = await gate(signed, world, keyRing, signer.keyHint, attestation.block);
  const run = pass.at(-1)?.run;
  assert.equal(run?.conclusion, "success", `${run?.output.title}\n${run?.output.summary}\n${run?.output.text ?? ""}`);
  assert.match(run.output.summary ?? "", /anthropic\/claude-sonnet-4-5/);

  const replayed = await gate(byName("replayed-provenance"), world, keyRing, signer.keyHint, attestation.block);
  const failed = replayed.at(-1)?.run;
  assert.equal(failed?.conclusion, "failure");
  assert.match(`${failed.output.summary ?? ""}\n${failed.output.text ?? ""}`, /SUBJECT_OTHER_COMMIT/);
});

test("the gate refuses the attest bundle when the repository trusts another key", async () => {
  const world = await createTestSigstore();
  const signer = createKeySigner(generateSigningKey().privateKeyPem);
  const other = createKeySigner(generateSigningKey().privateKeyPem);
  const signed = byName("signed-agent-pr");
  const attestation = await attestFor(world, signer, signed.repos[0]!.pulls[0] as unknown as Pr);
  const outcomes = await gate(signed, world, new Map([[other.keyHint, other.publicKeyPem]]), other.keyHint, attestation.block);
  assert.equal(outcomes.at(-1)?.run?.conclusion, "failure");
});

test("keyless: a bundle signed with a certificate for the agent workflow passes the recorded config that trusts that identity", async () => {
  const world = await createTestSigstore();
  const ephemeral = generateSigningKey();
  const signer = createKeySigner(ephemeral.privateKeyPem);
  const { createPublicKey } = await import("node:crypto");
  const chain = await world.fulcio.issue({
    publicKeySpki: createPublicKey(ephemeral.publicKeyPem).export({ format: "der", type: "spki" }),
    san: { uri: DEFAULT_IDENTITY },
    issuer: DEFAULT_ISSUER,
    extensions: { sourceRepositoryURI: "https://github.com/acme/widgets", buildSignerURI: DEFAULT_IDENTITY },
    notBefore: new Date(world.now.getTime() - 60_000),
    notAfter: new Date(world.now.getTime() + 600_000),
  });
  const signed = byName("signed-agent-pr");
  const attestation = await attestFor(world, signer, signed.repos[0]!.pulls[0] as unknown as Pr, { kind: "certificate", chain });
  const outcomes = await gate(signed, world, new Map(), undefined, attestation.block);
  const run = outcomes.at(-1)?.run;
  assert.equal(run?.conclusion, "success", `${run?.output.title}\n${run?.output.summary ?? ""}`);
  const replayed = await gate(byName("replayed-provenance"), world, new Map(), undefined, attestation.block);
  assert.equal(replayed.at(-1)?.run?.conclusion, "failure");
  assert.match(`${replayed.at(-1)?.run?.output.summary ?? ""}\n${replayed.at(-1)?.run?.output.text ?? ""}`, /SUBJECT_OTHER_COMMIT/);
});
