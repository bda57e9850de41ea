// `agent-gate evaluate --repo OWNER/REPO --pr N`: evaluates a live pull request with a token and prints the check
// run it would write, writing nothing. `--scenario FILE|NAME` runs a scenario file (docs/scenarios.md) or a recorded
// scenario through the App against a GitHub stand-in, offline, and prints each step's check run.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { Octokit } from "@octokit/rest";
import { composeGate } from "../app/compose.js";
import { loadRootFile } from "../adapters/sigstore/trusted-root.js";
import { loadScenarios } from "../demo/scenario.js";
import { readScenarioFile, type ScenarioFile } from "../demo/scenario-file.js";
import { runScenarioFile, type ScenarioReport } from "../demo/scenario-runner.js";
import { AgentGateError, describeError } from "../core/errors.js";

const USAGE = "usage: agent-gate evaluate (--repo OWNER/REPO --pr N [--token TOKEN] [--api-url URL] | --scenario FILE.json|NAME) [--trusted-root FILE] [--json]";

export async function evaluateCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { repo: { type: "string" }, pr: { type: "string" }, token: { type: "string" }, scenario: { type: "string" }, "trusted-root": { type: "string" }, json: { type: "boolean" }, "api-url": { type: "string" } } }));
  } catch (err) {
    console.error(`agent-gate evaluate: ${describeError(err)}\n${USAGE}`);
    return 2;
  }
  try {
    const trustedRoot: unknown = values["trusted-root"] ? loadRootFile(values["trusted-root"]) : undefined;
    if (values.scenario !== undefined) return await scenarioCommand(values.scenario, trustedRoot, values.json === true);
    const m = /^([^/\s]+)\/([^/\s]+)$/.exec(values.repo ?? "");
    const number = Number(values.pr);
    if (!m || !Number.isInteger(number) || number < 1) {
      console.error(`agent-gate evaluate: expected --repo OWNER/REPO and --pr NUMBER, or --scenario FILE\n${USAGE}`);
      return 2;
    }
    const token = values.token ?? process.env.GITHUB_TOKEN;
    if (!token) {
      console.error("agent-gate evaluate: expected a token in --token or GITHUB_TOKEN (read access to the repository)");
      return 2;
    }
    const [owner, repo] = [m[1]!, m[2]!];
    const octokit = new Octokit({ auth: token, ...(values["api-url"] ? { baseUrl: values["api-url"] } : {}) });
    const gate = await composeGate({ ...(trustedRoot ? { trustedRoot } : {}) });
    const pull = (await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner, repo, pull_number: number })).data;
    const ev = await gate.evaluate(octokit, owner, repo, pull, pull.head.sha);
    if (values.json) {
      console.log(JSON.stringify({ head_sha: pull.head.sha, conclusion: ev.output.conclusion, title: ev.output.title, decision_id: ev.decisionId, decision: ev.decision ?? null, summary: ev.output.summary }, null, 2));
    } else {
      console.log(`${owner}/${repo}#${number} at ${pull.head.sha.slice(0, 7)}: ${ev.output.conclusion}\n${ev.output.title}\n\n${ev.output.summary}`);
    }
    return ev.output.conclusion === "success" ? 0 : 1;
  } catch (err) {
    console.error(`agent-gate evaluate: ${describeError(err)}`);
    return 1;
  }
}

/** A scenario by file path, or by a recorded scenario's name (fixtures/scenarios/). */
function scenarioFrom(arg: string): ScenarioFile {
  if (arg.endsWith(".json") || existsSync(arg)) return readScenarioFile(arg);
  const set = loadScenarios();
  const scenario = set.scenarios.find((s) => s.name === arg);
  if (!scenario) throw new AgentGateError("SCENARIO_INVALID", `no scenario file or recorded scenario "${arg}"; expected a path to a .json file or one of: ${set.scenarios.map((s) => s.name).join(", ")}`);
  return { kind: "pull_request", scenario, trustedRoot: set.trustedRoot };
}

/** Exit 0: every step's check run (every deployment's answer) allows; 1: one denies or is missing; 2: bad input. */
async function scenarioCommand(arg: string, trustedRoot: unknown, json: boolean): Promise<number> {
  let file: ScenarioFile;
  try {
    file = scenarioFrom(arg);
  } catch (err) {
    if (json) console.log(JSON.stringify({ error: { code: err instanceof AgentGateError ? err.code : "INTERNAL_ERROR", message: describeError(err) } }, null, 2));
    console.error(`agent-gate evaluate: ${describeError(err)}`);
    return 2;
  }
  const result: ScenarioReport = await runScenarioFile(file, trustedRoot);
  const allowed = result.kind === "pull_request" ? result.steps.every((s) => s.check_run?.conclusion === "success") : result.deployments.every((d) => d.state === "approved");
  if (json) console.log(JSON.stringify(result, null, 2));
  else if (result.kind === "pull_request") {
    for (const s of result.steps) {
      console.log(`== ${s.event} (${s.delivery_id}) -> ${s.head_sha.slice(0, 7)}: ${s.check_run?.conclusion ?? "no check run"}\n${s.check_run?.title ?? ""}\n\n${s.check_run?.summary ?? ""}\n`);
      for (const p of s.problems) console.log(`   expectation not met: ${p}`);
    }
  } else {
    for (const d of result.deployments) {
      console.log(`== ${d.name}: ${d.state ?? "no answer"}\n${d.comment}\n`);
      for (const p of d.problems) console.log(`   expectation not met: ${p}`);
    }
  }
  return allowed ? 0 : 1;
}
