// A running App notices when a newer agent-gate migrates the database under it (a rolling upgrade: old and new
// processes side by side). migrate() refuses a newer schema only at start; a process already running would go on
// writing with its old code, which a later migration may no longer be safe with (migration 13: gate_check_runs.last_pulls
// is only right if every writer keeps it). So the schema's version is read again every second, one primary-key
// read; once it is past what this process knows, the watch reports it once, and the server stops taking work,
// answers 503 on /readyz, stops its running jobs for retry by a newer process, and exits (app-server.ts).
import type { Db } from "./db.js";
import { LATEST_MIGRATION } from "./migrations.js";

export const SCHEMA_WATCH_INTERVAL_MS = 1_000;

export interface SchemaWatchOptions {
  /** How often the version is read (default SCHEMA_WATCH_INTERVAL_MS). */
  readonly intervalMs?: number;
  /** The newest migration this process knows (default LATEST_MIGRATION; tests give another). */
  readonly known?: number;
  /** Called once, with the database's version, when it is past `known`. */
  readonly onNewer: (version: number, known: number) => void;
}

/** The newest migration recorded in the database (0 before the first). */
export async function schemaVersion(db: Db): Promise<number> {
  const [row] = await db.query<{ version: number | string | null }>("SELECT max(version) AS version FROM schema_migrations");
  return Number(row?.version ?? 0);
}

export class SchemaWatch {
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private newerVersion: number | undefined;
  private readonly known: number;

  constructor(
    private readonly db: Db,
    private readonly opts: SchemaWatchOptions,
  ) {
    this.known = opts.known ?? LATEST_MIGRATION;
  }

  /** The database's version once it was seen past this process's, else undefined. */
  get newer(): number | undefined {
    return this.newerVersion;
  }

  /** Reads the version now (a read that fails is left to the readiness check of the database, and tried again). */
  check(): Promise<void> {
    return (this.reading ??= (async () => {
      try {
        const version = await schemaVersion(this.db);
        if (version > this.known && this.newerVersion === undefined) {
          this.newerVersion = version;
          this.stop();
          this.opts.onNewer(version, this.known);
        }
      } catch {
        // the database does not answer: /readyz says so; the next read tries again
      } finally {
        this.reading = undefined;
      }
    })());
  }

  start(): this {
    if (this.timer === undefined && this.newerVersion === undefined) {
      this.timer = setInterval(() => void this.check(), this.opts.intervalMs ?? SCHEMA_WATCH_INTERVAL_MS);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A readiness check: fails once the schema is newer than this process knows. */
  readonly readiness = (): string => {
    if (this.newerVersion !== undefined) throw new Error(newerMessage(this.newerVersion, this.known));
    return `migration ${this.known}`;
  };
}

export function newerMessage(version: number, known: number): string {
  return `the database schema is at migration ${version}, newer than this agent-gate knows (${known}): a newer agent-gate migrated it; this process stops taking work, leaves its running jobs for retry and exits`;
}
