// A rich pull request for the renderer: two agent commits (one covered, one not), one human commit.
import { bindProvenance } from "../../src/core/binding.js";
import { conclude } from "../../src/core/conclusion.js";
import type { Decision } from "../../src/core/decision.js";
import { detectPullRequestAgent } from "../../src/core/agents.js";
import { bodyMarkerClaims, trailerClaims } from "../../src/core/trailers.js";
import type { RenderCommit, RenderInput } from "../../src/render/check-run.js";
import { SHA_A, SHA_B, SHA_C, TREE_A, TREE_B, TREE_C, agentStatement, verified } from "../core/fixtures.js";

export const repository = { owner: "acme", name: "app", id: 100 };

export function richDecision(over: Partial<Decision> = {}): Decision {
  return {
    allow: false,
    deny: [
      {
        rule: "protected-paths",
        msg: "the agent changed .github/workflows/deploy.yml",
        remediation: "one approval from a maintainer other than @alice, who prompted the agent",
        details: { paths: [".github/workflows/deploy.yml"] },
      },
      {
        rule: "provenance-coverage",
        msg: "commit a1b2c3d by claude[bot] carries no verified provenance",
        remediation: "re-run the agent workflow's attest step for this push",
      },
    ],
    warn: [{ rule: "model-governance", msg: "anthropic/claude-sonnet-4-5@20250929 leaves the allow-list on 2026-12-31", remediation: "move the agent workflow to an approved model" }],
    policy: { revision: "agent-gate/builtin rev 3f2a1c9", digest: "sha256:5d41402abc4b2a76b9719d911017c592" + "0".repeat(32) },
    entrypoint: "agent_gate/pull_request/result",
    decisionId: "01JDX3KQ7N0ZC4Y8W5T2M6R9PA",
    ...over,
  };
}

export function richInput(decision: Decision = richDecision()): RenderInput {
  const bundle = verified(agentStatement(), "b7".repeat(32));
  const binding = bindProvenance({
    repository,
    commits: [
      { sha: SHA_B, treeSha: TREE_B },
      { sha: SHA_A, treeSha: TREE_A },
      { sha: SHA_C, treeSha: TREE_C },
    ],
    bundles: [bundle],
  });
  const [b, a, c] = binding.commits;
  const bot = { login: "claude[bot]", name: "claude[bot]" };
  const commits: RenderCommit[] = [
    { sha: SHA_B, author: bot, isAgent: true, agent: "claude-code", coverage: b!, claims: trailerClaims("fix\n\nCo-authored-by: alice <alice@example.com>\n") },
    { sha: SHA_A, author: bot, isAgent: true, agent: "claude-code", coverage: a! },
    { sha: SHA_C, author: { login: "bob", name: "Bob" }, isAgent: false, coverage: c! },
  ];
  const bodyClaims = bodyMarkerClaims("Fixes #42\n\n🤖 Generated with [Claude Code](https://claude.ai/code)");
  const detection = detectPullRequestAgent({ author: { login: "claude[bot]", id: 209825114 }, headRef: "claude/fix-login", labels: [], bodyClaims, commits: [] });
  return { conclusion: conclude({ kind: "decision", decision }), decision, commits, bundles: binding.bundles, durationMs: 38, detection, bodyClaims };
}
