// `agent-gate evaluate --repo OWNER/REPO --pr N`: evaluates a live pull request with a token and prints the check
// run it would write, writing nothing. `--scenario NAME` replays a recorded scenario offline instead.
import { parseArgs } from "node:util";
import { Octokit } from "@octokit/rest";
import { composeGate } from "../app/compose.js";
import { loadRootFile } from "../adapters/sigstore/trusted-root.js";
import { GitHubStandIn } from "../github-stand-in/stand-in.js";
import { loadScenarios } from "../demo/scenario.js";
import { applyMutation } from "../demo/run.js";
import { describeError } from "../core/errors.js";

const USAGE = "usage: agent-gate evaluate (--repo OWNER/REPO --pr N [--token TOKEN] | --scenario NAME) [--trusted-root FILE] [--json]";

export async function evaluateCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { repo: { type: "string" }, pr: { type: "string" }, token: { type: "string" }, scenario: { type: "string" }, "trusted-root": { type: "string" }, json: { type: "boolean" }, "api-url": { type: "string" } } }));
  } catch (err) {
    console.error(`agent-gate evaluate: ${describeError(err)}\n${USAGE}`);
    return 2;
  }
  try {
    let octokit: Octokit;
    let owner: string;
    let repo: string;
    let number: number;
    let trustedRoot: unknown = values["trusted-root"] ? loadRootFile(values["trusted-root"]) : undefined;
    if (values.scenario) {
      const set = loadScenarios();
      const scenario = set.scenarios.find((s) => s.name === values.scenario);
      if (!scenario) {
        console.error(`agent-gate evaluate: no scenario "${values.scenario}"; expected one of: ${set.scenarios.map((s) => s.name).join(", ")}`);
        return 2;
      }
      const standIn = new GitHubStandIn(structuredClone(scenario.repos));
      for (const step of scenario.steps) applyMutation(standIn, scenario, step);
      octokit = new Octokit({ auth: "offline", request: { fetch: standIn.fetch } });
      const r = scenario.repos[0]!;
      [owner, repo, number] = [r.owner, r.name, r.pulls[0]!.number];
      trustedRoot ??= set.trustedRoot;
    } else {
      const m = /^([^/\s]+)\/([^/\s]+)$/.exec(values.repo ?? "");
      number = Number(values.pr);
      if (!m || !Number.isInteger(number) || number < 1) {
        console.error(`agent-gate evaluate: expected --repo OWNER/REPO and --pr NUMBER\n${USAGE}`);
        return 2;
      }
      const token = values.token ?? process.env.GITHUB_TOKEN;
      if (!token) {
        console.error("agent-gate evaluate: expected a token in --token or GITHUB_TOKEN (read access to the repository)");
        return 2;
      }
      [owner, repo] = [m[1]!, m[2]!];
      octokit = new Octokit({ auth: token, ...(values["api-url"] ? { baseUrl: values["api-url"] } : {}) });
    }
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
