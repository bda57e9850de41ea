// Demo scenarios for config changes checked where they are made (issue 18 item 2, docs/config.md#config-changes), in
// a repository of their own (acme/gadgets) so that no other scenario's decisions mix into the audit log they read.
//   config-change-impact: two Copilot pull requests pass with one approval each; then alice opens a pull request
//   that raises rules.human_approval.count to 2. It is judged by the default branch's config (and passes), and its
//   check's "Config change" section lists both earlier pull requests: success -> failure (+human-approval).
//   config-change-invalid: the default branch sets require_valid_config_changes: true; a pull request whose new
//   config has a wrong type fails, naming the file, line and column (also an annotation there).
// Copilot's commits are signed by GitHub (tier platform), so no Sigstore bundle ties these scenarios to the
// trusted root the other scenarios are signed under. Called from scripts/make-scenarios.ts.
import type { Account, StandInCommit, StandInPull, StandInRepo } from "../src/demo/github/model.js";
import type { Scenario, ScenarioStep } from "../src/demo/scenario.js";
import { COPILOT_PR_AUTHOR, copilotCommit } from "./copilot-commit.js";

export interface ConfigChangeScenarioContext {
  readonly signedAt: Date;
  readonly sha: (label: string) => string;
  readonly config: string; // the scenarios' default config
  readonly payloadFor: (event: string, r: StandInRepo, pullNumber: number, extra?: Record<string, unknown>) => Record<string, unknown>;
  readonly step: (event: string, payload: Record<string, unknown>, expect: ScenarioStep["expect"], mutate?: ScenarioStep["mutate"]) => ScenarioStep;
  readonly prompter: Account;
  readonly approver: Account;
}

const CONFIG_PATH = ".github/agent-gate.yml";

export function configChangeScenarios(x: ConfigChangeScenarioContext): Scenario[] {
  // The default config accepting the platform tier for copilot (as scenario copilot-platform-accepted).
  const config = `${x.config.replace("# acme/widgets", "# acme/gadgets").replace("\n  model_governance:\n", "\n  model_governance:\n    require_model: false\n")}  provenance_coverage:\n    tiers:\n      copilot: [platform]\n  prompt:\n    require_digest: false\n`;
  if (!config.includes("  human_approval:\n    count: 1\n")) throw new Error("the scenarios' config no longer asks for one approval");
  const when = new Date(x.signedAt.getTime() - 60_000);
  const date = when.toISOString().replace(/\.\d{3}Z$/, "Z");
  const commitOf = (label: string, message: string): StandInCommit => copilotCommit({ sha: x.sha, label, message, prompter: x.prompter, when });
  const copilotPull = (number: number, label: string, title: string): StandInPull => {
    const c = commitOf(label, title);
    return {
      number, title, body: `${title}.`, user: COPILOT_PR_AUTHOR,
      head: { ref: `copilot/${label}`, sha: c.sha }, base: { ref: "main", sha: x.sha("base") }, commits: [c],
      files: [{ filename: "src/gadget.ts", additions: 30, deletions: 2 }, { filename: "test/gadget.test.ts", additions: 40, deletions: 0 }],
      reviews: [{ user: x.approver, state: "APPROVED", commit_id: c.sha }], comments: [],
    };
  };
  const configPull = (number: number, label: string, title: string, newConfig: string): StandInPull => {
    const c: StandInCommit = { sha: x.sha(label), tree: x.sha(`tree:${label}`), parents: [x.sha("base")], message: `${title}\n`, author: { name: "Alice", email: "alice@acme.example", date, account: x.prompter } };
    return {
      number, title, body: "Changes the gate's config.", user: x.prompter,
      head: { ref: label, sha: c.sha }, base: { ref: "main", sha: x.sha("base") }, commits: [c],
      files: [{ filename: CONFIG_PATH, additions: 1, deletions: 1 }], reviews: [], comments: [], headFiles: { [CONFIG_PATH]: newConfig },
    };
  };
  const gadgets = (pulls: StandInPull[], files: Record<string, string>): StandInRepo => ({ owner: "acme", name: "gadgets", id: 434343, defaultBranch: "main", collaborators: { alice: "maintain", bob: "write", carol: "write" }, files, pulls });

  // 1. Two green agent PRs, then a stricter config.
  const a = copilotPull(50, "cc-a", "Validate gadget input");
  const b = copilotPull(51, "cc-b", "Cache gadget lookups");
  const stricter = configPull(52, "cc-config", "Require two approvals for agent PRs", config.replace("  human_approval:\n    count: 1\n", "  human_approval:\n    count: 2\n"));
  const r1 = gadgets([a, b, stricter], { [CONFIG_PATH]: config });
  // 2. The same repository's config asks for valid config changes; the new one has a wrong type on line 3.
  const requiring = `${config}require_valid_config_changes: true\n`;
  const broken = configPull(53, "cc-broken", "Tune the gate", requiring.replace("  human_approval:\n    count: 1\n", "  human_approval:\n    count: two\n"));
  const line = broken.headFiles![CONFIG_PATH]!.split("\n").findIndex((l) => l.includes("count: two")) + 1;
  const r2 = gadgets([broken], { [CONFIG_PATH]: requiring });
  return [
    {
      name: "config-change-impact",
      title: "A config change shows which recorded verdicts it would flip",
      description: `Copilot's pull requests #50 and #51 pass with ${x.approver.login}'s approval. Then ${x.prompter.login} opens #52, raising rules.human_approval.count from 1 to 2. #52 is judged by the default branch's config and passes; its check's "Config change" section says the new config is valid and replays the recorded decisions of acme/gadgets under it: #50 and #51 would now fail (+human-approval).`,
      repos: [r1],
      audit: true,
      steps: [
        x.step("pull_request.opened", x.payloadFor("pull_request.opened", r1, 50), { headSha: a.head.sha, conclusion: "success" }),
        x.step("pull_request.opened", x.payloadFor("pull_request.opened", r1, 51), { headSha: b.head.sha, conclusion: "success" }),
        x.step("pull_request.opened", x.payloadFor("pull_request.opened", r1, 52), {
          headSha: stricter.head.sha, conclusion: "success",
          summaryIncludes: ["### Config change", "The new config is valid", "2 verdicts would change", "acme/gadgets#50", "acme/gadgets#51", "`+human-approval`"],
        }),
      ],
    },
    {
      name: "config-change-invalid",
      title: "An invalid config change fails where the config requires valid ones",
      description: `The default branch's config sets require_valid_config_changes: true. ${x.prompter.login}'s pull request #53 changes rules.human_approval.count to "two": the check fails, naming ${CONFIG_PATH} line ${line} (an annotation there too); no impact analysis runs on an invalid config.`,
      repos: [r2],
      audit: true,
      steps: [
        x.step("pull_request.opened", x.payloadFor("pull_request.opened", r2, 53), {
          headSha: broken.head.sha, conclusion: "failure",
          summaryIncludes: ["the new config is invalid", `line ${line}`, "Impact analysis not run: the new config is invalid"],
        }),
      ],
    },
  ];
}
