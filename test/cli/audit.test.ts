// `agent-gate audit` against a real embedded database holding a real decision of the built-in policy, and once
// against this machine's PostgreSQL and once as a separate process.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStorage } from "../../src/adapters/storage/index.js";
import { main } from "../../src/cli/main.js";
import { canonicalize } from "../../src/core/digest.js";
import { sampleEvent } from "../adapters/storage/events.js";
import { REAL_ID, recordRealDecision } from "./audit-log.js";
import { dropSchema, requirePostgres, tempDir, uniqueSchema } from "../adapters/storage/support.js";

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(" "));
  console.error = (...a: unknown[]) => void err.push(a.map(String).join(" "));
  try {
    const code = await main(["audit", ...args]);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe("agent-gate audit on the embedded database", () => {
  const dir = tempDir();
  const dataDir = join(dir.path, "data");
  before(() => recordRealDecision({ dataDir }));
  after(() => dir.remove());

  test("verify reports an intact chain", async () => {
    const r = await cli("verify", "--data-dir", dataDir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /ok: 6 records \(1\.\.6\)/);
  });

  test("show prints the recorded decision with its chain fields", async () => {
    const r = await cli("show", "dec-000003", "--data-dir", dataDir);
    assert.equal(r.code, 0, r.err);
    const rec = JSON.parse(r.out) as { decision_id: string; seq: number; hash: string; masked: string[] };
    assert.equal(rec.decision_id, "dec-000003");
    assert.equal(rec.seq, 4);
    assert.match(rec.hash, /^[0-9a-f]{64}$/);
    assert.ok(rec.masked.length > 0);
    const missing = await cli("show", "dec-nope", "--data-dir", dataDir);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no decision dec-nope/);
  });

  test("export writes OPA decision-log lines that verify on their own", async () => {
    const r = await cli("export", "--format", "jsonl", "--data-dir", dataDir);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 6);
    for (const l of lines) {
      for (const k of ["decision_id", "path", "input", "result", "timestamp", "labels", "metrics", "masked", "erased"]) assert.ok(k in l, `${k} in line`);
      const bundles = l["bundles"] as Record<string, { revision: unknown }>;
      assert.ok(Object.values(bundles).every((b) => typeof b.revision === "string"), "bundles.<name>.revision as OPA writes it");
    }
    const since = await cli("export", "--since", sampleEvent(4).timestamp, "--data-dir", dataDir);
    assert.deepEqual(since.out.split("\n").map((l) => (JSON.parse(l) as { decision_id: string }).decision_id), ["dec-000004", "dec-000005"]);
    assert.equal((await cli("export", "--format", "csv", "--data-dir", dataDir)).code, 2);

    const file = join(dir.path, "export.jsonl");
    assert.equal((await cli("export", "--out", file, "--data-dir", dataDir)).code, 0);
    const ok = await cli("verify", "--file", file);
    assert.equal(ok.code, 0, ok.out);
    // An exported line edited after the export is found as well.
    const edited = readFileSync(file, "utf8").replace('"conclusion":"failure"', '"conclusion":"success"');
    const bad = join(dir.path, "edited.jsonl");
    (await import("node:fs")).writeFileSync(bad, edited);
    const broken = await cli("verify", "--file", bad);
    assert.equal(broken.code, 1);
    assert.match(broken.out, /BROKEN at record \d+ \(HASH_MISMATCH\)/);
  });

  test("verify --file refuses a line with a field added after the export, or not in canonical form, naming the line", async () => {
    const file = join(dir.path, "export-strict.jsonl");
    assert.equal((await cli("export", "--out", file, "--data-dir", dataDir)).code, 0);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    const write = (name: string, ls: string[]): string => {
      const p = join(dir.path, name);
      writeFileSync(p, ls.join("\n") + "\n");
      return p;
    };
    const withField = (line: string, f: (o: Record<string, Record<string, unknown>>) => void): string => {
      const o = JSON.parse(line) as Record<string, Record<string, unknown>>;
      f(o);
      return canonicalize(o);
    };
    // The parse drops unknown fields, and the rest hashes to the stored hash: these must not verify.
    const added = write("added.jsonl", lines.map((l, i) => (i === 2 ? withField(l, (o) => (o["override"] = { allow: true })) : l)));
    const r = await cli("verify", "--file", added);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /BROKEN at line 3 of .*added\.jsonl: field override is not part of an audit record/);
    const nested = write("nested.jsonl", lines.map((l, i) => (i === 1 ? withField(l, (o) => (o["agent_gate"]!["approved_by"] = "admin")) : l)));
    const rj = await cli("verify", "--file", nested, "--json");
    assert.equal(rj.code, 1, rj.out);
    const doc = JSON.parse(rj.out) as { line: number; error: { code: string; message: string } };
    assert.equal(doc.line, 2);
    assert.equal(doc.error.code, "NOT_A_RECORD");
    assert.match(doc.error.message, /field agent_gate\.approved_by/);
    const spaced = write("spaced.jsonl", lines.map((l, i) => (i === 0 ? JSON.stringify(JSON.parse(l), null, 0).replace('{"', '{ "') : l)));
    const rs = await cli("verify", "--file", spaced, "--json");
    assert.equal(rs.code, 1, rs.out);
    assert.equal((JSON.parse(rs.out) as { error: { code: string } }).error.code, "NOT_CANONICAL");
  });

  test("replay re-evaluates the real decision with its stored bundle and data", async () => {
    const r = await cli("replay", REAL_ID, "--data-dir", dataDir);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /reproduced with bundle sha256:[0-9a-f]{64}/);
  });

  test("replay says when the decision's bundle is not available (exit 2: it cannot be done, as every command's operational error)", async () => {
    const r = await cli("replay", "dec-000001", "--data-dir", dataDir);
    assert.equal(r.code, 2);
    assert.match(r.err, /BUNDLE_UNAVAILABLE: dec-000001: cannot replay: bundle not available: no policy bundle with digest sha256:efef/);
    const json = await cli("replay", "dec-000001", "--data-dir", dataDir, "--json");
    assert.equal((JSON.parse(json.out) as { error: { code: string } }).error.code, "BUNDLE_UNAVAILABLE");
  });

  test("checkpoint records the head; a checkpoint beyond the chain means truncation", async () => {
    const r = await cli("checkpoint", "--note", "test", "--data-dir", dataDir);
    assert.equal(r.code, 0, r.err);
    const cp = JSON.parse(r.out) as { seq: number; hash: string };
    assert.equal(cp.seq, 6);
    const from = await cli("verify", "--from", `${cp.seq}:${cp.hash}`, "--data-dir", dataDir);
    assert.equal(from.code, 0, from.out);
    const beyond = await cli("verify", "--checkpoint", JSON.stringify({ seq: 9, hash: "a".repeat(64) }), "--data-dir", dataDir);
    assert.equal(beyond.code, 1);
    assert.match(beyond.out, /BROKEN at record 7 \(TRUNCATED\).*--checkpoint/);
  });

  test("usage errors exit 2 with the usage", async () => {
    assert.equal((await cli()).code, 2);
    assert.equal((await cli("show")).code, 2);
    const r = await cli("frob");
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command "frob"/);
    assert.equal((await cli("verify", "--checkpoint", "nope", "--data-dir", dataDir)).code, 2);
  });

  test("a data directory without a log is reported, not created", async () => {
    const missing = join(dir.path, "typo");
    const r = await cli("verify", "--data-dir", missing);
    assert.equal(r.code, 2);
    assert.match(r.err, /there is no embedded audit log in .*typo/);
    assert.equal((await import("node:fs")).existsSync(missing), false);
  });

  test("verify, run as its own process, finds an edited record and exits non-zero", async () => {
    // The attacker edits a row directly in the embedded database with the triggers off.
    const s = await openStorage({ dataDir });
    try {
      await s.db.exec(`ALTER TABLE audit_records DISABLE TRIGGER USER;
        UPDATE audit_records SET record = replace(record, '"conclusion":"failure"', '"conclusion":"success"') WHERE seq = 4;
        ALTER TABLE audit_records ENABLE TRIGGER USER;`);
    } finally {
      await s.close();
    }
    const p = spawnSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", 'import { main } from "./src/cli/main.ts"; process.exitCode = await main(process.argv.slice(1));', "audit", "verify", "--data-dir", dataDir],
      { encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(p.status, 1, p.stderr);
    assert.match(p.stdout, /BROKEN at record 4 \(HASH_MISMATCH\).*record 4 was modified after it was written/);
    const show = await cli("show", "dec-000003", "--data-dir", dataDir);
    assert.equal(show.code, 1);
    assert.match(show.err, /does not match its hash/);
  });
});

test("agent-gate audit on PostgreSQL through --database-url", { timeout: 60_000 }, async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const schema = uniqueSchema("agtcli");
  try {
    await recordRealDecision({ databaseUrl: url, schema });
    const v = await cli("verify", "--database-url", url, "--schema", schema);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /ok: 6 records/);
    const r = await cli("replay", REAL_ID, "--database-url", url, "--schema", schema);
    assert.equal(r.code, 0, r.out + r.err);
  } finally {
    await dropSchema(url, schema);
  }
});
