// Required checks (issue 18 item 4): anyone with checks: write adds check runs to a commit, so the head's runs are
// attacker-controlled input. The host reads at most 1,000 (COMMIT_CHECK_RUNS_LIMIT; more denies); the policy groups
// them by name and App in one pass. Timed on the calling thread with the schema's most required checks (50), for the
// shapes that cost the most: one name re-run 1,000 times, one name from 1,000 Apps, 50 names re-run 20 times each.
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { PULL_REQUEST_ENTRYPOINT, PolicyEngine } from "../../src/adapters/opa/engine.js";
import { COMMIT_CHECK_RUNS_LIMIT } from "../../src/adapters/github/check-runs.js";
import { MAX_REQUIRED_CHECKS } from "../../src/config/required-checks.js";
import type { HostileRow } from "../hostile.js";
import { dataFor, loadCases } from "../../test/policies/support.js";

const CLASS = "4 policy: required checks";
const N = COMMIT_CHECK_RUNS_LIMIT;
const R = MAX_REQUIRED_CHECKS;
const rss = (): number => process.resourceUsage().maxRSS / 1024;
const ACTIONS = { id: 15368, slug: "github-actions" };

const SHAPES: Record<string, (i: number) => Record<string, unknown>> = {
  "one name re-run": (i) => ({ id: i + 1, name: "check-0", status: "completed", conclusion: i === N - 1 ? "success" : "failure", app: ACTIONS }),
  "one name, an App each": (i) => ({ id: i + 1, name: "check-0", status: "completed", conclusion: "success", app: { id: 100_000 + i, slug: `app-${i}` } }),
  "50 names x 20 re-runs": (i) => ({ id: i + 1, name: `check-${i % R}`, status: "completed", conclusion: "success", app: ACTIONS }),
};

export async function rows(): Promise<HostileRow[]> {
  const engine = await PolicyEngine.load(builtinBundle(), { deadlineMs: 600_000 }); // measured, not cut
  const c = loadCases().find((x) => x.name === "pr-signed-agent-passes");
  if (!c) throw new Error("fixtures/policy/pr-signed-agent-passes.json is missing");
  engine.evaluate(PULL_REQUEST_ENTRYPOINT, c.input, { data: dataFor(c.config) }); // warmed: the first call compiles
  let worst = { shape: "", seconds: 0, size: 0 };
  for (const [shape, run] of Object.entries(SHAPES)) {
    const input: Record<string, unknown> = structuredClone(c.input);
    input.checks = { head_sha: (input.pull_request as { head_sha: string }).head_sha, complete: true, listed: N, reported: N, limit: N, runs: Array.from({ length: N }, (_, i) => run(i)) };
    for (const checks of [Array.from({ length: R }, (_, i) => `check-${i}`), Array.from({ length: R }, (_, i) => ({ name: `check-${i}`, app: ACTIONS.slug, app_id: ACTIONS.id }))]) {
      const config = structuredClone(c.config) as { rules: Record<string, unknown> };
      config.rules.required_checks = { enabled: true, mode: "enforce", checks, defined_in: [] };
      const data = dataFor(config);
      const t = performance.now();
      engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data });
      const seconds = (performance.now() - t) / 1000;
      if (seconds > worst.seconds) worst = { shape, seconds, size: JSON.stringify(input).length };
    }
  }
  return [
    {
      class: CLASS,
      input: `${N} check runs x ${R} required checks (by name, and by name and App), worst of ${Object.keys(SHAPES).length} shapes (${worst.shape}), calling thread`,
      size: `${(worst.size / 1024).toFixed(0)} KiB input`,
      seconds: worst.seconds,
      peakRssMb: rss(),
      outcome: "evaluated",
      bound: "< 0.5 s",
      met: worst.seconds < 0.5,
    },
  ];
}
