// agent-gate policy eval reads its files as a user gives them: a missing file is FILE_NOT_FOUND and a file that is not
// JSON is JSON_INVALID, each naming the file, where and what was expected (never INTERNAL_ERROR, which means a bug);
// and --case takes a fixtures/policy file whole (its input, config and revocation list), as docs/policy.md says.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { policyEval } from "../../src/cli/policy-eval.js";
import { EXPECTED, ROOT, loadCases } from "../policies/support.js";

function io(): { out: (t: string) => void; err: (t: string) => void; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { out: (t) => stdout.push(t), err: (t) => stderr.push(t), stdout, stderr };
}

async function failure(args: string[]): Promise<{ exit: number; code: string; message: string; stderr: string }> {
  const o = io();
  const exit = await policyEval([...args, "--json"], o);
  assert.equal(o.stdout.length, 1, "one JSON document");
  const doc = JSON.parse(o.stdout[0]!) as { error: { code: string; message: string } };
  return { exit, ...doc.error, stderr: o.stderr.join("\n") };
}

describe("agent-gate policy eval: the files it reads", () => {
  let dir = "";
  const file = (name: string, content: string): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  before(() => (dir = mkdtempSync(join(tmpdir(), "agent-gate-policy-eval-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const input = (): string => file("pr.json", JSON.stringify(loadCases().find((c) => c.name === "pr-signed-agent-passes")?.input));

  it("a missing --input, --data, --config or --case is FILE_NOT_FOUND naming the file and what it was to be", async () => {
    const missing = join(dir, "nonexistent.json");
    for (const [flag, args, what] of [
      ["--input", ["--input", missing], "the policy input"],
      ["--data", ["--input", input(), "--data", missing], "the data document"],
      ["--config", ["--input", input(), "--config", missing], "a .github/agent-gate.yml"],
      ["--case", ["--case", missing], "a policy case"],
    ] as const) {
      const r = await failure([...args]);
      assert.equal(r.exit, 2, flag);
      assert.equal(r.code, "FILE_NOT_FOUND", `${flag}: ${r.message}`);
      assert.ok(r.message.startsWith(`${flag} ${missing} does not exist; expected ${what}`), `${flag}: ${r.message}`);
      assert.doesNotMatch(r.stderr, /INTERNAL_ERROR|ENOENT/);
    }
  });

  it("a directory is FILE_UNREADABLE, not a bug", async () => {
    const r = await failure(["--input", dir]);
    assert.equal(r.exit, 2);
    assert.equal(r.code, "FILE_UNREADABLE", r.message);
    assert.match(r.message, /^--input .*: could not be read \(a directory\); expected the policy input/);
  });

  it("malformed JSON is JSON_INVALID naming the file, the line and column, and what was expected", async () => {
    const bad = file("bad.json", '{\n  "kind": "pull_request",\n  "version": 1,\n  oops\n}\n');
    const r = await failure(["--input", bad]);
    assert.equal(r.exit, 2);
    assert.equal(r.code, "JSON_INVALID", r.message);
    assert.match(r.message, /bad\.json: expected JSON \(the policy input\), found text that is not \(at line 4, column 3\)/);
    const d = await failure(["--input", input(), "--data", file("data.json", "{")]);
    assert.equal(d.code, "JSON_INVALID");
    assert.match(d.message, /data\.json: expected JSON \(the data document\), found text that is not \(at line 1, column 2\)/);
  });

  it("--case is given alone: not with --input, --data or --config", async () => {
    const c = join(ROOT, "fixtures/policy/pr-human.json");
    for (const other of [["--input", input()], ["--data", input()], ["--config", input()]]) {
      const r = await failure(["--case", c, ...other]);
      assert.equal(r.code, "USAGE");
      assert.match(r.message, /--case holds the input and the config: give it without --input, --data or --config/);
    }
    assert.match((await failure([])).message, /give --input FILE or --case FILE/);
  });

  it("a --case file that is not a policy case says what it lacks", async () => {
    const r = await failure(["--case", input()]);
    assert.equal(r.code, "POLICY_CASE_INVALID", r.message);
    assert.match(r.message, /pr\.json: expected a policy case \{"input", "config"/);
  });

  const files = readdirSync(join(ROOT, "fixtures/policy")).filter((f) => f.endsWith(".json")).sort();
  it("covers every fixtures/policy file", () => assert.equal(files.length, Object.keys(EXPECTED).length));
  for (const f of files) {
    it(`--case fixtures/policy/${f}: the decision the case expects`, async () => {
      const name = f.replace(/\.json$/, "");
      const want = EXPECTED[name];
      assert.ok(want, `no expectation for ${name}`);
      const o = io();
      const exit = await policyEval(["--case", join(ROOT, "fixtures/policy", f)], o);
      assert.equal(o.stderr.join("\n"), "");
      const d = JSON.parse(o.stdout.join("\n")) as { allow: boolean; deny: { rule: string }[] };
      assert.deepEqual([...new Set(d.deny.map((x) => x.rule))].sort(), want.deny);
      assert.equal(d.allow, want.deny.length === 0);
      assert.equal(exit, d.allow ? 0 : 1);
    });
  }
});
