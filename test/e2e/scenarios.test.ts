// End to end: every recorded scenario through Probot's HTTP middleware with signed deliveries; every request the
// App makes and every response the GitHub stand-in gives validated against GitHub's REST description; the
// check-run bodies compared with snapshots (UPDATE_SNAPSHOTS=1 rewrites them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { runScenario } from "../../src/demo/run.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";

const { trustedRoot, scenarios } = loadScenarios();
const SNAPSHOTS = new URL("./__snapshots__/", import.meta.url);

/** Decision ids and timings differ per run; everything else in a check run is deterministic. */
function normalise(s: string): string {
  return s
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<decision-id>")
    .replace(/\b\d+ ms\b/g, "<n> ms")
    .replace(/"durationMs":\s*\d+/g, '"durationMs": <n>');
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
    const gate = await composeGate({ trustedRoot, tlogEntryUrl: () => undefined });
    const app = await startApp(agentGateApp({ gate }), gh.fetch);
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
    }
  });
}

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
