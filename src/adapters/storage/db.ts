// One small SQL port over the two databases agent-gate runs on: embedded PGlite (PostgreSQL in WebAssembly, in a data
// directory, nothing to start) and PostgreSQL through DATABASE_URL (`pg`). Every store writes the same SQL to either.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import type { PoolClient } from "pg";
import { AgentGateError, describeError } from "../../core/errors.js";
import { redactUrl } from "../../core/secure-url.js";
import { siblingEntry } from "../entry.js";
import { LockPermits, poolSizeFor } from "./lock-permits.js";
import { PreparedNames } from "./prepared.js";
import { EmbeddedStatements } from "./embedded-statements.js";
import { lockDataDir } from "./data-dir-lock.js";

export type Row = Record<string, unknown>;

export interface Queryable {
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: "embedded" | "postgres";
  readonly schema: string;
  /** Where the data lives, for messages: the data directory, or the URL reduced by redactUrl (no credentials). */
  readonly location: string;
  transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * Raw SQL for a library that brings its own schema-qualified SQL (the job engine): with parameters one
   * statement; without, several (run as one script, the last result returned). No search_path is set.
   */
  executeSql(text: string, values?: readonly unknown[]): Promise<{ rows: Row[] }>;
  /**
   * Runs `fn` while holding a mutual-exclusion lock on `key` for the whole deployment: a PostgreSQL advisory
   * lock (held by a session, so a crashed holder releases it), or in-process for the embedded database (one
   * process owns its data directory). `held` is aborted when the lock is lost while `fn` runs (its session's
   * connection ended: another process may hold it now); its reason is a transient error. `fn` checks it before
   * each side effect and stops.
   */
  withLock<T>(key: string, fn: (held: AbortSignal) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A lock held in this process is never lost while the process lives: its signal never aborts. */
const NEVER_LOST = new AbortController().signal;

/** In-process mutual exclusion by key: each holder waits for the previous one. */
export function inProcessLocks(): <T>(key: string, fn: (held: AbortSignal) => Promise<T>) => Promise<T> {
  const lanes = new Map<string, Promise<unknown>>();
  return async <T>(key: string, fn: (held: AbortSignal) => Promise<T>): Promise<T> => {
    const prev = lanes.get(key) ?? Promise.resolve();
    const run = (): Promise<T> => fn(NEVER_LOST);
    const next = prev.then(run, run);
    lanes.set(key, next);
    try {
      return await next;
    } finally {
      if (lanes.get(key) === next) lanes.delete(key);
    }
  };
}

export const DEFAULT_DATA_DIR = ".agent-gate/data";
export const DEFAULT_SCHEMA = "agent_gate";

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new AgentGateError("STORAGE_SCHEMA_INVALID", `expected a schema name of lowercase letters, digits and _ (at most 63), got ${JSON.stringify(schema)}`);
  }
  return `"${schema}"`;
}

export { redactUrl };

/** The SQLSTATE of a database error from either driver. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

// --- PostgreSQL ------------------------------------------------------------------------------------------

const CONNECT_TIMEOUT_MS = 10_000;

export async function openPostgres(url: string, schema = DEFAULT_SCHEMA, poolSize = poolSizeFor(0)): Promise<Db> {
  const { default: pg } = await import("pg");
  const permits = new LockPermits(poolSize);
  const prepared = new PreparedNames(); // statements with parameters are prepared once per connection (prepared.ts)
  const quoted = quoteSchema(schema);
  // keepAlive: a lock's session sits idle while its holder works; without keepalives a silently cut one would be
  // noticed only by its next statement, so the holder could not learn that its lock is gone.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: `-c search_path=${quoted}`, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  // An idle client's error (the server restarting) must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  const location = redactUrl(url);
  const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      if (sqlState(err)) throw err;
      throw new AgentGateError("STORAGE_UNAVAILABLE", `could not reach PostgreSQL at ${location} (${what}): ${describeError(err)}`, "transient", { cause: err });
    }
  };
  type Client = { query: (config: ReturnType<PreparedNames["config"]> | string) => Promise<{ rows: unknown[] }> };
  const run = async (c: Client, sql: string, params?: readonly unknown[]): Promise<{ rows: unknown[] }> => {
    try {
      return await c.query(prepared.config(sql, params));
    } catch (err) {
      prepared.failed(sql, err);
      throw err;
    }
  };
  const on = (c: Client): Queryable => ({
    query: async <R extends Row>(sql: string, params?: readonly unknown[]) => (await run(c, sql, params)).rows as R[],
    exec: async (sql: string) => void (await c.query(sql)),
  });
  const q = on(pool);
  return {
    kind: "postgres",
    schema,
    location,
    query: (sql, params) => wrap("query", () => q.query(sql, params)),
    exec: (sql) => wrap("exec", () => q.exec(sql)),
    transaction: async <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => {
      const client = await wrap("connect", () => pool.connect());
      let broken = false;
      // Checked out, a client has no 'error' listener of the pool's: a backend ending mid-transaction would crash us.
      const onError = (): void => void (broken = true);
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const out = await fn(on(client));
        await client.query("COMMIT");
        return out;
      } catch (err) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true; // the connection is gone: do not return it to the pool
        }
        throw err;
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
    },
    executeSql: (text, values) => wrap("query", async () => ({ rows: (await run(pool, text, values)).rows as Row[] })),
    withLock: async <T>(key: string, fn: (held: AbortSignal) => Promise<T>): Promise<T> => {
      // Never every connection a lock's (lock-permits.ts); a wait as long as the pool's for a connection, then transient.
      const release = await permits.acquire(CONNECT_TIMEOUT_MS, () => new AgentGateError("STORAGE_UNAVAILABLE", `no connection to PostgreSQL at ${location} came free for the lock "${key}" within ${CONNECT_TIMEOUT_MS / 1000} s (every one the pool may give a lock is held); to be retried`, "transient"));
      let client: PoolClient;
      try {
        client = await wrap("connect", () => pool.connect());
      } catch (err) {
        release();
        throw err;
      }
      let broken = false;
      // The advisory lock lives as long as this session: when its connection ends (a server restart, a network cut, an
      // idle-session timeout, a killed backend), pg reports it ('error', 'end') and the holder's signal is aborted.
      const lost = new AbortController();
      const onLost = (err?: unknown): void => {
        broken = true;
        if (lost.signal.aborted) return;
        const why = err === undefined ? "the connection ended" : describeError(err);
        lost.abort(new AgentGateError("STORAGE_UNAVAILABLE", `lost the lock "${key}": its connection to PostgreSQL at ${location} ended (${why}); stopped before any further write, to be retried`, "transient"));
      };
      client.on("error", onLost);
      client.on("end", onLost);
      try {
        // A 64-bit hash of the key: a collision only serialises two unrelated keys. idle_session_timeout (PostgreSQL 14+)
        // would end this idle session while its holder works: 0 for this session, where the setting exists.
        await run(client, `SELECT pg_advisory_lock(hashtextextended($1, 0)), CASE WHEN current_setting('idle_session_timeout', true) IS NOT NULL THEN set_config('idle_session_timeout', '0', false) END`, [key]);
        try {
          return await fn(lost.signal);
        } finally {
          try {
            await run(client, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]);
          } catch {
            broken = true; // the session is gone, and its locks with it
          }
        }
      } finally {
        client.off("error", onLost);
        client.off("end", onLost);
        client.release(broken);
        release();
      }
    },
    close: () => pool.end(),
  };
}

// --- Embedded (PGlite) -----------------------------------------------------------------------------------

type PGliteInstance = PGlite;

/** An embedded database: one PGlite instance, viewed through one schema or more (audit log, intake queue). */
export interface EmbeddedDb extends Db {
  readonly kind: "embedded";
  /** The same instance seen through another schema; closing a view closes the instance. */
  withSchema(schema: string): EmbeddedDb;
}

function embeddedView(pg: PGliteInstance, statements: EmbeddedStatements, schema: string, location: string, close: () => Promise<void>, sessionSchema: string, locks = inProcessLocks()): EmbeddedDb {
  const quoted = quoteSchema(schema);
  // A statement with parameters is prepared once (embedded-statements.ts); one without (migrations) goes to PGlite.
  // `tx`: inside that PGlite transaction; without it, on the session itself.
  const on = (tx?: Transaction): Queryable => {
    const c = tx ?? pg;
    return {
      query: async <R extends Row>(sql: string, params?: readonly unknown[]) =>
        params === undefined ? (await c.query<R>(sql)).rows : statements.query<R>(tx ? schema : sessionSchema, sql, params, tx),
      exec: async (sql: string) => void (await c.exec(sql)),
    };
  };
  // PGlite has one session, whose search_path is the schema it was opened with (openEmbedded sets it once). The view of
  // that schema runs a statement as it is; another view runs each in a transaction that sets its schema first (SET
  // LOCAL: three statements, 0.36 ms of CPU against 0.16 for an upsert in PGlite). PGlite runs one statement or
  // transaction at a time, so no other view's statement can come in between.
  const own = schema === sessionSchema;
  const inSchema = <T>(fn: (q: Queryable) => Promise<T>): Promise<T> =>
    pg.transaction(async (tx) => {
      if (!own) await tx.exec(`SET LOCAL search_path TO ${quoted}`);
      return fn(on(tx));
    });
  const direct = on();
  return {
    kind: "embedded",
    schema,
    location,
    query: (sql, params) => (own ? direct.query(sql, params) : inSchema((q) => q.query(sql, params))),
    exec: (sql) => inSchema((q) => q.exec(sql)),
    transaction: inSchema,
    executeSql: async (text, values) => {
      if (values && values.length > 0) return { rows: await statements.query<Row>(sessionSchema, text, values) };
      try {
        const results = await pg.exec(text);
        return { rows: results.at(-1)?.rows ?? [] };
      } catch (err) {
        // A script that failed inside its own BEGIN leaves PGlite's one session in an aborted transaction.
        await pg.exec("ROLLBACK").catch(() => undefined);
        throw err;
      }
    },
    withLock: locks,
    withSchema: (other) => embeddedView(pg, statements, other, location, close, sessionSchema, locks),
    close,
  };
}

/**
 * PostgreSQL settings of the embedded database, after PGlite's own start parameters (single-user mode, no
 * parallel workers, ...), which are kept. PGlite allocates PostgreSQL's shared memory inside its WebAssembly
 * memory and touches it at start; a WebAssembly memory never shrinks. With shared_buffers=128MB (PostgreSQL's
 * default) that memory is 189 MB, 151 MB of it resident; with 16MB it stays at the module's minimum of 128 MB,
 * 29 MB resident. 16 MB is 2,048 pages for what an event reads: the queue's pending jobs and indexes, the audit
 * log's head, the gate store's rows. After 1,000 events the database is ~50 MB, 38 MB of it finished jobs kept
 * for pg-boss's retention and seldom read; a miss is read from the operating system's page cache. CPU per event
 * over the PR gate benchmark stayed within its run-to-run spread. work_mem, temp_buffers, wal_buffers and
 * max_connections changed the resident memory by 2 MB or less (the first three are allocated only when used), so
 * they keep PostgreSQL's defaults.
 */
export function embeddedStartParams(pgliteDefaults: readonly string[]): string[] {
  return [...pgliteDefaults, "-c", "shared_buffers=16MB"];
}

/** The initialising process's entry: embedded-init.ts under tsx (tests), embedded-init.js compiled in dist/. */
const INIT = siblingEntry(import.meta.url, "embedded-init");
const INIT_SCRIPT = INIT.path;
const INIT_TIMEOUT_MS = 300_000;

/**
 * Creates the PostgreSQL files of a fresh data directory (initdb) in a short-lived process of its own: in PGlite
 * initdb takes ~800 MB of memory, which a process does not give back, so the App's process only ever opens an
 * existing directory. The caller holds the data directory's lock throughout. The child writes `pgDir`.init-* and
 * syncs it to disk; only then is it renamed to `pgDir`, so an interrupted initialisation never leaves a half-made
 * database where the next start would open it.
 */
async function initialiseOutOfProcess(dir: string, pgDir: string): Promise<void> {
  const fail = (why: string, cause?: unknown): AgentGateError =>
    new AgentGateError("STORAGE_UNAVAILABLE", `could not initialise the embedded database in ${dir}: ${why}`, "internal", { cause });
  // PGlite makes its directory before it looks inside: an empty one is replaced; one with files but no PG_VERSION is
  // no database, left to the operator.
  if (existsSync(pgDir) && readdirSync(pgDir).length > 0) throw fail(`${pgDir} holds files but no database (no PG_VERSION); move it away to start afresh`);
  // Left by interrupted initialisations (a child outliving its killed parent writes to its own attempt's directory).
  for (const name of readdirSync(dir)) if (name.startsWith("pg.init-")) rmSync(join(dir, name), { recursive: true, force: true });
  const staging = `${pgDir}.init-${randomBytes(4).toString("hex")}`;
  try {
    // From TypeScript (tests) the child needs the loader this process runs under.
    const loader = INIT.typescript ? ["--import", import.meta.resolve("tsx")] : [];
    const child = spawn(process.execPath, [...loader, INIT_SCRIPT, staging], { stdio: ["ignore", "ignore", "pipe"], timeout: INIT_TIMEOUT_MS });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
    if (code !== 0) {
      const how = signal ? `was killed by ${signal}${signal === "SIGTERM" ? ` (it may have run past ${INIT_TIMEOUT_MS / 1000} s)` : ""}` : `exited with code ${code}`;
      throw fail(`the initialising process (${INIT_SCRIPT}) ${how}: ${stderr.trim() || "(nothing on stderr)"}`);
    }
    if (existsSync(pgDir)) rmdirSync(pgDir); // empty, as checked above
    renameSync(staging, pgDir);
    syncPath(dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err instanceof AgentGateError ? err : fail(describeError(err), err);
  }
}

/** Makes a file's contents, or a directory's entries (a rename), durable. */
export function syncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Opens (creating on first use) the embedded database in `dataDir`; `memory://` keeps it in memory. */
export async function openEmbedded(dataDir: string = DEFAULT_DATA_DIR, schema = DEFAULT_SCHEMA): Promise<EmbeddedDb> {
  quoteSchema(schema);
  const { PGlite: Engine, protocol, parse } = await import("@electric-sql/pglite");
  const inMemory = dataDir === "memory://";
  const dir = inMemory ? dataDir : resolve(dataDir);
  const pgDir = join(dir, "pg");
  let unlock = (): void => undefined;
  if (!inMemory) {
    mkdirSync(dir, { recursive: true });
    unlock = await lockDataDir(dir);
    try {
      if (!existsSync(join(pgDir, "PG_VERSION"))) await initialiseOutOfProcess(dir, pgDir);
    } catch (err) {
      unlock();
      throw err;
    }
  }
  let pg: PGliteInstance;
  try {
    // memory:// (the demo, tests) cannot be initialised by another process: its initdb runs in this one.
    pg = await Engine.create(inMemory ? "memory://" : pgDir, { startParams: embeddedStartParams(Engine.defaultStartParams) });
  } catch (err) {
    unlock();
    throw new AgentGateError("STORAGE_UNAVAILABLE", `could not open the embedded database in ${dir}: ${describeError(err)}`, "internal", { cause: err });
  }
  try {
    // The session's schema (see embeddedView): set once, never changed by a statement of ours (only SET LOCAL is).
    await pg.exec(`SET search_path TO ${quoteSchema(schema)}`);
  } catch (err) {
    await pg.close().catch(() => undefined);
    unlock();
    throw new AgentGateError("STORAGE_UNAVAILABLE", `could not open the embedded database in ${dir}: ${describeError(err)}`, "internal", { cause: err });
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await pg.close();
      } finally {
        unlock();
      }
    })());
  return embeddedView(pg, new EmbeddedStatements(pg, { serialize: protocol.serialize, parseResults: parse.parseResults }), schema, dir, close, schema);
}

export interface DatabaseOptions {
  readonly databaseUrl?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly schema?: string | undefined;
  /** PostgreSQL: the connections of this process's pool (lock-permits.ts: poolSizeFor its workers). */
  readonly poolSize?: number | undefined;
}

/** PostgreSQL when a URL is given, the embedded database otherwise. */
export function openDatabase(opts: DatabaseOptions = {}): Promise<Db> {
  const schema = opts.schema ?? DEFAULT_SCHEMA;
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, schema, opts.poolSize) : openEmbedded(opts.dataDir ?? DEFAULT_DATA_DIR, schema);
}
