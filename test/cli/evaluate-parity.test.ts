// `agent-gate evaluate --repo --pr` answers with the check run the App would write on the pull request's head commit:
// the commit judged with every open pull request heading it (app/shared-head.ts), writing nothing. Used as a CI gate
// it must never pass where the App's check fails: for every recorded scenario, exit 0 only where the App's check on
// that head concluded success. A pull request that is not open is judged nowhere: refused, never a success.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { evaluateCommand } from "../../src/cli/evaluate.js";
import { loadScenarios, type Scenario } from "../../src/demo/scenario.js";
import { applyMutation, closeScenarioAudit, inProcessApp } from "../../src/demo/run.js";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";

const { trustedRoot, scenarios } = loadScenarios();
const ROOT = "fixtures/scenarios/trusted_root.json";
after(() => closeScenarioAudit());

/** The scenario's final state on a fresh stand-in: nothing the App wrote, other Apps' check runs included. */
function finalState(s: Scenario, edit: (repos: Scenario["repos"]) => void = () => undefined): GitHubStandIn {
  const repos = structuredClone(s.repos);
  edit(repos);
  const standIn = new GitHubStandIn(repos);
  for (const step of s.steps) applyMutation(standIn, s, step);
  return standIn;
}

async function cli(standIn: GitHubStandIn, owner: string, repo: string, pr: number, extra: string[] = []): Promise<{ code: number; out: string }> {
  const base = await standIn.listen();
  const lines: string[] = [];
  try {
    const code = await evaluateCommand(["--repo", `${owner}/${repo}`, "--pr", String(pr), "--token", "ghs_cli", "--api-url", base, "--trusted-root", ROOT, ...extra], { out: (t) => lines.push(t), err: (t) => lines.push(t) });
    return { code, out: lines.join("\n") };
  } finally {
    await standIn.close();
  }
}

const scenario = (name: string): Scenario => scenarios.find((s) => s.name === name)!;

for (const s of scenarios) {
  test(`evaluate --pr exits 0 only where the App's check on that head succeeded: ${s.name}`, async () => {
    const { standIn, deliver } = await inProcessApp(s, trustedRoot);
    for (const step of s.steps) {
      applyMutation(standIn, s, step);
      await deliver(step);
    }
    for (const repo of s.repos)
      for (const p of repo.pulls) {
        const live = standIn.pull(repo.owner, repo.name, p.number)!;
        if ((live.state ?? "open") !== "open" || live.merged) continue;
        const run = standIn.checkRuns.filter((r) => r.head_sha === live.head.sha && r.name === "agent-gate").at(-1);
        const { code, out } = await cli(finalState(s), repo.owner, repo.name, p.number);
        assert.ok(code === 0 || code === 1, `${repo.owner}/${repo.name}#${p.number}: exit ${code}\n${out}`);
        if (code === 0) assert.equal(run?.conclusion, "success", `${repo.owner}/${repo.name}#${p.number}: the CLI passes what the App's check (${run?.conclusion ?? "none"}) does not\n${out}`);
      }
  });
}

test("evaluate --pr of a stranger's fork sharing an agent pull request's head: the commit's verdict, failure", async () => {
  const s = scenario("shared-head-fork");
  for (const pr of [14, 15]) {
    const { code, out } = await cli(finalState(s), "acme", "widgets", pr);
    assert.equal(code, 1, `#${pr}\n${out}`);
    assert.match(out, /^acme\/widgets#\d+ at [0-9a-f]{7}: failure/);
    assert.match(out, /#14/);
  }
  const { code, out } = await cli(finalState(s), "acme", "widgets", 15, ["--json"]);
  assert.equal(code, 1);
  const doc = JSON.parse(out) as { conclusion: string; pull_requests: number[] };
  assert.equal(doc.conclusion, "failure");
  assert.deepEqual([...doc.pull_requests].sort(), [14, 15]);
});

test("evaluate --pr of a pull request that is not open: refused (exit 2, PR_NOT_OPEN), never a success", async () => {
  const s = scenario("signed-agent-pr");
  const closed = finalState(s, (repos) => void (repos[0]!.pulls[0]!.state = "closed"));
  const { code, out } = await cli(closed, "acme", "widgets", 1);
  assert.equal(code, 2, out);
  assert.match(out, /acme\/widgets#1 is not open/);
  const again = await cli(finalState(s, (repos) => void (repos[0]!.pulls[0]!.state = "closed")), "acme", "widgets", 1, ["--json"]);
  assert.equal(again.code, 2);
  assert.equal((JSON.parse(again.out.split("\n").filter((l) => !l.startsWith("agent-gate")).join("\n")) as { error: { code: string } }).error.code, "PR_NOT_OPEN");
});

test("require_valid_config_changes: a new config whose chain cannot load fails in the App without an audit log and in the CLI", async () => {
  const s = structuredClone(scenario("config-change-invalid"));
  (s as { audit?: boolean }).audit = false; // the App without an audit log
  const pull = s.repos[0]!.pulls[0]! as unknown as { headFiles: Record<string, string> };
  const config = s.repos[0]!.files[".github/agent-gate.yml"]!;
  assert.match(config, /require_valid_config_changes: true/);
  pull.headFiles[".github/agent-gate.yml"] = config.replace("version: 1\n", "version: 1\n_extends: no-such-base\n");
  const { standIn, deliver } = await inProcessApp(s, trustedRoot);
  for (const step of s.steps) {
    applyMutation(standIn, s, step);
    await deliver(step);
  }
  const run = standIn.checkRuns.filter((r) => r.name === "agent-gate").at(-1);
  assert.equal(run?.conclusion, "failure");
  assert.match(run?.output.summary ?? "", /with this change the config of acme\/gadgets is invalid/);
  const { code, out } = await cli(finalState(s), "acme", "gadgets", s.repos[0]!.pulls[0]!.number);
  assert.equal(code, 1, out);
  assert.match(out, /with this change the config of acme\/gadgets is invalid/);
});
