// Durable work for the App, on pg-boss: a job engine on PostgreSQL (SKIP LOCKED, retries with backoff, expiry
// of jobs whose worker died, cluster-wide singletons). Deployed, it shares the audit log's PostgreSQL, so any
// number of App processes on any number of hosts take work from one queue and a job is lost only with the
// database. Embedded, the same engine runs on the PGlite database of the audit log, inside one process.
// PostgreSQL rather than Redis: the audit chain already needs PostgreSQL, jobs then live in the store that is
// backed up and replicated anyway, and Redis (here without persistence) would lose every queued job on restart.
import PgBoss from "pg-boss";
import { AgentGateError, describeError } from "../../core/errors.js";
import type { Db } from "../storage/db.js";

export const QUEUE_SCHEMA = "agent_gate_jobs";

export interface JobQueueOptions {
  /** The engine's schema; default agent_gate_jobs (a deployment sharing one database uses one per instance). */
  readonly schema?: string;
  /** Seconds a job may stay active before it is presumed lost (its worker died) and retried. */
  readonly expireInSeconds?: number;
  readonly retryLimit?: number;
  /** Seconds before the first retry; doubles with each retry (with jitter). */
  readonly retryDelaySeconds?: number;
  /** How often expired jobs are swept (seconds). */
  readonly maintenanceIntervalSeconds?: number;
  /** How often idle workers poll (seconds, at least 0.5); a job sent by this process wakes them at once. */
  readonly pollingIntervalSeconds?: number;
  readonly onError?: (err: unknown) => void;
}

export interface QueuedJob<T> {
  readonly id: string;
  readonly name: string;
  readonly data: T;
  /** 0 on the first attempt. */
  readonly retryCount: number;
  /** When the job was stored, by the database's clock: one clock for every process (theirs may disagree). */
  readonly createdOn: Date;
}

export interface SendOptions {
  /** With `singletonSeconds`: at most one job with this key is queued per window, across every process. */
  readonly singletonKey?: string;
  readonly singletonSeconds?: number;
  readonly startAfterSeconds?: number;
}

/** Thrown by a handler to have its job retried later without logging it as a failure of ours. */
export class RetryLater extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "RetryLater";
  }
}

export class JobQueue {
  private readonly workers: string[] = [];
  private readonly created = new Set<string>();
  private stopped = false;

  private constructor(
    private readonly boss: PgBoss,
    private readonly opts: Required<Omit<JobQueueOptions, "onError" | "schema">>,
  ) {}

  /** Opens the queue in its own schema of `db` (creating it on first use). */
  static async open(db: Db, options: JobQueueOptions = {}): Promise<JobQueue> {
    const opts = {
      expireInSeconds: options.expireInSeconds ?? 120,
      retryLimit: options.retryLimit ?? 20,
      retryDelaySeconds: options.retryDelaySeconds ?? 2,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 30,
      pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5,
    };
    const schema = options.schema ?? QUEUE_SCHEMA;
    const boss = new PgBoss({
      db: { executeSql: (text: string, values: unknown[]) => db.executeSql(text, values) },
      schema,
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds,
      // Queue depth is read on demand (metrics); the engine's own state monitor is not needed.
      monitorStateIntervalMinutes: 60,
      schedule: false,
    });
    boss.on("error", (err: unknown) => options.onError?.(err));
    try {
      await boss.start();
    } catch (err) {
      throw new AgentGateError("QUEUE_UNAVAILABLE", `could not start the job queue in ${db.location} (schema ${schema}): ${describeError(err)}`, "transient", { cause: err });
    }
    return new JobQueue(boss, opts);
  }

  private async ensure(name: string): Promise<void> {
    if (this.created.has(name)) return;
    if (!(await this.boss.getQueue(name))) {
      await this.boss.createQueue(name, {
        name,
        retryLimit: this.opts.retryLimit,
        retryDelay: this.opts.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: this.opts.expireInSeconds,
      }).catch(async (err: unknown) => {
        if (!(await this.boss.getQueue(name))) throw err; // another process created it first: fine
      });
    }
    this.created.add(name);
  }

  /** Persists a job; resolves once it is stored (null when a singleton window already holds one). */
  async send<T extends object>(name: string, data: T, options: SendOptions = {}): Promise<string | null> {
    await this.ensure(name);
    const id = await this.boss.send(name, data, {
      ...(options.singletonKey !== undefined ? { singletonKey: options.singletonKey } : {}),
      ...(options.singletonSeconds !== undefined ? { singletonSeconds: options.singletonSeconds } : {}),
      ...(options.startAfterSeconds !== undefined ? { startAfter: options.startAfterSeconds } : {}),
    });
    // Wake this process's idle workers instead of waiting for their next poll.
    for (const w of this.workers) this.boss.notifyWorker(w);
    return id;
  }

  /**
   * Runs `concurrency` workers for `name`. A handler that resolves completes its job; one that throws has it
   * retried with backoff up to the retry limit; a worker that dies leaves its job to expire and be retried.
   */
  async work<T>(name: string, concurrency: number, handler: (job: QueuedJob<T>) => Promise<void>): Promise<void> {
    await this.ensure(name);
    for (let i = 0; i < concurrency; i++) {
      const me: { id?: string } = {};
      const id = await this.boss.work<T>(name, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: this.opts.pollingIntervalSeconds }, async (jobs) => {
        try {
          for (const job of jobs) {
            const createdOn = new Date(job.createdOn);
            if (Number.isNaN(createdOn.getTime())) throw new Error(`job ${job.id} of ${name} came without its creation time (pg-boss's createdOn)`);
            await handler({ id: job.id, name: job.name, data: job.data, retryCount: job.retryCount, createdOn });
          }
        } finally {
          // A worker that just found work fetches again at once instead of sleeping out its polling interval:
          // a backlog drains at the workers' pace, an empty queue costs one fetch per interval.
          if (me.id && !this.stopped) this.boss.notifyWorker(me.id);
        }
      });
      me.id = id;
      this.workers.push(id);
    }
  }

  /** Jobs waiting or running, over every queue (the metric `agent_gate_queue_depth`). */
  async depth(names: readonly string[]): Promise<number> {
    let n = 0;
    for (const name of names) if (this.created.has(name) || (await this.boss.getQueue(name))) n += await this.boss.getQueueSize(name, { before: "completed" });
    return n;
  }

  /** Jobs of `name` by state, for tests and the harness. */
  async counts(name: string): Promise<Record<string, number>> {
    const q = (await this.boss.getQueue(name)) as unknown as Record<string, number> | null;
    return q ? { queued: Number(q.queuedCount ?? 0), active: Number(q.activeCount ?? 0), total: Number(q.totalCount ?? 0) } : {};
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** Stops taking work; with `graceful`, waits for running jobs first. */
  async stop(graceful = true): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.boss.stop({ graceful, wait: true, close: false, timeout: 10_000 });
    // pg-boss does not await a finished job's completion before it reports the worker idle: give the last ones a
    // moment to land before the caller closes the database (else they expire and run again, harmlessly but late).
    await new Promise((r) => setTimeout(r, 500));
  }
}
