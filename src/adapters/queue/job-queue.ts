// Durable work for the App, on pg-boss (SKIP LOCKED, retries with backoff, expiry of jobs whose worker died, singletons).
// Deployed, it shares the audit log's PostgreSQL: any number of processes on any number of hosts take work from one queue,
// a job lost only with the database; embedded, on the audit log's PGlite, in one process. Not Redis: jobs live in the store that is backed up.
import PgBoss from "pg-boss";
import { AgentGateError, describeError } from "../../core/errors.js";
import { FetchLoop } from "./fetch-loop.js";
import { placeInLine, retryDelay, sendOptions } from "./line.js";
import { claimCompleting, dueFromItsStart, foldStatement, withAlong, type Along, type Fold } from "./along.js";
import { ABORT_GRACE_MS, AttemptDeadline, RetryLater, runAttempt, ShuttingDown } from "./attempts.js";
import { laneIndexes, withLane, withoutLane } from "./lanes.js";
import type { Db, Queryable, Row } from "../storage/db.js";

export const QUEUE_SCHEMA = "agent_gate_jobs";

export interface JobQueueOptions {
  /** The engine's schema; default agent_gate_jobs (a deployment sharing one database uses one per instance). */
  readonly schema?: string;
  readonly expireInSeconds?: number; // seconds active before a job is presumed lost (its worker died) and retried
  readonly retryLimit?: number;
  /** Seconds before the first retry; doubles with each retry (with jitter), up to retryDelayMaxSeconds. */
  readonly retryDelaySeconds?: number;
  /** The longest wait between two attempts of a job (seconds, default 300): a failing job is retried at least this often. */
  readonly retryDelayMaxSeconds?: number;
  readonly maintenanceIntervalSeconds?: number; // how often expired jobs are swept (seconds)
  /** How often a queue with a free worker polls (seconds, at least 0.5); a job sent by this process wakes it at once. */
  readonly pollingIntervalSeconds?: number;
  /** Behind a backlog, how long a freed worker waits for half of them, to claim together (ms, default 100). */
  readonly claimGatherMs?: number;
  /**
   * Seconds one attempt of a job may run: its signal aborts then (the GitHub calls with it) and the attempt fails,
   * to be retried. Default: three quarters of expireInSeconds, at most 30, so an attempt ends before it expires.
   */
  readonly attemptSeconds?: number;
  readonly onError?: (err: unknown) => void;
}

export interface QueuedJob<T> {
  readonly id: string;
  readonly name: string;
  readonly data: T;
  readonly retryCount: number; // 0 on the first attempt
  /** When the job was stored, by the database's clock: one clock for every process (theirs may disagree). */
  readonly createdOn: Date;
  /** Aborted when the attempt's deadline passes or the process drains past its deadline: stop and let it retry. */
  readonly signal: AbortSignal;
}

export { placeInLine, retryDelay } from "./line.js";
export type { Along, Fold } from "./along.js";
export { AttemptDeadline, RetryLater, ShuttingDown };

/** A transaction that writes the caller's rows and its jobs together: both land, or neither. */
export interface QueueTransaction extends Pick<Queryable, "query"> {
  send<T extends object>(name: string, data: T, options?: SendOptions): Promise<string | null>;
}

export interface SendOptions {
  /** With `singletonSeconds`: at most one job with this key is queued per window, across every process. */
  readonly singletonKey?: string;
  readonly singletonSeconds?: number;
  readonly startAfterSeconds?: number;
  /** What the job is about (a head commit), for `waiting`; no other effect. Not with singletonKey. */
  readonly subject?: string;
  /** Whose job it is (an installation): claims go round-robin over lanes (lanes.ts); none: the lane ''. */
  readonly lane?: string | number;
}

export class JobQueue {
  private readonly loops: Array<{ name: string; loop: FetchLoop<PgBoss.JobWithMetadata<unknown>> }> = [];
  private readonly created = new Set<string>();
  /** Attempts running in this process, with the controller that cuts them short. */
  private readonly attempts = new Map<Promise<unknown>, AbortController>();
  /** Claimed jobs whose outcome is not yet written (or handed to a completion batch this turn has not yet issued). */
  private handling = 0;
  /** Completions waiting for this turn of the event loop to end, or for a gathering loop's claim (completeSoon). */
  private readonly completions = new Map<string, string[]>();
  private stopped = false;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly boss: PgBoss,
    private readonly db: Db,
    private readonly schema: string,
    private readonly sql: { pending: number; idle: Array<() => void> },
    private readonly counted: (text: string, values: unknown[]) => Promise<{ rows: Row[] }>,
    private readonly opts: Required<Omit<JobQueueOptions, "onError" | "schema">>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Opens the queue in its own schema of `db` (creating it on first use). */
  static async open(db: Db, options: JobQueueOptions = {}): Promise<JobQueue> {
    const expireInSeconds = options.expireInSeconds ?? 120;
    const opts = {
      expireInSeconds,
      retryLimit: options.retryLimit ?? 20,
      retryDelaySeconds: options.retryDelaySeconds ?? 2,
      retryDelayMaxSeconds: options.retryDelayMaxSeconds ?? 300,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 30,
      pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5,
      claimGatherMs: options.claimGatherMs ?? 100,
      attemptSeconds: options.attemptSeconds ?? Math.min(30, Math.max(1, Math.floor(expireInSeconds * 0.75))),
    };
    if (!(opts.attemptSeconds > 0 && opts.attemptSeconds < expireInSeconds)) {
      throw new AgentGateError("QUEUE_OPTIONS_INVALID", `expected an attempt deadline under the expiry of ${expireInSeconds} s (else a running job is presumed lost and run twice), got ${opts.attemptSeconds} s`);
    }
    const schema = options.schema ?? QUEUE_SCHEMA;
    // Every statement of the engine is counted, so a stop waits for the completions it does not await itself.
    const sql = { pending: 0, idle: [] as Array<() => void> };
    const counted = async (text: string, values: unknown[]): Promise<{ rows: Row[] }> => {
      sql.pending++;
      try {
        return await db.executeSql(dueFromItsStart(text), values);
      } finally {
        if (--sql.pending === 0) for (const wake of sql.idle.splice(0)) wake();
      }
    };
    const boss = new PgBoss({
      db: { executeSql: counted },
      schema,
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds,
      // Queue depth is read on demand (metrics); the engine's own state monitor is not needed.
      monitorStateIntervalMinutes: 60,
      schedule: false,
    });
    boss.on("error", (err: unknown) => options.onError?.(err));
    try {
      await boss.start();
      await laneIndexes(counted, schema);
    } catch (err) {
      throw new AgentGateError("QUEUE_UNAVAILABLE", `could not start the job queue in ${db.location} (schema ${schema}): ${describeError(err)}`, "transient", { cause: err });
    }
    return new JobQueue(boss, db, schema, sql, counted, opts, (err) => options.onError?.(err));
  }

  private async ensure(name: string): Promise<void> {
    if (this.created.has(name)) return;
    if (!(await this.boss.getQueue(name))) {
      await this.boss.createQueue(name, {
        name,
        retryLimit: this.opts.retryLimit,
        retryDelay: this.opts.retryDelaySeconds,
        // The backoff is ours (capped; see requeue); pg-boss's doubles up to 2^16 times the delay.
        retryBackoff: false,
        expireInSeconds: this.opts.expireInSeconds,
      }).catch(async (err: unknown) => {
        if (!(await this.boss.getQueue(name))) throw err; // another process created it first: fine
      });
    }
    this.created.add(name);
  }

  /** Persists a job; resolves once it is stored (null when a singleton window already holds one). */
  async send<T extends object>(name: string, data: T, options: SendOptions = {}): Promise<string | null> {
    if (this.stopped) throw new AgentGateError("QUEUE_STOPPED", `the job queue is stopped; a job of ${name} was not stored`, "transient");
    await this.ensure(name);
    const id = await this.boss.send(name, withLane(data, options.lane), sendOptions(options, this.opts.retryDelaySeconds));
    this.wake([name]);
    return id;
  }

  /** A job and the caller's write in one statement (along.ts): its id (null: a singleton window holds one), and whether the write returned a row. */
  async sendWith<T extends object>(name: string, data: T, options: SendOptions, along: Along): Promise<{ id: string | null; wrote: boolean }> {
    if (this.stopped) throw new AgentGateError("QUEUE_STOPPED", `the job queue is stopped; a job of ${name} was not stored`, "transient");
    await this.ensure(name);
    let wrote = false;
    // pg-boss builds the job's insert and runs it through `db`: here, with the caller's write, as one statement.
    const executeSql = async (text: string, values: unknown[]): Promise<{ rows: Row[] }> => {
      const [row] = (await this.db.executeSql(...withAlong(text, values, along))).rows as Array<{ id: string | null; wrote: boolean }>;
      wrote = row?.wrote === true;
      return { rows: row?.id ? [{ id: row.id }] : [] };
    };
    const id = await this.boss.send(name, withLane(data, options.lane), { ...sendOptions(options, this.opts.retryDelaySeconds), db: { executeSql } });
    this.wake([name]);
    return { id, wrote };
  }

  /**
   * Runs `fn` in one database transaction in which `tx.query` and `tx.send` write together: a failure anywhere
   * leaves none of it. `queues` are the queues `fn` may send to (made before the transaction opens).
   */
  async transaction<T>(queues: readonly string[], fn: (tx: QueueTransaction) => Promise<T>): Promise<T> {
    if (this.stopped) throw new AgentGateError("QUEUE_STOPPED", "the job queue is stopped; nothing was stored", "transient");
    for (const name of queues) await this.ensure(name);
    const out = await this.db.transaction((q) => {
      // pg-boss 10 runs its insert through the caller's connection when given one (`db`).
      const inTx = { executeSql: async (text: string, values: unknown[]) => ({ rows: await q.query(text, values) }) };
      return fn({
        query: (text, params) => q.query(text, params),
        send: async (name, data, options = {}) => {
          if (!queues.includes(name)) throw new Error(`queue ${name} was not named when the transaction opened`);
          return await this.boss.send(name, withLane(data, options.lane), { ...sendOptions(options, this.opts.retryDelaySeconds), db: inTx });
        },
      });
    });
    this.wake(queues);
    return out;
  }

  /** Wakes this process's fetch loops of these queues instead of waiting for their next poll. */
  private wake(names: readonly string[]): void {
    if (!this.stopped) for (const { name, loop } of this.loops) if (names.includes(name)) loop.wake();
  }

  /**
   * Runs `concurrency` workers for `name`. A handler that resolves completes its job; one that throws has it
   * retried with backoff up to the retry limit; a worker that dies leaves its job to expire and be retried. One
   * fetch loop claims jobs for all of them (see fetch-loop.ts).
   */
  async work<T>(name: string, concurrency: number, handler: (job: QueuedJob<T>) => Promise<void>): Promise<void> {
    if (this.stopped) throw new AgentGateError("QUEUE_STOPPED", `the job queue is stopped; no worker for ${name} was started`, "transient");
    await this.ensure(name);
    const loop = new FetchLoop<PgBoss.JobWithMetadata<unknown>>({
      concurrency,
      pollingMs: Math.max(0.5, this.opts.pollingIntervalSeconds) * 1000,
      // Behind a backlog a claim waits for half of the workers' slots (fetch-loop.ts): 4 of 8, a quarter of the claims.
      batch: Math.floor(concurrency / 2),
      gatherMs: this.opts.claimGatherMs,
      claim: (n) => this.claim(name, n),
      run: (job) => this.run(name, job as PgBoss.JobWithMetadata<T>, handler),
    });
    this.loops.push({ name, loop });
  }

  /** Claims up to `n` jobs, completing in the same statement this queue's jobs that finished since (completeSoon). */
  private claim(name: string, n: number): Promise<Array<PgBoss.JobWithMetadata<unknown>>> {
    return claimCompleting(this.boss, name, n, this.takeCompletions(name), { schema: this.schema, counted: this.counted, onError: this.onError });
  }

  /** One claimed job: its attempt, then its outcome written (completed, or failed for retry). Never rejects. */
  private async run<T>(name: string, job: PgBoss.JobWithMetadata<T>, handler: (job: QueuedJob<T>) => Promise<void>): Promise<void> {
    this.handling++;
    try {
      // Stopping: a job handed over now is left for retry at once, in its place, without starting its work.
      if (this.stopped) throw new ShuttingDown(name);
      const createdOn = new Date(job.createdOn);
      if (Number.isNaN(createdOn.getTime())) throw new Error(`job ${job.id} of ${name} came without its creation time (pg-boss's createdOn)`);
      try {
        await runAttempt(this.attempts, name, this.opts.attemptSeconds, (signal) => handler({ id: job.id, name: job.name, data: withoutLane(job.data), retryCount: job.retryCount, createdOn, signal }));
      } catch (err) {
        // Cut short by a stop: it keeps its place. Failed by itself: it rejoins at the back (a stop waits for this write).
        if (!(err instanceof ShuttingDown)) await this.requeue(name, job.id, job.retryCount);
        throw err;
      }
      this.completeSoon(name, job.id);
    } catch (err) {
      // Written as pg-boss writes a failed handler's job: retried after its delay, up to the retry limit.
      await this.boss.fail(name, job.id, err as object).catch((e: unknown) => this.onError(e));
    } finally {
      this.handling--;
    }
  }

  /**
   * Completes a job with the others that finished in this turn of the event loop: in the fetch loop's next claim if it
   * claims in this turn (a busy queue) or gathers free slots for one (a backlog: it claims within its gatherMs), else
   * in a statement of its own. Not awaited (as pg-boss did not): a completion lost with the database leaves its job
   * active until it expires and runs again, idempotently. A stop waits for it (the statement is counted, the batch
   * counts as handling until issued, and a stop issues what a gathering loop had kept).
   */
  private completeSoon(name: string, id: string): void {
    const batch = this.completions.get(name);
    if (batch) return void batch.push(id);
    this.completions.set(name, [id]);
    this.handling++;
    setImmediate(() => {
      this.handling--;
      if (!this.stopped && this.loops.some((l) => l.name === name && l.loop.gathering)) return; // its claim takes them
      this.flushCompletions(name);
    });
  }

  /** Completes, in a statement of their own, `name`'s finished jobs that no claim took. */
  private flushCompletions(name: string): void {
    const ids = this.takeCompletions(name);
    if (ids.length > 0) void this.boss.complete(name, ids).catch((e: unknown) => this.onError(e));
  }

  /** `name`'s finished jobs not yet completed, taken from the batch (by a claim or a statement of their own). */
  private takeCompletions(name: string): string[] {
    const ids = this.completions.get(name) ?? [];
    this.completions.delete(name);
    return ids;
  }

  /**
   * A failed attempt rejoins the line at the back (see placeInLine), after a backoff that doubles with each failure
   * up to retryDelayMaxSeconds. Both are written on the job's row before pg-boss fails it for retry, which then waits
   * out the row's delay without doubling it again.
   */
  private async requeue(name: string, id: string, retryCount: number): Promise<void> {
    const delay = retryDelay(retryCount + 1, this.opts.retryDelaySeconds, this.opts.retryDelayMaxSeconds);
    const place = placeInLine(Date.now() + (delay + this.opts.attemptSeconds) * 1000);
    try {
      await this.db.executeSql(`UPDATE ${this.schema}.job SET priority = $3, retry_delay = $4, retry_backoff = false WHERE name = $1 AND id = $2 AND state = 'active'`, [name, id, place, delay]);
    } catch {
      // The retry still happens, in its old place after the queue's base delay: fairness lost for one job, nothing else.
    }
  }

  /**
   * Whether a job of `name` sent with this subject waits to start (created, or a retry waiting), or with `orRunning`
   * also runs. One running read its inputs before now: it stands in only for work that asks for no newer input.
   */
  async waiting(name: string, subject: string, orRunning = false): Promise<boolean> {
    await this.ensure(name);
    const { rows } = await this.db.executeSql(`SELECT 1 FROM ${this.schema}.job WHERE name = $1 AND singleton_key = $2 AND state < '${orRunning ? "completed" : "active"}' LIMIT 1`, [name, subject]);
    return rows.length > 0;
  }

  /** Folds work into a job of `name` about `subject` that waits to start, with the caller's write (along.ts: foldStatement): the job's id, or null (none took it, nothing written). */
  async fold(name: string, subject: string, fold: Fold): Promise<string | null> {
    if (this.stopped) throw new AgentGateError("QUEUE_STOPPED", `the job queue is stopped; nothing was folded into a job of ${name}`, "transient");
    await this.ensure(name);
    const { rows } = await this.db.executeSql(...foldStatement(this.schema, name, subject, fold));
    return (rows[0]?.id as string | null | undefined) ?? null;
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

  get running(): boolean { return !this.stopped; }

  /**
   * Drains, then stops: no new job is taken; running attempts get `drainMs` to finish, then their signals abort
   * and they are failed for retry; then every statement the engine still has under way (completions it does not
   * await) lands. Only after this resolves may the caller close the database. Without `graceful`, running
   * attempts are aborted at once.
   */
  stop(graceful = true, drainMs = 20_000): Promise<void> {
    this.stopped = true;
    return (this.stopping ??= (async () => {
      const abortAll = (): void => {
        for (const [, control] of this.attempts) if (!control.signal.aborted) control.abort(new ShuttingDown("its queue"));
      };
      const timer = setTimeout(abortAll, graceful ? drainMs : 0);
      const until = Date.now() + drainMs + 2 * ABORT_GRACE_MS + 10_000;
      try {
        // The fetch loops claim no more (a claim under way hands its jobs over, failed for retry in their place); running
        // attempts end by themselves, at the drain deadline or a grace period after it. Then pg-boss stops its maintenance.
        await Promise.all(this.loops.map(({ loop }) => loop.stop()));
        for (const name of [...this.completions.keys()]) this.flushCompletions(name);
        await this.boss.stop({ graceful: true, wait: true, close: false, timeout: drainMs + 2 * ABORT_GRACE_MS });
        // Settled when no attempt runs, no outcome is unwritten and no statement is under way (completions are not
        // awaited), looked at again after a turn of the event loop, in which such a completion would be issued.
        while (Date.now() < until) {
          if (this.attempts.size > 0) await Promise.all([...this.attempts.keys()]);
          else if (this.sql.pending > 0) await this.quiet(until - Date.now());
          else {
            await new Promise((r) => setImmediate(r));
            if (this.attempts.size === 0 && this.sql.pending === 0 && this.handling === 0) break;
          }
        }
      } finally {
        clearTimeout(timer);
      }
    })());
  }

  /** Resolves when no statement of the engine is under way, or after `ms`. */
  private async quiet(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.sql.pending === 0 ? resolve() : this.sql.idle.push(resolve))),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))),
    ]);
    clearTimeout(timer);
  }
}
