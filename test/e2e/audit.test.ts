// The PR gate's decisions land in the tamper-evident audit log (embedded PGlite here), and replay reproduces them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { runScenario } from "../../src/demo/run.js";
import { decisionRecorder, openStorage } from "../../src/adapters/storage/index.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";

test("every PR-gate decision of a scenario is appended to the audit log, chained and masked", async () => {
  const { trustedRoot, scenarios } = loadScenarios();
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-audit-"));
  const storage = await openStorage({ dataDir: join(dir, "data") });
  try {
    const engine = await PolicyEngine.load(builtinBundle());
    const gate = await composeGate({ trustedRoot, onDecision: decisionRecorder(storage.audit, { policy: engine.policy }) });
    for (const name of ["workflow-change-approval", "broken-config"]) {
      const scenario = scenarios.find((s) => s.name === name)!;
      const gh = validatedGitHub(structuredClone(scenario.repos));
      const app = await startApp(agentGateApp({ gate }), gh.fetch);
      try {
        await runScenario(scenario, gh.standIn, async (step) => {
          await app.deliver(step.event.split(".")[0]!, step.payload, { id: step.deliveryId });
        });
      } finally {
        await app.close();
      }
      for (const run of gh.standIn.checkRuns) {
        const decisionId = run.external_id!;
        const record = await storage.audit.get(decisionId);
        assert.ok(record, `decision ${decisionId} of ${name} is in the log`);
        const text = JSON.stringify(record);
        assert.ok(text.includes(run.head_sha), "the record names the head commit");
        assert.ok(!text.includes("Add input validation to the widget parser"), "no prompt text is stored");
      }
    }
    const verified = await storage.audit.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
    assert.equal((await storage.audit.list({ limit: 100 })).length, 3, "two steps of one scenario and one of the other");
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
