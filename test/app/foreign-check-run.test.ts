// A check run named agent-gate that another App (or a workflow's GITHUB_TOKEN, as github-actions) created is not ours:
// never adopted, never patched, never read as our conclusion. When the App knows its id (APP_ID), every lookup of
// its check run (the gate's, reconciliation's, the deployment gate's, audit verify --witness) asks GitHub for the
// App's runs only (`app_id`) and keeps only runs whose `app.id` is ours.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import type { Octokit as OctokitType } from "@octokit/rest";
import { CHECK_NAME, CheckRunPublisher, latestCheckRuns } from "../../src/adapters/github/check-runs.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import type { Trigger } from "../../src/adapters/github/triggers.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import type { BundleVerifier } from "../../src/adapters/sigstore/verifier.js";
import { composeGate } from "../../src/app/compose.js";
import { DeploymentGate } from "../../src/app/deployment-gate.js";
import type { Intake } from "../../src/app/intake.js";
import { reconcile } from "../../src/app/reconcile.js";
import { seedCheckRun } from "../../src/demo/github/check-runs.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { INSTALLED_ON_ALL, validatedGitHub } from "../support/github.js";

const SHA = "a".repeat(40);
const OURS = 1; // the stand-in's App id
const FORGER = { id: 999, slug: "forger" };

test("latestCheckRuns with the App's id asks GitHub for its runs only and drops any other App's run in the answer", async () => {
  const calls: Record<string, unknown>[] = [];
  const ours = { id: 7, status: "completed", conclusion: "failure", app: { id: OURS }, output: {} };
  const foreign = { id: 8, status: "completed", conclusion: "success", app: { id: FORGER.id }, output: {} };
  const anonymous = { id: 9, status: "completed", conclusion: "success", app: null, output: {} };
  const request = (_route: string, params: Record<string, unknown>) => (calls.push(params), Promise.resolve({ status: 200, headers: {}, data: { total_count: 3, check_runs: [anonymous, foreign, ours] }, url: "" }));
  const octokit = { request } as unknown as OctokitType;
  assert.deepEqual((await latestCheckRuns(octokit, "o", "r", SHA, CHECK_NAME, OURS)).map((r) => r.id), [7]);
  assert.equal(calls[0]!["app_id"], OURS);
  // The publisher's lookup (the gate's): never the foreign run, even when it is the newest.
  assert.equal(await new CheckRunPublisher(CHECK_NAME, OURS).find(octokit, "o", "r", SHA), 7);
  const onlyForeign = { request: () => Promise.resolve({ status: 200, headers: {}, data: { total_count: 1, check_runs: [foreign] }, url: "" }) } as unknown as OctokitType;
  assert.equal(await new CheckRunPublisher(CHECK_NAME, OURS).find(onlyForeign, "o", "r", SHA), undefined);
  // Without the App's id (a CLI without APP_ID): by name only, as before.
  assert.equal(await new CheckRunPublisher().find(onlyForeign, "o", "r", SHA), 8);
  assert.deepEqual(calls.map((c) => c["app_id"]), [OURS, OURS]);
});

const { trustedRoot, scenarios } = loadScenarios();
const human = scenarios.find((s) => s.name === "human-pr")!;
const headSha = human.steps[0]!.expect.headSha;
const at = { owner: "acme", name: "widgets" };

test("the gate's lookup never adopts another App's agent-gate run: it creates its own and never patches the other", async () => {
  const gh = validatedGitHub(structuredClone(human.repos));
  const forged = seedCheckRun(gh.standIn.checkRuns, at, { name: CHECK_NAME, headSha, status: "completed", conclusion: "success", app: FORGER });
  const gate = await composeGate({ trustedRoot, appId: OURS });
  const api = new GitHubConnector({ appId: OURS }).installation(new Octokit({ auth: "t", request: { fetch: gh.fetch } }));
  const trigger: Trigger = { kind: "pull_request", event: "pull_request.edited", owner: "acme", repo: "widgets", installationId: 77, headSha, pullNumbers: [5] };
  // Not a fresh head, and redelivered: the gate looks GitHub's run up.
  const first = await gate.handle(api, trigger, { deliveryId: "edited-1", redelivered: true });
  const ours = gh.standIn.checkRuns.filter((r) => r.head_sha === headSha && r.name === CHECK_NAME && r !== forged);
  assert.equal(ours.length, 1, "a run of our own");
  assert.notEqual(first[0]!.checkRunId, forged.id);
  assert.equal(ours[0]!.status, "completed");
  assert.equal(ours[0]!.conclusion, human.steps[0]!.expect.conclusion);
  const touched = () => gh.standIn.requests.filter((r) => r.write && r.path.endsWith(`/check-runs/${forged.id}`));
  assert.deepEqual(touched(), [], "the foreign run is never patched");
  assert.deepEqual({ status: forged.status, conclusion: forged.conclusion, external_id: forged.external_id }, { status: "completed", conclusion: "success", external_id: null });
  // A second event finds ours (a fresh gate, no remembered id: the lookup alone), still never the foreign one.
  const again = await (await composeGate({ trustedRoot, appId: OURS })).handle(api, { ...trigger, event: "pull_request.labeled" }, { deliveryId: "labeled-1", redelivered: true });
  assert.equal(again[0]!.checkRunId, ours[0]!.id);
  assert.deepEqual(touched(), []);
  assert.deepEqual(gh.problems, []);
});

test("reconciliation does not read another App's completed agent-gate run as the head's verdict: the pull request is re-evaluated", async () => {
  const gh = validatedGitHub(structuredClone(human.repos));
  seedCheckRun(gh.standIn.checkRuns, at, { name: CHECK_NAME, headSha, status: "completed", conclusion: "success", app: FORGER });
  const connector = new GitHubConnector({ appId: OURS });
  const urls: string[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => (urls.push(input instanceof Request ? input.url : String(input)), gh.fetch(input, init));
  const octokit = new Octokit({ auth: "t", request: { fetch } });
  const swept: string[] = [];
  const report = await reconcile(
    {
      appAuth: () => Promise.resolve(connector.app(octokit)),
      auth: () => Promise.resolve(connector.installation(octokit)),
      store: { knownDeliveries: () => Promise.resolve(new Set<string>()), deliveryCursor: () => Promise.resolve({ coveredTo: 0, coveredAt: undefined, pass: undefined }), saveDeliveryCursor: () => Promise.resolve() },
      intake: { enqueueSweep: (t: Trigger) => Promise.resolve(void swept.push(t.headSha ?? "")) } as unknown as Intake,
    },
    "run-1",
  );
  assert.deepEqual(report.errors, []);
  assert.ok(swept.includes(headSha), `the head is re-evaluated (swept: ${JSON.stringify(swept)}, pulls seen: ${report.pullsSeen})`);
  const asked = urls.filter((u) => u.includes(`/commits/${headSha}/check-runs`));
  assert.ok(asked.length > 0 && asked.every((u) => new URL(u).searchParams.get("app_id") === String(OURS)), `asked for the App's own runs: ${asked.join(", ")}`);
});

test("the deployment gate never reads another App's agent-gate run as the PR gate's conclusion", async () => {
  const engine = await PolicyEngine.load(builtinBundle());
  const verifier: BundleVerifier = { verify: () => assert.fail("no attestation to verify") };
  const deployed = "1".repeat(40);
  const answer = (runs: unknown[]) => {
    const asked: Record<string, unknown>[] = [];
    const request = (route: string, params: Record<string, unknown>) => {
      if (route.startsWith("GET /repos/{owner}/{repo}/contents/")) return Promise.reject(Object.assign(new Error("Not Found"), { status: 404 }));
      if (route === "GET /installation/repositories") return Promise.resolve(INSTALLED_ON_ALL);
      if (route.includes("/check-runs")) return (asked.push(params), Promise.resolve({ status: 200, headers: {}, data: { total_count: runs.length, check_runs: runs }, url: "" }));
      if (route.includes("/attestations/")) return Promise.resolve({ status: 200, headers: {}, data: { attestations: [] }, url: "" });
      return Promise.resolve({ status: 200, headers: {}, data: [], url: "" });
    };
    return { octokit: { request, paginate: () => Promise.resolve([]) } as unknown as OctokitType, asked };
  };
  const deployment = {
    action: "requested",
    environment: "staging",
    deployment_callback_url: "https://api.github.com/repos/acme/web/actions/runs/77/deployment_protection_rule",
    deployment: { id: 5, sha: deployed, ref: "main", environment: "staging", payload: JSON.stringify({ artifacts: [`sha256:${"a".repeat(64)}`] }) },
    repository: { id: 42, name: "web", owner: { login: "acme" }, default_branch: "main" },
    installation: { id: 1 },
  };
  const gate = new DeploymentGate({ verifier, engine, appId: OURS });
  const forged = answer([{ id: 8, status: "completed", conclusion: "success", external_id: "forged", app: { id: FORGER.id }, output: {} }]);
  const r1 = await gate.handle(new GitHubConnector({ appId: OURS }).installation(forged.octokit), deployment);
  assert.equal(r1.input?.pr_gate, null, "another App's run is no PR gate verdict");
  assert.equal(forged.asked[0]?.["app_id"], OURS);
  const own = answer([{ id: 7, status: "completed", conclusion: "failure", external_id: "d-7", app: { id: OURS }, output: {} }]);
  const r2 = await gate.handle(new GitHubConnector({ appId: OURS }).installation(own.octokit), deployment);
  assert.deepEqual(r2.input?.pr_gate, { conclusion: "failure", decision_id: "d-7" });
});
