// `agent-gate evaluate --repo OWNER/REPO --pr N`: evaluates a live pull request with a token and prints the check
// run it would write, writing nothing. `--scenario FILE|NAME` runs a scenario file (docs/scenarios.md) or a recorded
// scenario through the App against a GitHub stand-in, offline, and prints each step's check run. The scenario door's
// output and exit codes are a stable contract for outside suites (docs/scenarios.md): 0 allowed, 1 denied, 2 bad input.
import { existsSync } from "node:fs";
import { Octokit } from "@octokit/rest";
import { composeGate } from "../app/compose.js";
import { secureUrlProblem } from "../core/secure-url.js";
import { GitHubConnector } from "../adapters/github/octokit-github.js";
import { OrgRepoScope, OWNERS_WITHOUT_ORG_REPO } from "../adapters/github/org-repo-scope.js";
import { ownerList } from "../config/server-env.js";
import { loadRootFile, parseRootEntry } from "../adapters/sigstore/trusted-root.js";
import { evaluateSettings } from "./evaluate-settings.js";
import { loadScenarios } from "../demo/scenario.js";
import { readScenarioFile, type ScenarioFile } from "../demo/scenario-file.js";
import { runScenarioFile, type ScenarioReport } from "../demo/scenario-runner.js";
import { AgentGateError } from "../core/errors.js";
import { EXIT_FAILED, EXIT_OK, UsageError, consoleIo, runCommand, type Io } from "./args.js";

const USAGE = `usage: agent-gate evaluate --repo OWNER/REPO --pr N [--token TOKEN] [--api-url URL] [--trusted-root [NAME=]FILE|github|public-good]... [--json]
       agent-gate evaluate --scenario FILE.json|NAME [--trusted-root FILE] [--json]
--repo --pr: the App's check run on the pull request's head commit (judged with every open pull request heading it),
with the App's settings: AGENT_GATE_POLICY_BUNDLE / AGENT_GATE_POLICY_SHA256, AGENT_GATE_TRUSTED_ROOT(S),
AGENT_GATE_TRUSTED_KEYS, AGENT_GATE_OWNERS_WITHOUT_ORG_REPO; --trusted-root flags replace the roots.
exit codes: 0 the check run would succeed (every scenario step's did, every deployment approved), 1 one fails or is
missing, 2 usage, a pull request that is not open (PR_NOT_OPEN), an invalid setting or another error`;

const OPTIONS = { repo: { type: "string" }, pr: { type: "string" }, token: { type: "string" }, scenario: { type: "string" }, "trusted-root": { type: "string", multiple: true }, "api-url": { type: "string" } } as const;

export function evaluateCommand(argv: string[], io: Io = consoleIo()): Promise<number> {
  return runCommand({ name: "evaluate", usage: USAGE, options: OPTIONS }, argv, io, async ({ values, json, emit }) => {
    const roots = values["trusted-root"] ?? [];
    if (values.scenario !== undefined) {
      if (roots.length > 1) throw new UsageError("--scenario takes one --trusted-root FILE");
      return await scenarioCommand(values.scenario, roots[0] !== undefined ? loadRootFile(parseRootEntry(roots[0], "").path) : undefined, json, emit, io);
    }
    const m = /^([^/\s]+)\/([^/\s]+)$/.exec(values.repo ?? "");
    const number = Number(values.pr);
    if (!m || !Number.isInteger(number) || number < 1) throw new UsageError("expected --repo OWNER/REPO and --pr NUMBER, or --scenario FILE");
    const token = values.token ?? process.env.GITHUB_TOKEN;
    if (!token) throw new UsageError("expected a token in --token or GITHUB_TOKEN (read access to the repository)");
    const api = values["api-url"];
    const apiProblem = api === undefined ? undefined : secureUrlProblem(api, "GitHub API"); // the token is sent there
    if (apiProblem !== undefined) throw new UsageError(`--api-url: ${apiProblem}`);
    const [owner, repo] = [m[1]!, m[2]!];
    // As the App: an owner's `.github` that reads as missing is missing only when the token's installation covers it,
    // or AGENT_GATE_OWNERS_WITHOUT_ORG_REPO declares the owner has none (org-repo-scope.ts).
    const declared = ownerList().safeParse(process.env[OWNERS_WITHOUT_ORG_REPO]);
    if (!declared.success) throw new UsageError(`${OWNERS_WITHOUT_ORG_REPO}: ${declared.error.issues[0]?.message ?? "invalid"}`);
    const orgRepoScope = new OrgRepoScope({ ownersWithout: declared.data });
    const github = new GitHubConnector({ orgRepoScope }).installation(new Octokit({ auth: token, ...(values["api-url"] ? { baseUrl: values["api-url"] } : {}) }));
    // The App's policy, roots and keys, from the App's variables (evaluate-settings.ts): never a weaker default.
    const { verifier, keyRing, bundle } = await evaluateSettings(roots);
    const gate = await composeGate({ verifier, keyRing, bundle });
    const policy = `policy ${gate.policy.revision || "(no revision)"} ${gate.policy.digest}${bundle.source === "builtin" ? " (built-in)" : ` (${bundle.source})`}`;
    // The App's check run on the pull request's head commit, as an event would write it now: the commit judged with
    // every open pull request heading it (a fork sharing an agent's head gets the agent's verdict). Nothing written.
    const ev = await gate.preview(github, owner, repo, number);
    const { headSha, output } = ev;
    const others = ev.pulls.filter((n) => n !== number);
    if (json) emit({ head_sha: headSha, conclusion: output.conclusion, title: output.title, decision_id: ev.decisionId, decision: ev.decisions[ev.pulls.indexOf(number)] ?? null, pull_requests: ev.pulls, policy: { ...gate.policy, source: bundle.source }, summary: output.summary });
    else io.out(`${owner}/${repo}#${number} at ${headSha.slice(0, 7)}: ${output.conclusion}${others.length > 0 ? ` (the commit's check, judged with ${others.map((n) => `#${n}`).join(", ")} heading it too)` : ""}\n${output.title}\n${policy}\n\n${output.summary}`);
    return output.conclusion === "success" ? EXIT_OK : EXIT_FAILED;
  });
}

/** A scenario by file path, or by a recorded scenario's name (fixtures/scenarios/). */
function scenarioFrom(arg: string): ScenarioFile {
  if (arg.endsWith(".json") || existsSync(arg)) return readScenarioFile(arg);
  const set = loadScenarios();
  const scenario = set.scenarios.find((s) => s.name === arg);
  if (!scenario) throw new AgentGateError("SCENARIO_INVALID", `no scenario file or recorded scenario "${arg}"; expected a path to a .json file or one of: ${set.scenarios.map((s) => s.name).join(", ")}`);
  return { kind: "pull_request", scenario, trustedRoot: set.trustedRoot };
}

/** Exit 0: every step's check run (every deployment's answer) allows; 1: one denies or is missing; 2: bad input
 *  (thrown: args.ts prints {"error": {"code": "SCENARIO_INVALID", ...}} with --json). */
async function scenarioCommand(arg: string, trustedRoot: unknown, json: boolean, emit: (doc: unknown) => void, io: Io): Promise<number> {
  const file: ScenarioFile = scenarioFrom(arg);
  const result: ScenarioReport = await runScenarioFile(file, trustedRoot);
  const allowed = result.kind === "pull_request" ? result.steps.every((s) => s.check_run?.conclusion === "success") : result.deployments.every((d) => d.state === "approved");
  if (json) emit(result);
  else if (result.kind === "pull_request") {
    for (const s of result.steps) {
      io.out(`== ${s.event} (${s.delivery_id}) -> ${s.head_sha.slice(0, 7)}: ${s.check_run?.conclusion ?? "no check run"}\n${s.check_run?.title ?? ""}\n\n${s.check_run?.summary ?? ""}\n`);
      for (const p of s.problems) io.out(`   expectation not met: ${p}`);
    }
  } else {
    for (const d of result.deployments) {
      io.out(`== ${d.name}: ${d.state ?? "no answer"}\n${d.comment}\n`);
      for (const p of d.problems) io.out(`   expectation not met: ${p}`);
    }
  }
  return allowed ? EXIT_OK : EXIT_FAILED;
}
