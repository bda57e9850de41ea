// Losing a PostgreSQL advisory lock on purpose (tests): its backend terminated from another connection.
import assert from "node:assert/strict";
import { once } from "node:events";
import pg from "pg";

/** Terminates the backend that holds the advisory lock of `key` (db.ts: hashtextextended of the key). */
export async function terminateLockHolder(url: string, key: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const rows = (
      await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
           AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
        [key],
      )
    ).rows;
    assert.equal(rows.length, 1, `one backend holds the lock "${key}"`);
    await admin.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
    return rows[0]!.pid;
  } finally {
    await admin.end();
  }
}

/** Resolves when `signal` aborts; fails the test (no hang) if it does not within `ms`. */
export async function aborted(signal: AbortSignal, ms = 15_000): Promise<unknown> {
  if (signal.aborted) return signal.reason;
  const timer = AbortSignal.timeout(ms);
  await Promise.race([once(signal, "abort"), once(timer, "abort").then(() => assert.fail(`the holder's signal was not aborted within ${ms} ms`))]);
  return signal.reason;
}
