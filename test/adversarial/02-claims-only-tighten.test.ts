// Class 2, "signals and unsigned claims may only tighten": whoever is named as having asked for the agent's work,
// in a signed statement or in text anyone can write (PR-body lines, co-author trailers), is kept from approving it;
// and nothing unsigned (a trailer, a sentence, a label, a committer, a co-author) makes agent work human. Each case
// is an agent PR that one approval from the named person, or one such claim, would otherwise get through.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Account, StandInCommit, StandInPull } from "../../src/demo/github/model.js";
import { renderProvenanceBlock } from "../../src/core/provenance-block.js";
import { agentCommitV01 } from "./agent-commit.js";
import { AGENT_TRAILERS } from "../../src/core/signed-commits.js";
import { sha256Hex } from "../../src/core/digest.js";
import { gitsignCommit, rawCommit } from "../support/gitsign-signer.js";
import { agentPull, alice, bob, carol, claude, commit, CONFIG, humanPull, IDENTITY, ISSUER, judge, payloadFor, provenanceBlock, repo, sha, shown, SIGNED_AT, signedBundle, sigstore, type SignOpts } from "./support.js";

const dependabot: Account = { login: "dependabot[bot]", id: 49699333, type: "Bot" };

async function opened(pulls: StandInPull[], number = 1, config = CONFIG): Promise<{ conclusion: string | null; title: string; text: string }> {
  const r = repo(pulls, config);
  const pull = pulls.find((p) => p.number === number)!;
  const judged = await judge([r], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, number) }]);
  assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
  const run = judged.run(pull.head.sha);
  return { conclusion: run.conclusion, title: run.output.title ?? "", text: shown(run) };
}

/** The agent's PR, its one commit covered by a genuine bundle (prompted by alice unless said), approved by bob. */
async function approvedByBob(c: StandInCommit, body: (block: string) => string, sign: Partial<SignOpts> = {}, extra: Partial<StandInPull> = {}): Promise<StandInPull> {
  const block = renderProvenanceBlock(await signedBundle({ commits: [c], ...sign }));
  return agentPull(1, [c], body(block), { reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }], ...extra });
}

/** bob's approval was set aside as the agent's or a prompter's, and the check says so. */
function bobNotCounted(v: { conclusion: string | null; title: string; text: string }): void {
  assert.equal(v.conclusion, "failure");
  assert.match(v.title, /^Blocked: an agent pull request needs 1 human approval/);
  assert.ok(v.text.includes("(has 0; not counted: @bob (agent or prompter))"), "bob's approval is shown as not counted");
}

test("the prompter named in a signed delegation cannot approve the agent's work", async () => {
  // Holds since before the fix; the signed case is the baseline the unsigned ones below must match.
  const c = commit("sd1");
  bobNotCounted(await opened([await approvedByBob(c, (b) => `Fix.\n\n${b}`, { prompter: bob })]));
});

test("an agent-commit v0.1 statement's requestedBy '@bob' keeps bob from approving", async () => {
  const c = commit("rb1");
  bobNotCounted(await opened([await approvedByBob(c, (b) => `Fix.\n\n${b}`, { statement: agentCommitV01({ external: { requestedBy: "@bob" } }) })]));
});

test("an agent-commit v0.1 requestedBy {login: 'BOB'} in other letter case keeps bob from approving", async () => {
  const c = commit("rb2");
  bobNotCounted(await opened([await approvedByBob(c, (b) => `Fix.\n\n${b}`, { statement: agentCommitV01({ external: { requestedBy: { login: "BOB" } } }) })]));
});

test("'Requested by: @bob' in the PR body keeps bob from approving", async () => {
  const c = commit("pb1");
  bobNotCounted(await opened([await approvedByBob(c, (b) => `Fix.\n\nRequested by: @bob\n\n${b}`)]));
});

test("Devin's own line 'Requested by: Bob Builder (@bob)' keeps bob from approving", async () => {
  // The format Devin writes: a display name, then the login in parentheses.
  const c = commit("pb2");
  bobNotCounted(await opened([await approvedByBob(c, (b) => `Fix.\n\nRequested by: Bob Builder (@bob)\nLink to Devin run: https://app.devin.ai/sessions/0123\n\n${b}`)]));
});

test("Devin's line after text whose lower case is longer ('İ' is two characters lower-cased) still keeps bob from approving", async () => {
  // Phrases were found in the lower-cased body and the login read from the original at the same index: 41 × 'İ'
  // before the line shifted it past "(@bob)".
  const c = commit("pb2i");
  const turkish = `Fix the İstanbul locale: ${"İ".repeat(40)}.\n\n`;
  bobNotCounted(await opened([await approvedByBob(c, (b) => `Fix.\n\n${turkish}Requested by: Bob Builder (@bob)\nLink to Devin run: https://app.devin.ai/sessions/0123\n\n${b}`)]));
});

test("'**Started by** @Bob' in markdown in the PR body keeps bob from approving", async () => {
  const c = commit("pb3");
  bobNotCounted(await opened([await approvedByBob(c, (b) => `Fix.\n\nThis task was **started by** @Bob.\n\n${b}`)]));
});

test("a co-author trailer with bob's noreply address keeps bob from approving", async () => {
  const c = commit("ca1", claude, "Fix the parser\n\nCo-authored-by: Robert <5002+bob@users.noreply.github.com>\n");
  bobNotCounted(await opened([await approvedByBob(c, (b) => `Fix.\n\n${b}`)]));
});

test("a co-author trailer whose name is the login 'bob' keeps bob from approving", async () => {
  const c = commit("ca2", claude, "Fix the parser\n\nCo-authored-by: bob <robert@example.com>\n");
  bobNotCounted(await opened([await approvedByBob(c, (b) => `Fix.\n\n${b}`)]));
});

test("a trailer claiming the commit is a human's does not exempt a commit the agent signed", async () => {
  // A commit under alice's account on alice's PR; the only agent signal is the signed statement.
  const c = commit("ex1", alice, "Fix the parser\n\nHuman-Authored: alice\nAI-Assisted: no\nNot-Generated: true\n");
  const pull = humanPull(1, [c], alice, { body: `Fix.\n\n${await provenanceBlock({ commits: [c] })}`, files: [{ filename: ".github/workflows/ci.yml", additions: 2, deletions: 0 }] });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.match(v.title, /an agent pull request needs 1 human approval/);
  assert.ok(v.text.includes("`protected-paths`"));
});

test("a PR body saying 'not an agent' and a label 'human' do not make the agent's PR a human's", async () => {
  const c = commit("ex2", alice);
  const block = await provenanceBlock({ commits: [c] });
  const pull = humanPull(1, [c], alice, { body: `This change was written by a human, not an agent. agent: none\n\n${block}`, labels: ["human", "not-ai", "no-agent"] });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.match(v.title, /an agent pull request needs 1 human approval/);
});

test("dependabot as the committer of the agent's signed commit does not make it dependabot's", async () => {
  const base = commit("ex3", alice);
  const c: StandInCommit = { ...base, committer: { name: "dependabot[bot]", email: "49699333+dependabot[bot]@users.noreply.github.com", account: dependabot } };
  const pull = humanPull(1, [c], alice, { body: `Bump.\n\n${await provenanceBlock({ commits: [c] })}`, head: { ref: "dependabot/npm_and_yarn/lodash-4.17.21", sha: c.sha } });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.match(v.title, /an agent pull request needs 1 human approval/);
});

test("a co-author line naming a bot does not exempt the agent's unsigned second commit", async () => {
  const signed = commit("ex4", alice); // nothing but the signed statement says "agent"
  const second = commit("ex5", alice, "Tidy up\n\nCo-authored-by: dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>\n");
  const pull = agentPull(1, [signed, second], `Fix.\n\n${await provenanceBlock({ commits: [signed] })}`, { user: alice, head: { ref: "alice/fix", sha: second.sha }, reviews: [{ user: bob, state: "APPROVED", commit_id: second.sha }] });
  const v = await opened([pull]);
  assert.equal(v.conclusion, "failure");
  assert.ok(v.text.includes(`commit ${second.sha.slice(0, 7)} (head) by @alice carries no verified provenance`));
});

// Evidence tiers (rules.provenance_coverage.tiers) are chosen per agent: every agent name any signal gives a commit
// counts, and a tier must be accepted for all of them. A claim (an unsigned trailer, a statement by a signer the
// repository does not allow) can add a name, and so only narrow the tiers the commit may be covered by.
const TIERS = `${CONFIG}  provenance_coverage:
    tiers:
      claude-code: [sigstore]
      default: [sigstore, signed-commit]
`;
const UNGOVERNED = TIERS.replace("\n  model_governance:\n", "\n  model_governance:\n    require_model: false\n").concat("  prompt:\n    require_digest: false\n");

/** A commit gitsigned by the allowed agent workflow (tier signed-commit), its message's trailers under the signature. */
async function gitsigned(label: string, author: string, account: typeof claude | undefined, trailers: string): Promise<StandInCommit> {
  const when = new Date(SIGNED_AT.getTime() - 60_000);
  const tree = sha(`tree:${label}`);
  const unsigned = rawCommit({ tree, parents: [sha("base")], author, when, message: `${label}\n\n${trailers}\n` });
  const s = await gitsignCommit(await sigstore(), unsigned, { san: { uri: IDENTITY }, issuer: ISSUER, signedAt: SIGNED_AT, extensions: { sourceRepositoryURI: "https://github.com/acme/agents", sourceRepositoryRef: "refs/heads/main", runnerEnvironment: "github-hosted" } });
  const [, name, email] = /^(.*) <(.*)>$/.exec(author)!;
  return {
    sha: s.sha, tree, parents: [sha("base")], message: unsigned.toString("utf8").split("\n\n").slice(1).join("\n\n"),
    author: { name: name!, email: email!, date: when.toISOString().replace(/\.\d{3}Z$/, "Z"), ...(account ? { account } : {}) },
    verification: { verified: false, reason: "unknown_signature_type", signature: s.pem, payload: unsigned.toString("utf8") },
  };
}

const CLAUDE_TRAILERS = [
  `${AGENT_TRAILERS.agent}: claude-code`,
  `${AGENT_TRAILERS.model}: anthropic/claude-sonnet-4-5`,
  `${AGENT_TRAILERS.modelVersion}: 20250929`,
  `${AGENT_TRAILERS.promptDigest}: sha256:${sha256Hex("Add input validation to the widget parser and cover it with tests.")}`,
].join("\n");

test("a statement by a signer the repository does not allow, naming another agent, does not loosen the commit's tiers", async () => {
  const c = await gitsigned("tr1", "Claude <noreply@anthropic.com>", claude, CLAUDE_TRAILERS);
  const approved = { reviews: [{ user: carol, state: "APPROVED" as const, commit_id: c.sha }] };
  const notAccepted = `commit ${c.sha.slice(0, 7)} (head) by @claude[bot] carries only signed-commit evidence, which is not accepted for claude-code`;
  const alone = await opened([agentPull(1, [c], "Fix.", approved)], 1, TIERS);
  assert.equal(alone.conclusion, "failure");
  assert.ok(alone.text.includes(notAccepted), alone.text);
  // mallory's workflow signs a genuine statement over the same commit, naming another agent
  const other = agent((a) => (a.runtime.name = "not-claude"));
  const block = await provenanceBlock({ commits: [c], identity: "https://github.com/mallory/x/.github/workflows/a.yml@refs/heads/main", predicate: other });
  const v = await opened([agentPull(1, [c], `Fix.\n\n${block}`, approved)], 1, TIERS);
  // Held to the tiers both claude-code and not-claude accept (sigstore): the only evidence of that tier is mallory's.
  assert.equal(v.conclusion, "failure");
  assert.match(v.title, /^Blocked: provenance signed by `https:\/\/github.com\/mallory\/x\//);
  assert.ok(v.text.includes("is not from an allowed signer for acme/widgets"), v.text);
});

test("an unsigned Generated-by trailer naming another agent does not loosen the tiers of the agent that opened the PR", async () => {
  // A commit by a person's address on claude[bot]'s PR: the opener's login names the agent, and the tiers are claude-code's.
  const plain = await gitsigned("tr2", "Dev <dev@example.com>", undefined, "Signed-off-by: Dev <dev@example.com>");
  const approved = (c: StandInCommit) => ({ reviews: [{ user: carol, state: "APPROVED" as const, commit_id: c.sha }] });
  const before = await opened([agentPull(1, [plain], "Fix.", approved(plain))], 1, UNGOVERNED);
  assert.equal(before.conclusion, "failure");
  assert.ok(before.text.includes("carries only signed-commit evidence, which is not accepted for claude-code"), before.text);
  const tagged = await gitsigned("tr3", "Dev <dev@example.com>", undefined, "Generated-by: devin");
  const v = await opened([agentPull(1, [tagged], "Fix.", approved(tagged))], 1, UNGOVERNED);
  assert.equal(v.conclusion, "failure");
  assert.ok(v.text.includes("carries only signed-commit evidence, which is not accepted for all of claude-code, devin (accepted by all: sigstore)"), v.text);
});

/** Sets fields of the signed statement's agent after it was built, as a hostile agent run would. */
function agent(set: (a: { runtime: { name: string } }) => void): SignOpts["predicate"] {
  return (p) => {
    set((p as { buildDefinition: { internalParameters: { agent: { runtime: { name: string } } } } }).buildDefinition.internalParameters.agent);
    return p;
  };
}
