// Makes the recorded scenarios of the PR gate (fixtures/scenarios/): GitHub state for the stand-in, real webhook
// payloads (from @octokit/webhooks-examples, adapted to the scenario), and provenance bundles signed against a
// trusted root of our own. Run: node --import tsx scripts/make-scenarios.ts
// Bundles are verified at their signed time (transparency-log time), so the committed fixtures stay valid.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { buildAgentStatement } from "../src/core/provenance.js";
import { renderProvenanceBlock } from "../src/core/provenance-block.js";
import { GitHubStandIn } from "../src/demo/github/stand-in.js";
import type { Account, StandInCommit, StandInRepo, StandInPull } from "../src/demo/github/model.js";
import type { Scenario, ScenarioStep } from "../src/demo/scenario.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../test/support/sigstore/index.js";
import { recipeScenarios } from "./recipe-scenarios.js";
import { signedCommitScenarios } from "./signed-commit-scenarios.js";
import { requiredChecksScenarios } from "./required-checks-scenarios.js";
import { configChangeScenarios } from "./config-change-scenarios.js";
import { revocationScenarios } from "./revocation-scenarios.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
const example = (name: string, action: string): Record<string, unknown> => {
  const found = examples.find((e) => e.name === name)?.examples.find((x) => x.action === action);
  if (!found) throw new Error(`no ${name}.${action} example`);
  return structuredClone(found);
};

const OUT = new URL("../fixtures/scenarios/", import.meta.url);
const SIGNED_AT = new Date("2026-11-20T10:00:00Z");
const sha = (label: string): string => createHash("sha1").update(label).digest("hex");

const claude: Account = { login: "claude[bot]", id: 209825114, type: "Bot" };
const alice: Account = { login: "alice", id: 5001, type: "User" };
const bob: Account = { login: "bob", id: 5002, type: "User" };
const carol: Account = { login: "carol", id: 5003, type: "User" };
const OWNER = "acme";
const REPO = "widgets";
const REPO_ID = 424242;
const INSTALLATION = 77;

const CONFIG = `# acme/widgets default branch: what the gate enforces
version: 1
rules:
  signers:
    allowed:
      - identity: ${DEFAULT_IDENTITY}
        issuer: ${DEFAULT_ISSUER}
  model_governance:
    allowed:
      - model: anthropic/claude-sonnet-4-5
        version: "20250929"
        expires: 2027-12-31
  human_approval:
    count: 1
`;

const sigstore = await createTestSigstore({ now: SIGNED_AT, name: "agent-gate-demo" });

function commit(label: string, author: Account | "human-alice", message = `${label}\n`): StandInCommit {
  const who = author === "human-alice" ? { name: "Alice", email: "alice@acme.example", account: alice } : { name: "Claude", email: "noreply@anthropic.com", account: claude };
  return { sha: sha(label), tree: sha(`tree:${label}`), message, author: { ...who, date: "2026-11-20T09:58:00Z" } };
}

interface SignOpts {
  commits: StandInCommit[];
  repository?: string;
  identity?: string;
  model?: { id: string; version: string };
  prompter?: Account;
  extensions?: Record<string, string>; // Fulcio extensions over the defaults (e.g. runnerEnvironment)
}

async function provenanceBlock(o: SignOpts): Promise<string> {
  const repository = o.repository ?? `${OWNER}/${REPO}`;
  const statement = buildAgentStatement({
    repository,
    commits: o.commits.map((c) => ({ sha: c.sha, tree: c.tree, ref: "refs/heads/claude/feature" })),
    runtime: { name: "claude-code", version: "2.1.0" },
    model: { id: o.model?.id ?? "anthropic/claude-sonnet-4-5", version: o.model?.version ?? "20250929" },
    prompt: { text: "Add input validation to the widget parser and cover it with tests." },
    target: { repository: `https://github.com/${repository}`, baseRef: "refs/heads/main", baseCommit: sha("base") },
    delegation: { principal: { login: (o.prompter ?? alice).login, id: (o.prompter ?? alice).id }, trigger: { event: "issue_comment", at: "2026-11-20T09:40:00Z" } },
    builderId: DEFAULT_IDENTITY,
    invocation: { invocationId: "https://github.com/acme/agents/actions/runs/123456789/attempts/1", startedOn: "2026-11-20T09:41:00Z", finishedOn: "2026-11-20T09:59:00Z" },
  });
  const identity = o.identity ?? DEFAULT_IDENTITY;
  const signed = await sigstore.sign({
    payload: { kind: "dsse", statement: { subjects: statement.subject.map((s) => ({ name: s.name, digest: { ...s.digest } })), predicateType: statement.predicateType, predicate: statement.predicate } },
    signWith: { kind: "keyless", san: { uri: identity }, issuer: DEFAULT_ISSUER, extensions: { sourceRepositoryURI: "https://github.com/acme/agents", sourceRepositoryRef: "refs/heads/main", buildSignerURI: identity, githubWorkflowRef: "refs/heads/main", ...o.extensions } },
    rekor: "v1",
    signedAt: SIGNED_AT,
  });
  return renderProvenanceBlock(JSON.stringify(signed.bundle));
}

// The maintainers: their approvals count (maintain is write to GitHub's legacy levels); everyone else only reads.
const COLLABORATORS: StandInRepo["collaborators"] = { alice: "maintain", bob: "write", carol: "write" };

function repo(pulls: StandInPull[], config = CONFIG): StandInRepo {
  return { owner: OWNER, name: REPO, id: REPO_ID, defaultBranch: "main", collaborators: COLLABORATORS, files: { ".github/agent-gate.yml": config }, pulls };
}

function agentPull(number: number, commits: StandInCommit[], body: string, extra: Partial<StandInPull> = {}): StandInPull {
  return {
    number, title: "Validate widget input", body, user: claude,
    head: { ref: "claude/feature", sha: commits.at(-1)!.sha }, base: { ref: "main", sha: sha("base") },
    commits, files: [{ filename: "src/parser.ts", additions: 40, deletions: 3 }, { filename: "test/parser.test.ts", additions: 60, deletions: 0 }],
    reviews: [], comments: [], ...extra,
  };
}

function payloadFor(event: string, r: StandInRepo, pullNumber: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const [name, action] = event.split(".") as [string, string];
  const p = example(name, action);
  const standIn = new GitHubStandIn([r]);
  const repository = { ...(p.repository as Record<string, unknown>), id: r.id, name: r.name, full_name: `${r.owner}/${r.name}`, default_branch: r.defaultBranch, owner: { ...((p.repository as { owner: Record<string, unknown> }).owner), login: r.owner } };
  const pull = standIn.pullPayload(r.owner, r.name, pullNumber);
  return { ...p, ...(name === "pull_request" || name === "pull_request_review" ? { pull_request: { ...(p.pull_request as object), ...pull } } : {}), repository, installation: { id: INSTALLATION, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" }, ...extra };
}

function reviewPayload(r: StandInRepo, pullNumber: number, user: Account, commitId: string): Record<string, unknown> {
  const p = payloadFor("pull_request_review.submitted", r, pullNumber);
  const review = { ...(p.review as Record<string, unknown>), user: { ...((p.review as { user: Record<string, unknown> }).user), login: user.login, id: user.id, type: "User" }, state: "approved", commit_id: commitId };
  return { ...p, review, sender: review.user };
}

let delivery = 0;
const step = (event: string, payload: Record<string, unknown>, expect: ScenarioStep["expect"], mutate?: ScenarioStep["mutate"]): ScenarioStep => ({
  event, deliveryId: `00000000-0000-4000-8000-${String(++delivery).padStart(12, "0")}`, payload, expect, ...(mutate ? { mutate } : {}),
});

const scenarios: Scenario[] = [];

{ // 1. signed agent PR passes
  const commits = [commit("s1-a", claude), commit("s1-b", claude)];
  const r = repo([agentPull(1, commits, `Adds validation.\n\n${await provenanceBlock({ commits })}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: commits[1]!.sha }] })]);
  scenarios.push({ name: "signed-agent-pr", title: "A signed agent PR with a human approval passes", description: "claude[bot] opens a PR whose two commits are covered by provenance signed by the trusted agent workflow; bob approves the head.", repos: [r],
    steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, 1), { headSha: commits[1]!.sha, conclusion: "success", summaryIncludes: ["anthropic/claude-sonnet-4-5", "verified"] })] });
}
{ // 2. unsigned agent PR fails
  const commits = [commit("s2-a", claude)];
  const r = repo([agentPull(2, commits, "Adds validation (no provenance).", { reviews: [{ user: bob, state: "APPROVED", commit_id: commits[0]!.sha }] })]);
  scenarios.push({ name: "unsigned-agent-pr", title: "An agent PR without provenance fails", description: "Same agent, no provenance block: the agent's commit is not covered.", repos: [r],
    steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, 2), { headSha: commits[0]!.sha, conclusion: "failure", summaryIncludes: ["provenance"] })] });
}
{ // 3. provenance replayed from another commit
  const other = [commit("s3-elsewhere", claude)];
  const commits = [commit("s3-a", claude)];
  const r = repo([agentPull(3, commits, `Adds validation.\n\n${await provenanceBlock({ commits: other })}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: commits[0]!.sha }] })]);
  scenarios.push({ name: "replayed-provenance", title: "Provenance replayed from another commit fails", description: "The block is genuinely signed, but its subjects name a commit that is not in this PR.", repos: [r],
    steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, 3), { headSha: commits[0]!.sha, conclusion: "failure" })] });
}
{ // 4. signed by an untrusted workflow
  const commits = [commit("s4-a", claude)];
  const evil = "https://github.com/acme/agents/.github/workflows/untrusted.yml@refs/heads/main";
  const r = repo([agentPull(4, commits, `Adds validation.\n\n${await provenanceBlock({ commits, identity: evil })}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: commits[0]!.sha }] })]);
  scenarios.push({ name: "untrusted-workflow", title: "Provenance signed by an untrusted workflow fails", description: "Valid signature and log entry, but the signer identity is another workflow than the one the repository trusts.", repos: [r],
    steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, 4), { headSha: commits[0]!.sha, conclusion: "failure", summaryIncludes: ["is not from an allowed signer"] })] });
}
{ // 5. human PR passes
  const commits = [commit("s5-a", "human-alice")];
  const r = repo([{ ...agentPull(5, commits, "Fix typo in README."), user: alice, head: { ref: "fix-typo", sha: commits[0]!.sha }, files: [{ filename: "README.md", additions: 1, deletions: 1 }] }]);
  scenarios.push({ name: "human-pr", title: "A human PR passes without agent rules", description: "alice fixes a typo; no agent signal, so provenance and approval rules do not apply.", repos: [r],
    steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, 5), { headSha: commits[0]!.sha, conclusion: "success" })] });
}
{ // 6. agent changes a workflow: fails, then passes after a qualifying approval
  const commits = [commit("s6-a", claude)];
  const head = commits[0]!.sha;
  const r = repo([agentPull(6, commits, `Speeds up CI.\n\n${await provenanceBlock({ commits })}`, { files: [{ filename: ".github/workflows/ci.yml", additions: 5, deletions: 2 }] })]);
  scenarios.push({ name: "workflow-change-approval", title: "An agent changing .github/workflows needs a human approval", description: "Fails without approval; bob (not the prompter) approves the head commit and the re-evaluation passes.", repos: [r],
    steps: [
      step("pull_request.opened", payloadFor("pull_request.opened", r, 6), { headSha: head, conclusion: "failure", summaryIncludes: [".github/workflows/ci.yml"] }),
      step("pull_request_review.submitted", reviewPayload(r, 6, bob, head), { headSha: head, conclusion: "success" }, { pull: 6, addReviews: [{ user: bob, state: "APPROVED", commit_id: head }] }),
    ] });
}
{ // 7. the prompter approving their own agent's PR does not count
  const commits = [commit("s7-a", claude)];
  const head = commits[0]!.sha;
  const r = repo([agentPull(7, commits, `Adds validation.\n\n${await provenanceBlock({ commits, prompter: alice })}`)]);
  scenarios.push({ name: "prompter-self-approval", title: "The prompter's own approval does not count", description: "alice asked the agent for this change (signed delegation); her approval is set aside, so the PR still lacks a human approval.", repos: [r],
    steps: [step("pull_request_review.submitted", reviewPayload(r, 7, alice, head), { headSha: head, conclusion: "failure", summaryIncludes: ["approval"] }, { pull: 7, addReviews: [{ user: alice, state: "APPROVED", commit_id: head }] })] });
}
{ // 8. a PR editing .github/agent-gate.yml is judged by the default branch's config
  const commits = [commit("s8-a", claude, "Relax agent-gate\n")];
  const r = repo([agentPull(8, commits, `Relaxes the gate.\n\n${await provenanceBlock({ commits })}`, { files: [{ filename: ".github/agent-gate.yml", additions: 3, deletions: 10 }] })]);
  scenarios.push({ name: "config-edit", title: "A PR editing the gate's config is judged by the default branch's config", description: "The PR's own version of .github/agent-gate.yml would switch every rule off; the gate reads the default branch, and the config file is a protected path.", repos: [r],
    steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, 8), { headSha: commits[0]!.sha, conclusion: "failure", summaryIncludes: [".github/agent-gate.yml"] })] });
}
{ // 9. a fork PR (check_suite from a fork carries no pull request)
  const commits = [commit("s9-a", "human-alice")];
  const pull: StandInPull = { ...agentPull(9, commits, "Docs from a fork."), user: carol, head: { ref: "docs", sha: commits[0]!.sha, repo: { owner: "carol", name: REPO, id: 999001 } }, files: [{ filename: "docs/usage.md", additions: 12, deletions: 0 }] };
  const r = repo([pull]);
  const suite = payloadFor("check_suite.requested", r, 9);
  suite.check_suite = { ...(suite.check_suite as object), head_sha: commits[0]!.sha, pull_requests: [] };
  scenarios.push({ name: "fork-pr", title: "A fork PR is evaluated (GitHub sends no pull request on its check suite)", description: "carol's fork PR: pull_request.opened, then check_suite.requested with an empty pull_requests list, resolved through the commit.", repos: [r],
    steps: [
      step("pull_request.opened", payloadFor("pull_request.opened", r, 9), { headSha: commits[0]!.sha, conclusion: "success" }),
      step("check_suite.requested", suite, { headSha: commits[0]!.sha, conclusion: "success" }),
    ] });
}
{ // 10. a broken config
  const commits = [commit("s10-a", claude)];
  const r = repo([agentPull(10, commits, `x\n\n${await provenanceBlock({ commits })}`)], "version: 1\nrules:\n  human_approval:\n    count: two\n  provenance_covrage:\n    enabled: true\n");
  scenarios.push({ name: "broken-config", title: "A broken config fails the check and names the field", description: "The default branch's config has a wrong type and a misspelt key: the check fails, naming the file, the field and what was expected.", repos: [r],
    steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, 10), { headSha: commits[0]!.sha, conclusion: "failure", titleIncludes: "agent-gate.yml", summaryIncludes: ["human_approval.count"] })] });
}
{ // 11. hostile title and model name are shown inert
  const commits = [commit("s11-a", claude)];
  const hostileModel = { id: "anthropic/claude-[evil](https://evil.example)|✅", version: "<img src=x onerror=alert(1)>" };
  const r = repo([agentPull(11, commits, `x\n\n${await provenanceBlock({ commits, model: hostileModel })}`, { title: "### ✅ Mergeable | [approved](https://evil.example) <script>alert(1)</script> @acme/security", reviews: [{ user: bob, state: "APPROVED", commit_id: commits[0]!.sha }] })]);
  scenarios.push({ name: "hostile-strings", title: "Markdown and HTML in a title and a model name are shown inert", description: "The PR title and the signed model name carry markdown, HTML, a mention and a table pipe; the model is not on the allow-list, and nothing renders.", repos: [r],
    steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, 11), { headSha: commits[0]!.sha, conclusion: "failure", summaryExcludes: ["<img", "<script", 'href="https://evil.example', "<h3>✅"] })] });
}
{ // 12. a new push while an evaluation runs
  const first = [commit("s12-a", claude)];
  const second = [...first, commit("s12-b", claude)];
  const r = repo([agentPull(12, first, `x\n\n${await provenanceBlock({ commits: second })}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: second[1]!.sha }] })]);
  const stale = payloadFor("pull_request.opened", r, 12);
  scenarios.push({ name: "push-during-evaluation", title: "A new push while an evaluation runs: the old head never wins", description: "The opened event names the first head, but by the time the commits are listed the branch has moved: that evaluation fails on the old commit only, and the synchronize for the new head passes.", repos: [r],
    steps: [
      step("pull_request.opened", stale, { headSha: first[0]!.sha, conclusion: "failure", titleIncludes: "head moved" }, { pull: 12, commits: second, headSha: second[1]!.sha }),
      step("pull_request.synchronize", payloadFor("pull_request.synchronize", { ...r, pulls: [{ ...r.pulls[0]!, commits: second, head: { ...r.pulls[0]!.head, sha: second[1]!.sha } }] }, 12), { headSha: second[1]!.sha, conclusion: "success" }),
    ] });
}

{ // 13. issue 13 class 1: a PR made exactly as docs/examples/agent-workflow.yml makes it is an agent's PR
  const actions: Account = { login: "github-actions[bot]", id: 41898282, type: "Bot" };
  const agentAuthor = { name: "agent[bot]", email: "agent@users.noreply.github.com", account: null };
  const commits: StandInCommit[] = [{ sha: sha("s13-a"), tree: sha("tree:s13-a"), message: "Speed up CI\n", author: { ...agentAuthor, date: "2026-11-20T09:58:00Z" } }];
  const head = commits[0]!.sha;
  const r = repo([{ ...agentPull(13, commits, `Closes #7\n\n${await provenanceBlock({ commits })}`), title: "Agent: issue #7", user: actions, head: { ref: "agent/issue-7", sha: head }, files: [{ filename: ".github/workflows/ci.yml", additions: 5, deletions: 2 }] }]);
  scenarios.push({ name: "example-workflow-pr", title: "A PR made by our own example agent workflow is an agent's PR", description: "github-actions[bot] opens it from agent/issue-7, the commit is by agent[bot], and verified provenance covers it: verified provenance is an agent signal, so the workflow change needs a human approval; bob's approval then passes it.", repos: [r],
    steps: [
      step("pull_request.opened", payloadFor("pull_request.opened", r, 13), { headSha: head, conclusion: "failure", summaryIncludes: [".github/workflows/ci.yml", "verified agent provenance"] }),
      step("pull_request_review.submitted", reviewPayload(r, 13, bob, head), { headSha: head, conclusion: "success" }, { pull: 13, addReviews: [{ user: bob, state: "APPROVED", commit_id: head }] }),
    ] });
}
{ // 14. issue 13 class 3: one commit, many PRs: a stranger's fork PR with the agent PR's head cannot turn it green
  const mallory: Account = { login: "mallory", id: 6666, type: "User" };
  const commits = [commit("s14-a", claude)];
  const head = commits[0]!.sha;
  const agentPr = agentPull(14, commits, "Adds validation (the agent's own PR carries no provenance).");
  const forkPr: StandInPull = { ...agentPull(15, commits, `Same commit, from my fork.\n\n${await provenanceBlock({ commits })}`), user: mallory, head: { ref: "claude/feature", sha: head, repo: { owner: "mallory", name: REPO, id: 999666 } }, reviews: [{ user: bob, state: "APPROVED", commit_id: head }] };
  const r = repo([agentPr, forkPr]);
  scenarios.push({ name: "shared-head-fork", title: "A stranger's fork PR with the same head cannot turn a failing agent PR green", description: "The agent's PR #14 has no provenance; mallory opens fork PR #15 with the same head commit, genuine provenance copied into its body and an approval: alone it would pass. One check run shows on both, and only the PR with standing counts.", repos: [r],
    steps: [
      step("pull_request.opened", payloadFor("pull_request.opened", r, 14), { headSha: head, conclusion: "failure", summaryIncludes: ["provenance"] }),
      step("pull_request.opened", payloadFor("pull_request.opened", r, 15), { headSha: head, conclusion: "failure", summaryIncludes: ["This commit is the head of 2 open pull requests", "a fork of someone without write access"] }),
    ] });
}
{ // 15. issue 13 class 4: a stranger's noise cannot push the agent's evidence out of view
  const mallory: Account = { login: "mallory", id: 6666, type: "User" };
  const commits = [commit("s15-a", claude)];
  const head = commits[0]!.sha;
  // GitHub caps a comment at 65,536 characters: 101 comments of two small bogus blocks each already pass the 200
  // blocks a pull request's budget holds.
  const bogus = (i: number): string => `<!-- agent-gate:provenance v1\n${Buffer.from(JSON.stringify({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", junk: i })).toString("base64")}\n-->`;
  const comments = [
    ...Array.from({ length: 101 }, (_, i) => ({ id: 900 + i, user: mallory, body: `noise ${i}\n${bogus(2 * i)}\n${bogus(2 * i + 1)}` })),
    { id: 1990, user: claude, body: `Provenance for this push.\n\n${await provenanceBlock({ commits })}` },
  ];
  const r = repo([agentPull(16, commits, "Adds validation.", { comments, reviews: [{ user: bob, state: "APPROVED", commit_id: head }] })]);
  scenarios.push({ name: "noise-before-evidence", title: "A stranger's noise cannot push the agent's own evidence out of view", description: "mallory posts 101 comments with 202 bogus provenance blocks, more than a pull request's budget of 200, before the agent's comment with the genuine bundle: strangers' blocks have their own budget and are verified after the agent's, so the PR still passes.", repos: [r],
    steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, 16), { headSha: head, conclusion: "success", summaryIncludes: ["verified"] })] });
}

// ---- producer recipes (issue 17 item 5, docs/recipes.md): one scenario per docs/examples/ workflow, in scripts/recipe-scenarios.ts
scenarios.push(...(await recipeScenarios({ sigstore, signedAt: SIGNED_AT, issuer: DEFAULT_ISSUER, sha, repo, payloadFor, step, prompter: alice, approver: bob })));
// ---- end of producer recipes

// ---- signed commits as evidence (issue 17 items 1-2, docs/signed-commits.md), in scripts/signed-commit-scenarios.ts
scenarios.push(...(await signedCommitScenarios({ sigstore, signedAt: SIGNED_AT, identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER, sha, config: CONFIG, repo, payloadFor, reviewPayload, step, prompter: alice, approver: bob })));
// ---- end of signed commits

// ---- signers matched like `gh attestation verify` (issue 17 item 3, docs/policy.md#signers)
{
  const config = CONFIG.replace(/ {6}- identity: .*\n {8}issuer: .*\n/, "      - owner: acme\n        workflow: .github/workflows/agent.yml\n        runner: github-hosted\n");
  for (const [n, runner, conclusion, includes] of [
    [23, "github-hosted", "success", "verified"],
    [24, "self-hosted", "failure", "is not from an allowed signer"],
  ] as const) {
    const commits = [commit(`s${n}-a`, claude)];
    const head = commits[0]!.sha;
    const r = repo([agentPull(n, commits, `Adds validation.\n\n${await provenanceBlock({ commits, extensions: { runnerEnvironment: runner } })}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: head }] })], config);
    scenarios.push({
      name: runner === "github-hosted" ? "signer-owner-workflow" : "signer-self-hosted-refused",
      title: runner === "github-hosted" ? "A signer matched by owner and workflow on a GitHub-hosted runner passes" : "The same workflow on a self-hosted runner is refused",
      description: `The config trusts {owner: acme, workflow: .github/workflows/agent.yml, runner: github-hosted}, not an exact identity; the certificate's runner environment extension says ${runner}.`,
      repos: [r],
      steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, n), { headSha: head, conclusion, summaryIncludes: [includes] })],
    });
  }
}
// ---- end of signer matching

// ---- rule modes (issue 18 item 1, docs/policy.md#rule-modes)
{
  // The size rule in warn mode: the PR is over its limit, the check still passes and says what would block.
  const config = `${CONFIG}  size:\n    mode: warn\n    max_lines: 50\n`;
  const commits = [commit("s25-a", claude)];
  const head = commits[0]!.sha;
  const r = repo([agentPull(25, commits, `Adds validation.\n\n${await provenanceBlock({ commits })}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: head }] })], config);
  scenarios.push({
    name: "size-rule-in-warn-mode",
    title: "A rule in warn mode reports what it would block without failing the check",
    description: "The config sets rules.size to mode: warn with max_lines: 50; the agent changed 103 lines. The check passes, and its summary lists the size finding under 'Would block under enforce'.",
    repos: [r],
    steps: [step("pull_request.opened", payloadFor("pull_request.opened", r, 25), { headSha: head, conclusion: "success", summaryIncludes: ["Would block under enforce", "warn-mode rules would block under enforce", "103"] })],
  });
}
// ---- end of rule modes

// ---- required checks (issue 18 item 4, docs/policy.md#required-checks), in scripts/required-checks-scenarios.ts
scenarios.push(...requiredChecksScenarios({ signedAt: SIGNED_AT, sha, config: CONFIG, repo, payloadFor, step, prompter: alice, approver: bob }));
// ---- end of required checks

// ---- config changes checked where they are made (issue 18 item 2, docs/config.md#config-changes), in scripts/config-change-scenarios.ts
scenarios.push(...configChangeScenarios({ signedAt: SIGNED_AT, sha, config: CONFIG, payloadFor, step, prompter: alice, approver: bob }));
// ---- end of config changes

// ---- the organisation's revocation list (issue 18 item 3, docs/revocation.md), in scripts/revocation-scenarios.ts
scenarios.push(...(await revocationScenarios({ sha, config: CONFIG, agent: claude, approver: bob, commit: (label, author) => commit(label, author), provenanceBlock: (o) => provenanceBlock(o), payloadFor, step })));
// ---- end of revocation

mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) if (f.endsWith(".json")) rmSync(new URL(f, OUT));
writeFileSync(new URL("trusted_root.json", OUT), JSON.stringify(sigstore.trustedRoot, null, 2) + "\n");
scenarios.forEach((s, i) => writeFileSync(new URL(`${String(i + 1).padStart(2, "0")}-${s.name}.json`, OUT), JSON.stringify(s, null, 1) + "\n"));
console.log(`wrote ${scenarios.length} scenarios to fixtures/scenarios/`);
