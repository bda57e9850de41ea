// More workers than pool connections: each held lock keeps its connection while its holder works, and the holder
// needs another for its own statements. Before lock-permits.ts, every connection could be a lock's, and every holder
// then waited for a connection only a holder could free (16 workers on the pool of 12 concluded 83 of 400 events in
// 120 s in the load run). Now at most the pool less its reserve are locks, and every holder goes on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openPostgres } from "../../../src/adapters/storage/db.js";
import { LockPermits, poolSizeFor, POOL_RESERVE, MAX_DEFAULT_POOL } from "../../../src/adapters/storage/lock-permits.js";
import { workersHoldingLocks } from "../../../src/app/intake.js";
import { requirePostgres, uniqueSchema } from "./support.js";

test("PostgreSQL: 24 lock holders on a pool of 6, each running statements while it holds its lock, all finish", async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const db = await openPostgres(url, uniqueSchema("agt_permits"), 6);
  const prefix = `permits ${uniqueSchema()}`;
  let inside = 0;
  let most = 0;
  try {
    const out = await Promise.all(Array.from({ length: 24 }, (_, i) => db.withLock(`${prefix} ${i % 8}`, async (held) => {
      most = Math.max(most, ++inside);
      try {
        // Statements of the holder's own, on other connections of the pool, with a pause as a GitHub call would make.
        const [a] = await db.query<{ n: number }>("SELECT $1::int AS n", [i]);
        await new Promise((r) => setTimeout(r, 5));
        const [b] = await db.query<{ n: number }>("SELECT $1::int + 1 AS n", [a!.n]);
        assert.equal(held.aborted, false);
        return b!.n;
      } finally {
        inside--;
      }
    })));
    assert.deepEqual(out, Array.from({ length: 24 }, (_, i) => i + 1));
    assert.ok(most <= 6 - 4, `expected at most 2 holders at once on a pool of 6, saw ${most}`);
  } finally {
    await db.close();
  }
});

test("lock permits: served in order, each released once, the reserve kept", async () => {
  const p = new LockPermits(6);
  assert.equal(p.size, 6 - POOL_RESERVE);
  const first = await p.acquire();
  const second = await p.acquire();
  const order: string[] = [];
  const third = p.acquire().then((r) => (order.push("third"), r));
  const fourth = p.acquire().then((r) => (order.push("fourth"), r));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, []);
  first();
  first(); // a second release of the same permit frees nothing more
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ["third"]);
  second();
  (await third)();
  (await fourth)();
  // All four given back: two at once again, no more.
  const a = await p.acquire();
  const b = await p.acquire();
  let c = false;
  void p.acquire().then(() => (c = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(c, false);
  a();
  b();
  // Small pools keep one connection at least; a pool of one has none to keep.
  assert.equal(new LockPermits(1).size, 1);
  assert.equal(new LockPermits(2).size, 1);
  assert.equal(new LockPermits(4).size, 2);
  assert.equal(new LockPermits(12).size, 8);
  assert.throws(() => new LockPermits(0), /expected a pool of at least 1 connection, got 0/);
});

test("the pool of a process: a connection for each worker that may hold a lock, plus the reserve, within a bound", () => {
  // 4 workers (the default): 4 evaluations, 2 deployments, reconciliation's one.
  assert.equal(workersHoldingLocks(4), 7);
  assert.equal(poolSizeFor(workersHoldingLocks(4)), 12);
  assert.equal(poolSizeFor(workersHoldingLocks(16)), 16 + 8 + 1 + POOL_RESERVE);
  // 64 workers would ask for 101: bounded, and the permits keep the reserve free whatever the workers.
  assert.equal(poolSizeFor(workersHoldingLocks(64)), MAX_DEFAULT_POOL);
});

test("lock permits: a wait is bounded, and a waiter that gave up takes no permit later", async () => {
  const p = new LockPermits(6); // 2 permits
  const a = await p.acquire();
  const b = await p.acquire();
  await assert.rejects(p.acquire(30, () => new Error("no permit in 30 ms")), /no permit in 30 ms/);
  a();
  // The permit freed goes to the next asker, not to the waiter that gave up.
  const c = await p.acquire(30, () => new Error("should not wait"));
  let d = false;
  void p.acquire().then(() => (d = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(d, false, "two permits are out (b and c): a third waits");
  b();
  await new Promise((r) => setImmediate(r));
  assert.equal(d, true);
  c();
});
