// `audit verify --witness github` (issue 18 item 5): decisions recorded by the real App (in-process, against the
// GitHub stand-in) carry the log's head in their check runs' footers; a database owner who rewrites records, the
// head pointer and the checkpoints consistently passes `audit verify`, and is caught by the witnesses, with the seq.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStorage } from "../../src/adapters/storage/index.js";
import type { Db } from "../../src/adapters/storage/index.js";
import { runCli, type CliRun } from "../support/cli.js";
import { chainHash } from "../../src/core/audit.js";
import { canonicalize } from "../../src/core/digest.js";
import { openDemoRecorder } from "../../src/demo/record.js";
import { inProcessApp, runScenario } from "../../src/demo/run.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { StandInCheckRun } from "../../src/demo/github/model.js";
import { parseWitness } from "../../src/render/witness.js";
import { tempDir } from "../adapters/storage/support.js";
import { githubWitnesses, partialReason } from "../../src/cli/audit-witness.js";

const cli = (fetch: typeof globalThis.fetch, ...args: string[]): Promise<CliRun> => runCli(args, { fetch, env: {} });

/** As a superuser: triggers off, rows rewritten, triggers on. */
async function asSuperuser(db: Db, body: () => Promise<void>): Promise<void> {
  const tables = ["audit_records", "audit_head", "audit_checkpoints", "audit_evidence", "audit_config_uses"];
  await db.exec(tables.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER;`).join(""));
  await body();
  await db.exec(tables.map((t) => `ALTER TABLE ${t} ENABLE TRIGGER USER;`).join(""));
}

/** Edits record `seq` with `change` and recomputes every hash after it, the head pointer and the checkpoints: a consistent chain. */
async function rewriteFrom(dataDir: string, seq: number, change: (record: Record<string, unknown>) => void): Promise<void> {
  const s = await openStorage({ dataDir });
  try {
    await asSuperuser(s.db, async () => {
      const rows = await s.db.query<{ seq: number; prev_hash: string; record: string }>("SELECT seq, prev_hash, record FROM audit_records WHERE seq >= $1 ORDER BY seq", [seq]);
      let prev = rows[0]!.prev_hash;
      for (const row of rows) {
        const rec = JSON.parse(row.record) as Record<string, unknown>;
        if (Number(row.seq) === seq) change(rec);
        rec["prev_hash"] = prev;
        const text = canonicalize(rec);
        const hash = chainHash(prev, text);
        const gate = rec["agent_gate"] as { head_sha: string };
        await s.db.query("UPDATE audit_records SET prev_hash = $2, record = $3, hash = $4, head_sha = $5 WHERE seq = $1", [row.seq, prev, text, hash, gate.head_sha]);
        prev = hash;
      }
      await s.db.query("UPDATE audit_head SET hash = $1", [prev]);
      await s.db.query("DELETE FROM audit_checkpoints");
    });
    assert.equal((await s.audit.verify()).ok, true, "the rewrite is consistent: the database alone cannot tell");
  } finally {
    await s.close();
  }
}

describe("audit verify --witness github", () => {
  const dir = tempDir("agent-gate-witness-");
  const dataDir = join(dir.path, "log");
  const runs: StandInCheckRun[] = [];
  let github: GitHubStandIn;
  const fetch = (...a: Parameters<typeof globalThis.fetch>): Promise<Response> => github.fetch(...a);

  const names = ["signed-agent-pr", "unsigned-agent-pr", "human-pr", "workflow-change-approval"];
  before(async () => {
    const { trustedRoot, scenarios } = loadScenarios();
    const recorder = await openDemoRecorder(dataDir);
    try {
      for (const name of names) {
        const scenario = scenarios.find((s) => s.name === name)!;
        const { standIn, deliver } = await inProcessApp(scenario, trustedRoot, { engine: recorder.engine, onDecision: recorder.onDecision, auditHead: recorder.auditHead });
        const outcomes = await runScenario(scenario, standIn, deliver);
        assert.deepEqual(outcomes.flatMap((o) => o.problems), [], name);
        runs.push(...standIn.checkRuns);
      }
    } finally {
      await recorder.close();
    }
    // One GitHub holding every pull request and every check run the App wrote.
    const repos = structuredClone(scenarios.find((s) => s.name === "signed-agent-pr")!.repos);
    repos[0]!.pulls = names.flatMap((n) => structuredClone(scenarios.find((s) => s.name === n)!.repos[0]!.pulls));
    github = new GitHubStandIn(repos);
    github.checkRuns.push(...runs);
  });
  after(() => dir.remove());

  test("each check run's footer ends with the log's head before its decision", () => {
    const witnessed = runs.map((r) => parseWitness(r.output.summary)?.seq);
    assert.deepEqual(witnessed, [0, 1, 2, 4], "five decisions on four heads (the last head judged twice: its run shows the later one), each footer naming the head before it");
    assert.match(runs[1]!.output.summary ?? "", /\n\n<sub>audit log head 1:[0-9a-f]{64} \(before this decision\)<\/sub>$/);
  });

  test("an intact log agrees with every witness", async () => {
    const r = await cli(fetch, "audit", "verify", "--data-dir", dataDir, "--witness", "github", "--repo", "acme/widgets", "--app-id", "1");
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /ok: 5 records \(1\.\.5\).*against 3 witnesses in 4 agent-gate check runs on 4 commits of acme\/widgets/);
    const j = JSON.parse((await cli(fetch, "audit", "verify", "--data-dir", dataDir, "--witness", "github", "--repo", "acme/widgets", "--app-id", "1", "--json")).out) as { ok: boolean; witness: { witnesses: { seq: number }[] } };
    assert.deepEqual(j.witness.witnesses.map((w) => w.seq).sort(), [1, 2, 4]);
  });

  test("usage: --witness needs github and --repo; --repo alone is refused", async () => {
    assert.equal((await cli(fetch, "audit", "verify", "--data-dir", dataDir, "--witness", "gitlab", "--repo", "a/b")).code, 2);
    assert.match((await cli(fetch, "audit", "verify", "--data-dir", dataDir, "--witness", "github")).err, /expected --repo OWNER\/REPO/);
    assert.equal((await cli(fetch, "audit", "verify", "--data-dir", dataDir, "--repo", "a/b")).code, 2);
  });

  test("only the App's own check runs witness: --app-id (or APP_ID) is required, and runs of another App are not read as witnesses", async () => {
    const none = await cli(fetch, "audit", "verify", "--data-dir", dataDir, "--witness", "github", "--repo", "acme/widgets");
    assert.equal(none.code, 2, none.out + none.err);
    assert.match(none.err, /expected --app-id \(or APP_ID\) as the App's numeric id, got none/);
    const other = await cli(fetch, "audit", "verify", "--data-dir", dataDir, "--witness", "github", "--repo", "acme/widgets", "--app-id", "2", "--json");
    assert.notEqual(other.code, 0, other.out + other.err);
    assert.doesNotMatch(other.out, /"witnesses":\s*\[\s*\{/, "another App's check runs (the stand-in's are App 1's) are never witnesses");
  });

  test("a partial check (older commits or pull requests unread) is not a pass: exit 2 unless --allow-partial, which the output states", async () => {
    const few = (...args: string[]): Promise<CliRun> => runCli(args, { fetch, env: {}, witnessLimits: { commits: 2, pullPages: 10 } });
    const args = ["audit", "verify", "--data-dir", dataDir, "--witness", "github", "--repo", "acme/widgets", "--app-id", "1"];
    const r = await few(...args);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /the witness check is partial: 2 older recorded head commit\(s\) of acme\/widgets not read/);
    assert.doesNotMatch(r.out, /ok:/);
    const j = await few(...args, "--json");
    assert.equal(j.code, 2);
    const doc = JSON.parse(j.out) as { ok: boolean; error: { code: string }; witness: { skipped: number; partial: string } };
    assert.deepEqual([doc.ok, doc.error.code, doc.witness.skipped], [false, "WITNESS_INCOMPLETE", 2]);
    const allowed = await few(...args, "--allow-partial");
    assert.equal(allowed.code, 0, allowed.out + allowed.err);
    assert.match(allowed.out, /^audit verify: ok: .*; PARTIAL \(--allow-partial\): 2 older recorded head commit\(s\) of acme\/widgets not read/);
    const allowedJson = JSON.parse((await few(...args, "--allow-partial", "--json")).out) as { ok: boolean; witness: { partial: string | null } };
    assert.equal(allowedJson.ok, true);
    assert.match(allowedJson.witness.partial ?? "", /2 older recorded head commit/);
    // the complete check says so
    const full = JSON.parse((await cli(fetch, ...args, "--json")).out) as { witness: { partial: string | null } };
    assert.equal(full.witness.partial, null);
    assert.equal((await cli(fetch, "audit", "verify", "--data-dir", dataDir, "--allow-partial")).code, 2, "--allow-partial goes with --witness github");
  });

  test("a full last page of pull requests leaves older ones unread: the report says so", async () => {
    const pulls = Array.from({ length: 100 }, (_, i) => ({ headSha: i.toString(16).padStart(40, "0") }));
    const fake = { openPullsPage: () => Promise.resolve(pulls), checkRuns: () => Promise.resolve([]) } as never;
    const w = await githubWitnesses({ list: () => Promise.resolve([]) }, "acme/widgets", fake, 1, { commits: 10, pullPages: 2 });
    assert.deepEqual([w.morePulls, w.pullsRead], [true, 200]);
    assert.match(partialReason(w) ?? "", /pull requests of acme\/widgets older than the latest 200 not read/);
    const fewer = { openPullsPage: () => Promise.resolve(pulls.slice(0, 99)), checkRuns: () => Promise.resolve([]) } as never;
    assert.equal(partialReason(await githubWitnesses({ list: () => Promise.resolve([]) }, "acme/widgets", fewer, 1)), undefined);
  });

  test("GitHub unreachable: an error (exit 2), never ok", async () => {
    const down = (): Promise<Response> => Promise.reject(new TypeError("fetch failed"));
    const r = await cli(down, "audit", "verify", "--data-dir", dataDir, "--witness", "github", "--repo", "acme/widgets", "--app-id", "1");
    assert.equal(r.code, 2, r.out + r.err);
  });

  test("records removed from the end, the head pointer rolled back: TRUNCATED at the first witness past the end", async () => {
    const s = await openStorage({ dataDir });
    try {
      await asSuperuser(s.db, async () => {
        await s.db.query("DELETE FROM audit_records WHERE seq > 3");
        await s.db.query("DELETE FROM audit_evidence WHERE seq > 3"); // the index rows of the removed records too (INDEX_MISMATCH otherwise)
        const [h] = await s.db.query<{ hash: string }>("SELECT hash FROM audit_records WHERE seq = 3");
        await s.db.query("UPDATE audit_head SET seq = 3, hash = $1", [h!.hash]);
      });
      assert.equal((await s.audit.verify()).ok, true, "the database alone cannot tell");
    } finally {
      await s.close();
    }
    const r = await cli(fetch, "audit", "verify", "--data-dir", dataDir, "--witness", "github", "--repo", "acme/widgets", "--app-id", "1", "--json");
    assert.equal(r.code, 1, r.out);
    const doc = JSON.parse(r.out) as { seq: number; error: { code: string; message: string } };
    assert.equal(doc.error.code, "TRUNCATED", doc.error.message);
    assert.equal(doc.seq, 4);
  });

  test("a superuser's consistent rewrite of record 2, the head pointer and the checkpoints is caught at seq 2", async () => {
    await rewriteFrom(dataDir, 2, (rec) => void ((rec["agent_gate"] as { conclusion: string }).conclusion = "success"));
    const plain = await cli(fetch, "audit", "verify", "--data-dir", dataDir);
    assert.equal(plain.code, 0, "without witnesses the rewrite passes");
    const r = await cli(fetch, "audit", "verify", "--data-dir", dataDir, "--witness", "github", "--repo", "acme/widgets", "--app-id", "1", "--json");
    assert.equal(r.code, 1, r.out);
    const doc = JSON.parse(r.out) as { ok: boolean; seq: number; error: { code: string; message: string } };
    assert.equal(doc.seq, 2);
    assert.equal(doc.error.code, "CHECKPOINT_MISMATCH");
    assert.match(doc.error.message, /witness in check run \d+ on acme\/widgets@/);
  });
});
