// An append is one statement outside a transaction (issue 19: fewer round trips per event), a compare-and-swap on the
// head its own process made last: when another process moved the head it writes nothing and answers the head as it
// is, to try again on; a failed statement falls back to the locked path. These tests show the short path is taken,
// and that everything the locked path guaranteed still holds.
import assert from "node:assert/strict";
import { SqlAuditLog } from "../../../src/adapters/storage/audit-log.js";
import type { Db } from "../../../src/adapters/storage/db.js";
import { onBothDatabases } from "./audit-log-suites.js";
import { sampleEvent } from "./events.js";

/** The same database, counting the statements and transactions the audit log asks of it. */
function counted(db: Db): { db: Db; statements: string[]; transactions: () => number } {
  const statements: string[] = [];
  let transactions = 0;
  const wrapped = new Proxy(db, {
    get(target, key) {
      if (key === "query") return (sql: string, params?: readonly unknown[]) => (statements.push(sql), target.query(sql, params));
      if (key === "transaction") return (fn: Parameters<Db["transaction"]>[0]) => (transactions++, target.transaction(fn));
      const v: unknown = Reflect.get(target, key);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db: wrapped, statements, transactions: () => transactions };
}

async function orphans(db: Db): Promise<number> {
  const [r] = await db.query<{ n: string | number }>("SELECT count(*) AS n FROM audit_evidence WHERE seq NOT IN (SELECT seq FROM audit_records)");
  return Number(r!.n);
}

onBothDatabases("the audit log's own head", (withLog) => {
  withLog("a process appends in one statement, no transaction, once it knows the head; its witness needs no read", async ({ db }) => {
    const c = counted(db);
    const log = await SqlAuditLog.open(c.db, false);
    c.statements.length = 0;
    await log.append(sampleEvent(1)); // the first: the head is read, then the record written on it
    assert.equal(c.statements.length, 2, c.statements.join("\n"));
    c.statements.length = 0;
    const second = await log.append(sampleEvent(2));
    assert.equal(c.statements.length, 1, c.statements.join("\n"));
    assert.equal(c.transactions(), 0);
    const witness = await log.witnessHead();
    assert.equal(c.statements.length, 1, "the witness is this process's own last append, not a read");
    assert.deepEqual(witness, { seq: second.seq, hash: second.hash });
    assert.deepEqual(witness, await log.head());
    assert.ok((await log.verify()).ok);
  });

  withLog("two processes in turn make one chain: a stale own head is refused and the locked path appends; nothing of a refused statement stays", async ({ db }) => {
    const a = await SqlAuditLog.open(db, false);
    const b = await SqlAuditLog.open(db, false);
    const seqs: number[] = [];
    for (let i = 1; i <= 8; i++) {
      const log = i % 2 === 1 ? a : b;
      seqs.push((await log.append(sampleEvent(i))).seq);
      const head = await log.head();
      const [other, own] = [await (log === a ? b : a).witnessHead(), await log.witnessHead()];
      assert.deepEqual(own, head, "an append leaves its process knowing the head it made");
      if (i > 1) assert.ok(other.seq === head.seq - 1, `the other process witnesses its own last record: ${other.seq} against ${head.seq}`);
    }
    assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8]);
    const v = await a.verify();
    assert.ok(v.ok && v.checked === 8, JSON.stringify(v));
    assert.equal(await orphans(db), 0, "no evidence row without its record");
  });

  withLog("two processes appending at once make one chain; a process that missed the head tries the head it was told, without a transaction", async ({ db }) => {
    const ca = counted(db);
    const a = await SqlAuditLog.open(ca.db, false);
    const b = await SqlAuditLog.open(db, false);
    await a.append(sampleEvent(1));
    await b.append(sampleEvent(2));
    ca.statements.length = 0;
    assert.equal((await a.append(sampleEvent(3))).seq, 3);
    assert.equal(ca.statements.length, 2, "the statement that missed answered the head as it is, and the next one appended");
    assert.equal(ca.transactions(), 0);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? a : b).append(sampleEvent(4 + i))));
    assert.deepEqual(results.map((r) => r.seq).sort((x, y) => x - y), Array.from({ length: 24 }, (_, i) => 4 + i));
    const v = await a.verify();
    assert.ok(v.ok && v.checked === 27, JSON.stringify(v));
    assert.equal(await orphans(db), 0);
    const [e] = await db.query<{ n: string | number }>("SELECT count(DISTINCT seq) AS n FROM audit_evidence");
    assert.equal(Number(e!.n), 27, "every record's evidence, written once");
  });

  withLog("an append that hangs (a dead connection) holds the process's next append back for a moment only", async ({ db }) => {
    let hang = true;
    const stuck = new Proxy(db, {
      get(target, key) {
        if (key === "query") {
          return (sql: string, params?: readonly unknown[]) => {
            if (hang && sql.includes("audit_records")) {
              hang = false;
              return new Promise(() => undefined); // never answered
            }
            return target.query(sql, params);
          };
        }
        const v: unknown = Reflect.get(target, key);
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const log = await SqlAuditLog.open(stuck, false);
    void log.append(sampleEvent(1)); // hangs
    const second = log.append(sampleEvent(2));
    const guard = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the second append waited behind the hung one")), 60_000).unref());
    assert.equal((await Promise.race([second, guard])).seq, 1);
  });

  withLog("after the log lost records (a restore), one footer names the lost head, then the process follows the log again", async ({ db, log }) => {
    for (let i = 1; i <= 5; i++) await log.append(sampleEvent(i));
    const [r3] = await db.query<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_records WHERE seq = 3");
    await db.exec("ALTER TABLE audit_records DISABLE TRIGGER USER; ALTER TABLE audit_head DISABLE TRIGGER USER; ALTER TABLE audit_evidence DISABLE TRIGGER USER; DELETE FROM audit_records WHERE seq > 3; DELETE FROM audit_evidence WHERE seq > 3; ALTER TABLE audit_evidence ENABLE TRIGGER USER");
    await db.query("UPDATE audit_head SET seq = $1, hash = $2", [r3!.seq, r3!.hash]);
    await db.exec("ALTER TABLE audit_records ENABLE TRIGGER USER; ALTER TABLE audit_head ENABLE TRIGGER USER");
    assert.equal((await log.witnessHead()).seq, 5, "the footer before the next append names the lost record: audit verify --witness reports TRUNCATED");
    assert.equal((await log.append(sampleEvent(10))).seq, 4);
    for (let i = 11; i <= 13; i++) {
      const witness = await log.witnessHead();
      assert.deepEqual(witness, await log.head(), "every later footer is the log's own head");
      assert.equal((await log.append(sampleEvent(i))).seq, witness.seq + 1);
    }
    assert.ok((await log.verify()).ok);
  });

  withLog("a redelivered decision on the short path is recorded once; a conflicting one is refused", async ({ db, log }) => {
    await log.append(sampleEvent(1));
    const second = await log.append(sampleEvent(2));
    const evidence = async (): Promise<number> => Number((await db.query<{ n: string | number }>("SELECT count(*) AS n FROM audit_evidence"))[0]!.n);
    const before = await evidence();
    assert.deepEqual(await log.append(sampleEvent(2)), { ...second, duplicate: true });
    await assert.rejects(log.append(sampleEvent(2, { result: { allow: false, deny: [], warn: [] } })), { code: "AUDIT_DECISION_CONFLICT" });
    assert.equal((await log.head()).seq, 2);
    assert.equal(await evidence(), before);
    assert.deepEqual((await log.append(sampleEvent(3))).seq, 3);
    assert.ok((await log.verify()).ok);
  });

  withLog("with the head pointer row deleted (triggers bypassed), no record is appended, on either path", async ({ db, log }) => {
    await log.append(sampleEvent(1));
    await db.exec("ALTER TABLE audit_head DISABLE TRIGGER USER; DELETE FROM audit_head; ALTER TABLE audit_head ENABLE TRIGGER USER;");
    await assert.rejects(log.append(sampleEvent(2)), { code: "AUDIT_HEAD_MISSING" });
    // A writer that skips the lock meets the trigger (migration 9): NULLs from a missing row no longer pass.
    await assert.rejects(db.query("INSERT INTO audit_records (seq, prev_hash, hash, decision_id, ts, record) VALUES (2, $1, $2, 'fork', now(), '{}')", ["0".repeat(64), "f".repeat(64)]), /head pointer row is missing/);
    const [r] = await db.query<{ n: string | number }>("SELECT count(*) AS n FROM audit_records");
    assert.equal(Number(r!.n), 1);
    assert.equal(await orphans(db), 0);
  });
});
