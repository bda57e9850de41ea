// Statements with parameters are prepared once per PostgreSQL connection (src/adapters/storage/prepared.ts), within a
// bound, and what cannot stay prepared stops being prepared instead of failing again and again: a statement whose
// result type changed under it (a newer version's migration) runs unprepared from then on, and a server that lost
// the connection's statements (a transaction-pooling proxy) turns preparing off for the process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openPostgres } from "../../../src/adapters/storage/db.js";
import { MAX_PREPARED, PreparedNames } from "../../../src/adapters/storage/prepared.js";
import { requirePostgres, uniqueSchema } from "./support.js";

test("prepared names: one per text with parameters, none without, at most the bound", () => {
  const p = new PreparedNames(2);
  const a = p.config("SELECT $1::int", [1]);
  assert.ok("name" in a && /^ag_[0-9a-f]{32}$/.test(a.name));
  assert.deepEqual(p.config("SELECT $1::int", [2]), { ...a, values: [2] });
  assert.deepEqual(p.config("SELECT 1", undefined), { text: "SELECT 1" });
  assert.ok("name" in p.config("SELECT $1::text", ["x"]));
  // The bound reached: a third text runs unprepared; the first two stay prepared.
  assert.deepEqual(p.config("SELECT $1::bigint", [3]), { text: "SELECT $1::bigint", values: [3] });
  assert.ok("name" in p.config("SELECT $1::int", [4]));
  // A changed result type: that text only. A server without the statement: all of them.
  p.failed("SELECT $1::int", Object.assign(new Error("cached plan must not change result type"), { code: "0A000" }));
  assert.equal("name" in p.config("SELECT $1::int", [5]), false);
  assert.ok("name" in p.config("SELECT $1::text", ["y"]));
  p.failed("SELECT $1::text", Object.assign(new Error("prepared statement does not exist"), { code: "26000" }));
  assert.equal(p.preparing, false);
  assert.equal("name" in p.config("SELECT $1::text", ["z"]), false);
  assert.ok(MAX_PREPARED >= 64);
});

test("PostgreSQL: a statement is prepared on its connection once, and survives a result type change and a lost statement", async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const schema = uniqueSchema("agt_prep");
  const db = await openPostgres(url, schema, 1); // one connection: every statement below runs on it
  try {
    await db.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"; CREATE TABLE "${schema}".t (a int); INSERT INTO "${schema}".t VALUES (1)`);
    const select = `SELECT * FROM "${schema}".t WHERE a = $1`;
    assert.deepEqual(await db.query(select, [1]), [{ a: 1 }]);
    const named = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'ag\\_%' AND statement = $1", [select]);
    assert.deepEqual(named, [{ n: 1 }], "the statement is prepared on its connection");
    // Another version's migration changes the table under the prepared statement: it fails once, then runs unprepared.
    await db.exec(`ALTER TABLE "${schema}".t ADD COLUMN b int`);
    await assert.rejects(db.query(select, [1]), (err: { code?: string }) => err.code === "0A000");
    assert.deepEqual(await db.query(select, [1]), [{ a: 1, b: null }]);
    // The server forgets the connection's statements (as a transaction-pooling proxy would): one failure, then none.
    const other = "SELECT $1::int + 1 AS n";
    assert.deepEqual(await db.query(other, [1]), [{ n: 2 }]);
    await db.exec("DEALLOCATE ALL");
    await assert.rejects(db.query(other, [1]), (err: { code?: string }) => err.code === "26000");
    assert.deepEqual(await db.query(other, [2]), [{ n: 3 }]);
    assert.deepEqual(await db.query(select, [1]), [{ a: 1, b: null }]);
  } finally {
    await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db.close();
  }
});
