// Review finding H8 through the whole App: the config-change-impact scenario's pull request #52, opened instead from a
// fork, or by an account without write access, gets no impact analysis: its check run says why and names none of
// the recorded pull requests (#50, #51) the same change by a maintainer lists (test/e2e/scenarios.test.ts).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { loadScenarios, type Scenario } from "../../src/demo/scenario.js";
import { closeScenarioAudit, inProcessApp, readable, runScenario } from "../../src/demo/run.js";

const { trustedRoot, scenarios } = loadScenarios();
after(() => closeScenarioAudit());

const MALLORY = { login: "mallory", id: 6666, type: "User" as const };

/** The impact scenario with #52 changed by `edit`; the check run of its last step, as a reader sees it. */
async function lastRun(edit: (pull: Scenario["repos"][number]["pulls"][number]) => void): Promise<string> {
  const scenario = structuredClone(scenarios.find((s) => s.name === "config-change-impact")!);
  const pull = scenario.repos[0]!.pulls.find((p) => p.number === 52)!;
  edit(pull);
  const { standIn, deliver } = await inProcessApp(scenario, trustedRoot);
  const outcomes = await runScenario(scenario, standIn, deliver);
  const run = outcomes.at(-1)!.run;
  assert.ok(run, "a check run on #52's head");
  return readable(`${run.output.summary}\n${run.output.text}`);
}

test("a config change from a fork: no impact analysis, said why, no other pull request named", async () => {
  const shown = await lastRun((pull) => {
    pull.user = MALLORY;
    pull.head.repo = { owner: "mallory", name: "gadgets", id: 777777 };
  });
  assert.match(shown, /The new config is valid\./);
  assert.match(shown, /Impact analysis not run: this pull request comes from a fork; the analysis replays other pull requests' recorded decisions/);
  assert.doesNotMatch(shown, /gadgets#5[01]|verdicts? would change/);
});

test("a config change by an account without write access (read, as GitHub answers for anyone on a public repository): no impact analysis, said why", async () => {
  const shown = await lastRun((pull) => {
    pull.user = MALLORY;
  });
  assert.match(shown, /Impact analysis not run: mallory has read access to acme\/gadgets; the analysis/);
  assert.doesNotMatch(shown, /gadgets#5[01]|verdicts? would change/);
});
