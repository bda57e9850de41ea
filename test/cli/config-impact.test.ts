// `agent-gate config impact` (issue 18 item 2) on decisions the real App recorded (demo --record): the verdicts a
// new config would change, by pull request, old and new conclusion and the rules; exit 0 / 1 / 2.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, type CliRun } from "../support/cli.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { tempDir } from "../adapters/storage/support.js";

const cli = (...args: string[]): Promise<CliRun> => runCli(args);

describe("config impact", () => {
  const dir = tempDir("agent-gate-impact-");
  const dataDir = join(dir.path, "demo");
  const current = (loadScenarios().scenarios.find((s) => s.name === "signed-agent-pr")!.repos[0]!.files)[".github/agent-gate.yml"]!;
  const same = join(dir.path, "same.yml");
  const strict = join(dir.path, "strict.yml");
  before(async () => {
    writeFileSync(same, current);
    writeFileSync(strict, current.replace(/count: 1/, "count: 2"));
    assert.notEqual(readFileSync(strict, "utf8"), current);
    for (const only of ["signed-agent-pr", "unsigned-agent-pr", "workflow-change-approval"]) {
      const r = await cli("demo", "--only", only, "--record", "--data-dir", dataDir, "--quiet");
      assert.equal(r.code, 0, r.err);
    }
  });
  after(() => dir.remove());

  test("the config the decisions were made with changes nothing: exit 0", async () => {
    const r = await cli("config", "impact", same, "--repo", "acme/widgets", "--data-dir", dataDir);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /no verdict would change: \d+ recorded decision\(s\) of acme\/widgets replayed/);
  });

  test("two approvals instead of one: the two PRs that passed with one would now fail, naming the rule (exit 1)", async () => {
    const r = await cli("config", "impact", strict, "--repo", "acme/widgets", "--data-dir", dataDir, "--json");
    assert.equal(r.code, 1, r.out + r.err);
    const doc = JSON.parse(r.out) as { changed: { pull_request: number; old: string; new: string; rules: string[] }[] };
    // --only signed-agent-pr also runs gitsign-signed-agent-pr (#31): every PR that passed with one approval.
    assert.deepEqual(doc.changed.map((c) => c.pull_request).sort((x, y) => x - y), [1, 6, 31]);
    for (const c of doc.changed) assert.deepEqual([c.old, c.new, c.rules], ["success", "failure", ["+human-approval"]]);
    const text = await cli("config", "impact", strict, "--repo", "acme/widgets", "--data-dir", dataDir, "--last", "1");
    assert.match(text.out, /1 verdict\(s\) would change among 1 recorded decision\(s\)[^]*PR #6 at [0-9a-f]{7}: success -> failure \(\+human-approval\)/);
  });

  test("the repository's name is compared case-insensitively, as GitHub's are; one with no recorded decision is exit 2, named", async () => {
    const exact = await cli("config", "impact", same, "--repo", "acme/widgets", "--data-dir", dataDir, "--json");
    const upper = await cli("config", "impact", same, "--repo", "ACME/Widgets", "--data-dir", dataDir, "--json");
    assert.equal(upper.code, 0, upper.out + upper.err);
    const replayed = (r: CliRun): number => (JSON.parse(r.out) as { replayed: number }).replayed;
    assert.ok(replayed(exact) > 0);
    assert.equal(replayed(upper), replayed(exact));
    const typo = await cli("config", "impact", same, "--repo", "acme/widgetz", "--data-dir", dataDir);
    assert.equal(typo.code, 2, typo.out + typo.err);
    assert.match(typo.err, /no decision of acme\/widgetz is recorded in .*\(names compared case-insensitively\); expected the repository's recorded pull-request decisions/);
    assert.doesNotMatch(typo.out, /no verdict would change/);
    const doc = await cli("config", "impact", same, "--repo", "acme/widgetz", "--data-dir", dataDir, "--json");
    assert.equal(doc.code, 2);
    assert.equal((JSON.parse(doc.out) as { error: { code: string } }).error.code, "NOTHING_RECORDED");
  });

  test("errors are exit 2 and say what was expected", async () => {
    const bad = join(dir.path, "bad.yml");
    writeFileSync(bad, "rules:\n  human_approval:\n    count: many\n");
    const invalid = await cli("config", "impact", bad, "--repo", "acme/widgets", "--data-dir", dataDir);
    assert.equal(invalid.code, 2);
    assert.match(invalid.err, /config validate/);
    const none = await cli("config", "impact", same, "--repo", "acme/widgets", "--data-dir", join(dir.path, "nothing"));
    assert.equal(none.code, 2);
    assert.match(none.err, /no embedded audit log.*demo --record/);
    assert.equal((await cli("config", "impact", same, "--data-dir", dataDir)).code, 2);
    assert.equal((await cli("config", "impact", same, "--repo", "acme/widgets", "--last", "0", "--data-dir", dataDir)).code, 2);
  });
});
