// The gates judged through a fake of the GitHub port (test/support/fake-github.ts): plain values in, the calls and
// writes it recorded out, no HTTP. Every recorded scenario ends as it does through the stand-in and Probot, and the
// cases that must fail closed (config broken, GitHub failing, too many pull requests on one head) do so by value.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CHECK_NAME } from "../../src/adapters/github/check-runs.js";
import { toTrigger, type Trigger } from "../../src/adapters/github/triggers.js";
import { AgentGateError } from "../../src/core/errors.js";
import { composeDeploymentGate, composeGate } from "../../src/app/compose.js";
import { DEMO_GITHUB_SIGNING_KEYS } from "../../src/demo/github/web-flow-key.js";
import type { PullRequestGate } from "../../src/app/pull-request-gate.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import type { StandInRepo } from "../../src/demo/github/model.js";
import type { CheckRunSeed } from "../../src/demo/github/check-runs.js";
import { FakeGitHub, fromStandInRepo } from "../support/fake-github.js";

const { trustedRoot, scenarios } = loadScenarios();
let shared: Promise<PullRequestGate> | undefined;
const gate = (): Promise<PullRequestGate> => (shared ??= composeGate({ trustedRoot, githubSigningKeys: DEMO_GITHUB_SIGNING_KEYS }));

function fakeOf(repos: StandInRepo[]): FakeGitHub {
  const repo = repos[0]!;
  const org = repos.find((r) => r.owner === repo.owner && r.name === ".github");
  return new FakeGitHub({ ...fromStandInRepo(repo), ...(org ? { orgFiles: { ...org.files } } : {}) });
}

for (const scenario of scenarios) {
  test(`fake GitHub: ${scenario.name} ends as recorded`, async () => {
    const repos = structuredClone(scenario.repos);
    const fake = fakeOf(repos);
    for (const step of scenario.steps) {
      const m = step.mutate;
      if (m) {
        // As applyMutation changes the stand-in before the delivery, on the fake's source.
        const pull = repos[0]!.pulls.find((p) => p.number === m.pull)!;
        if (m.addReviews) pull.reviews.push(...structuredClone(m.addReviews));
        if (m.commits) pull.commits = structuredClone(m.commits);
        if (m.files) pull.files = structuredClone(m.files);
        if (m.headSha) pull.head.sha = m.headSha;
        fake.state.pulls = fromStandInRepo(repos[0]!).pulls;
        for (const seed of m.checkRuns ?? []) seedFakeCheck(fake, seed);
      }
      // A push changes the owner's .github repository (its revocation list); the sweep then judges the pull
      // request again at the same head (app/revocation-sweep.ts, tested with the audit log in test/app).
      for (const change of step.repoFiles ?? []) for (const [path, text] of Object.entries(change.files)) if (text !== null) (fake.state.orgFiles ??= {})[path] = text;
      const swept: Trigger | undefined = step.event === "push" ? { kind: "pull_request", event: "revocation", owner: fake.state.owner, repo: fake.state.repo, installationId: 1, headSha: step.expect.headSha, pullNumbers: [fake.state.pulls[0]!.pull.number] } : undefined;
      const trigger = swept ?? toTrigger(step.event.split(".")[0]!, step.payload, CHECK_NAME);
      assert.ok(trigger, `${step.event} is a trigger`);
      await (await gate()).handle(fake, trigger, { deliveryId: step.deliveryId });
      const run = fake.runs.filter((r) => r.headSha === step.expect.headSha).at(-1);
      assert.equal(run?.status, "completed", `${step.event}: a completed check run on ${step.expect.headSha.slice(0, 7)}`);
      assert.equal(run.output?.conclusion, step.expect.conclusion, `${step.event}: ${run.output?.title}`);
      if (step.expect.titleIncludes) assert.ok(run.output?.title.includes(step.expect.titleIncludes), `${step.event}: title "${run.output?.title}"`);
    }
    // Reads went through the port only; writes were check runs, a start and a completion each time.
    assert.ok(fake.writes().every((w) => w === "startCheckRun" || w === "completeCheckRun"));
  });
}

/** Another App's check run on the fake, as the stand-in's seedCheckRun writes it (required checks). */
function seedFakeCheck(fake: FakeGitHub, seed: CheckRunSeed): void {
  const list = ((fake.state.commitChecks ??= {})[seed.headSha] ??= []);
  let run = seed.rerun ? undefined : list.filter((r) => r.name === seed.name && r.app?.id === seed.app.id).at(-1);
  if (!run) list.push((run = { id: 100 + list.length, name: seed.name, status: "queued", conclusion: null, app: { ...seed.app } }));
  run.status = seed.status;
  run.conclusion = seed.status === "completed" ? (seed.conclusion ?? null) : null;
}

const human = scenarios.find((s) => s.name === "human-pr")!;
const headOf = (f: FakeGitHub): string => f.state.pulls[0]!.pull.head.sha;
const triggerOf = (f: FakeGitHub, event = "pull_request.synchronize"): Trigger => ({ kind: "pull_request", event, owner: f.state.owner, repo: f.state.repo, installationId: 1, headSha: headOf(f), pullNumbers: [f.state.pulls[0]!.pull.number] });

test("fake GitHub: a synchronize event reads config, pull, lists and head, and writes two requests", async () => {
  const fake = fakeOf(structuredClone(human.repos));
  // A gate of its own: the shared one remembers the check run it wrote on this head for the scenario above.
  const [result] = await (await composeGate({ trustedRoot, githubSigningKeys: DEMO_GITHUB_SIGNING_KEYS })).handle(fake, triggerOf(fake), { deliveryId: "d-sync" });
  assert.equal(result?.conclusion, "success");
  // configFile: the owner's revocation list (.github/agent-gate-revocations.yml), read with every evaluation.
  assert.deepEqual(fake.methods(), ["pull", "repoConfig", "configFile", "pullsForCommit", "snapshot", "startCheckRun", "completeCheckRun"]);
  assert.deepEqual(fake.writes(), ["startCheckRun", "completeCheckRun"]);
  // A fresh head: no lookup of an existing run before the first write.
  assert.deepEqual(fake.calls.find((c) => c.method === "startCheckRun")?.args.at(-1), { lookup: false });
});

test("fake GitHub: dry runs (the evaluate command) write nothing", async () => {
  const fake = fakeOf(structuredClone(human.repos));
  const [result] = await (await gate()).handle(fake, triggerOf(fake), { dryRun: true });
  assert.equal(result?.conclusion, "success");
  assert.deepEqual(fake.writes(), []);
});

test("fake GitHub: a config that does not parse completes the check as failure, naming the config", async () => {
  const fake = fakeOf(structuredClone(human.repos));
  fake.state.files = { ".github/agent-gate.yml": "pull_requests: [unclosed\n" };
  const [result] = await (await gate()).handle(fake, triggerOf(fake), { deliveryId: "d-config" });
  assert.equal(result?.conclusion, "failure");
  assert.equal(fake.runs[0]?.status, "completed");
  assert.match(fake.runs[0]?.output?.summary ?? "", /CONFIG_INVALID/);
});

test("fake GitHub: GitHub failing on the lists completes the check as failure and asks for a retry", async () => {
  const fake = fakeOf(structuredClone(human.repos));
  fake.state.failing = { snapshot: Object.assign(new Error("Bad Gateway"), { status: 502, request: { method: "GET", url: "https://api.github.com/repos/acme/widgets/pulls/5/commits" } }) };
  const [result] = await (await gate()).handle(fake, triggerOf(fake), { deliveryId: "d-502" });
  assert.deepEqual([result?.conclusion, result?.transient], ["failure", true]);
  assert.equal(fake.runs[0]?.output?.conclusion, "failure");
  assert.match(fake.runs[0]?.output?.title ?? "", /Could not be evaluated/);
});

test("fake GitHub: more pull requests on one head than agent-gate judges fails that head closed", async () => {
  const fake = fakeOf(structuredClone(human.repos));
  fake.state.failing = { pullsForCommit: new AgentGateError("TOO_MANY_PULLS", "more than 30 pull requests name commit abc1234; agent-gate cannot judge it for all of them") };
  const [result] = await (await gate()).handle(fake, triggerOf(fake), { deliveryId: "d-many" });
  assert.equal(result?.conclusion, "failure");
  assert.match(`${fake.runs[0]?.output?.title} ${fake.runs[0]?.output?.summary}`, /TOO_MANY_PULLS/);
});

test("fake GitHub: a redelivery updates the check run it wrote instead of adding one", async () => {
  const fake = fakeOf(structuredClone(human.repos));
  const g = await composeGate({ trustedRoot, githubSigningKeys: DEMO_GITHUB_SIGNING_KEYS });
  await g.handle(fake, triggerOf(fake, "pull_request.opened"), { deliveryId: "d-1" });
  await g.handle(fake, triggerOf(fake, "pull_request.opened"), { deliveryId: "d-2", redelivered: true });
  assert.equal(fake.runs.length, 1);
  assert.equal(fake.runs[0]?.output?.conclusion, "success");
});

test("fake GitHub: a deployment without attestations is rejected through the port, with reasons", async () => {
  const fake = fakeOf(structuredClone(human.repos));
  fake.state.files = { ".github/agent-gate.yml": "deployments:\n  default:\n    builders: [https://github.com/acme/widgets/.github/workflows/release.yml@refs/heads/main]\n" };
  const digest = `sha256:${"d".repeat(64)}`;
  const payload = {
    action: "requested",
    environment: "production",
    deployment_callback_url: "https://api.github.com/repos/acme/widgets/actions/runs/77/deployment_protection_rule",
    deployment: { id: 5, sha: headOf(fake), ref: "main", environment: "production", payload: { artifacts: [digest] } },
    repository: { id: 42, name: fake.state.repo, owner: { login: fake.state.owner }, default_branch: "main" },
    installation: { id: 1 },
  };
  const r = await (await composeDeploymentGate({ trustedRoot })).handle(fake, payload, { deliveryId: "dep-1" });
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /no attestation found/);
  assert.deepEqual(fake.deploymentReviews.map((x) => x.state ?? "comment"), ["comment", "rejected"]);
  assert.ok(fake.methods().includes("attestations") && fake.methods().includes("checkRuns"));
});

test("fake GitHub: GitHub failing on which pull request was merged as the deployed commit rejects the deployment, naming it", async () => {
  const fake = fakeOf(structuredClone(human.repos));
  fake.state.files = { ".github/agent-gate.yml": "deployments:\n  default:\n    require_artifacts: false\n    predicate_types: []\n" };
  fake.state.failing = { pullMergedAs: Object.assign(new Error("Bad Gateway"), { status: 502, request: { method: "GET", url: "https://api.github.com/repos/acme/widgets/commits/x/pulls" } }) };
  const payload = {
    action: "requested",
    environment: "staging",
    deployment_callback_url: "https://api.github.com/repos/acme/widgets/actions/runs/77/deployment_protection_rule",
    deployment: { id: 5, sha: headOf(fake), ref: "main", environment: "staging", payload: {} },
    repository: { id: 42, name: fake.state.repo, owner: { login: fake.state.owner }, default_branch: "main" },
    installation: { id: 1 },
  };
  const r = await (await composeDeploymentGate({ trustedRoot })).handle(fake, payload, { deliveryId: "dep-2" });
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /PR_GATE_MERGED_PULL_UNKNOWN: GitHub's pull requests of commit [0-9a-f]{12} of acme\/widgets could not be read/);
  assert.deepEqual(fake.deploymentReviews.map((x) => x.state ?? "comment"), ["comment", "rejected"]);
});

test("fake GitHub: a merge group that queues a pull request no longer open fails, naming it, beside one that passes", async () => {
  const fake = fakeOf(structuredClone(human.repos));
  const open = fake.state.pulls[0]!;
  // #n+1: another pull request of the same head, closed since it was queued (it heads nothing: it is not judged).
  const gone = open.pull.number + 1;
  fake.state.pulls.push({ ...structuredClone(open), pull: { ...structuredClone(open.pull), number: gone, state: "closed" } });
  const group = "9".repeat(40);
  const trigger: Trigger = { kind: "merge_group", event: "merge_group.checks_requested", owner: fake.state.owner, repo: fake.state.repo, installationId: 1, headSha: group, headRef: `refs/heads/gh-readonly-queue/main/pr-${open.pull.number}-${headOf(fake)}/pr-${gone}-${headOf(fake)}`, pullNumbers: [open.pull.number, gone] };
  const results = await (await composeGate({ trustedRoot })).handle(fake, trigger, { deliveryId: "d-group" });
  assert.deepEqual(results.map((r) => [r.pullNumber, r.conclusion]), [[open.pull.number, "success"], [0, "failure"]]);
  const run = fake.runs.find((r) => r.headSha === group);
  assert.equal(run?.output?.conclusion, "failure");
  assert.equal(run.output.title, `Blocked: #${gone} did not pass`);
  assert.match(run.output.summary, new RegExp(`#${gone} at .*: failure \\(not open\\)`));
});

test("fake GitHub: too many pull requests on the head a push left fails that commit closed, and the push's job still succeeds", async () => {
  // A stranger opened more fork pull requests on the maintainer's old head than agent-gate judges: the old head's
  // check (which may have passed on the maintainer's verdict) fails with TOO_MANY_PULLS; the new head is judged as ever.
  const fake = fakeOf(structuredClone(human.repos));
  const old = "8".repeat(40);
  const pullsForCommit = fake.pullsForCommit.bind(fake);
  fake.pullsForCommit = (owner, repo, sha) => (sha === old ? Promise.reject(new AgentGateError("TOO_MANY_PULLS", `more than 30 pull requests name commit ${old.slice(0, 7)}; agent-gate cannot judge it for all of them`)) : pullsForCommit(owner, repo, sha));
  const push: Trigger = { kind: "pull_request", event: "pull_request.synchronize", owner: fake.state.owner, repo: fake.state.repo, installationId: 1, headSha: headOf(fake), pullNumbers: [fake.state.pulls[0]!.pull.number], leftHead: old };
  const results = await (await composeGate({ trustedRoot })).handle(fake, push, { deliveryId: "d-push" });
  assert.deepEqual(results.map((r) => [r.headSha, r.conclusion, r.transient]), [[headOf(fake), "success", false], [old, "failure", false]]);
  assert.match(results[1]?.error ?? "", /TOO_MANY_PULLS/, "logged with the job's result");
  assert.equal(fake.runs.find((r) => r.headSha === headOf(fake))?.output?.conclusion, "success");
  const left = fake.runs.find((r) => r.headSha === old);
  assert.equal(left?.status, "completed");
  assert.equal(left.output?.conclusion, "failure");
  assert.match(`${left.output?.title} ${left.output?.summary}`, /TOO_MANY_PULLS/);
  assert.deepEqual(fake.calls.find((c) => c.method === "startCheckRun" && c.args[2] === old)?.args.at(-1), { lookup: true }, "the old head's run is looked up, never a second one");
});
