// The tables derived from the records (audit_evidence: revocation sweeps; audit_config_uses: config-change
// re-evaluation), on both databases: plain SQL cannot change them, and audit verify reports a row an owner deleted,
// edited or added with the triggers off (INDEX_MISMATCH), streaming with the chain.
import assert from "node:assert/strict";
import type { Db } from "../../../src/adapters/storage/db.js";
import type { SqlAuditLog } from "../../../src/adapters/storage/audit-log.js";
import { EvidenceIndex } from "../../../src/adapters/storage/evidence-index.js";
import { sampleEvent } from "./events.js";
import { onBothDatabases } from "./audit-log-suites.js";

const FILES = ["acme/app:.github/agent-gate.yml", "acme/.github:agent-gate.yml"];

async function asOwner(db: Db, sql: string): Promise<void> {
  await db.exec(`ALTER TABLE audit_evidence DISABLE TRIGGER USER; ALTER TABLE audit_config_uses DISABLE TRIGGER USER; ${sql};
    ALTER TABLE audit_evidence ENABLE TRIGGER USER; ALTER TABLE audit_config_uses ENABLE TRIGGER USER;`);
}

async function fill(log: SqlAuditLog, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    const e = sampleEvent(i);
    await log.append({ ...e, agent_gate: { ...e.agent_gate, config_files: i === 3 ? [FILES[0]!, FILES[1]!] : [FILES[0]!] } });
  }
}

async function count(db: Db, table: string): Promise<number> {
  const [r] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(r!.n);
}

onBothDatabases("audit index tables", (withLog) => {
  withLog("an intact log verifies with its index rows, from the start and from a checkpoint", async ({ db, log }) => {
    await fill(log, 4);
    assert.ok((await count(db, "audit_evidence")) >= 4, "the sample records have evidence rows");
    assert.equal(await count(db, "audit_config_uses"), 2);
    const v = await log.verify();
    assert.ok(v.ok && v.checked === 4, JSON.stringify(v));
    const [r2] = await db.query<{ hash: string }>("SELECT hash FROM audit_records WHERE seq = 2");
    const from = await log.verify({ fromCheckpoint: { seq: 2, hash: r2!.hash } });
    assert.ok(from.ok && from.checked === 2, JSON.stringify(from));
  });

  withLog("plain SQL cannot delete, edit or truncate the index tables", async ({ db, log }) => {
    await fill(log, 2);
    await assert.rejects(db.query("DELETE FROM audit_evidence"), /append-only/);
    await assert.rejects(db.query("UPDATE audit_evidence SET signer_identity = 'x'"), /append-only/);
    await assert.rejects(db.query("TRUNCATE audit_evidence"), /append-only/);
    await assert.rejects(db.query("DELETE FROM audit_config_uses"), /append-only/);
    await assert.rejects(db.query("UPDATE audit_config_uses SET repository = 'x'"), /append-only/);
    await assert.rejects(db.query("TRUNCATE audit_config_uses"), /append-only/);
  });

  withLog("verify reports evidence rows an owner deleted, edited or added", async ({ db, log }) => {
    await fill(log, 4);
    await asOwner(db, "DELETE FROM audit_evidence WHERE seq = 2");
    const deleted = await log.verify();
    assert.ok(!deleted.ok && deleted.seq === 2 && deleted.code === "INDEX_MISMATCH" && /missing/.test(deleted.reason), JSON.stringify(deleted));
    await asOwner(db, "DELETE FROM audit_evidence");
    const all = await log.verify();
    assert.ok(!all.ok && all.seq === 1 && all.code === "INDEX_MISMATCH", JSON.stringify(all));
  });

  withLog("verify reports an edited evidence row, and one for a record that does not exist", async ({ db, log }) => {
    await fill(log, 4);
    await asOwner(db, "UPDATE audit_evidence SET signer_identity = 'https://example.com/other' WHERE seq = 3");
    const edited = await log.verify();
    assert.ok(!edited.ok && edited.seq === 3 && edited.code === "INDEX_MISMATCH", JSON.stringify(edited));
    await asOwner(db, "UPDATE audit_evidence SET signer_identity = (SELECT signer_identity FROM audit_evidence WHERE seq = 2 LIMIT 1) WHERE seq = 3");
    assert.ok((await log.verify()).ok, "as it was");
    await asOwner(db, "INSERT INTO audit_evidence (seq, repository, kind, head_sha, ts) VALUES (99, 'acme/app', 'pull_request', 'ab', now())");
    const orphan = await log.verify();
    assert.ok(!orphan.ok && orphan.seq === 99 && orphan.code === "INDEX_MISMATCH" && /does not exist/.test(orphan.reason), JSON.stringify(orphan));
  });

  withLog("verify reports config uses an owner deleted or added", async ({ db, log }) => {
    await fill(log, 4);
    await asOwner(db, `DELETE FROM audit_config_uses WHERE config_file = '${FILES[1]}'`);
    const deleted = await log.verify();
    assert.ok(!deleted.ok && deleted.seq === 3 && deleted.code === "INDEX_MISMATCH" && deleted.reason.includes(FILES[1]!), JSON.stringify(deleted));
    await asOwner(db, `INSERT INTO audit_config_uses VALUES ('${FILES[1]}', 'acme/app'), ('acme/lib:agent-gate.yml', 'acme/app')`);
    const added = await log.verify();
    assert.ok(!added.ok && added.code === "INDEX_MISMATCH" && added.reason.includes("acme/lib:agent-gate.yml"), JSON.stringify(added));
  });

  withLog("records from before the evidence index may lack rows until the backfill indexes them", async ({ db, log }) => {
    await fill(log, 4);
    // As a database migrated from before the index: no rows for records 1-3, left to backfill.
    await asOwner(db, "DELETE FROM audit_evidence WHERE seq <= 3; UPDATE audit_evidence_backfill SET upto = 3, next = 1");
    assert.ok((await log.verify()).ok);
    assert.equal(await new EvidenceIndex(db).backfill(), true);
    const v = await log.verify();
    assert.ok(v.ok, JSON.stringify(v));
  });
});
