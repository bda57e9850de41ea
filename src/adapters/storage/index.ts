// Storage: the audit log and the policy bundle store over one database, embedded or PostgreSQL.
import { SqlAuditLog } from "./audit-log.js";
import { SqlBundleStore } from "./bundle-store.js";
import { openDatabase } from "./db.js";
import type { DatabaseOptions, Db } from "./db.js";

export type { AuditLog, AppendOptions, AppendResult, ListOptions, VerifyOptions } from "./audit-log.js";
export { SqlAuditLog } from "./audit-log.js";
export type { BundleStore, PolicyBundle } from "./bundle-store.js";
export { SqlBundleStore, contentDigest, dataDigest } from "./bundle-store.js";
export type { Replayer, ReplayOutcome } from "./replay.js";
export { replayDecision } from "./replay.js";
export type { Db, DatabaseOptions, EmbeddedDb, Queryable } from "./db.js";
export { DEFAULT_DATA_DIR, DEFAULT_SCHEMA, openDatabase, openEmbedded, openPostgres } from "./db.js";
export { MIGRATIONS, migrate } from "./migrations.js";
export { poolSizeFor, POOL_RESERVE } from "./lock-permits.js";
export type { GateDecision, RecorderOptions } from "./recorder.js";
export { auditEventOf, configFileKey, decisionRecorder } from "./recorder.js";

export interface Storage {
  readonly db: Db;
  readonly audit: SqlAuditLog;
  readonly bundles: SqlBundleStore;
  close(): Promise<void>;
}

/** Opens the database (PostgreSQL with a URL, else the embedded data directory) and migrates it. */
export async function openStorage(opts: DatabaseOptions = {}): Promise<Storage> {
  const db = await openDatabase(opts);
  try {
    const audit = await SqlAuditLog.open(db, false);
    return { db, audit, bundles: new SqlBundleStore(db), close: () => db.close() };
  } catch (err) {
    await db.close();
    throw err;
  }
}
