// Config changes checked where they are made (issue 18 item 2): which repositories a changed file applies to (its
// own config, the organisation's, a base others extend, as the audit log recorded them), the new files validated with
// line and column, each repository's chain with the new files, the replay of its recorded decisions, and every bound
// and failure said as "incomplete" or a problem, never a silent pass. Real evaluations, the embedded database.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import type { ConfigText } from "../../src/adapters/github/config-source.js";
import { auditEventOf, openStorage, type Storage } from "../../src/adapters/storage/index.js";
import { inspectConfigChange, type Reader } from "../../src/app/config-change.js";
import { policyData, validateRepoConfig } from "../../src/config/repo-config.js";
import { AgentGateError } from "../../src/core/errors.js";
import { pullRequestInput } from "../../src/core/policy-input.js";
import { configChangeLines, configChangeAnnotations } from "../../src/render/check-run-config-change.js";

const HEAD = "c".repeat(40);
const fixture = JSON.parse(readFileSync("fixtures/policy/pr-signed-agent-passes.json", "utf8")) as { config: Record<string, unknown>; input: Record<string, unknown> };
/** The fixture's config (what the recorded decisions were made with) as a file, with `count` approvals. JSON is YAML. */
const yaml = (count: number): string => {
  const rules = fixture.config["rules"] as Record<string, Record<string, unknown>>;
  return `${JSON.stringify({ ...fixture.config, rules: { ...rules, human_approval: { ...rules["human_approval"], count } } }, null, 1)}\n`;
};

/** Files on default branches by "repo:path", and the pull request head's files of `repo` (null: deleted). */
function reader(files: Record<string, string>, at: { repo: string; files: Record<string, string | null> }): Reader & { reads: string[] } {
  const reads: string[] = [];
  const text = (repo: string, path: string, value: string | undefined, where: string): ConfigText | null =>
    value === undefined ? null : { text: value, source: `acme/${repo}:${path} (${where})`, repo, path, digest: `sha256:${createHash("sha256").update(value).digest("hex")}` };
  return {
    reads,
    configFile: (_o, repo, path) => Promise.resolve(text(repo, path, files[`${repo}:${path}`], "default branch")),
    configFileAt: (_o, repo, path, sha) => {
      reads.push(`${repo}:${path}@${sha.slice(0, 7)}`);
      const v = repo === at.repo && path in at.files ? at.files[path] : files[`${repo}:${path}`];
      return Promise.resolve(text(repo, path, v ?? undefined, `at ${sha.slice(0, 7)}`));
    },
  };
}

let storage: Storage;
// acme/app extends the organisation's base (.github:base/agent-gate.yml); acme/web has no config of its own (the
// organisation's applies). Each has two recorded agent PRs that passed with one approval.
const DEFAULTS = { "app:.github/agent-gate.yml": "_extends: .github:base/agent-gate.yml\n", ".github:base/agent-gate.yml": yaml(1), ".github:.github/agent-gate.yml": yaml(1) };

before(async () => {
  storage = await openStorage({ dataDir: "memory://" });
  const bundle = builtinBundle();
  const engine = await PolicyEngine.load(bundle);
  await storage.bundles.put({ digest: engine.policy.digest, revision: bundle.revision, wasm: bundle.wasm, data: new TextDecoder().decode(bundle.dataBytes) });
  const checked = validateRepoConfig(fixture.config);
  assert.ok(checked.ok);
  const data = policyData(checked.config);
  const recorded: [string, number, string[]][] = [
    ["acme/app", 1, ["acme/app:.github/agent-gate.yml (default branch)", "acme/.github:base/agent-gate.yml (default branch)"]],
    ["acme/app", 2, ["acme/app:.github/agent-gate.yml (default branch)", "acme/.github:base/agent-gate.yml (default branch)"]],
    ["acme/web", 7, ["acme/.github:.github/agent-gate.yml (default branch)"]],
    ["acme/web", 8, ["acme/.github:.github/agent-gate.yml (default branch)"]],
  ];
  for (const [i, [repository, pr, configFiles]] of recorded.entries()) {
    const input = pullRequestInput({ ...fixture.input, pull_request: { ...(fixture.input["pull_request"] as object), number: pr } });
    const decision = engine.evaluate("agent_gate/pull_request/decision", input, { data, decisionId: `cc-${i}` });
    assert.equal(decision.allow, true);
    const event = auditEventOf({ decisionId: `cc-${i}`, deliveryId: undefined, installationId: 1, repository, pullNumber: pr, headSha: String(i + 1).repeat(40), input, decision, conclusion: { conclusion: "success", title: "" }, durationMs: 1, configFiles }, { policy: engine.policy });
    await storage.audit.append(event!, { policyData: data });
  }
});
after(() => storage.close());

const inspect = (r: Reader, repo: string, files: string[], opts: Parameters<typeof inspectConfigChange>[2] = {}) =>
  inspectConfigChange(r, { owner: "acme", repo, headSha: HEAD, files: files.map((filename) => ({ filename })) }, { history: storage, ...opts });

test("a change to a base others extend replays the decisions of the repositories that recorded it", async () => {
  const r = reader(DEFAULTS, { repo: ".github", files: { "base/agent-gate.yml": yaml(5) } });
  const report = await inspect(r, ".github", ["base/agent-gate.yml", "README.md"]);
  assert.ok(report);
  assert.deepEqual([report.files, report.valid, report.problems, report.incomplete], [["base/agent-gate.yml"], true, [], undefined]);
  assert.deepEqual(report.impact.map((i) => i.repository), ["acme/app"]);
  assert.deepEqual(report.impact[0]!.changed.map((c) => [c.pull_request, c.old, c.new, c.rules]), [[2, "success", "failure", ["+human-approval"]], [1, "success", "failure", ["+human-approval"]]]);
  // The new file is read once, for its validation and for the chain it is in.
  assert.deepEqual(r.reads, ["\u002egithub:base/agent-gate.yml@ccccccc"]);
  const lines = configChangeLines(report).join("\n");
  assert.match(lines, /### Config change/);
  assert.match(lines, /Impact: 2 verdicts would change among 2 recorded decisions of `acme\/app`/);
  assert.match(lines, /\(https:\/\/github\.com\/acme\/app\/pull\/1\) \| `1111111` \| ✅ success \| ❌ failure \| `\+human-approval` \|/);
});

test("the organisation's config: the .github repository itself and every repository that read it", async () => {
  const r = reader(DEFAULTS, { repo: ".github", files: { ".github/agent-gate.yml": yaml(3) } });
  const report = await inspect(r, ".github", [".github/agent-gate.yml"]);
  assert.deepEqual(report?.impact.map((i) => [i.repository, i.changed.map((c) => c.pull_request)]), [["acme/.github", []], ["acme/web", [8, 7]]]);
});

test("a pull request that changes no config file costs one lookup and reports nothing", async () => {
  const r = reader(DEFAULTS, { repo: "app", files: {} });
  assert.equal(await inspect(r, "app", ["src/a.ts", "docs/x.md"]), undefined);
  assert.equal(await inspect(r, "app", ["deploy/values.yml"]), undefined); // a YAML file no config reads
  assert.deepEqual(r.reads, []);
});

test("invalid new files: each problem with line and column, no replay; annotations at the line", async () => {
  const broken = "version: 1\nrules:\n  human_approval:\n    count: many\n  sizes: {}\n";
  const r = reader(DEFAULTS, { repo: "app", files: { ".github/agent-gate.yml": broken } });
  const report = await inspect(r, "app", [".github/agent-gate.yml"]);
  assert.equal(report?.valid, false);
  assert.deepEqual(report.problems.map((p) => [p.file, p.line, p.column]), [[".github/agent-gate.yml", 4, 12], [".github/agent-gate.yml", 5, 10]]);
  assert.match(report.problems[0]!.message, /^rules\.human_approval\.count: expected a whole number/);
  assert.equal(report.notRun, "the new config is invalid");
  assert.deepEqual(report.impact, []);
  const notes = configChangeAnnotations(report, undefined);
  assert.deepEqual(notes.map((n) => [n.path, n.start_line, n.start_column, n.annotation_level]), [[".github/agent-gate.yml", 4, 12, "warning"], [".github/agent-gate.yml", 5, 10, "warning"]]);
  const refused = configChangeAnnotations(report, { deny: [{ rule: "config-changes" }] } as never);
  assert.ok(refused.every((n) => n.annotation_level === "failure"));
  assert.match(configChangeLines(report).join("\n"), /❌ The new config is invalid \(2 problems[^]*line 4, column 12[^]*Impact analysis not run: the new config is invalid\./);
});

test("a base deleted while a repository still extends it: invalid, naming that repository", async () => {
  const r = reader(DEFAULTS, { repo: ".github", files: { "base/agent-gate.yml": null } });
  const report = await inspect(r, ".github", ["base/agent-gate.yml"]);
  assert.equal(report?.valid, false);
  assert.match(report.problems[0]!.message, /with this change the config of acme\/app is invalid: .*does not exist/);
});

test("bounds and failures are said: repositories capped, deadline, an unreadable log, no log; an unreadable new file", async () => {
  const change = { repo: ".github", files: { ".github/agent-gate.yml": yaml(3) } };
  const capped = await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { maxRepositories: 1 });
  assert.deepEqual(capped?.impact.map((i) => i.repository), ["acme/.github"]);
  assert.match(capped.incomplete ?? "", /1 of 2 repositories not analysed \(at most 1\)/);
  let t = 0;
  const late = await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { deadlineMs: 1, now: () => (t += 1) });
  assert.match(late?.incomplete ?? "", /time allowed .* ran out/);
  assert.equal(late?.valid, true);
  const failing = { audit: { recent: storage.audit.recent.bind(storage.audit), configUsers: () => Promise.reject(new Error("connection refused")) }, bundles: storage.bundles };
  const broken = await inspect(reader(DEFAULTS, { repo: "app", files: { ".github/agent-gate.yml": yaml(2) } }), "app", [".github/agent-gate.yml"], { history: failing });
  assert.deepEqual([broken?.files, broken?.valid], [[".github/agent-gate.yml"], true]);
  assert.match(broken?.incomplete ?? "", /the audit log could not be read: connection refused/);
  const none = await inspectConfigChange(reader(DEFAULTS, { repo: "app", files: { ".github/agent-gate.yml": yaml(2) } }), { owner: "acme", repo: "app", headSha: HEAD, files: [{ filename: ".github/agent-gate.yml" }] });
  assert.match(none?.notRun ?? "", /no audit log is configured/);
  // A new file that is no readable config is invalid; a read that failed fails the evaluation (never assumed valid).
  const tooLarge: Reader = { ...reader(DEFAULTS, change), configFileAt: () => Promise.reject(new AgentGateError("CONFIG_TOO_LARGE", "acme/.github:.github/agent-gate.yml is 70000 bytes; expected at most 65536 (64 KiB)")) };
  const r = await inspect(tooLarge, ".github", [".github/agent-gate.yml"]);
  assert.equal(r?.valid, false);
  assert.match(r.problems[0]!.message, /could not be read at ccccccc: CONFIG_TOO_LARGE: .*70000 bytes/);
  const down: Reader = { ...reader(DEFAULTS, change), configFileAt: () => Promise.reject(new Error("GitHub is down")) };
  await assert.rejects(inspect(down, ".github", [".github/agent-gate.yml"]), /GitHub is down/);
});
