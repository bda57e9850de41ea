// A recorded scenario: the GitHub state a stand-in serves, the webhook deliveries to send, and what the check
// run must conclude after each. Scenarios are JSON in fixtures/scenarios/ (made by scripts/make-scenarios.ts).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { StandInRepo, StandInReview, StandInCommit, StandInFile } from "./github/model.js";
import type { CheckRunSeed } from "./github/check-runs.js";

export interface ScenarioStep {
  readonly event: string;
  readonly deliveryId: string;
  readonly payload: Record<string, unknown>;
  /** Changes to pull request `pull` in the stand-in before this delivery (a review given, a new push). */
  readonly mutate?: { readonly pull: number; readonly addReviews?: StandInReview[]; readonly commits?: StandInCommit[]; readonly files?: StandInFile[]; readonly headSha?: string; readonly checkRuns?: readonly CheckRunSeed[] };
  /** Files set (or, null, removed) on repositories' default branches before this delivery (a push's effect). */
  readonly repoFiles?: readonly { readonly owner: string; readonly repo: string; readonly files: Readonly<Record<string, string | null>> }[];
  readonly expect: { readonly headSha: string; readonly conclusion: "success" | "failure"; readonly titleIncludes?: string; readonly summaryIncludes?: readonly string[]; readonly summaryExcludes?: readonly string[] };
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly repos: StandInRepo[];
  readonly steps: ScenarioStep[];
  /** The scenario reads earlier decisions: its App records every decision in an audit log (in memory, shared by the
   *  run's audited scenarios, unless the demo records to its own). */
  readonly audit?: boolean;
}

export interface ScenarioSet {
  readonly trustedRoot: unknown;
  readonly scenarios: Scenario[];
}

const ScenarioShape = z.object({ name: z.string(), title: z.string(), description: z.string(), repos: z.array(z.unknown()), steps: z.array(z.object({ event: z.string(), deliveryId: z.string(), payload: z.record(z.string(), z.unknown()), expect: z.object({ headSha: z.string(), conclusion: z.enum(["success", "failure"]) }).loose() }).loose()) }).loose();

export const SCENARIO_DIR = new URL("../../fixtures/scenarios/", import.meta.url);

export function loadScenarios(dir: URL = SCENARIO_DIR): ScenarioSet {
  const path = dir.pathname;
  const trustedRoot = JSON.parse(readFileSync(join(path, "trusted_root.json"), "utf8")) as unknown;
  const scenarios = readdirSync(path)
    .filter((f) => /^\d\d-.*\.json$/.test(f))
    .sort()
    .map((f) => {
      const raw = JSON.parse(readFileSync(join(path, f), "utf8")) as unknown;
      const parsed = ScenarioShape.safeParse(raw);
      if (!parsed.success) throw new Error(`${f}: not a scenario: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
      return raw as Scenario;
    });
  return { trustedRoot, scenarios };
}
