import { test } from "node:test";
import assert from "node:assert/strict";
import { detectCommitAgent } from "../../src/core/agents.js";
import { bindProvenance } from "../../src/core/binding.js";
import type { CommitFacts } from "../../src/core/facts.js";
import { trailerClaims } from "../../src/core/trailers.js";
import { conclude } from "../../src/core/conclusion.js";
import { renderCheckRun } from "../../src/render/check-run.js";
import { commitsForRender } from "../../src/render/commits.js";
import { SHA_A, SHA_B, TREE_A, TREE_B, agentStatement, verified } from "../core/fixtures.js";

function commitFacts(sha: string, treeSha: string, message: string, author: CommitFacts["author"]): CommitFacts {
  const claims = trailerClaims(message);
  return { sha, treeSha, parents: [], message, author, committer: author, claims, detection: detectCommitAgent({ sha, author, claims }) };
}

test("gathered commits and their coverage become render rows; unseen commits are uncovered", () => {
  const agent = commitFacts(SHA_B, TREE_B, "fix\n\nCo-authored-by: Claude <noreply@anthropic.com>\n", { name: "alice", email: "alice@example.com", user: { login: "alice", id: 7 } });
  const human = commitFacts(SHA_A, TREE_A, "docs", { name: "Bob", email: "bob@example.com" });
  const binding = bindProvenance({ repository: { owner: "acme", name: "app", id: 1 }, commits: [{ sha: SHA_B, treeSha: TREE_B }], bundles: [verified(agentStatement())] });
  const rows = commitsForRender([agent, human], binding);
  assert.equal(rows[0]!.coverage.covered, true);
  assert.equal(rows[0]!.isAgent, true);
  assert.equal(rows[0]!.agent, "claude-code");
  assert.equal(rows[0]!.provenanceRequired, true);
  assert.deepEqual(rows[0]!.author, { login: "alice", name: "alice" });
  assert.equal(rows[0]!.claims?.length, 1);
  assert.deepEqual(rows[1]!.coverage, { sha: SHA_A, covered: false, by: [], rejected: [] });
  assert.equal(rows[1]!.provenanceRequired, false);
  assert.equal(commitsForRender([human], binding, () => true)[0]!.provenanceRequired, true);
});

test("a commit's own signature shows its tier, signer and Rekor time, or why it failed; a bundle shows tier sigstore", () => {
  const agent = commitFacts(SHA_B, TREE_B, "fix\n\nCo-authored-by: Claude <noreply@anthropic.com>\n", { name: "alice", email: "alice@example.com" });
  const other = commitFacts(SHA_A, TREE_A, "more\n\nCo-authored-by: Claude <noreply@anthropic.com>\n", { name: "alice", email: "alice@example.com" });
  const none = bindProvenance({ repository: { owner: "acme", name: "app", id: 1 }, commits: [], bundles: [] });
  const signer = { type: "certificate" as const, identity: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com", extensions: {} };
  const rows = commitsForRender([agent, other], none, undefined, [
    { sha: SHA_B, ok: true, attestation: { tier: "signed-commit", signer, rekor_log_index: "42", integrated_time: "2026-11-26T06:12:00Z" } },
    { sha: SHA_A, ok: false, tier: "signed-commit", code: "NO_SIGNED_TIME", message: "no verifiable signed time" },
  ]);
  const out = renderCheckRun({ conclusion: conclude({ kind: "decision", decision: { allow: true, deny: [], warn: [] } as never }), commits: rows });
  const text = `${out.summary}\n${out.text}`;
  const rowOf = (sha: string): string => text.split("\n").find((l) => l.startsWith(`| \`${sha.slice(0, 7)}\``)) ?? "";
  assert.match(rowOf(SHA_B), /✅ verified · signed commit \| `https:\/\/github\.com\/acme\/…\/agent\.yml@refs\/heads\/main` \(GitHub Actions OIDC\) \| Rekor \S*42 · 2026-11-26 06:12 UTC \|/);
  assert.match(rowOf(SHA_A), /❌ none \(`NO_SIGNED_TIME`\)/);
  const platform = commitsForRender([agent], none, undefined, [{ sha: SHA_B, ok: true, attestation: { tier: "platform", signer: { type: "platform", identity: "Copilot", issuer: "https://github.com", extensions: {} } } }]);
  const p = renderCheckRun({ conclusion: conclude({ kind: "decision", decision: { allow: true, deny: [], warn: [] } as never }), commits: platform });
  assert.match(`${p.summary}\n${p.text}`, /✅ verified · platform \| `Copilot` \(GitHub\) \| – \|/);
  const bundled = commitsForRender([agent], bindProvenance({ repository: { owner: "acme", name: "app", id: 1 }, commits: [{ sha: SHA_B, treeSha: TREE_B }], bundles: [verified(agentStatement())] }));
  const b = renderCheckRun({ conclusion: conclude({ kind: "decision", decision: { allow: true, deny: [], warn: [] } as never }), commits: bundled });
  assert.match(`${b.summary}\n${b.text}`, /✅ verified · sigstore \|/);
});

test("a commit whose verified evidence the policy refused (a signer not allowed, a tier not accepted) is never shown as verified", () => {
  const agent = commitFacts(SHA_B, TREE_B, "fix\n\nCo-authored-by: Claude <noreply@anthropic.com>\n", { name: "alice", email: "alice@example.com" });
  const other = commitFacts(SHA_A, TREE_A, "more\n\nCo-authored-by: Claude <noreply@anthropic.com>\n", { name: "alice", email: "alice@example.com" });
  const rows = commitsForRender([agent, other], bindProvenance({ repository: { owner: "acme", name: "app", id: 1 }, commits: [{ sha: SHA_B, treeSha: TREE_B }], bundles: [verified(agentStatement())] }), undefined, [
    { sha: SHA_A, ok: true, attestation: { tier: "platform", signer: { type: "platform", identity: "Copilot", issuer: "https://github.com", extensions: {} } } },
  ]);
  const decision = {
    allow: false,
    deny: [
      { rule: "signers", severity: "high", msg: "provenance signed by x is not from an allowed signer", details: { commits: [SHA_B] } },
      { rule: "provenance-coverage", severity: "critical", msg: "carries only platform evidence", details: { sha: SHA_A, tiers: ["platform"] } },
    ],
    warn: [],
    policy: { revision: "test", digest: `sha256:${"0".repeat(64)}` },
    entrypoint: "agent_gate/pull_request/decision",
    decisionId: "00000000-0000-4000-8000-000000000000",
  };
  const out = renderCheckRun({ conclusion: conclude({ kind: "decision", decision: decision as never }), commits: rows, decision: decision as never });
  const text = `${out.summary}\n${out.text}`;
  const rowOf = (sha: string): string => text.split("\n").find((l) => l.startsWith(`| \`${sha.slice(0, 7)}\``)) ?? "";
  assert.match(rowOf(SHA_B), /⛔ not accepted \(`signers`\)/);
  assert.match(rowOf(SHA_A), /⛔ not accepted \(`provenance-coverage`\) \| `Copilot` \(GitHub\)/);
  assert.doesNotMatch(rowOf(SHA_B) + rowOf(SHA_A), /✅/);
});
