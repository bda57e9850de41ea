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
import { ImpactCache, inspectConfigChange, requesterOf, type Reader, type Requester } from "../../src/app/config-change.js";
import { configImpact, IMPACT_YIELD_EVERY } from "../../src/app/config-impact.js";
import { policyData, validateRepoConfig } from "../../src/config/repo-config.js";
import { AgentGateError } from "../../src/core/errors.js";
import type { RepoPermission } from "../../src/core/facts.js";
import { pullRequestInput } from "../../src/core/policy-input.js";
import { configChangeLines, configChangeAnnotations } from "../../src/render/check-run-config-change.js";

const HEAD = "c".repeat(40);
const fixture = JSON.parse(readFileSync("fixtures/policy/pr-signed-agent-passes.json", "utf8")) as { config: Record<string, unknown>; input: Record<string, unknown> };
/** The fixture's config (what the recorded decisions were made with) as a file, with `count` approvals. JSON is YAML. */
const yaml = (count: number): string => {
  const rules = fixture.config["rules"] as Record<string, Record<string, unknown>>;
  return `${JSON.stringify({ ...fixture.config, rules: { ...rules, human_approval: { ...rules["human_approval"], count } } }, null, 1)}\n`;
};

/** Files on default branches by "repo:path", and the pull request head's files of `repo` (null: deleted); alice writes, bob reads. */
function reader(files: Record<string, string>, at: { repo: string; files: Record<string, string | null> }): Reader & { reads: string[] } {
  const reads: string[] = [];
  const permissions: Record<string, RepoPermission> = { alice: "write", bob: "read" };
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
    permission: (_o, repo, user) => {
      reads.push(`permission ${user.login} on ${repo}`);
      return Promise.resolve(permissions[user.login] ?? "none");
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

const ALICE: Requester = { author: { login: "alice", id: 5001 }, fork: false };
const inspect = (r: Reader, repo: string, files: string[], opts: Parameters<typeof inspectConfigChange>[2] = {}, requester = ALICE) =>
  inspectConfigChange(r, { owner: "acme", repo, headSha: HEAD, files: files.map((filename) => ({ filename })), requester }, { history: storage, ...opts });

test("a change to a base others extend replays the decisions of the repositories that recorded it, counting other repositories'", async () => {
  const r = reader(DEFAULTS, { repo: ".github", files: { "base/agent-gate.yml": yaml(5) } });
  const report = await inspect(r, ".github", ["base/agent-gate.yml", "README.md"]);
  assert.ok(report);
  assert.deepEqual([report.files, report.valid, report.problems, report.incomplete, report.impact], [["base/agent-gate.yml"], true, [], undefined, undefined]);
  // acme/app's two pull requests would fail: counted, never named (acme/.github itself does not read the base).
  assert.deepEqual(report.others, { analysed: 1, replayed: 2, skipped: 0, changed: 2, changedIn: 1, invalid: 0 });
  // The new file is read once, for its validation and for the chain it is in; the author's permission once.
  assert.deepEqual(r.reads, ["\u002egithub:base/agent-gate.yml@ccccccc", "permission alice on .github"]);
  const lines = configChangeLines(report).join("\n");
  assert.match(lines, /### Config change/);
  assert.match(lines, /Other repositories: 2 verdicts in 1 of 1 other repository that read the changed files would change \(among 2 recorded decisions\)\. They are not named here; run `agent-gate config impact` with access to them to see them\./);
  assert.doesNotMatch(lines, /app|1111111|2222222|human-approval/);
});

test("this repository's own config: its pull requests that would change, linked, with head and rules", async () => {
  const r = reader(DEFAULTS, { repo: "app", files: { ".github/agent-gate.yml": yaml(5) } });
  const report = await inspect(r, "app", [".github/agent-gate.yml"]);
  assert.deepEqual(report?.impact?.changed.map((c) => [c.pull_request, c.old, c.new, c.rules]), [[2, "success", "failure", ["+human-approval"]], [1, "success", "failure", ["+human-approval"]]]);
  assert.equal(report.others, undefined);
  const lines = configChangeLines(report).join("\n");
  assert.match(lines, /Impact: 2 verdicts would change among 2 recorded decisions of `acme\/app`/);
  assert.match(lines, /\(https:\/\/github\.com\/acme\/app\/pull\/1\) \| `1111111` \| ✅ success \| ❌ failure \| `\+human-approval` \|/);
});

test("the organisation's config: the .github repository itself in full, every repository that read it as counts", async () => {
  const r = reader(DEFAULTS, { repo: ".github", files: { ".github/agent-gate.yml": yaml(3) } });
  const report = await inspect(r, ".github", [".github/agent-gate.yml"]);
  assert.deepEqual([report?.impact?.repository, report?.impact?.changed], ["acme/.github", []]);
  assert.deepEqual(report?.others, { analysed: 1, replayed: 2, skipped: 0, changed: 2, changedIn: 1, invalid: 0 });
});

// Review finding H8: a pull request on a public acme/.github was shown a private repository's pull requests, heads and
// rules under a config its author chose: an oracle over their recorded facts.
test("a PR on acme/.github (public) does not name acme/web's (private) pull requests, heads or rules", async () => {
  const r = reader(DEFAULTS, { repo: ".github", files: { ".github/agent-gate.yml": yaml(5) } });
  const report = await inspect(r, ".github", [".github/agent-gate.yml"]);
  const text = configChangeLines(report).join("\n");
  assert.doesNotMatch(text, /acme\/web|acme&#47;web|web|#7|#8|3333333|4444444|human-approval/);
  assert.match(text, /Impact: no verdict would change among 0 recorded decisions of `acme\/.github`\.[^]*Other repositories: 2 verdicts in 1 of 1 other repository/);
  assert.doesNotMatch(JSON.stringify(report), /web|3333333|4444444/);
});

test("no impact analysis for a fork or an author without write access: said why, nothing replayed, nothing cached", async () => {
  let replays = 0;
  const counting = { ...storage, audit: { recent: (...a: Parameters<Storage["audit"]["recent"]>) => (replays++, storage.audit.recent(...a)), configUsers: storage.audit.configUsers.bind(storage.audit) }, bundles: storage.bundles };
  const cache = new ImpactCache();
  const change = { repo: ".github", files: { ".github/agent-gate.yml": yaml(5) } };
  const fork = reader(DEFAULTS, change);
  const forked = await inspect(fork, ".github", [".github/agent-gate.yml"], { history: counting, cache }, { ...ALICE, fork: true });
  assert.match(forked?.notRun ?? "", /^this pull request comes from a fork; the analysis replays other pull requests' recorded decisions .* runs only for a pull request from a branch of this repository whose author has write access$/);
  assert.equal(fork.reads.filter((x) => x.startsWith("permission")).length, 0);
  const reading = await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { history: counting, cache }, { author: { login: "bob", id: 2 }, fork: false });
  assert.match(reading?.notRun ?? "", /^bob has read access to acme\/.github; the analysis/);
  const outsider = await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { history: counting, cache }, { author: { login: "mallory", id: 666 }, fork: false });
  assert.match(outsider?.notRun ?? "", /^mallory has no access to acme\/.github; the analysis/);
  for (const x of [forked, reading, outsider]) assert.deepEqual([x?.valid, x?.impact, x?.others, x?.incomplete], [true, undefined, undefined, undefined]);
  assert.equal(replays, 0);
  assert.match(configChangeLines(outsider).join("\n"), /Impact analysis not run: mallory has no access/);
  // A trusted analysis of the same head is cached; an outsider's evaluation of it still does not get it.
  assert.ok((await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { history: counting, cache }))?.others);
  const again = await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { history: counting, cache }, { author: { login: "mallory", id: 666 }, fork: false });
  assert.deepEqual([again?.others, again?.notRun?.slice(0, 20)], [undefined, "mallory has no acces"]);
  // A permission that could not be read fails the evaluation (retried when transient), never runs or skips silently.
  const down: Reader = { ...reader(DEFAULTS, change), permission: () => Promise.reject(new Error("GitHub is down")) };
  await assert.rejects(inspect(down, ".github", [".github/agent-gate.yml"]), /GitHub is down/);
});

test("requesterOf: a head in another repository, or in none (a deleted fork), is a fork", () => {
  const pull = (head: { id: number } | null) => ({ user: { login: "alice", id: 5001, type: "User" }, head: { sha: HEAD, ref: "x", repo: head && { full_name: "x/y", ...head } }, base: { sha: HEAD, ref: "main", repo: { full_name: "acme/app", id: 1, default_branch: "main", private: false } } });
  assert.deepEqual(requesterOf(pull({ id: 1 })), { author: { login: "alice", id: 5001 }, fork: false });
  assert.equal(requesterOf(pull({ id: 2 })).fork, true);
  assert.equal(requesterOf(pull(null)).fork, true);
});

test("an analysis is reused for the same head and files: events on one head replay nothing again", async () => {
  let replays = 0;
  const counting = { audit: { recent: (...a: Parameters<Storage["audit"]["recent"]>) => (replays++, storage.audit.recent(...a)), configUsers: storage.audit.configUsers.bind(storage.audit) }, bundles: storage.bundles };
  let t = 0;
  const cache = new ImpactCache(1000, 10, () => t);
  const change = { repo: ".github", files: { ".github/agent-gate.yml": yaml(5) } };
  const first = await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { history: counting, cache });
  assert.equal(replays, 2);
  assert.equal(await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { history: counting, cache }), first);
  assert.equal(replays, 2);
  // Other new files (another head), or the time to live passed: replayed again.
  await inspect(reader(DEFAULTS, { repo: ".github", files: { ".github/agent-gate.yml": yaml(4) } }), ".github", [".github/agent-gate.yml"], { history: counting, cache });
  assert.equal(replays, 4);
  t = 1000;
  await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { history: counting, cache });
  assert.equal(replays, 6);
  // An analysis in which a read failed is not kept.
  const flaky = { ...counting, audit: { ...counting.audit, recent: (repo: string, ...a: [never, number]) => (replays++, repo === "acme/web" ? Promise.reject(new Error("timeout")) : storage.audit.recent(repo, ...a)) } };
  const fresh = new ImpactCache();
  for (let i = 0; i < 2; i++) assert.match((await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { history: flaky, cache: fresh }))?.incomplete ?? "", /1 other repository could not be analysed/);
  assert.equal(replays, 10);
});

test("the replay gives the event loop a turn every few evaluations", async () => {
  const [one] = await storage.audit.recent("acme/app", "pull_request", 1);
  assert.ok(one);
  const records = Array.from({ length: 3 * IMPACT_YIELD_EVERY + 1 }, (_, i) => ({ ...one, decision_id: `y-${i}`, agent_gate: { ...one.agent_gate, pull_request: 100 + i } }));
  const history = { audit: { recent: () => Promise.resolve(records) }, bundles: storage.bundles };
  const checked = validateRepoConfig(fixture.config);
  assert.ok(checked.ok);
  const engines = new Map();
  await configImpact(history, "acme/app", policyData(checked.config), { engines }); // loads the engine
  // With the engine loaded and the records in memory, nothing else would let a macrotask run before the replay ends.
  let turns = 0;
  let done = false;
  const tick = (): void => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const report = await configImpact(history, "acme/app", policyData(checked.config), { engines });
  done = true;
  assert.equal(report.replayed, records.length);
  assert.ok(turns >= 3, `${turns} turns`);
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
  assert.deepEqual([report.impact, report.others], [undefined, undefined]);
  const notes = configChangeAnnotations(report, undefined);
  assert.deepEqual(notes.map((n) => [n.path, n.start_line, n.start_column, n.annotation_level]), [[".github/agent-gate.yml", 4, 12, "warning"], [".github/agent-gate.yml", 5, 10, "warning"]]);
  const refused = configChangeAnnotations(report, { deny: [{ rule: "config-changes" }] } as never);
  assert.ok(refused.every((n) => n.annotation_level === "failure"));
  assert.match(configChangeLines(report).join("\n"), /❌ The new config is invalid \(2 problems[^]*line 4, column 12[^]*Impact analysis not run: the new config is invalid\./);
});

test("a base deleted while a repository still extends it: invalid, the other repository counted, never named", async () => {
  const r = reader(DEFAULTS, { repo: ".github", files: { "base/agent-gate.yml": null } });
  const report = await inspect(r, ".github", ["base/agent-gate.yml"]);
  assert.equal(report?.valid, false);
  assert.equal(report.problems.length, 1);
  assert.match(report.problems[0]!.message, /^with this change the config of 1 other repository that reads it is invalid \(not named here; `agent-gate config validate` with access to them says why\)$/);
  assert.equal(report.others?.invalid, 1);
  assert.doesNotMatch(JSON.stringify(report) + configChangeLines(report).join("\n"), /acme\/app|does not exist/);
  // This repository's own chain is its own business: named, with the error.
  const own = await inspect(reader(DEFAULTS, { repo: "app", files: { ".github/agent-gate.yml": "_extends: .github:gone.yml\n" } }), "app", [".github/agent-gate.yml"]);
  assert.match(own?.problems[0]?.message ?? "", /with this change the config of acme\/app is invalid: .*gone\.yml/);
});

test("this repository's own chain is merged without an audit log too, and when the log cannot be read: a base it cannot load is a problem", async () => {
  const gone = reader(DEFAULTS, { repo: "app", files: { ".github/agent-gate.yml": "version: 1\n_extends: .github:gone.yml\n" } });
  const at = { owner: "acme", repo: "app", headSha: HEAD, files: [{ filename: ".github/agent-gate.yml" }], requester: ALICE };
  const failing = { audit: { recent: storage.audit.recent.bind(storage.audit), configUsers: () => Promise.reject(new Error("connection refused")) }, bundles: storage.bundles };
  for (const opts of [{}, { history: failing }]) {
    const report = await inspectConfigChange(gone, at, opts);
    assert.equal(report?.valid, false, JSON.stringify(report));
    assert.match(report.problems[0]?.message ?? "", /^with this change the config of acme\/app is invalid: .*gone\.yml/);
  }
  // For a requester the replay must not run for (a fork, no write access): invalid too, the bases it reads unnamed.
  const BOB: Requester = { author: { login: "bob", id: 5002 }, fork: false };
  for (const [who, history] of [[BOB, storage], [{ ...ALICE, fork: true }, undefined]] as const) {
    const report = await inspectConfigChange(gone, { ...at, requester: who }, history ? { history } : {});
    assert.equal(report?.valid, false);
    assert.match(report.problems[0]?.message ?? "", /^with this change the config of acme\/app is invalid: its `_extends` chain does not load \(the reason is not shown here, as (bob has read access to acme\/app|this pull request comes from a fork);/);
    assert.doesNotMatch(JSON.stringify(report), /gone\.yml/);
  }
  // A chain that merges is valid without a log; only the replay is not run.
  const fineReader = reader(DEFAULTS, { repo: "app", files: { ".github/agent-gate.yml": yaml(2) } });
  const fine = await inspectConfigChange(fineReader, at);
  assert.deepEqual([fine?.valid, fine?.problems], [true, []]);
  assert.match(fine?.notRun ?? "", /no audit log is configured/);
  // Who asked is read only when the chain fails (it decides what the failure may show): none for a chain that loads.
  assert.deepEqual(fineReader.reads.filter((x) => x.startsWith("permission")), []);
});

test("bounds and failures are said: repositories capped, deadline, an unreadable log, no log; an unreadable new file", async () => {
  const change = { repo: ".github", files: { ".github/agent-gate.yml": yaml(3) } };
  const capped = await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { maxRepositories: 1 });
  assert.deepEqual([capped?.impact?.repository, capped?.others], ["acme/.github", undefined]); // this repository first
  assert.match(capped?.incomplete ?? "", /1 of 2 repositories not analysed \(at most 1\)/);
  let t = 0;
  const late = await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { deadlineMs: 1, now: () => (t += 1) });
  assert.match(late?.incomplete ?? "", /time allowed .* ran out with 1 of 2 repositories not analysed/);
  // Another repository whose decisions cannot be read: counted, neither named nor its error copied.
  const flaky = { audit: { recent: (repo: string, ...a: [never, number]) => (repo === "acme/web" ? Promise.reject(new Error("acme/web: disk on fire")) : storage.audit.recent(repo, ...a)), configUsers: storage.audit.configUsers.bind(storage.audit) }, bundles: storage.bundles };
  const partial = await inspect(reader(DEFAULTS, change), ".github", [".github/agent-gate.yml"], { history: flaky });
  assert.match(partial?.incomplete ?? "", /^1 other repository could not be analysed \(its config or recorded decisions could not be read; `agent-gate config impact` with access to it says why\)$/);
  assert.doesNotMatch(JSON.stringify(partial), /web|fire/);
  assert.equal(late?.valid, true);
  const failing = { audit: { recent: storage.audit.recent.bind(storage.audit), configUsers: () => Promise.reject(new Error("connection refused")) }, bundles: storage.bundles };
  const withheld: unknown[] = [];
  const broken = await inspect(reader(DEFAULTS, { repo: "app", files: { ".github/agent-gate.yml": yaml(2) } }), "app", [".github/agent-gate.yml"], { history: failing, onWithheld: (err) => withheld.push(err) });
  assert.deepEqual([broken?.files, broken?.valid], [[".github/agent-gate.yml"], true]);
  // GitHub is shown the code, never the database's own message; the caller is handed the error, to log it.
  assert.match(broken?.incomplete ?? "", /^the audit log could not be read: INTERNAL_ERROR: .*\(the details are in agent-gate's log\)$/);
  assert.doesNotMatch(broken?.incomplete ?? "", /connection refused/);
  assert.deepEqual(withheld.map((e) => (e as Error).message), ["connection refused"]);
  const none = await inspectConfigChange(reader(DEFAULTS, { repo: "app", files: { ".github/agent-gate.yml": yaml(2) } }), { owner: "acme", repo: "app", headSha: HEAD, files: [{ filename: ".github/agent-gate.yml" }], requester: ALICE });
  assert.match(none?.notRun ?? "", /no audit log is configured/);
  // A new file that is no readable config is invalid; a read that failed fails the evaluation (never assumed valid).
  const tooLarge: Reader = { ...reader(DEFAULTS, change), configFileAt: () => Promise.reject(new AgentGateError("CONFIG_TOO_LARGE", "acme/.github:.github/agent-gate.yml is 70000 bytes; expected at most 65536 (64 KiB)")) };
  const r = await inspect(tooLarge, ".github", [".github/agent-gate.yml"]);
  assert.equal(r?.valid, false);
  assert.match(r.problems[0]!.message, /could not be read at ccccccc: CONFIG_TOO_LARGE: .*70000 bytes/);
  const down: Reader = { ...reader(DEFAULTS, change), configFileAt: () => Promise.reject(new Error("GitHub is down")) };
  await assert.rejects(inspect(down, ".github", [".github/agent-gate.yml"]), /GitHub is down/);
});
