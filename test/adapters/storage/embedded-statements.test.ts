// Statements with parameters in the embedded database are prepared once and then run in one call into PGlite
// (src/adapters/storage/embedded-statements.ts). PGlite's own `query` is the oracle: every value type the stores
// use comes back the same, errors carry the same SQLSTATE and leave the session usable, a standalone statement never
// runs inside another caller's open transaction, each schema's view reads its own tables, and past the bound or after
// a changed result type a statement still runs (unnamed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { PGlite, parse, protocol } from "@electric-sql/pglite";
import { openEmbedded, sqlState, type Queryable } from "../../../src/adapters/storage/db.js";
import { EmbeddedStatements } from "../../../src/adapters/storage/embedded-statements.js";


const fresh = async (max?: number): Promise<{ pg: PGlite; s: EmbeddedStatements }> => {
  const pg = await PGlite.create("memory://");
  await pg.exec(`CREATE SCHEMA a; CREATE SCHEMA b; SET search_path TO a;
    CREATE TABLE a.t (k text PRIMARY KEY, v jsonb, n bigint, i int, f float8, d numeric, b bool, at timestamptz, raw bytea, tags text[], ids int[]);
    CREATE TABLE b.t (k text PRIMARY KEY, v jsonb, n bigint, i int, f float8, d numeric, b bool, at timestamptz, raw bytea, tags text[], ids int[]);`);
  return { pg, s: new EmbeddedStatements(pg, { serialize: protocol.serialize, parseResults: parse.parseResults }, max) };
};

const UPSERT = `INSERT INTO t (k, v, n, i, f, d, b, at, raw, tags, ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, n = t.n + EXCLUDED.n RETURNING *`;
const rowValues = (k: string, seed: number): unknown[] => [
  k,
  { seed, nested: { list: [1, "two", null, true], text: "quote ' and \\ backslash, ünïcode \u2028" } },
  9007199254740993n + BigInt(seed),
  seed,
  seed / 3,
  "12345678901234567890.123456789",
  seed % 2 === 0,
  new Date(Date.UTC(2026, 11, 6, 12, 0, seed % 60, 123)),
  Buffer.from([0, 1, 2, 255, seed % 256]),
  ["a", "b,c", 'd"e', null],
  [1, 2, seed],
];

test("prepared statements return what PGlite's query returns, for every value type the stores use", async () => {
  const { pg, s } = await fresh();
  try {
    for (let seed = 0; seed < 6; seed++) {
      // The same statement through PGlite's query (the oracle) into one row, and prepared into another.
      const k = `key-${seed % 3}`;
      const oracle = (await pg.query(UPSERT, rowValues(`${k}-oracle`, seed))).rows[0] as Record<string, unknown>;
      const [mine] = await s.query<Record<string, unknown>>("a", UPSERT, rowValues(`${k}-mine`, seed));
      assert.ok(mine);
      assert.deepEqual({ ...mine, k: undefined }, { ...oracle, k: undefined });
    }
    const select = "SELECT k, v, n, at, raw, tags, ids, $1::text AS echo, $2::int IS NULL AS null_param FROM t WHERE k LIKE $3 ORDER BY k";
    const params = ["ech'o", null, "key-%"];
    assert.deepEqual(await s.query("a", select, params), (await pg.query(select, params)).rows);
    assert.deepEqual(await s.query("a", "SELECT 1 AS one WHERE false", []), []);
    assert.deepEqual(await s.query("a", "UPDATE t SET i = $1 WHERE k = $2", [7, "none"]), []);
  } finally {
    await pg.close();
  }
});

test("an error carries its SQLSTATE and leaves the session ready; in a transaction, PGlite rolls it back", async () => {
  const { pg, s } = await fresh();
  try {
    const insert = "INSERT INTO t (k, i) VALUES ($1, $2)";
    await s.query("a", insert, ["dup", 1]);
    await assert.rejects(s.query("a", insert, ["dup", 2]), (err: unknown) => sqlState(err) === "23505");
    await assert.rejects(s.query("a", insert, ["x", "not a number"]), (err: unknown) => sqlState(err) === "22P02");
    await assert.rejects(s.query("a", "SELECT no_such_column FROM t WHERE k = $1", ["x"]), (err: unknown) => sqlState(err) === "42703");
    assert.deepEqual(await s.query("a", "SELECT i FROM t WHERE k = $1", ["dup"]), [{ i: 1 }]);
    await assert.rejects(
      pg.transaction(async (tx) => {
        await s.query("a", insert, ["in-tx", 1], tx);
        await s.query("a", insert, ["dup", 3], tx);
      }),
      (err: unknown) => sqlState(err) === "23505",
    );
    assert.deepEqual(await s.query("a", "SELECT count(*)::int AS n FROM t WHERE k = $1", ["in-tx"]), [{ n: 0 }]);
  } finally {
    await pg.close();
  }
});

test("a standalone statement waits for another caller's open transaction instead of running inside it", async () => {
  const { pg, s } = await fresh();
  try {
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = pg.transaction(async (t) => {
      await s.query("a", "INSERT INTO t (k, i) VALUES ($1, $2)", ["uncommitted", 1], t);
      inside();
      await held;
      throw new Error("rolled back on purpose");
    });
    await entered;
    // Issued while the transaction is open: if it ran inside it, it would see the uncommitted row.
    const count = s.query<{ n: number }>("a", "SELECT count(*)::int AS n FROM t WHERE k = $1", ["uncommitted"]);
    const prepares = Promise.all([1, 2, 3].map((i) => s.query("a", "SELECT $1::int + 0 AS x", [i])));
    release();
    await assert.rejects(tx, /rolled back on purpose/);
    assert.deepEqual(await count, [{ n: 0 }]);
    assert.deepEqual(await prepares, [[{ x: 1 }], [{ x: 2 }], [{ x: 3 }]]);
  } finally {
    await pg.close();
  }
});

test("the same text in two schemas' views reads each schema's own table", async () => {
  const db = await openEmbedded("memory://", "first");
  try {
    const other = db.withSchema("second");
    await db.exec("CREATE SCHEMA IF NOT EXISTS first; CREATE TABLE IF NOT EXISTS first.t (k text PRIMARY KEY); CREATE SCHEMA IF NOT EXISTS second; CREATE TABLE IF NOT EXISTS second.t (k text PRIMARY KEY)");
    const insert = "INSERT INTO t (k) VALUES ($1) RETURNING k";
    const select = "SELECT k FROM t WHERE k LIKE $1 ORDER BY k";
    for (let i = 0; i < 3; i++) {
      await db.query(insert, [`first-${i}`]);
      await other.query(insert, [`second-${i}`]);
      await other.transaction((q) => q.query(insert, [`second-tx-${i}`]));
      await db.transaction((q) => q.query(insert, [`first-tx-${i}`]));
    }
    assert.deepEqual((await db.query<{ k: string }>(select, ["%"])).map((r) => r.k), ["first-0", "first-1", "first-2", "first-tx-0", "first-tx-1", "first-tx-2"]);
    assert.deepEqual((await other.query<{ k: string }>(select, ["%"])).map((r) => r.k), ["second-0", "second-1", "second-2", "second-tx-0", "second-tx-1", "second-tx-2"]);
    assert.deepEqual((await db.executeSql("SELECT count(*)::int AS n FROM second.t WHERE k LIKE $1", ["second-%"])).rows, [{ n: 6 }]);
  } finally {
    await db.close();
  }
});

test("past the bound, and after a result type changed under a prepared statement, statements still run (unnamed)", async () => {
  const { pg, s } = await fresh(2);
  try {
    await s.query("a", "INSERT INTO t (k, i) VALUES ($1, $2)", ["x", 1]);
    const star = "SELECT * FROM t WHERE k = $1";
    assert.equal(((await s.query<Record<string, unknown>>("a", star, ["x"]))[0] ?? {})["i"], 1);
    // The bound (2) is reached: a third text runs as the unnamed statement, as often as asked.
    for (let i = 0; i < 3; i++) assert.deepEqual(await s.query("a", "SELECT $1::int * 2 AS y", [i]), [{ y: i * 2 }]);
    // A migration adds a column: the prepared `SELECT *` fails once (0A000), then runs unnamed with the new column.
    await pg.exec("ALTER TABLE a.t ADD COLUMN extra text DEFAULT 'new'");
    await assert.rejects(s.query("a", star, ["x"]), (err: unknown) => sqlState(err) === "0A000");
    assert.equal(((await s.query<Record<string, unknown>>("a", star, ["x"]))[0] ?? {})["extra"], "new");
    assert.equal(((await s.query<Record<string, unknown>>("a", star, ["x"]))[0] ?? {})["extra"], "new");
  } finally {
    await pg.close();
  }
});

test("a closed database refuses a statement instead of running it", async () => {
  const { pg, s } = await fresh();
  await pg.close();
  await assert.rejects(s.query("a", "SELECT $1::int AS x", [1]), /closed/);
});

test("a transaction's handle kept past its end is refused, never run inside another caller's transaction", async () => {
  const db = await openEmbedded("memory://", "kept");
  try {
    await db.exec("CREATE SCHEMA IF NOT EXISTS kept; CREATE TABLE IF NOT EXISTS kept.t (k text PRIMARY KEY)");
    let kept!: Queryable;
    await db.transaction(async (q) => {
      kept = q;
      await q.query("INSERT INTO t (k) VALUES ($1)", ["inside"]);
    });
    await assert.rejects(kept.query("INSERT INTO t (k) VALUES ($1)", ["after its end"]), /Transaction is closed/);
    // Another caller's transaction is open (and rolled back): the kept handle still runs nothing.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    const other = db.transaction(async (q) => {
      await q.query("INSERT INTO t (k) VALUES ($1)", ["other"]);
      opened();
      await held;
      throw new Error("the other caller rolls back");
    });
    await open;
    const stray = kept.query("INSERT INTO t (k) VALUES ($1) RETURNING k", ["stray"]);
    release();
    await assert.rejects(stray, /Transaction is closed/);
    await assert.rejects(other, /rolls back/);
    assert.deepEqual((await db.query<{ k: string }>("SELECT k FROM t WHERE k <> $1 ORDER BY k", [""])).map((r) => r.k), ["inside"]);
  } finally {
    await db.close();
  }
});

test("a prepared statement dropped behind the cache (DEALLOCATE ALL) fails once, then is prepared afresh", async () => {
  const { pg, s } = await fresh();
  try {
    assert.deepEqual(await s.query("a", "SELECT $1::int + 1 AS x", [1]), [{ x: 2 }]);
    await pg.exec("DEALLOCATE ALL");
    await assert.rejects(s.query("a", "SELECT $1::int + 1 AS x", [2]), (err: unknown) => sqlState(err) === "26000");
    assert.deepEqual(await s.query("a", "SELECT $1::int + 1 AS x", [3]), [{ x: 4 }]);
    assert.deepEqual(await s.query("a", "SELECT $1::int + 1 AS x", [4]), [{ x: 5 }]);
  } finally {
    await pg.close();
  }
});
