// Fair claims across lanes (an installation's jobs: SendOptions.lane). One line for every installation let one of them
// starve the rest: an outsider's burst of fork PR events on one public repository queued N jobs, each paced to ~0.5
// events/s by its installation's write pacing, and another installation's job waited behind all N (~33 minutes behind
// 1,000). The claim now takes jobs round-robin over the lanes with ready jobs: every lane's first job in line before any
// lane's second, and among those the lane served least recently first (never served: first). Within a lane the order
// is the line's (line.ts: arrival, retries at the back), so one installation's jobs run in the order they arrived.
// Still one statement, over two indexes of the job table: the lanes with ready jobs are read by a loose index scan
// (one index probe per lane), each lane's first jobs and its last start by one probe each.
import type { Row } from "../storage/db.js";

/** The field of a job's data holding its lane (set by send, removed before the handler sees the data). */
export const LANE_FIELD = "_lane";
/** A job's lane, as the claim and the indexes read it: a job sent without one is in the lane ''. */
const LANE = `COALESCE(data->>'${LANE_FIELD}', '')`;

/** `data` with its lane (as text), or unchanged without one. */
export function withLane<T extends object>(data: T, lane: string | number | undefined): T {
  return lane === undefined ? data : { ...data, [LANE_FIELD]: String(lane) };
}

/** A claimed job's data as it was sent, without its lane. */
export function withoutLane<T>(data: T): T {
  if (data === null || typeof data !== "object" || !(LANE_FIELD in data)) return data;
  const { [LANE_FIELD]: _lane, ...rest } = data as Record<string, unknown>;
  return rest as T;
}

/**
 * The indexes the fair claim (and the look-up of a subject's waiting jobs) reads, on pg-boss's partitioned job table
 * (PostgreSQL makes them on every queue's partition, and on each one a later createQueue attaches). Named here; made
 * by laneIndexes.
 */
const INDEXES = (schema: string): Array<[name: string, sql: string]> => [
  // The lanes with ready jobs, and each lane's jobs in line order.
  ["job_lane_ready", `CREATE INDEX IF NOT EXISTS job_lane_ready ON ${schema}.job (name, (${LANE}), priority DESC, created_on, id) WHERE state < 'active'`],
  // Each lane's last start (the round-robin's memory): kept until pg-boss archives the job.
  ["job_lane_started", `CREATE INDEX IF NOT EXISTS job_lane_started ON ${schema}.job (name, (${LANE}), started_on) WHERE started_on IS NOT NULL`],
  // A subject's jobs that wait to start (JobQueue.waiting and fold, at every delivery that may fold): one probe each.
  ["job_subject_waiting", `CREATE INDEX IF NOT EXISTS job_subject_waiting ON ${schema}.job (name, singleton_key) WHERE state < 'active'`],
];

/**
 * Makes the fair claim's indexes where they are missing (on an upgraded queue: built once, on the job table as it is;
 * writes to it wait meanwhile). A role that does not own the queue's schema finds them made by its owner and makes
 * nothing. Another process making one at the same moment is fine.
 */
export async function laneIndexes(executeSql: (text: string, values: unknown[]) => Promise<{ rows: Row[] }>, schema: string): Promise<void> {
  for (const [name, sql] of INDEXES(schema)) {
    const { rows } = await executeSql("SELECT to_regclass($1) IS NOT NULL AS present", [`${schema}.${name}`]);
    if (rows[0]?.present === true) continue;
    try {
      await executeSql(sql, []);
    } catch (err) {
      const again = await executeSql("SELECT to_regclass($1) IS NOT NULL AS present", [`${schema}.${name}`]);
      if (again.rows[0]?.present !== true) throw err;
    }
  }
}

/** pg-boss's claim (plans.js fetchNextJob, pg-boss 10) picks its jobs in this CTE, once; grouping follows. */
const NEXT_HEAD = "next as (";
const NEXT_TAIL = "), grouped as (";

/**
 * pg-boss's claim (`text`, as its fetch passes it: $1 the queue, $2 how many) taking its jobs round-robin over the
 * lanes instead of in one line. Everything else of the statement (the update to active, the singleton grouping, the
 * returned columns, a completion prepended by withCompletions) is pg-boss's, unchanged.
 */
export function fairClaim(text: string, schema: string): string {
  const at = text.indexOf(NEXT_HEAD);
  const end = text.indexOf(NEXT_TAIL, at);
  if (at < 0 || end < 0 || text.includes(NEXT_HEAD, at + 1) || text.includes(NEXT_TAIL, end + 1)) {
    throw new Error(`expected pg-boss's claim to choose its jobs once in "${NEXT_HEAD}…${NEXT_TAIL}"; this version of pg-boss differs, so no job was claimed`);
  }
  const job = `${schema}.job`;
  const next = `${NEXT_HEAD}
      SELECT j.id, j.singleton_key, j.policy
      FROM ${job} j
      JOIN (
        WITH RECURSIVE lanes(lane) AS (
          (SELECT ${LANE} FROM ${job} WHERE name = $1 AND state < 'active' ORDER BY ${LANE} LIMIT 1)
          UNION ALL
          SELECT (SELECT ${LANE} FROM ${job} WHERE name = $1 AND state < 'active' AND ${LANE} > l.lane ORDER BY ${LANE} LIMIT 1)
          FROM lanes l WHERE l.lane IS NOT NULL
        )
        SELECT c.id, c.priority, c.created_on, s.started_on AS served,
          row_number() OVER (PARTITION BY l.lane ORDER BY c.priority DESC, c.created_on, c.id) AS turn
        FROM lanes l
        LEFT JOIN LATERAL (
          SELECT started_on FROM ${job}
          WHERE name = $1 AND ${LANE} = l.lane AND started_on IS NOT NULL
          ORDER BY started_on DESC LIMIT 1
        ) s ON true
        CROSS JOIN LATERAL (
          SELECT id, priority, created_on FROM ${job}
          WHERE name = $1 AND ${LANE} = l.lane AND state < 'active' AND start_after <= now()
          ORDER BY priority DESC, created_on, id
          LIMIT $2
        ) c
        WHERE l.lane IS NOT NULL
      ) h ON j.id = h.id
      WHERE j.name = $1 AND j.state < 'active' AND j.start_after <= now()
      ORDER BY h.turn, h.served NULLS FIRST, h.priority DESC, h.created_on, h.id
      LIMIT $2
      FOR UPDATE OF j SKIP LOCKED
    ${NEXT_TAIL}`;
  return `${text.slice(0, at)}${next}${text.slice(end + NEXT_TAIL.length)}`;
}
