// The subject columns (kind, repository, head_sha) the deployment gate reads records by, on both databases: every record
// has them, filled from its hashed text (migration 10); a NULL-ed one is refused by the schema, and where an owner drops
// that constraint too, audit verify reports the column (the read cannot see a record it does not select).
import assert from "node:assert/strict";
import { SqlAuditLog } from "../../../src/adapters/storage/audit-log.js";
import type { Db } from "../../../src/adapters/storage/db.js";
import { sampleEvent } from "./events.js";
import { onBothDatabases } from "./audit-log-suites.js";

/** As the table owner: switch the append-only triggers off, run `sql`, switch them on again. */
async function asOwner(db: Db, sql: string): Promise<void> {
  await db.exec(`ALTER TABLE audit_records DISABLE TRIGGER USER; ${sql}; ALTER TABLE audit_records ENABLE TRIGGER USER;`);
}

const SHA = "ab".repeat(20);
function decision(id: string, conclusion: "success" | "failure", i: number) {
  const base = sampleEvent(i);
  return { ...base, decision_id: id, agent_gate: { ...base.agent_gate, pull_request: 7, head_sha: SHA, conclusion } };
}

onBothDatabases("audit subject columns", (withLog) => {
  for (const column of ["head_sha", "kind", "repository"]) {
    withLog(`a ${column} set to NULL on a pull request's newest decision is refused, and reported by verify where the constraint is dropped too`, async ({ db, log }) => {
      await log.append(decision("d-ok", "success", 1));
      await log.append(decision("d-bad", "failure", 2));
      const subject = { repository: "acme/app", headSha: SHA, kind: "pull_request" as const };
      assert.deepEqual((await log.onHead(subject, 10)).map((r) => r.decision_id), ["d-bad"]);
      await assert.rejects(asOwner(db, `UPDATE audit_records SET ${column} = NULL WHERE decision_id = 'd-bad'`), /null value|not-null|violates/i);
      await asOwner(db, `ALTER TABLE audit_records ALTER COLUMN ${column} DROP NOT NULL; UPDATE audit_records SET ${column} = NULL WHERE decision_id = 'd-bad'`);
      const v = await log.verify();
      assert.ok(!v.ok && v.seq === 2 && v.code === "COLUMN_MISMATCH" && v.reason.includes(`${column} column (NULL)`), JSON.stringify(v));
    });
  }

  withLog("records from before the subject columns get them from their hashed text, and the deployment gate sees them", async ({ db, log }) => {
    await log.append(decision("d-ok", "success", 1));
    await log.append(decision("d-bad", "failure", 2));
    await log.append(sampleEvent(3));
    // As a database from before migration 3: the columns NULL; record 3's text no JSON any more (edited).
    await asOwner(
      db,
      `ALTER TABLE audit_records ALTER COLUMN kind DROP NOT NULL, ALTER COLUMN repository DROP NOT NULL, ALTER COLUMN head_sha DROP NOT NULL;
       UPDATE audit_records SET kind = NULL, repository = NULL, head_sha = NULL;
       UPDATE audit_records SET record = 'not json' WHERE seq = 3;
       DELETE FROM schema_migrations WHERE version = 10`,
    );
    assert.deepEqual(await log.onHead({ repository: "acme/app", headSha: SHA, kind: "pull_request" }, 10), [], "invisible before");
    const again = await SqlAuditLog.open(db, false);
    assert.deepEqual((await again.onHead({ repository: "acme/app", headSha: SHA, kind: "pull_request" }, 10)).map((r) => r.decision_id), ["d-bad"]);
    const rows = await db.query<{ seq: string; kind: string; repository: string; head_sha: string }>("SELECT seq, kind, repository, head_sha FROM audit_records ORDER BY seq");
    assert.deepEqual(rows.map((r) => [Number(r.seq), r.kind, r.repository, r.head_sha]), [[1, "pull_request", "acme/app", SHA], [2, "pull_request", "acme/app", SHA], [3, "", "", ""]]);
    const v = await again.verify();
    assert.ok(!v.ok && v.seq === 3 && v.code === "NOT_CANONICAL", JSON.stringify(v));
    await assert.rejects(asOwner(db, "UPDATE audit_records SET head_sha = NULL WHERE seq = 1"), /null value|not-null|violates/i, "NOT NULL again");
  });
});
