// The owner's revocation list and organisation config live in its `.github` repository. With the App installed on
// selected repositories without `.github` (or after installation_repositories.removed for it), GitHub answers 404 /
// NOT_FOUND for that repository, exactly as if it did not exist: the list must not read as "nothing revoked", in the
// pull-request gate or the deployment gate. Each case is a delivery through the real App (Probot, signed) against the
// stand-in, every exchange checked against GitHub's REST description.
import { test } from "node:test";
import { generateKeyPairSync } from "node:crypto";
import assert from "node:assert/strict";
import { agentGateApp } from "../../src/index.js";
import { composeDeploymentGate, composeGate } from "../../src/app/compose.js";
import { readServerEnv } from "../../src/config/server-env.js";
import { loadDeploymentScenarios } from "../../src/demo/deployments.js";
import type { StandInRepo } from "../../src/demo/github/model.js";
import { validatedGitHub, type ValidatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";
import { OWNER, agentPull, bob, commit, example, payloadFor, provenanceBlock, repo, shown, sigstore } from "../adversarial/support.js";

const REVOKED_MODEL = `version: 1\nmodels:\n  - model: anthropic/claude-sonnet-4-5\n    version: "20250929"\n    reason: advisory ACME-SEC-1\n`;
const dotGithub = (files: Record<string, string>, extra: Partial<StandInRepo> = {}): StandInRepo => ({ owner: OWNER, name: ".github", id: 424243, defaultBranch: "main", files, pulls: [], private: true, ...extra });

interface World {
  /** acme/.github, if it exists. */
  readonly dotGithub?: StandInRepo;
  readonly selection?: "all" | "selected";
  readonly ownersWithoutOrgRepo?: readonly string[];
}

/** An agent's pull request (signed provenance, approved by bob), opened and judged: its check run. */
async function judgeAgentPull(world: World) {
  const c = commit("scope1");
  const block = await provenanceBlock({ commits: [c] });
  const widgets = repo([agentPull(1, [c], `x\n\n${block}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }] })]);
  const gh = validatedGitHub([widgets, ...(world.dotGithub ? [world.dotGithub] : [])]);
  if (world.selection) gh.standIn.repositorySelection = { [OWNER]: world.selection };
  const gate = await composeGate({ trustedRoot: (await sigstore()).trustedRoot, tlogEntryUrl: () => undefined });
  const app = await startApp(agentGateApp({ gate, ...(world.ownersWithoutOrgRepo ? { ownersWithoutOrgRepo: world.ownersWithoutOrgRepo } : {}) }), gh.fetch);
  try {
    assert.equal((await app.deliver("pull_request", payloadFor("pull_request.opened", widgets, 1))).status, 200);
  } finally {
    await app.close();
  }
  assert.deepEqual(gh.problems, []);
  return { run: gh.standIn.checkRuns.find((r) => r.head_sha === c.sha && r.name === "agent-gate")!, gh };
}

test("control: with acme/.github installed, the revoked model fails the pull request", async () => {
  const { run } = await judgeAgentPull({ dotGithub: dotGithub({ ".github/agent-gate-revocations.yml": REVOKED_MODEL }) });
  assert.equal(run.conclusion, "failure");
  assert.match(shown(run), /revoked by the organisation/);
});

test("acme/.github outside the installation: the revocation list is not read as none; the check fails naming both fixes", async () => {
  const { run } = await judgeAgentPull({ dotGithub: dotGithub({ ".github/agent-gate-revocations.yml": REVOKED_MODEL }, { installed: false }) });
  assert.equal(run.conclusion, "failure", `the unreadable list was read as no list: ${run.output.title}`);
  assert.match(shown(run), /ORG_REPO_UNCONFIRMED/);
  assert.match(shown(run), /\*\*What to do\*\* an owner of the organisation installs agent-gate on its \.github repository/);
  assert.match(shown(run), /install agent-gate on acme\/\.github \(or on all repositories of acme\), or declare that acme has no \.github repository with AGENT_GATE_OWNERS_WITHOUT_ORG_REPO=acme/);
});

test("GitHub lists acme/.github among the selected repositories, yet answers 404 and NOT_FOUND for it: not believed either", async () => {
  // The reviewer's fetch wrapper: the repository hidden from every read, while the installation's listing names it.
  const hide = (inner: typeof fetch): typeof fetch => async (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const url = new URL(req.url);
    if (/^\/repos\/acme\/\.github(\/|$)/i.test(url.pathname)) return new Response(JSON.stringify({ message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" }), { status: 404, headers: { "content-type": "application/json" } });
    const res = await inner(req);
    if (url.pathname !== "/graphql") return res;
    const body = (await res.clone().json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (!body.data || !("ownerDotGithub" in body.data)) return res;
    body.data["ownerDotGithub"] = null;
    body.errors = [...(body.errors ?? []), { type: "NOT_FOUND", path: ["ownerDotGithub"], locations: [{ line: 1, column: 1 }], message: "Could not resolve to a Repository with the name 'acme/.github'." }];
    return new Response(JSON.stringify(body), { status: 200, headers: res.headers });
  };
  const c = commit("scope3");
  const block = await provenanceBlock({ commits: [c] });
  const widgets = repo([agentPull(1, [c], `x\n\n${block}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }] })]);
  const gh = validatedGitHub([widgets, dotGithub({ ".github/agent-gate-revocations.yml": REVOKED_MODEL })]);
  gh.standIn.repositorySelection = { [OWNER]: "selected" };
  const gate = await composeGate({ trustedRoot: (await sigstore()).trustedRoot, tlogEntryUrl: () => undefined });
  const app = await startApp(agentGateApp({ gate }), hide(gh.fetch));
  try {
    assert.equal((await app.deliver("pull_request", payloadFor("pull_request.opened", widgets, 1))).status, 200);
  } finally {
    await app.close();
  }
  const run = gh.standIn.checkRuns.find((r) => r.head_sha === c.sha && r.name === "agent-gate")!;
  assert.equal(run.conclusion, "failure", run.output.title ?? "");
  assert.match(shown(run), /GitHub lists acme\/\.github among the repositories agent-gate is installed on, yet answered that it does not exist.*\(`ORG_REPO_UNCONFIRMED`\)/);
});

test("no acme/.github: absent under an installation on all repositories (the default config); unknowable under a selection", async () => {
  const all = await judgeAgentPull({ selection: "all" });
  assert.equal(all.run.conclusion, "success", shown(all.run));
  assert.equal(all.gh.standIn.requests.filter((r) => r.path === "/installation/repositories").length, 1, "what the installation covers, asked once");
  const selected = await judgeAgentPull({ selection: "selected" });
  assert.equal(selected.run.conclusion, "failure", "GitHub would answer the same for a private .github outside the selection");
  assert.match(shown(selected.run), /ORG_REPO_UNCONFIRMED/);
});

// The App's private key: the settings parse it (a placeholder is refused).
const APP_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

test("the operator's declaration (AGENT_GATE_OWNERS_WITHOUT_ORG_REPO) takes a missing .github as missing, validated as a list of logins", async () => {
  const settings = readServerEnv({ APP_ID: "1", PRIVATE_KEY: APP_KEY, WEBHOOK_SECRET: "s".repeat(16), AGENT_GATE_OWNERS_WITHOUT_ORG_REPO: " acme , globex-corp" });
  assert.deepEqual(settings.AGENT_GATE_OWNERS_WITHOUT_ORG_REPO, ["acme", "globex-corp"]);
  assert.deepEqual(readServerEnv({ APP_ID: "1", PRIVATE_KEY: APP_KEY, WEBHOOK_SECRET: "s".repeat(16) }).AGENT_GATE_OWNERS_WITHOUT_ORG_REPO, []);
  assert.throws(() => readServerEnv({ APP_ID: "1", PRIVATE_KEY: APP_KEY, WEBHOOK_SECRET: "s".repeat(16), AGENT_GATE_OWNERS_WITHOUT_ORG_REPO: "acme,acme/.github" }), /AGENT_GATE_OWNERS_WITHOUT_ORG_REPO: expected comma-separated GitHub logins \(organisations or users\), got "acme\/\.github"/);

  const undeclared = await judgeAgentPull({ selection: "selected" });
  assert.equal(undeclared.run.conclusion, "failure");
  const declared = await judgeAgentPull({ selection: "selected", ownersWithoutOrgRepo: settings.AGENT_GATE_OWNERS_WITHOUT_ORG_REPO });
  assert.equal(declared.run.conclusion, "success", shown(declared.run));
  assert.equal(declared.gh.standIn.requests.filter((r) => r.path === "/installation/repositories").length, 0, "nothing to ask");
});

test("installation_repositories.removed: the next event does not believe what the installation covered before", async () => {
  const c = commit("scope2");
  const block = await provenanceBlock({ commits: [c] });
  const widgets = repo([agentPull(1, [c], `x\n\n${block}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }] })]);
  const org = dotGithub({});
  const gh = validatedGitHub([widgets, org]);
  gh.standIn.repositorySelection = { [OWNER]: "selected" };
  const gate = await composeGate({ trustedRoot: (await sigstore()).trustedRoot, tlogEntryUrl: () => undefined });
  const app = await startApp(agentGateApp({ gate }), gh.fetch);
  const conclusion = () => gh.standIn.checkRuns.find((r) => r.head_sha === c.sha && r.name === "agent-gate")?.conclusion;
  try {
    // Listed and readable, without a list: only the file is missing.
    assert.equal((await app.deliver("pull_request", payloadFor("pull_request.opened", widgets, 1))).status, 200);
    assert.equal(conclusion(), "success");
    org.installed = false;
    const removed = example("installation_repositories", "removed");
    const installation = removed.installation as { account: Record<string, unknown> };
    removed.installation = { ...installation, account: { ...installation.account, login: OWNER } };
    assert.equal((await app.deliver("installation_repositories", removed)).status, 200);
    const before = gh.standIn.requests.filter((r) => r.path === "/installation/repositories").length;
    assert.equal((await app.deliver("pull_request", payloadFor("pull_request.synchronize", widgets, 1))).status, 200);
    assert.equal(conclusion(), "failure");
    assert.equal(gh.standIn.requests.filter((r) => r.path === "/installation/repositories").length, before + 1, "asked again");
  } finally {
    await app.close();
  }
  assert.deepEqual(gh.problems, []);
});

test("the deployment gate: a revocation list outside the installation rejects the deployment; installed or declared, it is judged", async () => {
  const { trustedRoot, scenarios } = loadDeploymentScenarios();
  const s = scenarios.find((x) => x.name === "deploy-signed-release")!;
  const RELEASE = "https://github.com/acme/widgets/.github/workflows/release.yml@refs/heads/main";
  const list = `version: 1\nsigners:\n  - identity: ${RELEASE}\n    issuer: https://token.actions.githubusercontent.com\n    reason: release key leaked\n`;
  async function deploy(world: World): Promise<{ state: unknown; comment: string; gh: ValidatedGitHub }> {
    const gh = validatedGitHub([structuredClone(s.repo), ...(world.dotGithub ? [world.dotGithub] : [])]);
    if (world.selection) gh.standIn.repositorySelection = { [OWNER]: world.selection };
    gh.standIn.checkRuns.push({ id: 1, owner: OWNER, repo: s.repo.name, head_sha: (s.payload.deployment as { sha: string }).sha, name: "agent-gate", status: "completed", conclusion: "success", external_id: null, output: { title: "ok", summary: "", text: null, annotations_count: 0 }, annotations: [], actions: [], started_at: null, completed_at: null, writes: [] });
    const gate = await composeGate({ trustedRoot, tlogEntryUrl: () => undefined });
    const deploymentGate = await composeDeploymentGate({ trustedRoot, bundleFetch: gh.standIn.fetch });
    const app = await startApp(agentGateApp({ gate, deploymentGate, ...(world.ownersWithoutOrgRepo ? { ownersWithoutOrgRepo: world.ownersWithoutOrgRepo } : {}) }), gh.fetch);
    try {
      assert.equal((await app.deliver("deployment_protection_rule", s.payload)).status, 200);
    } finally {
      await app.close();
    }
    const answer = gh.standIn.deploymentReviews.map((r) => r.body).find((b) => b.state !== undefined) ?? {};
    return { state: answer.state, comment: String(answer.comment), gh };
  }
  const revocations = { ".github/agent-gate-revocations.yml": list };
  const installed = await deploy({ dotGithub: dotGithub(revocations) });
  assert.equal(installed.state, "rejected", "control: the list is read");
  assert.match(installed.comment, /release key leaked/);

  const hidden = await deploy({ dotGithub: dotGithub(revocations, { installed: false }) });
  assert.equal(hidden.state, "rejected", `the unreadable list was read as no list: ${hidden.comment}`);
  assert.match(hidden.comment, /ORG_REPO_UNCONFIRMED: .*install agent-gate on acme\/\.github/);

  const none = await deploy({ selection: "all" });
  assert.equal(none.state, "approved", none.comment);
  const declared = await deploy({ selection: "selected", ownersWithoutOrgRepo: [OWNER] });
  assert.equal(declared.state, "approved", declared.comment);
  assert.deepEqual([...installed.gh.problems, ...hidden.gh.problems, ...none.gh.problems, ...declared.gh.problems], []);
});
