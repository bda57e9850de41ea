// Class 7, "paths mean what a reviewer thinks": an agent with verified provenance and no human approval needed for
// ordinary work changes what a reviewer would call a protected path, through a door the path rules did not see: a
// submodule pointer (gitlink) above or over a protected directory, a base file of the config chain or another
// agent-gate config, a rename, and binary files that GitHub counts as no lines. Each case must deny.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { StandInFile, StandInRepo } from "../../src/demo/github/model.js";
import { CONFIG, agentPull, commit, judge, payloadFor, provenanceBlock, repo, sha, shown } from "./support.js";

/** The harness's config with no approval needed for an agent's ordinary work; `rules` lines are added under rules. */
function config(rules = "", top = ""): string {
  return `${top}${CONFIG.replace("human_approval:\n    count: 1\n", `human_approval:\n    count: 0\n${rules}`)}`;
}

/** A gitlink's diff as GitHub shows it: one line each side. */
function gitlink(path: string, fresh = false): StandInFile {
  const patch = fresh ? `@@ -0,0 +1 @@\n+Subproject commit ${sha(`${path}:new`)}` : `@@ -1 +1 @@\n-Subproject commit ${sha(`${path}:old`)}\n+Subproject commit ${sha(`${path}:new`)}`;
  return { filename: path, status: fresh ? "added" : "modified", additions: 1, deletions: fresh ? 0 : 1, patch };
}

/** A binary file as GitHub lists it: no patch, no lines. */
function binary(path: string): StandInFile {
  return { filename: path, status: "added", additions: 0, deletions: 0, patch: null };
}

const ORDINARY: StandInFile[] = [{ filename: "src/parser.ts", additions: 10, deletions: 2, patch: "@@ -1,2 +1,10 @@\n-a\n+b" }];

/** Opens the agent's signed pull request changing `files` (beside ordinary work) in repository `r` made by `make`. */
async function agentChanges(files: StandInFile[], cfg = config(), make: (pulls: ReturnType<typeof agentPull>[]) => StandInRepo = (p) => repo(p, cfg)) {
  const c = commit(`p:${files.map((f) => f.filename).join(",")}:${cfg.length}`);
  const pull = agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c], repository: "acme/widgets" })}`, { files: [...ORDINARY, ...files] });
  const r = make([pull]);
  const judged = await judge([r], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, 1) }]);
  assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
  const run = judged.run(c.sha);
  return { conclusion: run.conclusion, title: run.output.title ?? "", text: shown(run) };
}

test("control: the agent's ordinary work passes with no approval under this config", async () => {
  const check = await agentChanges([]);
  assert.equal(check.conclusion, "success", check.title);
});

test("a submodule pointer at .github (above every protected path in it) is a change to them", async () => {
  const check = await agentChanges([gitlink(".github")]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /the agent changed `\.github`, which needs 1 approval/);
  assert.match(check.text, /\.github\/workflows\/\*\*/);
});

test("a new submodule replacing .github/workflows itself is a change under .github/workflows/**", async () => {
  const check = await agentChanges([gitlink(".github/workflows", true)]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /the agent changed `\.github\/workflows`, which needs 1 approval/);
});

test("a submodule pointer that could hold files a protected glob names is a change there", async () => {
  // deploy/**/*.tf cannot be told from a gitlink's path alone: its tree is another repository's.
  const cfg = config(`  protected_paths:\n    paths: ["deploy/**/*.tf"]\n`);
  const check = await agentChanges([gitlink("deploy/modules")], cfg);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /the agent changed `deploy\/modules`/);
  assert.ok(check.text.includes("deploy/**/*.tf"));
});

test("a submodule anywhere is a change to a protected glob with no fixed prefix (**/*.tf)", async () => {
  const cfg = config(`  protected_paths:\n    paths: ["**/*.tf"]\n`);
  const check = await agentChanges([gitlink("vendor/terraform-modules")], cfg);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /the agent changed `vendor\/terraform-modules`/);
});

test("the base file a config extends in the same repository is protected like .github/agent-gate.yml", async () => {
  const cfg = "version: 1\n_extends: widgets:config/base.yml\n";
  const make = (pulls: ReturnType<typeof agentPull>[]): StandInRepo => repo(pulls, cfg, { files: { ".github/agent-gate.yml": cfg, "config/base.yml": config() } });
  const check = await agentChanges([{ filename: "config/base.yml", additions: 1, deletions: 1, patch: "@@ -1 +1 @@\n-    count: 0\n+    count: 0 " }], cfg, make);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /the agent changed `config\/base\.yml`, which needs 1 approval/);
});

test("renaming the config chain's base away is a change at its old path", async () => {
  const cfg = "version: 1\n_extends: widgets:config/base.yml\n";
  const make = (pulls: ReturnType<typeof agentPull>[]): StandInRepo => repo(pulls, cfg, { files: { ".github/agent-gate.yml": cfg, "config/base.yml": config() } });
  const check = await agentChanges([{ filename: "config/old-base.yml", previous_filename: "config/base.yml", status: "renamed", additions: 0, deletions: 0 }], cfg, make);
  assert.equal(check.conclusion, "failure");
  assert.match(check.text, /the agent changed `config\/base\.yml`/);
});

test("in the organisation's .github repository, the base its config extends there is protected", async () => {
  const cfg = "version: 1\n_extends: .github:org/agent-gate-base.yml\n";
  const make = (pulls: ReturnType<typeof agentPull>[]): StandInRepo => ({ ...repo(pulls, cfg), name: ".github", id: 515151, files: { ".github/agent-gate.yml": cfg, "org/agent-gate-base.yml": config() } });
  const c = commit("org-base");
  const pull = agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c], repository: "acme/.github" })}`, { files: [...ORDINARY, { filename: "org/agent-gate-base.yml", additions: 2, deletions: 2 }] });
  const r = make([pull]);
  const judged = await judge([r], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, 1) }]);
  assert.deepEqual(judged.problems, []);
  const run = judged.run(c.sha);
  assert.equal(run.conclusion, "failure");
  assert.match(run.output.title ?? "", /the agent changed `org\/agent-gate-base\.yml`/);
});

test("a new agent-gate config anywhere (a base another repository could extend) is protected", async () => {
  const check = await agentChanges([{ filename: "deploy/agent-gate-prod.yml", status: "added", additions: 12, deletions: 0 }]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /the agent changed `deploy\/agent-gate-prod\.yml`/);
});

test("renaming a plain file into an agent-gate config name is a change at its new path", async () => {
  const check = await agentChanges([{ filename: "agent-gate.yml", previous_filename: "notes/settings.yml", status: "renamed", additions: 0, deletions: 0 }]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /the agent changed `agent-gate\.yml`/);
});

test("renaming a workflow out of .github/workflows is a change there", async () => {
  // A guard: renames counted at their old path before 45a004d too (this case held then).
  const check = await agentChanges([{ filename: "scripts/release.yml", previous_filename: ".github/workflows/release.yml", status: "renamed", additions: 0, deletions: 0 }]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /the agent changed `\.github\/workflows\/release\.yml`/);
});

test("binary files are not 0 lines: two of them exceed a 150-line limit", async () => {
  const cfg = config("  size:\n    max_lines: 150\n");
  const check = await agentChanges([binary("assets/model.onnx"), binary("assets/payload.bin")], cfg);
  assert.equal(check.conclusion, "failure");
  // 12 lines of ordinary work, 100 for each binary (rules.size.binary_file_lines' default).
  assert.match(check.title, /the agent changed 212 lines; the limit is 150/);
});
