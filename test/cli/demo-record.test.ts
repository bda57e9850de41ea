// `agent-gate demo --record`: the demo's decisions land in the embedded audit log, and the audit commands work on
// them at once with the same --data-dir (issue 18 item 6).
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCli, type CliRun } from "../support/cli.js";
import { tempDir } from "../adapters/storage/support.js";

const cli = (...args: string[]): Promise<CliRun> => runCli(args);

describe("demo --record", () => {
  const dir = tempDir("agent-gate-demo-record-");
  const dataDir = join(dir.path, "demo");
  after(() => dir.remove());

  test("records each step's decision; audit verify, export, show and replay work on them", async () => {
    const r = await cli("demo", "--only", "human-pr", "--record", "--data-dir", dataDir, "--json");
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as { recorded: { records: number; head: { seq: number; hash: string } } };
    assert.equal(doc.recorded.records, 1);
    assert.equal(doc.recorded.head.seq, 1);

    const v = await cli("audit", "verify", "--data-dir", dataDir);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, new RegExp(`ok: 1 record \\(1\\.\\.1\\).*head 1:${doc.recorded.head.hash}`));

    const e = await cli("audit", "export", "--data-dir", dataDir);
    assert.equal(e.code, 0, e.err);
    const rec = JSON.parse(e.out.split("\n")[0]!) as { decision_id: string; agent_gate: { repository: string; pull_request: number; conclusion: string } };
    assert.deepEqual([rec.agent_gate.repository, rec.agent_gate.pull_request, rec.agent_gate.conclusion], ["acme/widgets", 5, "success"]);

    const s = await cli("audit", "show", "--data-dir", dataDir, rec.decision_id);
    assert.equal(s.code, 0, s.err);
    assert.equal((JSON.parse(s.out) as { decision_id: string }).decision_id, rec.decision_id);

    const p = await cli("audit", "replay", "--data-dir", dataDir, rec.decision_id);
    assert.equal(p.code, 0, p.out + p.err);
    assert.match(p.out, /reproduced with bundle sha256:/);
  });

  test("a second run appends to the same chain, deployments included", async () => {
    const r = await cli("demo", "--only", "deploy-unsigned", "--record", "--data-dir", dataDir, "--quiet");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /recorded 1 decision\(s\) in .*audit log head 2:[0-9a-f]{64}/);
    assert.match(r.out, /try: agent-gate audit verify --data-dir /);
    const v = await cli("audit", "verify", "--data-dir", dataDir);
    assert.match(v.out, /ok: 2 records \(1\.\.2\)/);
  });

  test("without --record nothing is written; --data-dir alone is a usage error", async () => {
    const other = join(dir.path, "none");
    const r = await cli("demo", "--only", "human-pr", "--data-dir", other, "--quiet");
    assert.equal(r.code, 2);
    assert.match(r.err, /--data-dir: expected with --record/);
    assert.equal(existsSync(other), false);
  });
});
