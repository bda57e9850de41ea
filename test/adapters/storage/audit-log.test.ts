// The audit log on both databases, with the same tests. Tampering is done as an attacker holding the
// database would: as the table owner, disabling the append-only triggers, then editing rows in SQL.
import assert from "node:assert/strict";
import { SqlAuditLog } from "../../../src/adapters/storage/audit-log.js";
import { SqlBundleStore, contentDigest, dataDigest } from "../../../src/adapters/storage/bundle-store.js";
import type { Db } from "../../../src/adapters/storage/db.js";
import { MIGRATIONS } from "../../../src/adapters/storage/migrations.js";
import { replayDecision } from "../../../src/adapters/storage/replay.js";
import { canonicalize, chainHash } from "../../../src/core/audit.js";
import { LEAKED_TOKEN, PROMPT, sampleEvent } from "./events.js";
import { onBothDatabases } from "./audit-log-suites.js";

/** As the table owner: switch the append-only triggers off, change rows, switch them on again. */
async function asAttacker(db: Db, sql: string): Promise<void> {
  await db.exec(`ALTER TABLE audit_records DISABLE TRIGGER USER; ALTER TABLE audit_head DISABLE TRIGGER USER;
    ${sql};
    ALTER TABLE audit_records ENABLE TRIGGER USER; ALTER TABLE audit_head ENABLE TRIGGER USER;`);
}

async function fill(log: SqlAuditLog, n: number, from = 1): Promise<void> {
  for (let i = from; i < from + n; i++) await log.append(sampleEvent(i));
}

onBothDatabases("audit log", (withLog) => {
  withLog("appends, reads back, lists, and verifies an intact chain", async ({ log }) => {
    assert.deepEqual(await log.head(), { seq: 0, hash: "0".repeat(64) });
    assert.deepEqual(await log.verify(), { ok: true, checked: 0, first: 0, head: { seq: 0, hash: "0".repeat(64) } });
    await fill(log, 10);
    const head = await log.head();
    assert.equal(head.seq, 10);
    const r = await log.verify();
    assert.deepEqual(r, { ok: true, checked: 10, first: 1, head });
    const rec = await log.get("dec-000004");
    assert.equal(rec?.seq, 4);
    assert.equal(rec?.agent_gate.repository, "acme/app");
    assert.equal(await log.get("dec-nope"), undefined);
    assert.deepEqual((await log.list({ afterSeq: 7 })).map((x) => x.seq), [8, 9, 10]);
    assert.deepEqual((await log.list({ since: sampleEvent(9).timestamp })).map((x) => x.seq), [9, 10]);
    assert.deepEqual((await log.list({ limit: 2 })).map((x) => x.seq), [1, 2]);
  });

  withLog("a redelivered decision is recorded once; a conflicting one is refused", async ({ log }) => {
    const first = await log.append(sampleEvent(1));
    assert.deepEqual(await log.append(sampleEvent(1)), { ...first, duplicate: true });
    await assert.rejects(log.append(sampleEvent(1, { result: { allow: false, deny: [], warn: [] } })), { code: "AUDIT_DECISION_CONFLICT" });
    assert.equal((await log.head()).seq, 1);
  });

  withLog("prompts and secrets never reach the database", async ({ db, log }) => {
    await log.append(sampleEvent(1));
    const [row] = await db.query<{ record: string }>("SELECT record FROM audit_records");
    assert.ok(row);
    assert.ok(!row.record.includes(PROMPT) && !row.record.includes(LEAKED_TOKEN) && !row.record.includes("hunter22"));
    const rec = await log.get("dec-000001");
    assert.ok(rec?.masked.includes("/input/commits/0/provenance/prompt/text"));
  });

  withLog("the schema refuses UPDATE, DELETE and TRUNCATE, and a record that does not extend the head", async ({ db, log }) => {
    await fill(log, 3);
    await log.checkpoint();
    await assert.rejects(db.query("UPDATE audit_records SET record = record || ' ' WHERE seq = 2"), /append-only/);
    await assert.rejects(db.query("DELETE FROM audit_records WHERE seq = 3"), /append-only/);
    await assert.rejects(db.query("TRUNCATE audit_records"), /append-only/);
    await assert.rejects(db.query("UPDATE audit_head SET seq = 1"), /moves forward by one/);
    await assert.rejects(db.query("DELETE FROM audit_checkpoints"), /append-only|refused/);
    // A writer that skips the lock and forks from record 2 is refused by the link trigger.
    const [r2] = await db.query<{ hash: string }>("SELECT hash FROM audit_records WHERE seq = 2");
    await assert.rejects(
      db.query("INSERT INTO audit_records (seq, prev_hash, hash, decision_id, ts, record) VALUES (3, $1, $2, 'fork', now(), '{}')", [r2!.hash, "f".repeat(64)]),
      /does not extend the head/,
    );
    const v = await log.verify();
    assert.ok(v.ok && v.checked === 3);
  });

  withLog("when a record is edited in place", async ({ db, log }) => {
    await fill(log, 6);
    await asAttacker(db, `UPDATE audit_records SET record = replace(record, '"conclusion":"success"', '"conclusion":"failure"') WHERE seq = 4`);
    const r = await log.verify();
    assert.ok(!r.ok && r.seq === 4 && r.code === "HASH_MISMATCH", JSON.stringify(r));
  });

  withLog("when a record is edited and its hash recomputed", async ({ db, log }) => {
    await fill(log, 6);
    const [row] = await db.query<{ prev_hash: string; record: string }>("SELECT prev_hash, record FROM audit_records WHERE seq = 2");
    const text = row!.record.replace('"conclusion":"success"', '"conclusion":"failure"');
    assert.notEqual(text, row!.record);
    await asAttacker(db, `UPDATE audit_records SET record = '${text.replace(/'/g, "''")}', hash = '${chainHash(row!.prev_hash, text)}' WHERE seq = 2`);
    const r = await log.verify();
    assert.ok(!r.ok && r.seq === 3 && r.code === "LINK_MISMATCH", JSON.stringify(r));
  });

  withLog("when a record is deleted", async ({ db, log }) => {
    await fill(log, 6);
    await asAttacker(db, "DELETE FROM audit_records WHERE seq = 3");
    const r = await log.verify();
    assert.ok(!r.ok && r.seq === 3 && r.code === "RECORDS_MISSING", JSON.stringify(r));
  });

  withLog("when two records are swapped", async ({ db, log }) => {
    await fill(log, 6);
    await asAttacker(db, "UPDATE audit_records SET seq = 1000 WHERE seq = 2; UPDATE audit_records SET seq = 2 WHERE seq = 3; UPDATE audit_records SET seq = 3 WHERE seq = 1000");
    const r = await log.verify();
    assert.ok(!r.ok && r.seq === 2 && r.code === "REORDERED" && /written as record 3/.test(r.reason), JSON.stringify(r));
  });

  withLog("when the tail is truncated, and when the head pointer is rolled back too", async ({ db, log }) => {
    await fill(log, 8);
    const external = await log.head(); // copied somewhere the attacker cannot reach
    await asAttacker(db, "DELETE FROM audit_records WHERE seq > 5");
    const r = await log.verify();
    assert.ok(!r.ok && r.seq === 6 && r.code === "TRUNCATED" && /head pointer/.test(r.reason), JSON.stringify(r));
    const [h5] = await db.query<{ hash: string }>("SELECT hash FROM audit_records WHERE seq = 5");
    await asAttacker(db, `UPDATE audit_head SET seq = 5, hash = '${h5!.hash}'`);
    const index = await log.verify();
    assert.ok(!index.ok && index.seq === 6 && index.code === "INDEX_MISMATCH", `the removed records' evidence rows are left: ${JSON.stringify(index)}`);
    await db.exec("ALTER TABLE audit_evidence DISABLE TRIGGER USER; DELETE FROM audit_evidence WHERE seq > 5; ALTER TABLE audit_evidence ENABLE TRIGGER USER");
    assert.equal((await log.verify()).ok, true, "with the head and the index rolled back too, only a checkpoint kept elsewhere tells");
    const r2 = await log.verify({ checkpoints: [{ ...external, source: "external" }] });
    assert.ok(!r2.ok && r2.seq === 6 && r2.code === "TRUNCATED" && /external/.test(r2.reason), JSON.stringify(r2));
  });

  withLog("a recorded checkpoint catches truncation below it, and verification can start from one", async ({ db, log }) => {
    await fill(log, 5);
    const cp = await log.checkpoint("nightly");
    assert.equal(cp.seq, 5);
    await fill(log, 3, 6);
    const r = await log.verify({ fromCheckpoint: cp });
    assert.ok(r.ok && r.checked === 3 && r.first === 6, JSON.stringify(r));
    await asAttacker(db, `DELETE FROM audit_records WHERE seq > 3; UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_records WHERE seq = 3)`);
    const r2 = await log.verify();
    assert.ok(!r2.ok && r2.code === "TRUNCATED" && r2.seq === 4 && /recorded/.test(r2.reason), JSON.stringify(r2));
    const r3 = await log.verify({ fromCheckpoint: cp });
    assert.ok(!r3.ok && r3.code === "TRUNCATED" && r3.seq === 5, JSON.stringify(r3));
  });

  withLog("when an indexed column is edited (export --since and latest() read them)", async ({ db, log }) => {
    await fill(log, 4);
    await asAttacker(db, "UPDATE audit_records SET ts = ts - interval '1 day' WHERE seq = 3");
    const r = await log.verify();
    assert.ok(!r.ok && r.seq === 3 && r.code === "COLUMN_MISMATCH" && /ts column/.test(r.reason), JSON.stringify(r));
  });

  withLog("the deployment gate finds the PR gate's latest decision for a commit, and never an edited one", async ({ db, log }) => {
    await fill(log, 4);
    const sha = sampleEvent(2).agent_gate.head_sha;
    const again = sampleEvent(2, { decision_id: "dec-again", agent_gate: { ...sampleEvent(2).agent_gate, conclusion: "failure" } });
    await log.append(again);
    const found = await log.latest({ repository: "acme/app", headSha: sha, kind: "pull_request" });
    assert.equal(found?.decision_id, "dec-again");
    assert.equal(await log.latest({ repository: "acme/app", headSha: sha, kind: "deployment" }), undefined);
    assert.equal(await log.latest({ repository: "acme/other", headSha: sha }), undefined);
    await asAttacker(db, `UPDATE audit_records SET record = replace(record, '"conclusion":"failure"', '"conclusion":"success"') WHERE decision_id = 'dec-again'`);
    await assert.rejects(log.latest({ repository: "acme/app", headSha: sha }), { code: "AUDIT_RECORD_TAMPERED" });
  });

  withLog("onHead reads the latest record of each pull request of a commit, newest first, bounded by pull requests, and never an edited one", async ({ db, log }) => {
    await fill(log, 4);
    const sha = sampleEvent(2).agent_gate.head_sha;
    const other = sampleEvent(2, { decision_id: "dec-pr-9", agent_gate: { ...sampleEvent(2).agent_gate, pull_request: 9, conclusion: "success" } });
    await log.append(other);
    const subject = { repository: "acme/app", headSha: sha, kind: "pull_request" as const };
    const found = await log.onHead(subject, 10);
    assert.deepEqual(found.map((r) => r.decision_id), ["dec-pr-9", sampleEvent(2).decision_id]);
    assert.deepEqual((await log.onHead(subject, 1)).map((r) => r.decision_id), ["dec-pr-9"]);
    assert.deepEqual(await log.onHead({ ...subject, kind: "deployment" }, 10), []);
    // Re-evaluations of one pull request: its latest record only, and they never push pull request 9's out of the
    // bound, which counts pull requests (one fork PR re-triggered 200 times must not hide the others).
    const again = (n: number) => sampleEvent(2, { decision_id: `dec-re-${n}`, agent_gate: { ...sampleEvent(2).agent_gate, conclusion: n === 3 ? "failure" : "success" } });
    for (const n of [1, 2, 3]) await log.append(again(n));
    assert.deepEqual((await log.onHead(subject, 10)).map((r) => r.decision_id), ["dec-re-3", "dec-pr-9"]);
    assert.deepEqual((await log.onHead(subject, 2)).map((r) => r.decision_id), ["dec-re-3", "dec-pr-9"]);
    assert.deepEqual((await log.onHead(subject, 1)).map((r) => r.decision_id), ["dec-re-3"]);
    await asAttacker(db, `UPDATE audit_records SET record = replace(record, '"conclusion":"success"', '"conclusion":"neutral"') WHERE decision_id = 'dec-pr-9'`);
    await assert.rejects(log.onHead(subject, 10), { code: "AUDIT_RECORD_TAMPERED" });
  });

  withLog("a checkpoint that does not match its record is reported", async ({ log }) => {
    await fill(log, 4);
    const r = await log.verify({ fromCheckpoint: { seq: 2, hash: "a".repeat(64) } });
    assert.ok(!r.ok && r.code === "CHECKPOINT_MISMATCH" && r.seq === 2);
  });

  withLog("concurrent appends from one process make one chain", async ({ log }) => {
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => log.append(sampleEvent(i + 1))));
    assert.deepEqual(results.map((r) => r.seq).sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i + 1));
    const v = await log.verify();
    assert.ok(v.ok && v.checked === 25);
  });

  withLog("migrations are recorded and applied once", async ({ db }) => {
    const rows = await db.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    assert.deepEqual(rows.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version));
    const again = await SqlAuditLog.open(db, false);
    await again.append(sampleEvent(1));
    assert.equal((await db.query("SELECT version FROM schema_migrations")).length, MIGRATIONS.length);
    await db.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')");
    await assert.rejects(SqlAuditLog.open(db, false), { code: "STORAGE_SCHEMA_NEWER" });
  });

  withLog("policy bundles and data are kept by digest for replay, and altered ones are refused", async ({ db, log }) => {
    const bundles = new SqlBundleStore(db);
    const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    const digest = contentDigest(wasm, '{"x":1}');
    await bundles.put({ digest, revision: "r1", wasm, data: '{"x":1}' });
    await bundles.put({ digest, revision: "r1", wasm, data: '{"x":1}' });
    await assert.rejects(bundles.put({ digest, revision: "r1", wasm, data: '{"x":2}' }), { code: "BUNDLE_DIGEST_MISMATCH" });
    assert.deepEqual(await bundles.get(digest), { digest, revision: "r1", wasm, data: '{"x":1}' });
    assert.equal(await bundles.get("sha256:" + "0".repeat(64)), undefined);

    // The echo engine returns what the data document says, so replay proves the recorded data came back.
    const data = { config: { verdict: { allow: true, deny: [], warn: [] } } };
    const event = sampleEvent(1, { bundles: { "agent-gate": { revision: "r1", digest } }, result: data.config.verdict });
    await log.append(event, { policyData: data });
    assert.equal((await log.get("dec-000001"))?.agent_gate.policy_data_digest, dataDigest(data));
    const echo = {
      evaluate: (_b: unknown, _e: string, _input: unknown, d: unknown) => Promise.resolve((d as typeof data).config.verdict),
      digest: (b: { wasm: Uint8Array; data: string }) => contentDigest(b.wasm, b.data),
    };
    assert.equal((await replayDecision(log, bundles, echo, "dec-000001")).status, "reproduced");
    assert.equal((await replayDecision(log, bundles, { evaluate: () => Promise.resolve({ allow: false, deny: [], warn: [] }) }, "dec-000001")).status, "differs");
    assert.equal((await replayDecision(log, bundles, undefined, "dec-000001")).status, "engine-unavailable");
    assert.equal((await replayDecision(log, bundles, echo, "dec-none")).status, "not-found");
    await log.append(sampleEvent(2));
    const missing = await replayDecision(log, bundles, echo, "dec-000002");
    assert.ok(missing.status === "bundle-unavailable" && /no policy bundle/.test(missing.reason));

    await db.query("UPDATE policy_bundles SET data = '{\"x\":2}' WHERE digest = $1", [digest]);
    await assert.rejects(bundles.get(digest), { code: "BUNDLE_CORRUPT" });
    await db.query("UPDATE policy_data SET data = '{}'");
    await assert.rejects(bundles.getData(dataDigest(data)), { code: "BUNDLE_CORRUPT" });
    assert.equal(canonicalize((await log.get("dec-000001"))?.result), canonicalize(event.result));
  });
});

// ---------------------------------------------------------------------------------------------------------

