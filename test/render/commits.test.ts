import { test } from "node:test";
import assert from "node:assert/strict";
import { detectCommitAgent } from "../../src/core/agents.js";
import { bindProvenance } from "../../src/core/binding.js";
import type { CommitFacts } from "../../src/core/facts.js";
import { trailerClaims } from "../../src/core/trailers.js";
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
