// The deployment gate never approves on a pull-request verdict made under another config than the current one. The
// PR was judged (and recorded) when one approval sufficed; the config then requires two. Deploying its head: without a
// way to judge it again the deployment is rejected saying so (PR_GATE_CONFIG_STALE); with the PR gate's rejudge it is
// judged again under the current config (recorded), and rejected because it fails now. A config whose text changed
// without changing the verdict is judged again and approved; an unchanged config approves on the record, as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { DeploymentGate } from "../../src/app/deployment-gate.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { decisionRecorder, openStorage } from "../../src/adapters/storage/index.js";
import type { StandInRepo } from "../../src/demo/github/model.js";
import { sha256Hex } from "../../src/core/digest.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";
import { agentPull, bob, carol, CONFIG, commit, INSTALLATION, OWNER, REPO, payloadFor, provenanceBlock, repo, sigstore } from "./support.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
const deploymentExample = examples.find((e) => e.name === "deployment")!.examples[0]!;
const RUN_ID = 5151;
const DEPLOY_CONFIG = `${CONFIG}deployments:\n  default:\n    require_artifacts: false\n    predicate_types: []\n`;

function deployment(r: StandInRepo, target: string): Record<string, unknown> {
  const repository: Record<string, unknown> = { ...(structuredClone(deploymentExample.repository) as Record<string, unknown>), id: r.id, name: r.name, full_name: `${r.owner}/${r.name}`, default_branch: "main" };
  (repository.owner as Record<string, unknown>).login = r.owner;
  return {
    action: "requested",
    environment: "production",
    event: "workflow_dispatch",
    deployment_callback_url: `https://api.github.com/repos/${r.owner}/${r.name}/actions/runs/${RUN_ID}/deployment_protection_rule`,
    deployment: { ...(structuredClone(deploymentExample.deployment) as Record<string, unknown>), id: 10, sha: target, ref: "main", environment: "production", original_environment: "production", payload: {} },
    pull_requests: [],
    repository,
    installation: { id: INSTALLATION, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" },
    sender: structuredClone(deploymentExample.sender),
  };
}

/** Opens the agent PR (one approval) under DEPLOY_CONFIG, sets the config to `later`, then deploys its head. */
async function deployAfter(later: string, o: { rejudge: boolean }) {
  const { trustedRoot } = await sigstore();
  const c = commit("stale-deploy");
  const r = repo([agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c] })}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }] })], DEPLOY_CONFIG);
  const storage = await openStorage({ dataDir: "memory://" });
  try {
    const engine = await PolicyEngine.load(builtinBundle());
    const recorder = decisionRecorder(storage.audit, { policy: engine.policy });
    const gh = validatedGitHub([structuredClone(r)]);
    const gate = await composeGate({ trustedRoot, tlogEntryUrl: () => undefined, onDecision: recorder });
    const deploymentGate = new DeploymentGate({ verifier: createVerifier({ trustedRoot }), engine, auditLog: storage.audit, onDecision: recorder, ...(o.rejudge ? { rejudge: (github, at) => gate.rejudge(github, at) } : {}) });
    const app = await startApp(agentGateApp({ gate, deploymentGate }), gh.fetch);
    try {
      assert.equal((await app.deliver("pull_request", payloadFor("pull_request.opened", r, 1))).status, 200);
      const before = gh.standIn.checkRuns.find((x) => x.head_sha === c.sha)!;
      assert.equal(before.conclusion, "success", before.output.title ?? "");
      // Merged to the default branch without a push delivery reaching the gate (or before its sweep ran).
      gh.standIn.repo(OWNER, REPO)!.files[".github/agent-gate.yml"] = later;
      // carol approves the deployment: alice is the statement's prompter (provenanceBlock's default) and may not.
      gh.standIn.repo(OWNER, REPO)!.deploymentApprovals = [{ runId: RUN_ID, environment: "production", user: carol, state: "approved" }];
      assert.equal((await app.deliver("deployment_protection_rule", deployment(r, c.sha))).status, 200);
    } finally {
      await app.close();
    }
    assert.deepEqual(gh.problems, []);
    const answer = gh.standIn.deploymentReviews.find((x) => x.body.state !== undefined);
    const records = await storage.audit.onHead({ repository: `${OWNER}/${REPO}`, headSha: c.sha, kind: "pull_request" }, 10);
    return { state: answer?.body.state, comment: String(answer?.body.comment), conclusions: (await storage.audit.recent(`${OWNER}/${REPO}`, "pull_request", 10)).map((x) => x.agent_gate.conclusion), latest: records[0] };
  } finally {
    await storage.close();
  }
}

const TWO = DEPLOY_CONFIG.replace("count: 1", "count: 2");

test("control: the config unchanged, the recorded verdict approves the deployment", async () => {
  const out = await deployAfter(DEPLOY_CONFIG, { rejudge: true });
  assert.equal(out.state, "approved", out.comment);
  assert.deepEqual(out.conclusions, ["success"], "nothing judged again");
});

test("a verdict recorded under the old config is not used: without rejudge the deployment is rejected saying why", async () => {
  const out = await deployAfter(TWO, { rejudge: false });
  assert.equal(out.state, "rejected", out.comment);
  assert.match(out.comment, /PR_GATE_CONFIG_STALE/);
  const old = sha256Hex(DEPLOY_CONFIG).slice(0, 12);
  assert.match(out.comment, new RegExp(`pull request \\S*1 \\(judged under sha256\\S*${old}\\) was made under another config than the current`));
});

test("with rejudge the pull request is judged again under the current config, recorded, and the deployment rejected", async () => {
  const out = await deployAfter(TWO, { rejudge: true });
  assert.equal(out.state, "rejected", out.comment);
  assert.deepEqual(out.conclusions, ["failure", "success"], "the new decision is recorded, newest first");
  assert.equal(out.latest?.agent_gate.conclusion, "failure");
});

test("a config whose text changed but whose verdict did not: judged again, and approved", async () => {
  const out = await deployAfter(`# reviewed\n${DEPLOY_CONFIG}`, { rejudge: true });
  assert.equal(out.state, "approved", out.comment);
  assert.deepEqual(out.conclusions, ["success", "success"]);
});
