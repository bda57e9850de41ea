// The two databases the storage tests run on: this machine's PostgreSQL (a unique schema per test, dropped
// afterwards, so parallel runs and CI never collide) and PGlite in a temporary data directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import pg from "pg";
import { openEmbedded, openPostgres, type Db } from "../../../src/adapters/storage/db.js";
import { migrate } from "../../../src/adapters/storage/migrations.js";

const CANDIDATES = process.env["TEST_DATABASE_URL"]
  ? [process.env["TEST_DATABASE_URL"]]
  : ["postgres://root@127.0.0.1:5432/test", "postgres://postgres@127.0.0.1:5432/test"];

let found: Promise<{ url?: string; why: string }> | undefined;

/** The first PostgreSQL URL that answers, or why none did. */
export function findPostgres(): Promise<{ url?: string; why: string }> {
  found ??= (async () => {
    const why: string[] = [];
    for (const url of CANDIDATES) {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
      try {
        await c.connect();
        await c.query("SELECT 1");
        return { url, why: "" };
      } catch (err) {
        why.push(`${url.replace(/\/\/[^@]*@/, "//…@")}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await c.end().catch(() => undefined);
      }
    }
    return { why: why.join("; ") };
  })();
  return found;
}

/**
 * The PostgreSQL URL, or: under CI a failed test (PostgreSQL is part of this machine and must be there), and
 * locally a skipped test with the reason printed.
 */
export async function requirePostgres(t: TestContext): Promise<string | undefined> {
  const { url, why } = await findPostgres();
  if (url) return url;
  const message = `PostgreSQL is not reachable (set TEST_DATABASE_URL to point elsewhere); tried ${why}`;
  if (process.env["CI"] === "true") throw new Error(message);
  console.log(`# skipped: ${message}`);
  t.skip(message);
  return undefined;
}

export function uniqueSchema(prefix = "agt"): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

export function tempDir(prefix = "agent-gate-audit-"): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Runs `body` on a migrated database of `kind`: embedded in memory, or PostgreSQL in a schema of its own (dropped
 * after). Without PostgreSQL the test is skipped as requirePostgres says (failed under CI).
 */
export async function withMigratedDb(t: TestContext, kind: "embedded" | "postgres", body: (db: Db) => Promise<void>, prefix = "agt"): Promise<void> {
  let db: Db;
  let cleanup = (): Promise<void> => Promise.resolve();
  if (kind === "postgres") {
    const url = await requirePostgres(t);
    if (!url) return;
    const schema = uniqueSchema(prefix);
    db = await openPostgres(url, schema);
    cleanup = () => dropSchema(url, schema);
  } else {
    db = await openEmbedded("memory://");
  }
  try {
    await migrate(db);
    await body(db);
  } finally {
    await db.close();
    await cleanup();
  }
}
