// Config-change impact (issue 18 item 2): `config impact` over 1,000 recorded decisions of one repository (target:
// under 3 s). The decisions are real evaluations of the built-in policy on a fixture input, each for its own pull
// request, recorded in the embedded database (in memory) with their bundle and data; the impact run replays them
// all under a stricter config (two approvals). Run: npm run bench -- impact (IMPACT_BENCH_N sets the count).
// The longest the event loop waited during the replay is shown too: the replay yields every IMPACT_YIELD_EVERY
// evaluations, so a gate replaying a config change does not hold up the App's other deliveries.
import { readFileSync } from "node:fs";
import { builtinBundle } from "../src/adapters/opa/bundle-source.js";
import { PolicyEngine } from "../src/adapters/opa/engine.js";
import { openStorage } from "../src/adapters/storage/index.js";
import { configImpact, IMPACT_YIELD_EVERY, recentDecisions } from "../src/app/config-impact.js";
import { policyData, validateRepoConfig } from "../src/config/repo-config.js";
import { auditEventFromDecision } from "../src/core/audit.js";
import { pullRequestInput } from "../src/core/policy-input.js";
import type { Row } from "./table.js";

const N = Number(process.env["IMPACT_BENCH_N"] ?? 1000);

/** Runs `fn` with a timer every millisecond: its time, and the longest gap between two turns of the timer (the longest the event loop was held). */
async function held<T>(fn: () => Promise<T>): Promise<[T, number, number]> {
  let [last, longest] = [performance.now(), 0];
  const timer = setInterval(() => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
  }, 1);
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 5)); // the timer's turn after the last piece of work
  clearInterval(timer);
  return [value, ms, longest];
}

export async function benchImpact(): Promise<Row[]> {
  const fixture = JSON.parse(readFileSync("fixtures/policy/pr-signed-agent-passes.json", "utf8")) as { config: Record<string, unknown>; input: Record<string, unknown> };
  const checked = validateRepoConfig(fixture.config);
  if (!checked.ok) throw new Error(checked.messages.join("\n"));
  const strictConfig = validateRepoConfig({ ...fixture.config, rules: { ...(fixture.config["rules"] as object), human_approval: { count: 5 } } });
  if (!strictConfig.ok) throw new Error(strictConfig.messages.join("\n"));
  const bundle = builtinBundle();
  const engine = await PolicyEngine.load(bundle);
  const s = await openStorage({ dataDir: "memory://" });
  try {
    const text = new TextDecoder().decode(bundle.dataBytes);
    await s.bundles.put({ digest: engine.policy.digest, revision: bundle.revision, wasm: bundle.wasm, data: text });
    const data = policyData(checked.config);
    const t0 = performance.now();
    for (let i = 1; i <= N; i++) {
      const input = pullRequestInput({ ...fixture.input, pull_request: { ...(fixture.input["pull_request"] as object), number: i } });
      const decision = engine.evaluate("agent_gate/pull_request/decision", input, { data, decisionId: `bench-${i}` });
      const event = auditEventFromDecision(decision, {
        input,
        decidedAt: new Date(),
        context: { kind: "pull_request", delivery_id: null, installation_id: 1, repository: "acme/app", pull_request: i, deployment_id: null, environment: null, head_sha: i.toString(16).padStart(40, "0"), evidence_bundle_digests: [], signer_identities: [], rekor_log_indexes: [], conclusion: decision.allow ? "success" : "failure" },
      });
      if (!event) throw new Error("no audit event for a decision");
      await s.audit.append(event, { policyData: data });
    }
    const recordMs = performance.now() - t0;
    const [read, readMs, readHeld] = await held(() => recentDecisions(s, "acme/app", N));
    const [report, impactMs, impactHeld] = await held(() => configImpact(s, "acme/app", policyData(strictConfig.config), N));
    return [
      { step: `record ${N} decisions (setup)`, ms: Math.round(recordMs), "": "" },
      { step: `read the last ${N} decisions (index scan, each record's hash checked)`, ms: Math.round(readMs), "": `${read.length} records; event loop held at most ${Math.round(readHeld)} ms at a time` },
      { step: `config impact over ${N} decisions (the read above, then the replay)`, ms: Math.round(impactMs), "": `${report.replayed} replayed, ${report.changed.length} changed, ${report.skipped.length} skipped; target < 3000 ms; event loop held at most ${Math.round(impactHeld)} ms at a time (a turn every ${IMPACT_YIELD_EVERY} evaluations)` },
    ];
  } finally {
    await s.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await benchImpact());
