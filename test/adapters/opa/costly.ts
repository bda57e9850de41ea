// A pull request and config that cost the policy the most globs the config schema allows, with no literal prefix,
// each matched against 3,000 changed paths (tens to hundreds of milliseconds): far past a deadline of 1 ms.
import { MAX_GLOB_PATTERNS } from "../../../src/config/glob-cost.js";
import { dataFor, loadCases } from "../../policies/support.js";

export function costlyCase(files = 3000): { input: Record<string, unknown>; data: unknown } {
  const c = loadCases().find((x) => x.name === "pr-signed-agent-passes");
  if (!c) throw new Error("fixtures/policy/pr-signed-agent-passes.json is missing");
  const input = { ...structuredClone(c.input), files: Array.from({ length: files }, (_, i) => ({ path: `src/module${i}/file${i}.ts`, status: "modified", additions: 1, deletions: 0, agent_touched: true })) };
  const paths = Array.from({ length: MAX_GLOB_PATTERNS }, (_, i) => `*/module${i}x/**/*.${i}`);
  return { input, data: dataFor({ ...(c.config as object), rules: { ...((c.config as { rules?: object }).rules ?? {}), protected_paths: { paths } } }) };
}
