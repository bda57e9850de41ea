// Runs a scenario file (src/demo/scenario-file.ts) through the real App against a GitHub stand-in and reports, for
// each step, the check run agent-gate left on the step's head commit (or, for a deployment, its answer): the
// stable door for outside test suites (`agent-gate evaluate --scenario FILE --json`, docs/scenarios.md).
import { loadScenarios, type Scenario } from "./scenario.js";
import { applyMutation, checkExpectations, inProcessApp } from "./run.js";
import { loadDeploymentScenarios, runDeploymentScenario, type DeploymentScenario } from "./deployments.js";
import type { OpenStep, ScenarioFile } from "./scenario-file.js";
import type { StandInCheckRun } from "./github/model.js";
import { CHECK_NAME } from "../adapters/github/check-runs.js";

export interface StepReport {
  readonly event: string;
  readonly delivery_id: string;
  readonly head_sha: string;
  /** The agent-gate check run on the head commit after this step; null when there is none. */
  readonly check_run: { conclusion: string | null; title: string | null; summary: string | null; text: string | null; annotations: unknown[] } | null;
  /** What the step's `expect` asked for and the check run did not show (empty without `expect`). */
  readonly problems: string[];
}

export interface DeploymentReport {
  readonly name: string;
  readonly state: string | null;
  readonly comment: string;
  readonly status_comments: readonly string[];
  readonly problems: string[];
}

export type ScenarioReport =
  | { readonly kind: "pull_request"; readonly scenario: string; readonly steps: StepReport[] }
  | { readonly kind: "deployment"; readonly deployments: DeploymentReport[] };

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The commit a step is about: its expectation's, else the one its delivery names, else its pull request's head. */
function headOf(step: OpenStep, scenario: Extract<ScenarioFile, { kind: "pull_request" }>["scenario"]): string {
  if (step.expect) return step.expect.headSha;
  const p = step.payload as Record<string, { head?: { sha?: unknown }; head_sha?: unknown } | undefined>;
  const named = str(p["pull_request"]?.head?.sha) ?? str(p["check_suite"]?.head_sha) ?? str(p["check_run"]?.head_sha) ?? str(p["merge_group"]?.head_sha);
  if (named) return named;
  const repo = scenario.repos[0]!;
  const number = step.mutate?.pull ?? repo.pulls[0]?.number;
  return repo.pulls.find((x) => x.number === number)?.head.sha ?? "";
}

function report(run: StandInCheckRun | undefined): StepReport["check_run"] {
  if (!run) return null;
  return { conclusion: run.conclusion, title: run.output.title, summary: run.output.summary, text: run.output.text, annotations: structuredClone(run.annotations) };
}

export async function runScenarioFile(file: ScenarioFile, trustedRootOverride?: unknown): Promise<ScenarioReport> {
  if (file.kind === "deployment") {
    const trustedRoot = trustedRootOverride ?? file.trustedRoot ?? loadDeploymentScenarios().trustedRoot;
    const deployments: DeploymentReport[] = [];
    for (const s of file.scenarios) {
      const scenario = { ...s, expect: s.expect ?? { state: "approved", commentIncludes: [] } } as DeploymentScenario;
      const out = await runDeploymentScenario(scenario, trustedRoot);
      // Without an expectation, only the shape of the answer is checked (one final answer within GitHub's limits).
      const problems = s.expect ? out.problems : out.problems.filter((p) => !p.startsWith("answered "));
      deployments.push({ name: s.name, state: out.state ?? null, comment: out.comment, status_comments: out.statusComments, problems });
    }
    return { kind: "deployment", deployments };
  }
  const { scenario } = file;
  const trustedRoot = trustedRootOverride ?? file.trustedRoot ?? loadScenarios().trustedRoot;
  const { standIn, deliver } = await inProcessApp(scenario as unknown as Scenario, trustedRoot);
  const steps: StepReport[] = [];
  for (const step of scenario.steps) {
    applyMutation(standIn, scenario as unknown as Scenario, step as Scenario["steps"][number]);
    await deliver(step as Scenario["steps"][number]);
    const head = headOf(step, scenario);
    const runs = standIn.checkRuns.filter((r) => r.head_sha === head && r.name === CHECK_NAME);
    const run = runs.at(-1);
    const problems = step.expect ? checkExpectations(step as Scenario["steps"][number], run ? structuredClone(run) : undefined) : [];
    if (runs.length > 1) problems.push(`${runs.length} agent-gate check runs on ${head.slice(0, 7)}, expected one`);
    steps.push({ event: step.event, delivery_id: step.deliveryId, head_sha: head, check_run: report(run), problems });
  }
  return { kind: "pull_request", scenario: scenario.name, steps };
}
