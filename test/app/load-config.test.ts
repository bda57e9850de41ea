// The config both gates judge by: the repository's .github/agent-gate.yml (else the organisation's), merged over
// the bases it names in `_extends`, every file from a default branch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { ConfigSource, configFiles } from "../../src/adapters/github/config-source.js";
import { extendsTarget, loadRepoConfig, mergeConfig } from "../../src/app/load-config.js";
import type { StandInRepo } from "../../src/demo/github/model.js";
import { validatedGitHub } from "../support/github.js";

const repo = (owner: string, name: string, files: Record<string, string>): StandInRepo => ({ owner, name, id: name.length + 100, defaultBranch: "main", files, pulls: [] });
const client = (fetch: typeof globalThis.fetch): Octokit => new Octokit({ auth: "test-token", request: { fetch } });

async function load(repos: StandInRepo[], owner = "acme", name = "web") {
  const gh = validatedGitHub(repos);
  const out = await loadRepoConfig(configFiles(new ConfigSource(), client(gh.fetch)), owner, name).catch((err: unknown) => err as Error & { code?: string });
  assert.deepEqual(gh.problems, []);
  return out;
}

const ORG_BASE = `version: 1
agents:
  labels: [ai-generated]
rules:
  size:
    max_files: 10
  human_approval:
    count: 2
  protected_paths:
    paths: ["infra/**"]
`;

test("a repository's config extends the organisation's base: objects merge, its own settings and lists win", async () => {
  const own = `_extends: .github\nrules:\n  human_approval:\n    count: 1\n  protected_paths:\n    paths: ["deploy/**"]\n`;
  const loaded = await load([repo("acme", "web", { ".github/agent-gate.yml": own }), repo("acme", ".github", { ".github/agent-gate.yml": ORG_BASE })]);
  assert.ok(!(loaded instanceof Error), loaded instanceof Error ? loaded.message : "");
  assert.equal(loaded.config.rules.human_approval.count, 1, "the repository's value");
  assert.equal(loaded.config.rules.human_approval.separation_of_duties, true, "a default neither file set");
  assert.equal(loaded.config.rules.size.max_files, 10, "the base's value");
  assert.deepEqual(loaded.config.agents.labels, ["ai-generated"]);
  assert.deepEqual(loaded.config.rules.protected_paths.paths, ["deploy/**"], "a list is replaced, not appended to");
  assert.deepEqual(loaded.files, ["acme/web:.github/agent-gate.yml (default branch)", "acme/.github:.github/agent-gate.yml (default branch)"]);
  assert.equal(loaded.facts.source, "repository");
  assert.match(loaded.facts.digest, /^sha256:[0-9a-f]{64}$/);

  // The digest covers the base: a change there is a different config.
  const changed = await load([repo("acme", "web", { ".github/agent-gate.yml": own }), repo("acme", ".github", { ".github/agent-gate.yml": ORG_BASE.replace("10", "11") })]);
  assert.ok(!(changed instanceof Error));
  assert.notEqual(changed.facts.digest, loaded.facts.digest);
});

test("a base at another path of another repository of the owner, through a chain", async () => {
  const loaded = await load([
    repo("acme", "web", { ".github/agent-gate.yml": "_extends: policies:gate/web.yml\n" }),
    repo("acme", "policies", { "gate/web.yml": "_extends: acme/policies:gate/base.yml\nrules:\n  size:\n    max_lines: 200\n", "gate/base.yml": ORG_BASE }),
  ]);
  assert.ok(!(loaded instanceof Error), loaded instanceof Error ? loaded.message : "");
  assert.equal(loaded.config.rules.size.max_lines, 200);
  assert.equal(loaded.config.rules.size.max_files, 10);
  assert.equal(loaded.files.length, 3);
});

test("a single file keeps its own digest; no file at all is the built-in default", async () => {
  const single = await load([repo("acme", "web", { ".github/agent-gate.yml": ORG_BASE })]);
  assert.ok(!(single instanceof Error));
  assert.equal(single.files.length, 1);
  const none = await load([repo("acme", "web", {})]);
  assert.ok(!(none instanceof Error));
  assert.equal(none.facts.source, "default");
  assert.deepEqual(none.files, []);
});

test("a base of another owner, a missing base, a loop, a long chain and a broken base are refused, each naming the file", async () => {
  const refused = async (repos: StandInRepo[], message: RegExp): Promise<void> => {
    const err = await load(repos);
    assert.ok(err instanceof Error, "refused");
    assert.equal(err.code, "CONFIG_INVALID");
    assert.match(err.message, message);
  };
  await refused([repo("acme", "web", { ".github/agent-gate.yml": "_extends: evil/policies\n" })], /acme\/web:\.github\/agent-gate\.yml \(default branch\): _extends: "evil\/policies" names another owner; expected a repository of acme/);
  await refused([repo("acme", "web", { ".github/agent-gate.yml": "_extends: nowhere\n" })], /_extends: acme\/nowhere:\.github\/agent-gate\.yml does not exist on its default branch/);
  await refused(
    [repo("acme", "web", { ".github/agent-gate.yml": "_extends: base\n" }), repo("acme", "base", { ".github/agent-gate.yml": "_extends: web\n" })],
    /acme\/base:\.github\/agent-gate\.yml \(default branch\): _extends: web leads back to a config already in the chain \(a loop\)/,
  );
  const files: Record<string, string> = {};
  for (let i = 0; i < 6; i++) files[`c${i}.yml`] = `_extends: chain:c${i + 1}.yml\n`;
  await refused([repo("acme", "web", { ".github/agent-gate.yml": "_extends: chain:c0.yml\n" }), repo("acme", "chain", files)], /the chain is longer than 5 files/);
  await refused(
    [repo("acme", "web", { ".github/agent-gate.yml": "_extends: .github\n" }), repo("acme", ".github", { ".github/agent-gate.yml": "rules:\n  size:\n    max_files: lots\n" })],
    /acme\/\.github:\.github\/agent-gate\.yml \(default branch\): rules\.size\.max_files: .*"lots" \(line 3, column 16\)/,
  );
  await refused([repo("acme", "web", { ".github/agent-gate.yml": "_extends: base:../../etc/passwd\n" })], /is not a plain relative path/);
});

test("extendsTarget and mergeConfig", () => {
  assert.deepEqual(extendsTarget(".github", "acme", "f"), { owner: "acme", repo: ".github", path: ".github/agent-gate.yml" });
  assert.deepEqual(extendsTarget("ACME/policies:x/y.yml", "acme", "f"), { owner: "acme", repo: "policies", path: "x/y.yml" });
  assert.throws(() => extendsTarget("a b", "acme", "f"), /expected REPO, OWNER\/REPO/);
  assert.deepEqual(mergeConfig({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, e: 2 }), { a: { b: 1, c: [2] }, d: 1, e: 2 });
  assert.deepEqual(mergeConfig({ a: { b: 1 } }, { a: null }), { a: null });
  const hostile = mergeConfig({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(hostile), Object.prototype, "a __proto__ key is a key, not a prototype");
  assert.deepEqual(Object.keys(hostile), ["__proto__"]);
  assert.equal((hostile as { polluted?: boolean }).polluted, undefined);
});

test("hostile files (alias bomb, undefined alias, expires: someday, lone surrogate, !!python/object) are CONFIG_INVALID naming the file and line, in a base too", async () => {
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...["b", "c", "d", "e", "f"].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${"abcde"[i]}`).join(", ")}]`)].join("\n");
  const cases: [string, RegExp][] = [
    [bomb, /\(document\): invalid YAML: aliases expand to more than 100 copies .*\(line 2, column \d+\)$/],
    ["rules:\n  size: *nope\n", /invalid YAML: the alias \*nope names no anchor.*\(line 2, column 9\)$/],
    ["rules:\n  model_governance:\n    allowed: [{model: a/b, expires: someday}]\n", /rules\.model_governance\.allowed\.0\.expires: expected a date YYYY-MM-DD, got "someday" \(line 3, column \d+\)$/],
    ['agents:\n  labels: ["\\udfff"]\n', /agents\.labels\.0: a string holds a lone surrogate .*\(line 2, column 12\)$/],
    ["rules: !!python/object:os.system\n  size: {}\n", /rules: unsupported YAML tag !!python\/object:os\.system; .*\(line 2, column 3\)$/],
  ];
  for (const [text, message] of cases) {
    for (const [repos, file] of [
      [[repo("acme", "web", { ".github/agent-gate.yml": text })], "acme/web:.github/agent-gate.yml"],
      [[repo("acme", "web", { ".github/agent-gate.yml": "_extends: .github\n" }), repo("acme", ".github", { ".github/agent-gate.yml": text })], "acme/.github:.github/agent-gate.yml"],
    ] as const) {
      const err = await load([...repos]);
      assert.ok(err instanceof Error, `${text}: loaded`);
      assert.equal(err.code, "CONFIG_INVALID", `${text}: ${err.message}`);
      assert.ok(err.message.startsWith(`${file} (default branch): `), err.message);
      assert.match(err.message, message);
    }
  }
});

test("readings are remembered by content: the same bytes give the same frozen config, a changed byte a new reading, a broken file fails alike each time", async () => {
  const files = (count: number): StandInRepo[] => [repo("acme", "web", { ".github/agent-gate.yml": `_extends: .github\nrules:\n  human_approval:\n    count: ${count}\n` }), repo("acme", ".github", { ".github/agent-gate.yml": ORG_BASE })];
  const first = await load(files(1));
  const again = await load(files(1));
  assert.ok(!(first instanceof Error) && !(again instanceof Error));
  assert.equal(again.config, first.config, "the same chain of bytes: one reading, shared");
  assert.ok(Object.isFrozen(first.config) && Object.isFrozen(first.config.rules.human_approval), "shared, so frozen all the way down");
  assert.throws(() => {
    (first.config.rules.human_approval as { count: number }).count = 0;
  }, TypeError);
  const changed = await load(files(3));
  assert.ok(!(changed instanceof Error));
  assert.equal(changed.config.rules.human_approval.count, 3, "a changed byte is read again");
  assert.notEqual(changed.facts.digest, first.facts.digest);
  const broken = [repo("acme", "web", { ".github/agent-gate.yml": "rules:\n  human_approval:\n    count: many\n" })];
  const e1 = await load(broken);
  const e2 = await load(broken);
  assert.ok(e1 instanceof Error && e2 instanceof Error);
  assert.equal(e1.code, "CONFIG_INVALID");
  assert.equal(e2.message, e1.message, "a remembered failure fails the same way");
  assert.notEqual(e2, e1, "each evaluation gets its own error");
});
