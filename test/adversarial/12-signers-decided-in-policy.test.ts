// Class 12, "signer trust is the policy's": every bundle valid for any identity the trusted root certifies reaches
// Rego with its signer's facts, and the signers rule decides. A valid bundle signed by someone else denies a commit
// it alone covers, naming the signer; beside the agent's allowed bundle it is a warning, never a denial (anyone can
// sign one and post it); posted by a stranger it never makes a human's commit an agent's. Signers match by GitHub
// workflow (owner, path, runner) as `gh attestation verify` does, and a self-hosted runner is refused when asked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderProvenanceBlock } from "../../src/core/provenance-block.js";
import { agentPull, alice, bob, commit, humanPull, ISSUER, mallory, openAndJudge, provenanceBlock, repo, signedBundle } from "./support.js";

const MALLORY = "https://github.com/mallory/agents/.github/workflows/agent.yml@refs/heads/main";
const approved = (sha: string) => ({ reviews: [{ user: bob, state: "APPROVED" as const, commit_id: sha }] });

test("an agent commit covered only by a valid bundle of a signer the repository does not allow: the signers rule denies, naming it", async () => {
  const c = commit("sg1");
  const r = repo([agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c], identity: MALLORY })}`, approved(c.sha))]);
  const v = await openAndJudge(r, 1);
  assert.equal(v.conclusion, "failure");
  assert.ok(v.text.includes("`signers`"));
  assert.ok(v.text.includes(`provenance signed by \`${MALLORY}\``), "the signer is named");
  assert.ok(!v.text.includes("IDENTITY_MISMATCH"), "not a verification failure: the bundle is valid");
});

test("a stranger's valid bundle in a comment beside the agent's allowed one is a warning, never a denial", async () => {
  const c = commit("sg2");
  const stranger = renderProvenanceBlock(await signedBundle({ commits: [c], identity: MALLORY, model: { id: "evil/model", version: "1" }, prompter: bob }));
  const r = repo([agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c] })}`, { ...approved(c.sha), comments: [{ user: mallory, body: stranger }] })]);
  const v = await openAndJudge(r, 1);
  assert.equal(v.conclusion, "success", v.text);
  assert.ok(v.text.includes("was ignored"), "the stranger's signer is reported");
  assert.ok(!v.text.includes("evil/model` is not on the allow-list"), "the ignored statement's model is not judged");
});

test("a stranger's valid bundle naming a human's commit does not make it an agent's", async () => {
  const c = commit("sg3", alice);
  const stranger = renderProvenanceBlock(await signedBundle({ commits: [c], identity: MALLORY }));
  const r = repo([humanPull(1, [c], alice, { head: { ref: "fix-typo", sha: c.sha }, comments: [{ user: mallory, body: stranger }], files: [{ filename: "README.md", additions: 1, deletions: 1 }] })]);
  const v = await openAndJudge(r, 1);
  assert.equal(v.conclusion, "success", v.text);
});

const WORKFLOW_CONFIG = `version: 1
rules:
  signers:
    allowed:
      - owner: ACME
        repo: agents
        workflow: .github/workflows/agent.yml
        refs: [refs/heads/main]
        runner: github-hosted
  model_governance:
    allowed:
      - model: anthropic/claude-sonnet-4-5
`;

test("a signer matched by owner, repository, workflow and a GitHub-hosted runner passes; a self-hosted runner's signature is refused", async () => {
  for (const [runner, conclusion] of [["github-hosted", "success"], ["self-hosted", "failure"]] as const) {
    const c = commit(`sg4-${runner}`);
    const block = renderProvenanceBlock(await signedBundle({ commits: [c], extensions: { runnerEnvironment: runner } }));
    const r = repo([agentPull(1, [c], `Adds validation.\n\n${block}`, approved(c.sha))], WORKFLOW_CONFIG);
    const v = await openAndJudge(r, 1);
    assert.equal(v.conclusion, conclusion, v.text);
    if (conclusion === "failure") assert.ok(v.text.includes("is not from an allowed signer") && v.text.includes(ISSUER));
  }
});

// A ref may hold "@": git accepts the branch `dev@refs/heads/main`, whose workflow identity ends in
// `agent.yml@refs/heads/dev@refs/heads/main`. It is that branch, never main: a refs restriction holds.
const MAIN_ONLY = `version: 1
rules:
  signers:
    allowed:
      - {owner: acme, repo: agents, refs: [refs/heads/main]}
  model_governance:
    allowed:
      - model: anthropic/claude-sonnet-4-5
`;

test("a signer restricted to refs/heads/main: a branch named dev@refs/heads/main is refused like dev", async () => {
  for (const [ref, conclusion] of [["refs/heads/main", "success"], ["refs/heads/dev", "failure"], ["refs/heads/dev@refs/heads/main", "failure"]] as const) {
    const c = commit(`sg5-${ref}`);
    const identity = `https://github.com/acme/agents/.github/workflows/agent.yml@${ref}`;
    const r = repo([agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c], identity })}`, approved(c.sha))], MAIN_ONLY);
    const v = await openAndJudge(r, 1);
    assert.equal(v.conclusion, conclusion, `${ref}: ${v.text}`);
    if (conclusion === "failure") assert.ok(v.text.includes("is not from an allowed signer") && v.text.includes(identity), v.text);
  }
});
