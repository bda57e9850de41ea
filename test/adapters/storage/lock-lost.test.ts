// A per-head lock whose PostgreSQL session ends while its holder works (a server restart, a network cut, an idle
// timeout, a backend an operator terminated) is released by the server: another process may enter. The holder must
// learn it: withLock's signal is aborted, with a transient error as its reason. In one process (PGlite, the in-memory
// store) a lock cannot be lost while the process lives: its signal never aborts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inProcessLocks, openPostgres } from "../../../src/adapters/storage/db.js";
import { AgentGateError } from "../../../src/core/errors.js";
import { aborted, terminateLockHolder } from "./lock-support.js";
import { requirePostgres, uniqueSchema } from "./support.js";

test("PostgreSQL: the lock's backend terminated while its holder works aborts the holder's signal, and another may enter", async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const db = await openPostgres(url, uniqueSchema("agt_lock"), 4);
  const key = `lock-lost ${uniqueSchema()}`;
  try {
    let reason: unknown;
    const out = await db.withLock(key, async (held) => {
      assert.equal(held.aborted, false);
      await terminateLockHolder(url, key);
      reason = await aborted(held);
      // The server released it with the session: a second holder enters while the first still runs.
      assert.equal(await db.withLock(key, (second) => Promise.resolve(second.aborted ? "aborted" : "entered")), "entered");
      assert.throws(() => held.throwIfAborted(), AgentGateError);
      return "first returns";
    });
    assert.equal(out, "first returns");
    assert.ok(reason instanceof AgentGateError);
    assert.equal(reason.code, "STORAGE_UNAVAILABLE");
    assert.equal(reason.kind, "transient");
    assert.match(reason.message, /lost the lock "lock-lost .*": its connection to PostgreSQL at .* ended/);
    // The pool threw the dead connection away: the lock works as before.
    assert.equal(await db.withLock(key, (held) => Promise.resolve(held.aborted)), false);
  } finally {
    await db.close();
  }
});

test("PostgreSQL: a lock released normally never aborts its signal, and its pooled connection is reused", async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const db = await openPostgres(url, uniqueSchema("agt_lock"), 1);
  try {
    let kept: AbortSignal | undefined;
    for (let i = 0; i < 3; i++) await db.withLock("lock-kept", (held) => Promise.resolve(void (kept = held)));
    assert.equal(kept?.aborted, false);
    // One pooled connection (max 1), reused three times and still good.
    assert.deepEqual(await db.query<{ n: number }>("SELECT 1 AS n"), [{ n: 1 }]);
  } finally {
    await db.close();
  }
});

test("in one process (PGlite, the in-memory store) a held lock's signal never aborts", async () => {
  const locks = inProcessLocks();
  const signals = await Promise.all([locks("k", (held) => Promise.resolve(held)), locks("k", (held) => Promise.resolve(held))]);
  assert.deepEqual(signals.map((s) => s.aborted), [false, false]);
});

test("PostgreSQL: a transaction whose backend is terminated mid-way fails, the process lives on, and the pool serves again", async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const db = await openPostgres(url, uniqueSchema("agt_tx"), 1);
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // Before the fix, the checked-out client had no 'error' listener: an unhandled 'error' event ended the process.
    await assert.rejects(
      db.transaction(async (q) => {
        const [row] = await q.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        await admin.query("SELECT pg_terminate_backend($1)", [row!.pid]);
        await new Promise((r) => setTimeout(r, 200)); // the 'error' event arrives while no statement is in flight
        await q.query("SELECT 1");
      }),
    );
    assert.deepEqual(await db.query<{ n: number }>("SELECT 1 AS n"), [{ n: 1 }]);
  } finally {
    await admin.end();
    await db.close();
  }
});
