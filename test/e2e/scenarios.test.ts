// End to end: every recorded scenario through Probot's HTTP middleware with signed deliveries; every request the
// App makes and every response the GitHub stand-in gives validated against GitHub's REST description; the
// check-run bodies compared with snapshots (UPDATE_SNAPSHOTS=1 rewrites them).
import { revocationStores } from "../../src/app/revocation-trigger.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { loadScenarios, type Scenario } from "../../src/demo/scenario.js";
import { runScenario } from "../../src/demo/run.js";
import { openDemoRecorder } from "../../src/demo/record.js";
import { DEMO_GITHUB_SIGNING_KEYS } from "../../src/demo/github/web-flow-key.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";

const { trustedRoot, scenarios } = loadScenarios();
const SNAPSHOTS = new URL("./__snapshots__/", import.meta.url);

/** Decision ids and timings differ per run; everything else in a check run is deterministic. */
function normalise(s: string): string {
  return s
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<decision-id>")
    .replace(/\b\d+ ms\b/g, "<n> ms")
    .replace(/"durationMs":\s*\d+/g, '"durationMs": <n>')
    .replace(/(audit log head \d+:)[0-9a-f]{64}/g, "$1<hash>"); // records hold decision ids and times
}

function snapshot(name: string, actual: string): void {
  const file = new URL(`${name}.md`, SNAPSHOTS);
  if (process.env.UPDATE_SNAPSHOTS === "1" || !existsSync(file)) {
    mkdirSync(SNAPSHOTS, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, "utf8"), `snapshot ${name}.md differs (UPDATE_SNAPSHOTS=1 to accept)`);
}

for (const scenario of scenarios) {
  test(`scenario ${scenario.name}: ${scenario.title}`, async () => {
    const gh = validatedGitHub(structuredClone(scenario.repos));
    // An audited scenario reads earlier decisions: its App records them in an audit log of its own (in memory).
    const recorder = scenario.audit ? await openDemoRecorder("memory://") : undefined;
    const audit = recorder ? { engine: recorder.engine, onDecision: recorder.onDecision, auditHead: recorder.auditHead, auditLog: recorder.storage.audit, history: recorder.storage } : {};
    // The stand-in plays GitHub: its own commit signatures (tier platform) are by its web-flow key.
    const gate = await composeGate({ trustedRoot, tlogEntryUrl: () => undefined, githubSigningKeys: DEMO_GITHUB_SIGNING_KEYS, ...audit });
    // With its audit log, a push that changes the owner's revocation list sweeps the decisions recorded there.
    const app = await startApp(agentGateApp({ gate, ...(recorder ? { revocations: revocationStores(recorder.storage.db) } : {}) }), gh.fetch);
    try {
      const outcomes = await runScenario(scenario, gh.standIn, async (step) => {
        const res = await app.deliver(step.event.split(".")[0]!, step.payload, { id: step.deliveryId });
        assert.equal(res.status, 200, `delivery of ${step.event} answered ${res.status}: ${res.body}`);
      });
      for (const o of outcomes) assert.deepEqual(o.problems, [], `${o.step.event}: ${o.problems.join("; ")}`);
      assert.deepEqual(gh.problems, [], "every request and response matches GitHub's REST description");
      const bodies = outcomes.map((o, i) => `<!-- step ${i + 1}: ${o.step.event} -> ${o.run?.conclusion} -->\n# ${o.run?.output.title}\n\n${o.run?.output.summary}\n\n${o.run?.output.text}\n`);
      snapshot(scenario.name, normalise(bodies.join("\n")));
    } finally {
      await app.close();
      await recorder?.close();
    }
  });
}

test("an approval from someone without write access does not count, and the check says so", async () => {
  // workflow-change-approval, but the approval comes from mallory, who can only read the repository.
  const base = structuredClone(scenarios.find((s) => s.name === "workflow-change-approval")!);
  const mallory = { login: "mallory", id: 6666, type: "User" as const };
  const [opened, approved] = base.steps as [Scenario["steps"][number], Scenario["steps"][number]];
  const payload = approved.payload as { review: { user: Record<string, unknown> } };
  payload.review.user = { ...payload.review.user, login: mallory.login, id: mallory.id };
  const scenario: Scenario = {
    ...base,
    steps: [
      opened,
      {
        ...approved,
        mutate: { ...approved.mutate!, addReviews: approved.mutate!.addReviews!.map((r) => ({ ...r, user: mallory })) },
        expect: { ...approved.expect, conclusion: "failure", summaryIncludes: ["no write access"] },
      },
    ],
  };
  const gh = validatedGitHub(structuredClone(scenario.repos));
  const app = await startApp(agentGateApp({ gate: await composeGate({ trustedRoot, tlogEntryUrl: () => undefined }) }), gh.fetch);
  try {
    const outcomes = await runScenario(scenario, gh.standIn, async (s) => {
      assert.equal((await app.deliver(s.event.split(".")[0]!, s.payload, { id: s.deliveryId })).status, 200);
    });
    for (const o of outcomes) assert.deepEqual(o.problems, [], `${o.step.event}: ${o.problems.join("; ")}`);
    assert.deepEqual(gh.problems, []);
    const lookups = gh.standIn.requests.filter((r) => r.method === "GET" && /\/collaborators\/[^/]+\/permission$/.test(r.path));
    assert.deepEqual(lookups.map((r) => r.path), ["/repos/acme/widgets/collaborators/mallory/permission"], "looked up once, for the one approver");
  } finally {
    await app.close();
  }
});

test("a delivery signed with another secret is refused and evaluates nothing", async () => {
  const scenario = scenarios[0]!;
  const gh = validatedGitHub(structuredClone(scenario.repos));
  const app = await startApp(agentGateApp({ gate: await composeGate({ trustedRoot }) }), gh.fetch);
  try {
    const res = await app.deliver("pull_request", scenario.steps[0]!.payload, { secret: "not-the-secret" });
    assert.ok(res.status >= 400, `expected a refusal, got ${res.status}`);
    assert.equal(gh.standIn.checkRuns.length, 0);
    assert.equal(gh.standIn.requests.length, 0);
  } finally {
    await app.close();
  }
});

test("a redelivered event updates the same check run instead of adding one", async () => {
  const scenario = scenarios[0]!;
  const gh = validatedGitHub(structuredClone(scenario.repos));
  const app = await startApp(agentGateApp({ gate: await composeGate({ trustedRoot }) }), gh.fetch);
  try {
    const step = scenario.steps[0]!;
    for (let i = 0; i < 3; i++) assert.equal((await app.deliver("pull_request", step.payload, { id: step.deliveryId })).status, 200);
    assert.equal(gh.standIn.checkRuns.length, 1);
    assert.equal(gh.standIn.checkRuns[0]!.conclusion, "success");
  } finally {
    await app.close();
  }
});

test("the Re-evaluate button and a merge-queue group each get a result on the right commit", async () => {
  const { createRequire } = await import("node:module");
  const require = createRequire(import.meta.url);
  const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
  const example = (name: string, action: string): Record<string, unknown> => structuredClone(examples.find((e) => e.name === name)!.examples.find((x) => x.action === action)!);
  const scenario = scenarios.find((s) => s.name === "signed-agent-pr")!;
  const gh = validatedGitHub(structuredClone(scenario.repos));
  const app = await startApp(agentGateApp({ gate: await composeGate({ trustedRoot }) }), gh.fetch);
  try {
    const opened = scenario.steps[0]!;
    assert.equal((await app.deliver("pull_request", opened.payload, { id: opened.deliveryId })).status, 200);
    const run = gh.standIn.checkRuns[0]!;
    assert.deepEqual((run.actions as { identifier: string }[]).map((a) => a.identifier), ["reevaluate"], "the run offers Re-evaluate");
    const base = { repository: opened.payload.repository, installation: opened.payload.installation };

    const button = example("check_run", "requested_action");
    const checkRun = { ...(button.check_run as object), id: run.id, name: "agent-gate", head_sha: run.head_sha, pull_requests: [{ ...((button.check_run as { pull_requests: object[] }).pull_requests[0] ?? {}), number: 1 }] };
    const pressed = await app.deliver("check_run", { ...button, ...base, check_run: checkRun, requested_action: { identifier: "reevaluate" } });
    assert.equal(pressed.status, 200, pressed.body);
    assert.equal(gh.standIn.checkRuns.length, 1, "Re-evaluate updates the same run");
    assert.equal(run.writes.length, 4, "start and completion, twice");

    const group = example("merge_group", "checks_requested");
    const groupSha = "f".repeat(40);
    const mg = { ...(group.merge_group as object), head_sha: groupSha, head_ref: `refs/heads/gh-readonly-queue/main/pr-1-${run.head_sha}` };
    assert.equal((await app.deliver("merge_group", { ...group, ...base, merge_group: mg })).status, 200);
    const groupRun = gh.standIn.checkRuns.find((r) => r.head_sha === groupSha);
    assert.equal(groupRun?.conclusion, "success", "the queued PR passed, so the group commit passes");
    assert.deepEqual(gh.problems, []);
  } finally {
    await app.close();
  }
});
