// Demo scenario for required checks (issue 18 item 4, docs/policy.md#required-checks): an agent's pull request waits
// for its tests. Copilot's cloud agent opens it (GitHub signs the commit: tier platform, accepted by the config) with
// bob's approval, while GitHub Actions' `tests` still runs on the head: the check fails, titled "Waiting for required
// checks: tests". Then `tests` completes with success (check_run.completed from @octokit/webhooks-examples, adapted):
// the same head commit is judged again and passes. Called from scripts/make-scenarios.ts.
import type { Account, StandInPull, StandInRepo } from "../src/demo/github/model.js";
import type { CheckRunSeed } from "../src/demo/github/check-runs.js";
import type { Scenario, ScenarioStep } from "../src/demo/scenario.js";
import { COPILOT_PR_AUTHOR, copilotCommit } from "./copilot-commit.js";

export interface RequiredChecksScenarioContext {
  readonly signedAt: Date;
  readonly sha: (label: string) => string;
  readonly config: string; // the scenarios' default config
  readonly repo: (pulls: StandInPull[], config: string) => StandInRepo;
  readonly payloadFor: (event: string, r: StandInRepo, pullNumber: number, extra?: Record<string, unknown>) => Record<string, unknown>;
  readonly step: (event: string, payload: Record<string, unknown>, expect: ScenarioStep["expect"], mutate?: ScenarioStep["mutate"]) => ScenarioStep;
  readonly prompter: Account;
  readonly approver: Account;
}

/** GitHub Actions, the App whose `tests` the config requires (its id on github.com). */
const ACTIONS = { id: 15368, slug: "github-actions" };
const PR = 40;

export function requiredChecksScenarios(x: RequiredChecksScenarioContext): Scenario[] {
  const when = new Date(x.signedAt.getTime() - 60_000);
  const commit = copilotCommit({ sha: x.sha, label: "rc-copilot", message: "Validate widget input", prompter: x.prompter, when });
  const head = commit.sha;
  // The default config accepting the platform tier for copilot (as scenario copilot-platform-accepted), and requiring
  // GitHub Actions' `tests` on the head.
  const config = `${x.config.replace("\n  model_governance:\n", "\n  model_governance:\n    require_model: false\n")}  provenance_coverage:\n    tiers:\n      copilot: [platform]\n  prompt:\n    require_digest: false\n  required_checks:\n    checks:\n      - name: tests\n        app: github-actions\n`;
  const pull: StandInPull = {
    number: PR, title: "Validate widget input", body: "Validates widget input.", user: COPILOT_PR_AUTHOR,
    head: { ref: "copilot/validate-widget-input", sha: head }, base: { ref: "main", sha: x.sha("base") }, commits: [commit],
    files: [{ filename: "src/parser.ts", additions: 40, deletions: 3 }, { filename: "test/parser.test.ts", additions: 60, deletions: 0 }],
    reviews: [{ user: x.approver, state: "APPROVED", commit_id: head }], comments: [],
  };
  const r = x.repo([pull], config);
  const tests = (status: CheckRunSeed["status"], conclusion?: string): CheckRunSeed => ({ name: "tests", headSha: head, status, ...(conclusion ? { conclusion } : {}), app: ACTIONS });
  // GitHub's check_run.completed example, made the `tests` run of GitHub Actions on this head.
  const completed = x.payloadFor("check_run.completed", r, PR);
  const example = completed.check_run as Record<string, unknown>;
  completed.check_run = {
    ...example, name: "tests", head_sha: head, status: "completed", conclusion: "success",
    app: { ...(example.app as Record<string, unknown>), id: ACTIONS.id, slug: ACTIONS.slug, name: "GitHub Actions" },
    check_suite: { ...(example.check_suite as Record<string, unknown>), head_sha: head, head_branch: pull.head.ref, pull_requests: [] },
    pull_requests: [],
  };
  return [
    {
      name: "agent-pr-waits-for-tests",
      title: "An agent's pull request waits for its tests",
      description: `The config requires GitHub Actions' tests on the head commit (rules.required_checks). Copilot opens a pull request ${x.approver.login} approved while tests still runs: the check fails, titled "Waiting for required checks: tests". tests completes with success, GitHub sends check_run.completed, and the same head commit is judged again and passes.`,
      repos: [r],
      steps: [
        x.step("pull_request.opened", x.payloadFor("pull_request.opened", r, PR), { headSha: head, conclusion: "failure", titleIncludes: "Waiting for required checks: tests", summaryIncludes: ["waiting for required check `tests` from github-actions (in progress)"] }, { pull: PR, checkRuns: [tests("in_progress")] }),
        x.step("check_run.completed", completed, { headSha: head, conclusion: "success", titleIncludes: "Mergeable" }, { pull: PR, checkRuns: [tests("completed", "success")] }),
      ],
    },
  ];
}
