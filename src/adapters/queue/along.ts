// A job stored in the same statement as a row of the caller's (JobQueue.sendWith): pg-boss's own insert of the job,
// as it would run it, becomes one data-modifying CTE beside the caller's. One statement is atomic by itself (both
// rows land, or neither) and takes one round trip instead of a transaction's four (BEGIN, the row, the job, COMMIT).
// Likewise a claim completes the jobs that finished since (claimCompleting): one statement per job, not two.
import type PgBoss from "pg-boss";
import type { Row } from "../storage/db.js";
import { fairClaim } from "./lanes.js";

/** The caller's write stored with a job. */
export interface Along {
  /** A data-modifying statement over the caller's tables, with RETURNING; `param` names a parameter ($n) for a value. */
  readonly sql: (param: (value: unknown) => string) => string;
  /** A field of the job's data set by the statement to whether `sql` returned no row (a delivery taken in before: redelivered). */
  readonly unwrittenFlag?: string;
}

/** pg-boss's job insert (plans.js insertJob, pg-boss 10) names the job's data exactly so, once. */
const DATA_PARAM = "$3::jsonb as data";

/**
 * pg-boss's insert of one job (`text`, `values`: as its createJob passes them) with the caller's write beside it, as
 * one statement returning the job's id (null when none was inserted) and whether the write returned a row.
 */
export function withAlong(text: string, values: readonly unknown[], along: Along): [text: string, values: unknown[]] {
  const at = text.indexOf(DATA_PARAM);
  if (at < 0 || text.includes(DATA_PARAM, at + 1)) {
    throw new Error(`expected pg-boss's job insert to name the job's data once as "${DATA_PARAM}"; this version of pg-boss differs, so no job was stored`);
  }
  const params = [...values];
  const param = (v: unknown): string => `$${params.push(v)}`;
  const write = along.sql(param);
  const data = along.unwrittenFlag === undefined ? "$3::jsonb" : `($3::jsonb || jsonb_build_object(${param(along.unwrittenFlag)}::text, NOT EXISTS (SELECT 1 FROM along)))`;
  const job = `${text.slice(0, at)}${data} as data${text.slice(at + DATA_PARAM.length)}`;
  return [`WITH along AS (${write}), job AS (${job}) SELECT (SELECT id FROM job) AS id, EXISTS (SELECT 1 FROM along) AS wrote`, params];
}

/** Work folded into a job that waits to start (JobQueue.fold); `param` names a parameter ($n) for a value. */
export interface Fold {
  /** Which waiting jobs may take it: a condition over the job's row (its `data`). */
  readonly where: (param: (value: unknown) => string) => string;
  /** The job's data after it: an expression over the row's `data` as it is when the fold takes its lock. */
  readonly data: (param: (value: unknown) => string) => string;
  /** The caller's write, a data-modifying statement that writes only when `folded` (an SQL condition) holds. */
  readonly along: (param: (value: unknown) => string, folded: string) => string;
}

/**
 * One statement that folds work into the newest job of `name` about `subject` that waits to start (created, or a retry
 * waiting) and that `fold.where` admits, with the caller's write: it returns the job's id, or null when none took it
 * (then the caller's write wrote nothing either). The job's row is locked by the update: a claim that took it first
 * (active, no longer waiting) makes the update find nothing (its condition is checked again on the claimed row), and
 * a claim after it reads the folded data.
 */
export function foldStatement(schema: string, name: string, subject: string, fold: Fold): [text: string, values: unknown[]] {
  const params: unknown[] = [name, subject];
  const param = (v: unknown): string => `$${params.push(v)}`;
  const where = fold.where(param);
  const data = fold.data(param);
  const along = fold.along(param, "EXISTS (SELECT 1 FROM folded)");
  const job = `${schema}.job`;
  const text = `WITH target AS (
      SELECT id FROM ${job} WHERE name = $1 AND singleton_key = $2 AND state < 'active' AND (${where}) ORDER BY created_on DESC, id LIMIT 1
    ), folded AS (
      UPDATE ${job} SET data = ${data} WHERE name = $1 AND id = (SELECT id FROM target) AND state < 'active' AND (${where}) RETURNING id
    ), along AS (${along})
    SELECT (SELECT id FROM folded) AS id`;
  return [text, params];
}

/** pg-boss's claim (plans.js fetchNextJob, pg-boss 10) takes a job whose start is before now(), so; no other statement. */
const STRICT_START = "AND start_after < now()";

/**
 * pg-boss's statement `text` with a job due from its start on (start_after <= now()), where pg-boss's claim takes it
 * only after. A sent job starts at its insert's now(), and the embedded database's clock ticks in milliseconds: a
 * claim in the same millisecond as the send (a local send wakes the claim at once) found nothing, and the job waited
 * for the next poll (0.5 s; one event at a time on the embedded database, p99 530 ms and 11 events/s against 25 ms
 * and 38). PostgreSQL's clock ticks in microseconds: the same there but for a job due in the very microsecond. Any
 * other statement (none of pg-boss's has this text) is returned as it is.
 */
export function dueFromItsStart(text: string): string {
  return text.replace(STRICT_START, "AND start_after <= now()");
}

/** pg-boss's claim (plans.js fetchNextJob, pg-boss 10) begins so, once. */
const CLAIM_HEAD = "WITH next as (";

/**
 * pg-boss's claim (`text`, `values`: as its fetch passes them) completing, in the same statement, the active jobs
 * `ids` of the queue, as its complete does (completed now, no output). One statement: a claim that fails completes
 * nothing either.
 */
export function withCompletions(text: string, values: readonly unknown[], schema: string, ids: readonly string[]): [text: string, values: unknown[]] {
  const at = text.indexOf(CLAIM_HEAD);
  if (at < 0 || text.slice(0, at).trim() !== "" || text.includes(CLAIM_HEAD, at + 1)) {
    throw new Error(`expected pg-boss's claim to begin with "${CLAIM_HEAD}" once; this version of pg-boss differs, so no job was claimed or completed`);
  }
  const params = [...values];
  const idsParam = `$${params.push([...ids])}`;
  const done = `WITH done AS (UPDATE ${schema}.job SET completed_on = now(), state = 'completed', output = NULL WHERE name = $1 AND id IN (SELECT UNNEST(${idsParam}::uuid[])) AND state = 'active'), next as (`;
  return [`${done}${text.slice(at + CLAIM_HEAD.length)}`, params];
}

/** Claims up to `n` jobs of `name` with pg-boss, fairly over their lanes (lanes.ts), completing `ids` (jobs of that queue) in the same statement. */
export function claimCompleting(boss: PgBoss, name: string, n: number, ids: readonly string[], o: { schema: string; counted: (text: string, values: unknown[]) => Promise<{ rows: Row[] }>; onError: (err: unknown) => void }): Promise<Array<PgBoss.JobWithMetadata<unknown>>> {
  const executeSql = async (text: string, values: unknown[]): Promise<{ rows: Row[] }> => {
    let fair = text;
    try {
      fair = fairClaim(text, o.schema);
      if (ids.length === 0) return await o.counted(fair, values);
      return await o.counted(...withCompletions(fair, values, o.schema, ids));
    } catch (err) {
      // Neither landed, and pg-boss takes a failed claim for an empty one: reported (a claim of pg-boss's that was
      // not rewritten, always; one that failed, when it carried completions), and the completions go alone.
      if (ids.length > 0 || fair === text) o.onError(err);
      if (ids.length > 0) void boss.complete(name, [...ids]).catch((e: unknown) => o.onError(e));
      throw err;
    }
  };
  return boss.fetch<unknown>(name, { batchSize: n, includeMetadata: true, db: { executeSql } });
}
