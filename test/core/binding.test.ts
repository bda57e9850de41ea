import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { bindProvenance, parseRepositoryName } from "../../src/core/binding.js";
import { sha256Hex } from "../../src/core/provenance.js";
import type { InTotoStatement } from "../../src/core/verification.js";
import { GITHUB_ACTIONS_PROVENANCE, SHA_A, SHA_B, SHA_C, TREE_A, TREE_B, TREE_C, agentStatement, verified } from "./fixtures.js";

const repository = { owner: "acme", name: "app", id: 100 };
const commits = [
  { sha: SHA_A, treeSha: TREE_A },
  { sha: SHA_B, treeSha: TREE_B },
];
const codes = (xs: readonly { code: string }[]) => xs.map((x) => x.code);

describe("bindProvenance", () => {
  test("a statement covers exactly the commit its subject names", () => {
    const b = verified(agentStatement());
    const r = bindProvenance({ repository, commits, bundles: [b] });
    assert.equal(r.commits[0]!.covered, false);
    assert.equal(r.commits[1]!.covered, true);
    const by = r.commits[1]!.by[0]!;
    assert.equal(by.bundleDigest, b.bundleDigest);
    assert.equal(by.matchedBy, "gitCommit");
    assert.equal(by.signer.identity, "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main");
    assert.equal(by.tlog[0]!.logIndex, "123456789");
    assert.equal(by.model.id, "anthropic/claude-sonnet-4-5");
    assert.deepEqual(by.prompt, { sha256: sha256Hex("Fix the login redirect bug described in #42."), textIncluded: false, secrets: [] });
    assert.deepEqual(r.bundles, [{ bundleDigest: b.bundleDigest, covers: [SHA_B], rejected: [] }]);
    assert.deepEqual(r.unbound, []);
    assert.deepEqual(r.commits[0]!.rejected, [], "a bundle that covers some commit is not a rejection for the others");
  });

  test("provenance replayed from another commit of this repository is rejected with SUBJECT_OTHER_COMMIT", () => {
    const b = verified(agentStatement({ commits: [{ sha: SHA_C, tree: TREE_C, ref: "refs/heads/claude/other" }] }));
    const r = bindProvenance({ repository, commits, bundles: [b] });
    assert.ok(r.commits.every((c) => !c.covered));
    assert.deepEqual(codes(r.commits[0]!.rejected), ["SUBJECT_OTHER_COMMIT"]);
    assert.match(r.commits[0]!.rejected[0]!.message, /names 9c8d7e6 \(refs\/heads\/claude\/other\), not a commit of this pull request/);
  });

  test("a stray bundle is not held against a commit that expects no provenance (a human's)", () => {
    const b = verified(agentStatement({ commits: [{ sha: SHA_C }] }));
    const r = bindProvenance({ repository, commits: [{ ...commits[0]!, expectsProvenance: false }, commits[1]!], bundles: [b] });
    assert.deepEqual(r.commits[0]!.rejected, []);
    assert.deepEqual(codes(r.commits[1]!.rejected), ["SUBJECT_OTHER_COMMIT"]);
    assert.deepEqual(codes(r.unbound), ["SUBJECT_OTHER_COMMIT"]);
  });

  test("provenance for the same sha in another repository is rejected with SUBJECT_OTHER_REPOSITORY", () => {
    const b = verified(agentStatement({ repository: "evil/app" }));
    const r = bindProvenance({ repository, commits, bundles: [b] });
    assert.equal(r.commits[1]!.covered, false);
    assert.deepEqual(codes(r.commits[1]!.rejected), ["SUBJECT_OTHER_REPOSITORY"]);
    assert.match(r.commits[1]!.rejected[0]!.message, /in evil\/app, expected acme\/app/);
  });

  test("another branch ref on the same sha still counts: commits are content-addressed", () => {
    const b = verified(agentStatement({ commits: [{ sha: SHA_B, ref: "refs/heads/somewhere-else" }] }));
    assert.equal(bindProvenance({ repository, commits, bundles: [b] }).commits[1]!.covered, true);
  });

  test("repository names compare case-insensitively, with .git and @sha forms", () => {
    const s = agentStatement();
    const mixed = { ...s, subject: [{ name: `git+https://github.com/ACME/App.git@${SHA_B}`, digest: { gitCommit: SHA_B } }] } as InTotoStatement;
    const r = bindProvenance({ repository, commits, bundles: [verified(mixed)] });
    assert.equal(r.commits[1]!.covered, true);
  });

  test("a tree match counts only when the policy allows tree matching", () => {
    const squashed = { sha: "f".repeat(40), treeSha: TREE_B };
    const b = verified(agentStatement());
    const off = bindProvenance({ repository, commits: [squashed], bundles: [b] });
    assert.equal(off.commits[0]!.covered, false);
    assert.deepEqual(codes(off.commits[0]!.rejected), ["SUBJECT_TREE_ONLY"]);
    const on = bindProvenance({ repository, commits: [squashed], bundles: [b], allowTreeMatch: true });
    assert.equal(on.commits[0]!.covered, true);
    assert.equal(on.commits[0]!.by[0]!.matchedBy, "gitTree");
  });

  test("an included prompt that does not hash to the signed digest is PROMPT_DIGEST_MISMATCH", () => {
    const s = agentStatement({ prompt: { text: "the signed prompt", includeText: true } }) as unknown as {
      predicate: { buildDefinition: { externalParameters: { prompt: { text: string } } } };
    };
    s.predicate.buildDefinition.externalParameters.prompt.text = "a different prompt";
    const r = bindProvenance({ repository, commits, bundles: [verified(s as unknown as InTotoStatement)] });
    assert.equal(r.commits[1]!.covered, false);
    assert.deepEqual(codes(r.commits[1]!.rejected), ["PROMPT_DIGEST_MISMATCH"]);
  });

  test("secret-like content in an included prompt is reported, never the text", () => {
    const prompt = "deploy with token ghp_" + "A1b2".repeat(9) + " please";
    const r = bindProvenance({ repository, commits, bundles: [verified(agentStatement({ prompt: { text: prompt, includeText: true } }))] });
    const p = r.commits[1]!.by[0]!.prompt!;
    assert.equal(p.textIncluded, true);
    assert.deepEqual(p.secrets, [{ kind: "github-token", line: 1, column: 19 }]);
    assert.ok(!JSON.stringify(r).includes("please"), "the prompt text does not leave the binder");
  });

  test("the agent pointed at another repository is TARGET_OTHER_REPOSITORY", () => {
    const b = verified(agentStatement({ target: { repository: "https://github.com/evil/app", baseRef: "refs/heads/main", baseCommit: SHA_A } }));
    assert.deepEqual(codes(bindProvenance({ repository, commits, bundles: [b] }).commits[1]!.rejected), ["TARGET_OTHER_REPOSITORY"]);
  });

  test("a target that does not parse as this repository is rejected, naming what was expected; this repository passes", () => {
    const target = (repo: string) => verified(agentStatement({ target: { repository: repo, baseRef: "refs/heads/main", baseCommit: SHA_A } }));
    for (const repo of ["github.com/evil/app", "https://www.github.com/evil/app", "git@github.com:evil/app.git", "ssh://git@github.com/evil/app", "https://gitlab.com/evil/app", "github.com/acme/app", "https://gitlab.com/acme/app", "https://github.com/acme/app/tree/main", " "]) {
      const c = bindProvenance({ repository, commits, bundles: [target(repo)] }).commits[1]!;
      assert.equal(c.covered, false, repo);
      assert.deepEqual(codes(c.rejected), ["TARGET_OTHER_REPOSITORY"], repo);
      assert.ok(c.rejected[0]!.message.includes("expected https://github.com/acme/app"), c.rejected[0]!.message);
    }
    for (const repo of ["https://github.com/acme/app", "https://github.com/Acme/App.git", "acme/app"]) {
      assert.equal(bindProvenance({ repository, commits, bundles: [target(repo)] }).commits[1]!.covered, true, repo);
    }
  });

  test("GitHub Actions build provenance covers no commit: PROVENANCE_NOT_AGENT", () => {
    const r = bindProvenance({ repository, commits, bundles: [verified(GITHUB_ACTIONS_PROVENANCE)] });
    assert.ok(r.commits.every((c) => !c.covered && codes(c.rejected).includes("PROVENANCE_NOT_AGENT")));
  });

  test("a message signature names no commit: STATEMENT_MISSING", () => {
    const r = bindProvenance({ repository, commits, bundles: [verified(undefined)] });
    assert.deepEqual(codes(r.commits[0]!.rejected), ["STATEMENT_MISSING"]);
  });

  test("a statement naming this commit but broken is rejected for that commit with the parse code", () => {
    const s = { ...agentStatement(), predicate: { buildDefinition: { buildType: "https://agent-gate.dev/agent-commit/v1" } } } as InTotoStatement;
    const r = bindProvenance({ repository, commits, bundles: [verified(s)] });
    assert.deepEqual(codes(r.commits[1]!.rejected), ["PREDICATE_INVALID"]);
  });

  test("a subject naming this sha under another host is SUBJECT_NAME_INVALID", () => {
    const s = { ...agentStatement(), subject: [{ name: "git+https://gitlab.com/acme/app@main", digest: { gitCommit: SHA_B } }] } as InTotoStatement;
    assert.deepEqual(codes(bindProvenance({ repository, commits, bundles: [verified(s)] }).commits[1]!.rejected), ["SUBJECT_NAME_INVALID"]);
  });

  test("the same bundle posted twice counts once", () => {
    const b = verified(agentStatement());
    const r = bindProvenance({ repository, commits, bundles: [b, b] });
    assert.equal(r.commits[1]!.by.length, 1);
    assert.equal(r.bundles.length, 1);
  });

  test("two statements can cover one commit; one statement can cover many", () => {
    const both = verified(agentStatement({ commits: [{ sha: SHA_A }, { sha: SHA_B }] }));
    const again = verified(agentStatement());
    const r = bindProvenance({ repository, commits, bundles: [both, again] });
    assert.deepEqual(r.commits.map((c) => c.by.length), [1, 2]);
  });
});

test("parseRepositoryName", () => {
  assert.deepEqual(parseRepositoryName("git+https://github.com/Acme/App.git@refs/heads/main"), { repository: "acme/app", ref: "refs/heads/main" });
  assert.deepEqual(parseRepositoryName("https://github.com/acme/app"), { repository: "acme/app" });
  assert.deepEqual(parseRepositoryName("acme/app"), { repository: "acme/app" });
  assert.deepEqual(parseRepositoryName("acme/app.js"), { repository: "acme/app.js" });
  for (const bad of ["https://github.com.evil.example/acme/app", "git+https://gitlab.com/acme/app", "acme/app/extra", "", "acme/app@main"]) {
    assert.equal(parseRepositoryName(bad), undefined, bad);
  }
});

test("a prompt included in full that is longer than any GitHub text is refused unscanned (PROMPT_TOO_LARGE)", () => {
  const b = verified(agentStatement({ prompt: { text: "a".repeat(65_537), includeText: true } }));
  const r = bindProvenance({ repository, commits, bundles: [b] });
  assert.equal(r.commits[1]!.covered, false);
  assert.deepEqual(codes(r.commits[1]!.rejected), ["PROMPT_TOO_LARGE"]);
  const fits = bindProvenance({ repository, commits, bundles: [verified(agentStatement({ prompt: { text: "a".repeat(65_536), includeText: true } }))] });
  assert.equal(fits.commits[1]!.covered, true);
});
