// Class 8 continued: a deployment is judged by the pull-request gate's recorded decisions for the deployed commit.
// One commit can head several pull requests and the PR gate records one decision per pull request (the check run
// shows their combination): the deployment must combine them all, strictly, never take whichever was written last.
// And whoever the PR gate kept from approving (prompters named by login alone too) is kept from approving the
// deployment; without a record to learn them from, no approval of an agent's deployment counts. Each case sends
// pull-request deliveries and then a deployment_protection_rule delivery through the real App, with an audit log.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { DeploymentGate } from "../../src/app/deployment-gate.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { decisionRecorder, openStorage } from "../../src/adapters/storage/index.js";
import type { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { Account, StandInCommit, StandInPull, StandInRepo } from "../../src/demo/github/model.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";
import { agentCommitV01 } from "./agent-commit.js";
import { agentPull, alice, bob, carol, CONFIG, commit, humanPull, INSTALLATION, mallory, payloadFor, provenanceBlock, repo, reviewPayload, sha, sigstore, type Delivery } from "./support.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
const deploymentExample = examples.find((e) => e.name === "deployment")!.examples[0]!;
const RUN_ID = 5150;
// Nothing but the pull-request gate and the approvals stands in the way of a deployment here.
const DEPLOY_CONFIG = `${CONFIG}deployments:\n  default:\n    require_artifacts: false\n    predicate_types: []\n`;

function deployment(r: StandInRepo, target: string, environment = "production", repositoryId = r.id): Record<string, unknown> {
  const repository: Record<string, unknown> = { ...(structuredClone(deploymentExample.repository) as Record<string, unknown>), id: repositoryId, name: r.name, full_name: `${r.owner}/${r.name}`, default_branch: "main" };
  (repository.owner as Record<string, unknown>).login = r.owner;
  return {
    action: "requested",
    environment,
    event: "workflow_dispatch",
    deployment_callback_url: `https://api.github.com/repos/${r.owner}/${r.name}/actions/runs/${RUN_ID}/deployment_protection_rule`,
    deployment: { ...(structuredClone(deploymentExample.deployment) as Record<string, unknown>), id: 9, sha: target, ref: "main", environment, original_environment: environment, payload: {} },
    pull_requests: [],
    repository,
    installation: { id: INSTALLATION, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" },
    sender: structuredClone(deploymentExample.sender),
  };
}

interface Outcome {
  checkRun: string | null;
  state: unknown;
  comment: string;
}

/**
 * Sends the pull-request deliveries, then a deployment of `target` approved by `approvers`. `record: false` runs the
 * App without an audit log: the check run is all the deployment gate can read (as for a merge-queue commit).
 * `rejudge: true` lets the deployment gate judge a pull request now (as the App does); `repositoryId` is the
 * deployment's repository id (another repository under the same name).
 */
async function run(r: StandInRepo, deliveries: readonly Delivery[], o: { head: string; target?: string; approvers?: Account[]; record?: boolean; rejudge?: boolean; repositoryId?: number; beforeDeploy?: (s: GitHubStandIn) => void }): Promise<Outcome> {
  const { trustedRoot } = await sigstore();
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-deploy-records-"));
  const storage = await openStorage({ dataDir: join(dir, "data") });
  try {
    const engine = await PolicyEngine.load(builtinBundle());
    const recorder = o.record === false ? undefined : decisionRecorder(storage.audit, { policy: engine.policy });
    const gh = validatedGitHub([structuredClone(r)]);
    const gate = await composeGate({ trustedRoot, tlogEntryUrl: () => undefined, ...(recorder ? { onDecision: recorder } : {}) });
    const deploymentGate = new DeploymentGate({ verifier: createVerifier({ trustedRoot }), engine, ...(recorder ? { auditLog: storage.audit, onDecision: recorder } : {}), ...(o.rejudge ? { rejudge: (github, at) => gate.rejudge(github, at) } : {}) });
    const app = await startApp(agentGateApp({ gate, deploymentGate }), gh.fetch);
    try {
      for (const d of deliveries) {
        d.before?.(gh.standIn);
        const res = await app.deliver(d.event.split(".")[0]!, d.payload);
        assert.equal(res.status, 200, res.body);
      }
      const repoState = gh.standIn.repo(r.owner, r.name)!;
      repoState.deploymentApprovals = (o.approvers ?? []).map((user) => ({ runId: RUN_ID, environment: "production", user, state: "approved" as const }));
      o.beforeDeploy?.(gh.standIn);
      const res = await app.deliver("deployment_protection_rule", deployment(r, o.target ?? o.head, "production", o.repositoryId));
      assert.equal(res.status, 200, res.body);
    } finally {
      await app.close();
    }
    assert.deepEqual(gh.problems, [], "every request and response matches GitHub's REST description");
    const answer = gh.standIn.deploymentReviews.find((x) => x.body.state !== undefined);
    const checkRun = gh.standIn.checkRuns.find((x) => x.head_sha === o.head && x.name === "agent-gate")?.conclusion ?? null;
    return { checkRun, state: answer?.body.state, comment: String(answer?.body.comment) };
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const opened = (r: StandInRepo, n: number): Delivery => ({ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, n) });
const reopened = (r: StandInRepo, n: number): Delivery => ({ event: "pull_request.reopened", payload: payloadFor("pull_request.reopened", r, n) });
const approved = (r: StandInRepo, n: number, who: Account, head: string): Delivery => ({
  event: "pull_request_review.submitted",
  payload: reviewPayload(r, n, who, head),
  before: (s) => s.pull("acme", "widgets", n)!.reviews.push({ user: who, state: "APPROVED", commit_id: head }),
});

/** A commit that looks human: only the agent's pull request (its provenance, its author) says it is an agent's. */
const plainCommit = (label: string): StandInCommit => commit(label, { name: "Dev", email: "dev@example.com", account: null });

/** The agent's pull request #1 and mallory's fork pull request #2 (read access, a plain change) with the same head. */
async function sharedHead(label: string): Promise<{ r: StandInRepo; c: StandInCommit }> {
  const c = plainCommit(label);
  const agents = agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c] })}`);
  const fork: StandInPull = humanPull(2, [c], mallory, { title: "Fix typo", head: { ref: "patch-1", sha: c.sha, repo: { owner: "mallory", name: "widgets", id: 906666 } } });
  return { r: repo([agents, fork], DEPLOY_CONFIG), c };
}

test("control: the agent PR approved by bob deploys to production with bob's approval", async () => {
  const { r, c } = await sharedHead("d0");
  const out = await run(r, [opened(r, 1), opened(r, 2), approved(r, 1, bob, c.sha)], { head: c.sha, approvers: [bob] });
  assert.equal(out.checkRun, "success");
  assert.equal(out.state, "approved", out.comment);
});

test("a stranger's fork PR with the same head, judged last, does not decide the deployment of a failing agent PR's commit", async () => {
  const { r, c } = await sharedHead("d1");
  const out = await run(r, [opened(r, 1), opened(r, 2), reopened(r, 1)], { head: c.sha });
  assert.equal(out.checkRun, "failure", "the agent PR needs an approval");
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /has not passed the pull-request gate \(conclusion: failure\)/);
});

test("squash-merged: the merged agent PR's record decides with the others; the fork PR's clean record lends it nothing", async () => {
  const { r, c } = await sharedHead("d2");
  const squash = sha("d2-squash");
  const merge = (s: GitHubStandIn): void => {
    s.pull("acme", "widgets", 1)!.merged = { commitSha: squash, at: "2026-11-21T07:00:00Z" };
  };
  const out = await run(r, [opened(r, 1), opened(r, 2), approved(r, 1, bob, c.sha), reopened(r, 1)], { head: c.sha, target: squash, beforeDeploy: merge });
  assert.equal(out.checkRun, "success");
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /needs 1 human approval because the commit is agent-authored \(has 0\)/);
});

test("a prompter named by login alone in the PR body cannot approve the agent's deployment", async () => {
  const c = commit("d3");
  const r = repo([agentPull(1, [c], `Requested by: @ALICE\n\n${await provenanceBlock({ commits: [c], prompter: carol })}`)], DEPLOY_CONFIG);
  const out = await run(r, [opened(r, 1), approved(r, 1, bob, c.sha)], { head: c.sha, approvers: [alice] });
  assert.equal(out.checkRun, "success");
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /needs 1 human approval because the commit is agent-authored \(has 0\)/);
});

test("without a recorded decision (a check run only, as for a merge-queue commit) the prompters are unknown: no approval of the agent's deployment counts", async () => {
  const c = commit("d4");
  const r = repo([agentPull(1, [c], `Requested by: @alice\n\n${await provenanceBlock({ commits: [c], prompter: carol })}`)], DEPLOY_CONFIG);
  const out = await run(r, [opened(r, 1), approved(r, 1, bob, c.sha)], { head: c.sha, approvers: [alice], record: false });
  assert.equal(out.checkRun, "success");
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /the prompters are unknown \(no recorded pull-request decision for this commit says whom it kept from approving\), so no approval counts/);
});

// The human a verified statement names as the one who delegated or requested the agent's work (its `prompter`, its
// `requested_by`) is named nowhere else: the PR gate learns it from the attestations alone, and the deployment from
// the PR gate's recorded decision (its `excluded`), never by re-reading statements a stranger may have signed.
async function signedPrompterDeploys(label: string, sign: { prompter?: Account; statement?: ReturnType<typeof agentCommitV01> }, approver: Account): Promise<void> {
  const c = commit(label);
  const r = repo([agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c], ...sign })}`)], DEPLOY_CONFIG);
  const pr = await run(r, [opened(r, 1), approved(r, 1, approver, c.sha)], { head: c.sha });
  assert.equal(pr.checkRun, "failure", "the PR gate does not count the signed prompter's approval of the PR");
  const out = await run(r, [opened(r, 1), approved(r, 1, bob, c.sha)], { head: c.sha, approvers: [approver] });
  assert.equal(out.checkRun, "success");
  assert.equal(out.state, "rejected", `the signed prompter's own approval let the agent's deployment through: ${out.comment}`);
  assert.match(out.comment, /needs 1 human approval because the commit is agent-authored \(has 0\)/);
}

test("the prompter a verified statement names (delegation principal) cannot approve the agent's deployment", async () => {
  await signedPrompterDeploys("d5", { prompter: carol }, carol);
});

test("the requester a verified agent-commit statement names by login alone, in other letter case, cannot approve the agent's deployment", async () => {
  await signedPrompterDeploys("d6", { statement: agentCommitV01({ external: { requestedBy: { login: "CAROL" } } }) }, carol);
});

test("a signed prompter named by account id under an old login cannot approve the agent's deployment under the new one", async () => {
  await signedPrompterDeploys("d7", { prompter: { ...carol, login: "carol-before-rename" } }, carol);
});

// A stranger's fork pull request whose head is exactly the squash commit S of an agent's pull request (against a base
// without S) is judged as a human's change and recorded. The deployment of S must still be decided by the pull
// request GitHub says was merged as S, the agent's: records on S of other pull requests only tighten its decision.

/** Agent PR #1 (head c) squash-merged as S, which looks human; mallory's fork PR #3 has head S against an old base. */
async function squashedWithForkOnIt(label: string): Promise<{ r: StandInRepo; c: StandInCommit; s: StandInCommit }> {
  const c = plainCommit(label);
  const s = plainCommit(`${label}-squash`);
  const agents = agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c] })}`);
  const fork: StandInPull = humanPull(3, [s], mallory, { title: "Fix typo", head: { ref: "patch-1", sha: s.sha, repo: { owner: "mallory", name: "widgets", id: 906666 } }, base: { ref: "release-1", sha: sha(`${label}-old-base`) } });
  return { r: repo([agents, fork], DEPLOY_CONFIG), c, s };
}
const mergedAs = (squash: string) => (st: GitHubStandIn): void => {
  st.pull("acme", "widgets", 1)!.merged = { commitSha: squash, at: "2026-11-21T07:00:00Z" };
};

test("control: the squash commit of an approved agent PR needs the production approval an agent's change needs", async () => {
  const { r, c, s } = await squashedWithForkOnIt("m0");
  const out = await run(r, [opened(r, 1), approved(r, 1, bob, c.sha)], { head: c.sha, target: s.sha, beforeDeploy: mergedAs(s.sha) });
  assert.equal(out.checkRun, "success");
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /needs 1 human approval because the commit is agent-authored \(has 0\)/);
});

test("control: the squash commit of an agent PR merged while failing its gate is rejected", async () => {
  const { r, c, s } = await squashedWithForkOnIt("m1");
  const out = await run(r, [opened(r, 1)], { head: c.sha, target: s.sha, beforeDeploy: mergedAs(s.sha) });
  assert.equal(out.checkRun, "failure");
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /has not passed the pull-request gate \(conclusion: failure\)/);
});

test("a stranger's fork PR whose head is the squash commit does not turn the failing agent PR's deployment into a success", async () => {
  const { r, s } = await squashedWithForkOnIt("m2");
  const out = await run(r, [opened(r, 1), { ...opened(r, 3), before: mergedAs(s.sha) }], { head: s.sha, target: s.sha });
  assert.equal(out.checkRun, "success", "the fork PR on S is judged human and passes");
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /has not passed the pull-request gate \(conclusion: failure\)/);
});

test("a stranger's fork PR whose head is the squash commit does not drop the agent authorship of an approved agent PR", async () => {
  const { r, c, s } = await squashedWithForkOnIt("m3");
  const out = await run(r, [opened(r, 1), approved(r, 1, bob, c.sha), { ...opened(r, 3), before: mergedAs(s.sha) }], { head: s.sha, target: s.sha });
  assert.equal(out.checkRun, "success");
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /needs 1 human approval because the commit is agent-authored \(has 0\)/);
});

// GitHub says pull request #n was merged as the deployed commit, but the audit log holds no decision of #n itself:
// its delivery was worked only after the merge (a closed pull request is not judged), while #1, sharing #n's head,
// was judged and passed. The check run on that head shows #1's verdict, over other commits: it must not decide for #n.

/**
 * Commit A is the agent's (claude[bot] authors it, no provenance); alice's B is on top: head H = B. #1 alice/x ->
 * claude/x (its base holds A) judges B alone, a human change: it passes. #2 alice/x -> main, the same head, holds A
 * and B (`humanOnly`: B alone, a human change). #2 does not exist when #1 is judged.
 */
function laterPullOnSharedHead(label: string, o: { humanOnly?: boolean } = {}) {
  const a = commit(`${label}-agent`);
  const b = commit(`${label}-human`, "human-alice");
  const p1 = humanPull(1, [b], alice, { head: { ref: "alice/x", sha: b.sha }, base: { ref: "claude/x", sha: a.sha } });
  const p2 = humanPull(2, o.humanOnly ? [b] : [a, b], alice, { title: "Ship x", head: { ref: "alice/x", sha: b.sha } });
  const early = repo([p1], DEPLOY_CONFIG);
  const merge = sha(`${label}-merge`);
  const open2 = (s: GitHubStandIn): void => {
    s.repo("acme", "widgets")!.pulls.push(structuredClone(p2));
  };
  const merge2 = (s: GitHubStandIn): void => {
    s.pull("acme", "widgets", 2)!.merged = { commitSha: merge, at: "2026-11-21T07:00:00Z" };
  };
  // #2 is opened and merged at once; its opened delivery is worked after the merge: it is never judged.
  const unjudged: Delivery = { event: "pull_request.opened", payload: payloadFor("pull_request.opened", repo([p1, p2], DEPLOY_CONFIG), 2), before: (s) => (open2(s), merge2(s)) };
  const judged: Delivery = { event: "pull_request.opened", payload: payloadFor("pull_request.opened", repo([p1, p2], DEPLOY_CONFIG), 2), before: open2 };
  return { early, b, merge, merge2, unjudged, judged };
}

test("control: the merged PR judged while open (failure) rejects the deployment of its merge commit", async () => {
  const { early, b, merge, merge2, judged } = laterPullOnSharedHead("u0");
  const out = await run(early, [opened(early, 1), judged], { head: b.sha, target: merge, beforeDeploy: merge2 });
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /has not passed the pull-request gate \(conclusion: failure\)/);
});

test("a merged PR never judged is not approved on another PR's verdict on its head (the check run): rejected saying so", async () => {
  const { early, b, merge, unjudged } = laterPullOnSharedHead("u1");
  const out = await run(early, [opened(early, 1), unjudged], { head: b.sha, target: merge });
  assert.equal(out.checkRun, "success", "the head's check run shows #1's verdict");
  assert.equal(out.state, "rejected", `approved on #1's verdict although merged #2 was never judged: ${out.comment}`);
  assert.match(out.comment, /conclusion: none/);
  assert.match(out.comment, /pull request \S*2, merged as [0-9a-f]{12}, was never judged by agent-gate/);
});

test("with rejudge, a merged PR never judged is judged now at its head: its own failure rejects the deployment", async () => {
  const { early, b, merge, unjudged } = laterPullOnSharedHead("u2");
  const out = await run(early, [opened(early, 1), unjudged], { head: b.sha, target: merge, rejudge: true });
  assert.equal(out.checkRun, "success");
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /has not passed the pull-request gate \(conclusion: failure\)/);
});

test("control: with rejudge, a merged human PR never judged is judged now and its success deploys", async () => {
  const { early, b, merge, unjudged } = laterPullOnSharedHead("u3", { humanOnly: true });
  const out = await run(early, [opened(early, 1), unjudged], { head: b.sha, target: merge, rejudge: true });
  assert.equal(out.state, "approved", out.comment);
});

// Records are found by owner/name and head commit. A repository deleted and created again under the same name (or
// renamed away and the name taken) is another repository: the old one's decisions say nothing about the new one's.
const OTHER_REPOSITORY_ID = 7_777_001;
const recreated = (st: GitHubStandIn): void => {
  const r = st.repo("acme", "widgets")!;
  r.pulls = [];
  r.id = OTHER_REPOSITORY_ID;
};

test("control: a human PR's recorded success deploys its head", async () => {
  const c = commit("r0", "human-alice");
  const r = repo([humanPull(1, [c])], DEPLOY_CONFIG);
  const out = await run(r, [opened(r, 1)], { head: c.sha });
  assert.equal(out.state, "approved", out.comment);
});

test("the records of another repository once under the same name do not decide a deployment", async () => {
  const c = commit("r1", "human-alice");
  const r = repo([humanPull(1, [c])], DEPLOY_CONFIG);
  const out = await run(r, [opened(r, 1)], { head: c.sha, repositoryId: OTHER_REPOSITORY_ID, beforeDeploy: recreated });
  assert.equal(out.state, "rejected", `the old repository's record approved the new one's deployment: ${out.comment}`);
  assert.match(out.comment, /conclusion: none/);
});
