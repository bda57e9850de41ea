// The PR gate's durable state, shared by every App process through the database: which deliveries were taken
// in, the one check run of each head commit, and evaluations by idempotency key. With it, a redelivery after a
// restart, a retried job after a crash, or a second process never adds a second check run, never repeats a
// finished evaluation, and never lets an older trigger overwrite a newer result.
import { sha256Hex } from "../../core/digest.js";
import { inProcessLocks, quoteSchema, type Db, type Queryable } from "./db.js";

/** What the PR gate needs from durable state (an in-memory version serves the demo and the tests). */
export interface GateStore {
  /**
   * Runs `fn` exclusively for one head commit across every App process. `held` is aborted when the exclusion is
   * lost while `fn` runs (db.ts: withLock): `fn` checks it before each write to GitHub or to the store and stops.
   */
  withHead<T>(repository: string, headSha: string, fn: (held: AbortSignal) => Promise<T>): Promise<T>;
  checkRun(repository: string, headSha: string): Promise<HeadCheckRun | undefined>;
  /**
   * The head's check run as recorded before this call; when none was, records the intent to create one (id
   * CHECK_RUN_INTENT), in one statement. Called in `withHead` before GitHub is asked to create: a creator that
   * dies before `saveCheckRun` leaves the intent, and whoever comes next looks the run up instead of adding one.
   */
  intendCheckRun(repository: string, headSha: string): Promise<HeadCheckRun | undefined>;
  saveCheckRun(repository: string, headSha: string, id: number): Promise<void>;
  evaluation(key: string): Promise<StoredEvaluation | undefined>;
  /**
   * What one evaluation starts from, in one statement (one round trip): the evaluation `key` as recorded, and the
   * head's check run as recorded before this call. With `intend`, records the intent to create the check run as
   * intendCheckRun does, unless the evaluation is recorded as final (a duplicate: nothing is created for it). Unless
   * a duplicate, the head's `lastPulls` is forgotten (an evaluation is under way: who heads the commit is unknown
   * until it records its count); the check run returned is as recorded before.
   */
  headState(key: string, repository: string, headSha: string, intend: boolean): Promise<HeadState>;
  /**
   * Records a completed evaluation; a final one also moves the head commit's last trigger time forward. `pulls`: the
   * evaluation published a verdict combining this many open pull requests (undefined: published none, or unknown).
   * `covered`: the evaluations of other triggers (deliveries folded into its job) it answers for, recorded with the same
   * result under their own keys (a redelivery of one is a duplicate), in the same statement.
   */
  recordEvaluation(e: RecordedEvaluation): Promise<void>;
  /**
   * A pull request left the head (closed, or pushed to another commit) at `at`. When the head's last published verdict
   * combined at most one pull request and no evaluation of it is under way (`lastPulls` 0 or 1), marks it left, in one
   * statement: `lastPulls` 0 and the last trigger time moved forward to `at`, and answers true (nothing to judge
   * again). An older trigger of the head then neither counts a pull request it read before `at` nor is lost: it
   * catches up (head-order.ts: leftAfter). Otherwise changes nothing and answers false: ask GitHub who heads it.
   */
  leaveHead(repository: string, headSha: string, at: Date): Promise<boolean>;
}

/**
 * How far reconciliation got in the App's delivery history (newest first): every delivery up to id `coveredTo`
 * (delivered at `coveredAt`) was examined by a completed pass; `pass` (from `top`, delivered at `topAt`) is one that
 * stopped early: it continues at the
 * page `cursor` (undefined: the newest) with the deliveries whose id is below `below`, down to `coveredTo`.
 */
export interface DeliveryCursor {
  readonly coveredTo: number;
  readonly coveredAt: string | undefined;
  readonly pass: { readonly top: number; readonly topAt: string | undefined; readonly below: number; readonly cursor: string | undefined } | undefined;
}

/** The id of a head's check run while it is being created: GitHub may have one that the store does not know. */
export const CHECK_RUN_INTENT = 0;

/** The one check run of a head commit, with the trigger time and conclusion of its newest final result. */
export interface HeadCheckRun {
  /** GitHub's id; CHECK_RUN_INTENT when a creation was begun and its id never stored (look it up). */
  readonly id: number;
  readonly lastTriggerAt: Date | undefined;
  readonly lastConclusion: string | undefined;
  /**
   * How many open pull requests the last published verdict combined (those heading the commit when it was read);
   * undefined while an evaluation is under way, when unknown, or recorded before this was kept. 0: a pull request
   * left the head at `lastTriggerAt` and no verdict was published since (GateStore.leaveHead).
   */
  readonly lastPulls?: number | undefined;
  /**
   * The config digest (LoadedConfig.facts.digest, "unavailable" when the config could not be read) the newest final
   * verdict was made under; undefined when none was recorded (no verdict yet, or one from before this was kept).
   */
  readonly lastConfigDigest?: string | undefined;
}

/** The evaluation of a key and its head's check run, read together (GateStore.headState). */
export interface HeadState {
  readonly evaluation: StoredEvaluation | undefined;
  readonly checkRun: HeadCheckRun | undefined;
}

export interface StoredEvaluation {
  readonly key: string;
  /** The delivery (or reconciliation trigger) that asked for it. */
  readonly trigger?: string | undefined;
  readonly repository: string;
  readonly headSha: string;
  readonly decisionId: string;
  readonly conclusion: string;
  /** Completed as "could not be evaluated": the work is re-queued, so this result does not end it. */
  readonly transient: boolean;
  /** The config digest the verdict was made under (evaluationKey's), kept with a final result as the head's. */
  readonly configDigest?: string | undefined;
}

/** What recordEvaluation records (GateStore.recordEvaluation). */
export type RecordedEvaluation = StoredEvaluation & { triggerAt: Date; pulls?: number | undefined; covered?: readonly CoveredTrigger[] };

/** Another trigger an evaluation answers for: its name and its evaluation key (each distinct from the evaluation's own). */
export interface CoveredTrigger {
  readonly key: string;
  readonly trigger: string;
}

/** sha256 over the parts that make one evaluation the same as another. */
export function evaluationKey(parts: { repository: string; headSha: string; trigger: string; configDigest: string; policyDigest: string }): string {
  return sha256Hex(JSON.stringify([parts.repository.toLowerCase(), parts.headSha, parts.trigger, parts.configDigest, parts.policyDigest]));
}

type CheckRunRow = { check_run_id: string | number; last_trigger_at: Date | string | null; last_conclusion: string | null; last_pulls?: number | null; last_config_digest?: string | null };
type EvaluationRow = { key: string; repository: string; head_sha: string; decision_id: string; conclusion: string; transient: boolean };
const storedEvaluation = (row: EvaluationRow): StoredEvaluation => ({ key: row.key, repository: row.repository, headSha: row.head_sha, decisionId: row.decision_id, conclusion: row.conclusion, transient: row.transient });
const headCheckRun = (row: CheckRunRow): HeadCheckRun => ({ id: Number(row.check_run_id), lastTriggerAt: row.last_trigger_at === null ? undefined : new Date(row.last_trigger_at), lastConclusion: row.last_conclusion ?? undefined, lastPulls: row.last_pulls ?? undefined, lastConfigDigest: row.last_config_digest ?? undefined });

export class SqlGateStore implements GateStore {
  constructor(private readonly db: Db) {}

  withHead<T>(repository: string, headSha: string, fn: (held: AbortSignal) => Promise<T>): Promise<T> {
    return this.db.withLock(`agent-gate head ${this.db.schema} ${repository.toLowerCase()}@${headSha}`, fn);
  }

  async checkRun(repository: string, headSha: string): Promise<HeadCheckRun | undefined> {
    const [row] = await this.db.query<CheckRunRow>(
      "SELECT check_run_id, last_trigger_at, last_conclusion, last_pulls, last_config_digest FROM gate_check_runs WHERE repository = $1 AND head_sha = $2",
      [repository.toLowerCase(), headSha],
    );
    return row && headCheckRun(row);
  }

  async intendCheckRun(repository: string, headSha: string): Promise<HeadCheckRun | undefined> {
    // The SELECT reads the statement's snapshot, so it returns the row as it was before the insert: none means
    // this call recorded the intent (the caller creates), a row is what an earlier caller left.
    const [row] = await this.db.query<CheckRunRow>(
      `WITH intent AS (
         INSERT INTO gate_check_runs (repository, head_sha, check_run_id) VALUES ($1, $2, $3) ON CONFLICT (repository, head_sha) DO NOTHING
       )
       SELECT check_run_id, last_trigger_at, last_conclusion, last_pulls, last_config_digest FROM gate_check_runs WHERE repository = $1 AND head_sha = $2`,
      [repository.toLowerCase(), headSha, CHECK_RUN_INTENT],
    );
    return row && headCheckRun(row);
  }

  async saveCheckRun(repository: string, headSha: string, id: number): Promise<void> {
    await this.db.query(
      `INSERT INTO gate_check_runs (repository, head_sha, check_run_id) VALUES ($1, $2, $3)
       ON CONFLICT (repository, head_sha) DO UPDATE SET check_run_id = EXCLUDED.check_run_id, updated_at = now()`,
      [repository.toLowerCase(), headSha, id],
    );
  }

  async evaluation(key: string): Promise<StoredEvaluation | undefined> {
    const [row] = await this.db.query<EvaluationRow>("SELECT key, repository, head_sha, decision_id, conclusion, transient FROM gate_evaluations WHERE key = $1", [key]);
    return row ? storedEvaluation(row) : undefined;
  }

  async headState(key: string, repository: string, headSha: string, intend: boolean): Promise<HeadState> {
    // As intendCheckRun: the SELECT reads the statement's snapshot, the rows as they were before the insert. Unless a
    // duplicate, the count of pull requests is forgotten until this evaluation records its own (recordEvaluation).
    const [row] = await this.db.query<Partial<EvaluationRow> & { check_run_id: string | number | null; last_trigger_at: Date | string | null; last_conclusion: string | null; last_pulls: number | null; last_config_digest: string | null }>(
      `WITH intent AS (
         INSERT INTO gate_check_runs (repository, head_sha, check_run_id) SELECT $2::text, $3::text, $4::bigint
         WHERE $5::boolean AND NOT EXISTS (SELECT 1 FROM gate_evaluations WHERE key = $1 AND NOT transient)
         ON CONFLICT (repository, head_sha) DO NOTHING
       ), unsure AS (
         UPDATE gate_check_runs SET last_pulls = NULL WHERE repository = $2 AND head_sha = $3 AND last_pulls IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM gate_evaluations WHERE key = $1 AND NOT transient)
       )
       SELECT e.key, e.repository, e.head_sha, e.decision_id, e.conclusion, e.transient, c.check_run_id, c.last_trigger_at, c.last_conclusion, c.last_pulls, c.last_config_digest
       FROM (SELECT 1) AS one LEFT JOIN gate_evaluations e ON e.key = $1 LEFT JOIN gate_check_runs c ON c.repository = $2 AND c.head_sha = $3`,
      [key, repository.toLowerCase(), headSha, CHECK_RUN_INTENT, intend],
    );
    return {
      evaluation: row?.key ? storedEvaluation(row as EvaluationRow) : undefined,
      checkRun: row && row.check_run_id !== null ? headCheckRun(row as CheckRunRow) : undefined,
    };
  }

  async recordEvaluation(e: RecordedEvaluation): Promise<void> {
    // One statement, so one round trip and its own transaction: the evaluation's row (and those of the triggers it
    // covers), for a final result the head's last trigger time and conclusion (moved forward only, never back to an
    // older trigger's), and for a published verdict the count of pull requests it combined (the newest read under the
    // head's lock, whatever its trigger).
    const final = !e.transient && e.conclusion !== "superseded";
    const covered = e.covered ?? [];
    await this.db.query(
      `WITH evaluation AS (
         INSERT INTO gate_evaluations (key, delivery_id, repository, head_sha, decision_id, conclusion, transient)
         SELECT k, t, $3::text, $4::text, $5::text, $6::text, $7::boolean FROM (SELECT $1::text AS k, $2::text AS t UNION ALL SELECT * FROM unnest($11::text[], $12::text[])) AS e
         ON CONFLICT (key) DO UPDATE SET decision_id = EXCLUDED.decision_id, conclusion = EXCLUDED.conclusion,
           transient = EXCLUDED.transient, completed_at = now()
       )
       UPDATE gate_check_runs SET
         last_conclusion = CASE WHEN $9 AND (last_trigger_at IS NULL OR last_trigger_at <= $8) THEN $6 ELSE last_conclusion END,
         last_config_digest = CASE WHEN $9 AND (last_trigger_at IS NULL OR last_trigger_at <= $8) THEN $13::text ELSE last_config_digest END,
         last_trigger_at = CASE WHEN $9 THEN GREATEST(COALESCE(last_trigger_at, $8), $8) ELSE last_trigger_at END,
         last_pulls = COALESCE($10::integer, last_pulls), updated_at = now()
       WHERE ($9 OR $10::integer IS NOT NULL) AND repository = $3 AND head_sha = $4`,
      [e.key, e.trigger ?? null, e.repository.toLowerCase(), e.headSha, e.decisionId, e.conclusion, e.transient, e.triggerAt.toISOString(), final, e.pulls ?? null, covered.map((c) => c.key), covered.map((c) => c.trigger), e.configDigest ?? null],
    );
  }

  async leaveHead(repository: string, headSha: string, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE gate_check_runs SET last_pulls = 0, last_trigger_at = GREATEST(COALESCE(last_trigger_at, $3), $3), updated_at = now()
       WHERE repository = $1 AND head_sha = $2 AND last_pulls <= 1 RETURNING 1`,
      [repository.toLowerCase(), headSha, at.toISOString()],
    );
    return rows.length === 1;
  }

  /** Records that a delivery was taken in (in `q`'s transaction when given); false when it already was (a redelivery of one we have). */
  async takeDelivery(deliveryId: string, event: string, q: Pick<Queryable, "query"> = this.db): Promise<boolean> {
    const rows = await q.query("INSERT INTO intake_deliveries (delivery_id, event) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING delivery_id", [deliveryId, event]);
    return rows.length === 1;
  }

  /**
   * takeDelivery as a statement for another's (the queue's: the delivery's row and its job, or the job it folds into,
   * in one statement), its parameters named by `param`; it returns a row when the delivery is new. With `when` (an SQL
   * condition), it writes only when that holds. The table is named with its schema.
   */
  takeDeliverySql(deliveryId: string, event: string, param: (value: unknown) => string, when?: string): string {
    const row = when === undefined ? `VALUES (${param(deliveryId)}, ${param(event)})` : `SELECT ${param(deliveryId)}::text, ${param(event)}::text WHERE ${when}`;
    return `INSERT INTO ${quoteSchema(this.db.schema)}.intake_deliveries (delivery_id, event) ${row} ON CONFLICT DO NOTHING RETURNING delivery_id`;
  }

  /** Of these delivery GUIDs, the ones taken in. */
  async knownDeliveries(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.query<{ delivery_id: string }>("SELECT delivery_id FROM intake_deliveries WHERE delivery_id = ANY($1::text[])", [[...ids]]);
    return new Set(rows.map((r) => r.delivery_id));
  }

  /** Reconciliation's place in the App's delivery history (app/reconcile-deliveries.ts); a fresh start when none was saved. */
  async deliveryCursor(): Promise<DeliveryCursor> {
    type Row = { covered_to: string | number; covered_at: Date | string | null; pass_top: string | number | null; pass_top_at: Date | string | null; pass_below: string | number | null; pass_cursor: string | null };
    const row = (await this.db.query<Row>("SELECT covered_to, covered_at, pass_top, pass_top_at, pass_below, pass_cursor FROM reconcile_delivery_cursor"))[0];
    if (!row) return { coveredTo: 0, coveredAt: undefined, pass: undefined };
    return {
      coveredTo: Number(row.covered_to),
      coveredAt: row.covered_at === null ? undefined : new Date(row.covered_at).toISOString(),
      pass: row.pass_top === null || row.pass_below === null ? undefined : { top: Number(row.pass_top), topAt: row.pass_top_at === null ? undefined : new Date(row.pass_top_at).toISOString(), below: Number(row.pass_below), cursor: row.pass_cursor ?? undefined },
    };
  }

  async saveDeliveryCursor(c: DeliveryCursor): Promise<void> {
    await this.db.query(
      `INSERT INTO reconcile_delivery_cursor (one, covered_to, covered_at, pass_top, pass_top_at, pass_below, pass_cursor) VALUES (true, $1, $2, $3, $4, $5, $6)
       ON CONFLICT (one) DO UPDATE SET covered_to = EXCLUDED.covered_to, covered_at = EXCLUDED.covered_at, pass_top = EXCLUDED.pass_top,
         pass_top_at = EXCLUDED.pass_top_at, pass_below = EXCLUDED.pass_below, pass_cursor = EXCLUDED.pass_cursor, updated_at = now()`,
      [c.coveredTo, c.coveredAt ?? null, c.pass?.top ?? null, c.pass?.topAt ?? null, c.pass?.below ?? null, c.pass?.cursor ?? null],
    );
  }

  /**
   * Forgets what is older than `before`: deliveries taken in, evaluations, and the check runs of head commits that
   * nothing touched since. The retention must outlast everything that still reads them: reconciliation's look-back
   * (3 days: a forgotten delivery would be redelivered) and a job's life in the engine (pg-boss keeps a job that is
   * waiting or retrying at most 14 days: a forgotten evaluation would run again); hence at least 15 days. Past it, a redelivery is evaluated afresh and a new event on a forgotten head gets a new check
   * run: both are correct, only not deduplicated. The audit log is never pruned.
   */
  async prune(before: Date, batch = PRUNE_BATCH): Promise<PruneReport> {
    const at = before.toISOString();
    const drain = async (table: string, key: readonly string[], time: string): Promise<number> => {
      const cols = key.join(", ");
      let total = 0;
      for (;;) {
        const [row] = await this.db.query<{ n: number }>(
          `WITH gone AS (DELETE FROM ${table} WHERE (${cols}) IN (SELECT ${cols} FROM ${table} WHERE ${time} < $1 LIMIT $2) RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
          [at, batch],
        );
        const n = Number(row?.n ?? 0);
        total += n;
        if (n < batch) return total;
      }
    };
    return {
      deliveries: await drain("intake_deliveries", ["delivery_id"], "received_at"),
      evaluations: await drain("gate_evaluations", ["key"], "completed_at"),
      checkRuns: await drain("gate_check_runs", ["repository", "head_sha"], "updated_at"),
    };
  }
}

/** Rows that `SqlGateStore.prune` deleted, by table. */
export interface PruneReport {
  readonly deliveries: number;
  readonly evaluations: number;
  readonly checkRuns: number;
}

/** Rows one pruning statement deletes at most: a backlog is worked off in short transactions. */
const PRUNE_BATCH = 5_000;

/** The same contract in memory, for one process that keeps nothing (demo, `evaluate`, tests). */
export class MemoryGateStore implements GateStore {
  private readonly runs = new Map<string, { -readonly [K in keyof HeadCheckRun]: HeadCheckRun[K] }>();
  private readonly evaluations = new Map<string, StoredEvaluation>();
  private readonly locks = inProcessLocks();
  private static readonly MAX = 50_000;

  private k(repository: string, headSha: string): string {
    return `${repository.toLowerCase()}@${headSha}`;
  }

  withHead<T>(repository: string, headSha: string, fn: (held: AbortSignal) => Promise<T>): Promise<T> {
    return this.locks(this.k(repository, headSha), fn);
  }

  checkRun(repository: string, headSha: string): Promise<HeadCheckRun | undefined> {
    const run = this.runs.get(this.k(repository, headSha));
    return Promise.resolve(run && { ...run });
  }

  intendCheckRun(repository: string, headSha: string): Promise<HeadCheckRun | undefined> {
    const run = this.runs.get(this.k(repository, headSha));
    if (run) return Promise.resolve({ ...run });
    bounded(this.runs, MemoryGateStore.MAX);
    this.runs.set(this.k(repository, headSha), { id: CHECK_RUN_INTENT, lastTriggerAt: undefined, lastConclusion: undefined, lastPulls: undefined, lastConfigDigest: undefined });
    return Promise.resolve(undefined);
  }

  saveCheckRun(repository: string, headSha: string, id: number): Promise<void> {
    bounded(this.runs, MemoryGateStore.MAX);
    const prev = this.runs.get(this.k(repository, headSha));
    this.runs.set(this.k(repository, headSha), { id, lastTriggerAt: prev?.lastTriggerAt, lastConclusion: prev?.lastConclusion, lastPulls: prev?.lastPulls, lastConfigDigest: prev?.lastConfigDigest });
    return Promise.resolve();
  }

  evaluation(key: string): Promise<StoredEvaluation | undefined> {
    return Promise.resolve(this.evaluations.get(key));
  }

  async headState(key: string, repository: string, headSha: string, intend: boolean): Promise<HeadState> {
    const evaluation = this.evaluations.get(key);
    const duplicate = evaluation !== undefined && !evaluation.transient;
    const checkRun = intend && !duplicate ? await this.intendCheckRun(repository, headSha) : await this.checkRun(repository, headSha);
    const run = this.runs.get(this.k(repository, headSha));
    if (run && !duplicate) run.lastPulls = undefined;
    return { evaluation, checkRun };
  }

  recordEvaluation(e: RecordedEvaluation): Promise<void> {
    const { triggerAt, pulls, covered, ...stored } = e;
    for (const c of [{ key: e.key, trigger: e.trigger }, ...(covered ?? [])]) {
      bounded(this.evaluations, MemoryGateStore.MAX);
      this.evaluations.set(c.key, { ...stored, key: c.key, trigger: c.trigger });
    }
    const run = this.runs.get(this.k(e.repository, e.headSha));
    if (run && pulls !== undefined) run.lastPulls = pulls;
    if (run && !e.transient && e.conclusion !== "superseded" && (!run.lastTriggerAt || run.lastTriggerAt <= triggerAt)) {
      run.lastTriggerAt = triggerAt;
      run.lastConclusion = e.conclusion;
      run.lastConfigDigest = e.configDigest;
    }
    return Promise.resolve();
  }

  leaveHead(repository: string, headSha: string, at: Date): Promise<boolean> {
    const run = this.runs.get(this.k(repository, headSha));
    if (run?.lastPulls === undefined || run.lastPulls > 1) return Promise.resolve(false);
    run.lastPulls = 0;
    if (!run.lastTriggerAt || run.lastTriggerAt < at) run.lastTriggerAt = at;
    return Promise.resolve(true);
  }
}

function bounded(map: Map<string, unknown>, max: number): void {
  if (map.size >= max) map.delete(map.keys().next().value!);
}
