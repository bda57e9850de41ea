// Tests of what lives over the audit log, run on both databases: PGlite in a temporary data directory and this
// machine's PostgreSQL (skipped, saying why, where none answers), each test with an audit log in a schema of its own.
import { after, before, describe, test, type TestContext } from "node:test";
import { SqlAuditLog } from "../../../src/adapters/storage/audit-log.js";
import { openEmbedded, openPostgres, type Db, type EmbeddedDb } from "../../../src/adapters/storage/db.js";
import { dropSchema, requirePostgres, tempDir, uniqueSchema } from "./support.js";

export interface OpenedLog {
  readonly db: Db;
  readonly log: SqlAuditLog;
  cleanup(): Promise<void>;
}

/** Declares one test, given an audit log of its own (dropped afterwards). */
export type WithLog = (title: string, body: (o: OpenedLog) => Promise<void>) => void;

/** Declares `cases` twice, as `WHAT on PGlite (embedded)` and `WHAT on PostgreSQL`. */
export function onBothDatabases(what: string, cases: (withLog: WithLog) => void, opts: { readonly timeout?: number } = {}): void {
  let root: EmbeddedDb | undefined;
  const dir = tempDir();
  before(async () => {
    root = await openEmbedded(dir.path);
  });
  after(async () => {
    await root?.close();
    dir.remove();
  });
  const openers: [string, (t: TestContext) => Promise<OpenedLog | undefined>][] = [
    [
      "PGlite (embedded)",
      async () => {
        const db = root!.withSchema(uniqueSchema());
        const log = await SqlAuditLog.open(db, false);
        return { db, log, cleanup: () => db.exec(`DROP SCHEMA "${db.schema}" CASCADE`) };
      },
    ],
    [
      "PostgreSQL",
      async (t) => {
        const url = await requirePostgres(t);
        if (!url) return undefined;
        const schema = uniqueSchema();
        const db = await openPostgres(url, schema);
        const log = await SqlAuditLog.open(db);
        return {
          db,
          log,
          cleanup: async () => {
            await log.close();
            await dropSchema(url, schema);
          },
        };
      },
    ],
  ];
  for (const [name, open] of openers) {
    describe(`${what} on ${name}`, () => {
      cases((title, body) => {
        test(title, opts.timeout === undefined ? {} : { timeout: opts.timeout }, async (t) => {
          const o = await open(t);
          if (!o) return;
          try {
            await body(o);
          } finally {
            await o.cleanup();
          }
        });
      });
    });
  }
}
