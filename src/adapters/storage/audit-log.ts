// The audit log over SQL: the same statements on PGlite and PostgreSQL. An append is one statement outside a
// transaction, a compare-and-swap on the head its process made last: it locks the head row and writes the record's
// rows only if that is still the head, else writes nothing and answers the head as it is, to try again on. A failed
// statement (a decision recorded already, a database error) falls back to locking the head row (SELECT ... FOR
// UPDATE) inside a transaction. So any number of processes extend one chain; the UNIQUE seq, prev_hash and hash
// columns and the audit_link trigger refuse a fork even from a writer that skips the lock. Verification streams the
// rows in pages through the pure ChainVerifier.
import { AuditEvent, ChainVerifier, chainRecord, explainLink, fromRow, recordContent, chainHash } from "../../core/audit.js";
import type { AuditRecord, ChainBreak, Checkpoint, SourcedCheckpoint, StoredRow, VerifyResult } from "../../core/audit.js";
import { AgentGateError, describeError } from "../../core/errors.js";
import type { Db, Queryable } from "./db.js";
import { sqlState } from "./db.js";
import { migrate } from "./migrations.js";
import { dataDocument } from "./bundle-store.js";
import { recordWrites } from "./audit-writes.js";
import { ROW_COLUMNS, checked, toStored, type DbRow } from "./audit-rows.js";
import { IndexCheck } from "./index-check.js";

export interface AppendResult {
  readonly seq: number;
  readonly hash: string;
  /** The same decision was already recorded with the same content (an at-least-once redelivery). */
  readonly duplicate?: true;
}

export interface ListOptions {
  /** Records whose decision time is at or after this time. */
  readonly since?: Date | string;
  /** Records after this seq (for paging). */
  readonly afterSeq?: number;
  readonly limit?: number;
}

export interface VerifyOptions {
  /** Start here instead of at the first record, trusting what precedes it (its own record is checked). */
  readonly fromCheckpoint?: Checkpoint;
  /** Known-good points kept elsewhere; the chain must pass through each and reach the furthest. */
  readonly checkpoints?: readonly SourcedCheckpoint[];
}

export interface AppendOptions {
  /** The data document the policy was evaluated with: stored by digest in the same transaction, for replay. */
  readonly policyData?: unknown;
}

export interface AuditLog {
  append(event: AuditEvent, opts?: AppendOptions): Promise<AppendResult>;
  get(decisionId: string): Promise<AuditRecord | undefined>;
  list(opts?: ListOptions): Promise<AuditRecord[]>;
  /** The latest decision for a commit of a repository, refused if the record was edited. */
  latest(subject: { repository: string; headSha: string; kind?: AuditRecord["agent_gate"]["kind"] }): Promise<AuditRecord | undefined>;
  /** The latest record of each pull request (read from the hashed bytes) of one kind for a commit, newest first, each checked against its hash; `limit` bounds pull requests, not records. */
  onHead(subject: { repository: string; headSha: string; kind: AuditRecord["agent_gate"]["kind"] }, limit: number): Promise<AuditRecord[]>;
  /** The last `limit` records of one kind of a repository, newest first (an index scan), each checked against its hash. */
  recent(repository: string, kind: AuditRecord["agent_gate"]["kind"], limit: number): Promise<AuditRecord[]>;
  /** How `repository` is spelled in the log's records (GitHub's names are case-insensitive), up to `limit` spellings. */
  spellings(repository: string, limit: number): Promise<string[]>;
  /** Up to `limit` (file, repository) pairs: which repositories' recorded decisions read which of `files` (owner/repo:path). */
  configUsers(files: readonly string[], limit: number): Promise<{ file: string; repository: string }[]>;
  verify(opts?: VerifyOptions): Promise<VerifyResult>;
  /** The head pointer: seq and hash of the last record ({0, genesis} when empty). */
  head(): Promise<Checkpoint>;
  /**
   * A head for a witness (a check run's footer): the one this process's own last append made, without a read; else the
   * head pointer, read. With several processes it may be older than the log's head; after the log lost records (a
   * restore) the next one may name a record it no longer has, which `audit verify --witness` reports (TRUNCATED).
   */
  witnessHead(): Promise<Checkpoint>;
  /** Records the current head in the checkpoints table and returns it, to be copied somewhere else too. */
  checkpoint(note?: string): Promise<Checkpoint>;
  close(): Promise<void>;
}

const RETRYABLE = new Set(["40001", "40P01", "23505", "55P03"]);
const MAX_ATTEMPTS = 20;
/** Appends on a head another process moved, before the locked path (which waits its turn) is taken. */
const MAX_MISSES = 5;
/** Data documents remembered as stored (one per distinct repository config in use). */
const MAX_STORED_DATA = 10_000;
const PAGE = 500;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const APPEND_TURN_MS = 1_000;
/** Resolves when `previous` settles, or after `ms`, whichever is first. */
const turnAfter = (previous: Promise<unknown>, ms: number): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
    void previous.then(() => (clearTimeout(t), resolve()));
  });

export class SqlAuditLog implements AuditLog {
  /**
   * Digests of the policy data documents this process stored (committed): the document of a config is the same for
   * every event of its repository until the config changes, so it is written once, not upserted with every record.
   * Rows of policy_data are never deleted; bounded all the same (cleared when full: the next append writes again).
   */
  private readonly storedData = new Set<string>();
  /**
   * The head this process's own last append made (or found under the lock): the next append tries it first. Unset
   * when the database answers another head (another process appended, or records were lost), so neither the next
   * append nor a witness relies on it.
   */
  private ownHead: Checkpoint | undefined;
  /** The append in progress in this process, if any: the next one starts after it. */
  private appending: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly db: Db,
    private readonly ownsDb: boolean,
  ) {}

  /** Migrates the schema if needed. With `ownsDb`, close() closes the database too. */
  static async open(db: Db, ownsDb = true): Promise<SqlAuditLog> {
    await migrate(db);
    return new SqlAuditLog(db, ownsDb);
  }

  async append(event: AuditEvent, opts: AppendOptions = {}): Promise<AppendResult> {
    const parsed = AuditEvent.safeParse(event);
    if (!parsed.success) {
      const where = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(event)"}: ${i.message}`).join("; ");
      throw new AgentGateError("AUDIT_EVENT_INVALID", `the audit event is malformed: ${where}`, "internal");
    }
    // The data document: its canonical text once, and the record names its digest.
    const data = opts.policyData === undefined ? undefined : dataDocument(opts.policyData);
    const toAppend = data ? { ...parsed.data, agent_gate: { ...parsed.data.agent_gate, policy_data_digest: data.digest } } : parsed.data;
    const stored = (): void => {
      if (!data || this.storedData.has(data.digest)) return;
      if (this.storedData.size >= MAX_STORED_DATA) this.storedData.clear();
      this.storedData.add(data.digest);
    };
    // One append at a time per process (its workers' appends would otherwise race for the same head), but never
    // stuck behind one that hangs (a dead connection): after APPEND_TURN_MS the next goes anyway; correctness rests
    // on the statement's compare-and-swap, the turn only saves a miss.
    const run = turnAfter(this.appending, APPEND_TURN_MS).then(() => this.appendNow(toAppend, data, stored));
    this.appending = run.catch(() => undefined);
    return run;
  }

  private async appendNow(event: AuditEvent, data: { digest: string; text: string } | undefined, stored: () => void): Promise<AppendResult> {
    let head = this.ownHead;
    try {
      head ??= await this.head();
      for (let miss = 0; miss < MAX_MISSES; miss++) {
        const r = await this.insertOnHead(event, head, data && !this.storedData.has(data.digest) ? data : undefined);
        if (r.appended) {
          this.ownHead = r.appended;
          stored();
          return r.appended;
        }
        if (!r.head) break; // no head row: the locked path says so
        this.ownHead = undefined; // not the head: until an append succeeds, a witness reads the head pointer
        head = r.head; // another process appended (or records were lost): try again on the head as it is now
      }
    } catch {
      // The decision is recorded already (its UNIQUE decision_id), or the database failed: the locked path below
      // tells these apart. One statement each, so nothing of a failed one stayed.
    }
    this.ownHead = undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const { out, head } = await this.db.transaction((q) => this.appendIn(q, event, data && !this.storedData.has(data.digest) ? data : undefined));
        this.ownHead = head; // what the locked read found, moved on by this append: the database's own head
        stored();
        return out;
      } catch (err) {
        const state = sqlState(err);
        if (state && RETRYABLE.has(state) && attempt < MAX_ATTEMPTS) {
          await sleep(Math.random() * Math.min(100, 2 ** attempt));
          continue;
        }
        if (err instanceof AgentGateError) throw err;
        throw new AgentGateError("AUDIT_APPEND_FAILED", `could not append decision ${event.decision_id} to the audit log in ${this.db.location}: ${describeError(err)}`, "transient", { cause: err });
      }
    }
  }

  /**
   * The record after `head`, if `head` is still the head pointer, in one statement outside a transaction: the head row
   * is locked (FOR UPDATE: its newest version, after any concurrent append committed) and every row of the record is
   * written only if it is `head`. Returns the record appended, or else the head as it is now (none: the row is missing).
   */
  private async insertOnHead(event: AuditEvent, head: Checkpoint, data: { digest: string; text: string } | undefined): Promise<{ appended?: AppendResult; head?: Checkpoint }> {
    const { record, params, writes } = recordWrites(event, head, data, "ok");
    const [r] = await this.db.query<{ appended: string | number; seq: string; hash: string }>(
      `WITH guard AS (SELECT seq, hash FROM audit_head FOR UPDATE), ok AS (SELECT 1 FROM guard WHERE seq = $1::bigint - 1 AND hash = $2), ${writes.map((w) => `${w}, `).join("")}` +
        `rec AS (INSERT INTO audit_records (seq, prev_hash, hash, decision_id, ts, record, kind, repository, head_sha) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM ok RETURNING seq) ` +
        "SELECT (SELECT count(*) FROM rec) AS appended, g.seq, g.hash FROM guard g",
      params,
    );
    if (!r) return {};
    return Number(r.appended) === 1 ? { appended: { seq: record.seq, hash: record.hash } } : { head: { seq: Number(r.seq), hash: r.hash } };
  }

  /**
   * In one transaction of two statements: the head locked together with the decision's record if it is there already;
   * then the record (insert). Returns the head after it: the new record's, or the one found for a duplicate.
   */
  private async appendIn(q: Queryable, event: AuditEvent, data: { digest: string; text: string } | undefined): Promise<{ out: AppendResult; head: Checkpoint }> {
    const [h] = await q.query<DbRow & { head_seq: string; head_hash: string }>(
      `SELECT h.seq AS head_seq, h.hash AS head_hash, ${ROW_COLUMNS.split(", ").map((c) => `r.${c}`).join(", ")}
       FROM audit_head h LEFT JOIN audit_records r ON r.decision_id = $1 FOR UPDATE OF h`,
      [event.decision_id],
    );
    if (!h) throw new AgentGateError("AUDIT_HEAD_MISSING", `the audit head pointer row is missing in ${this.db.location}: the log was tampered with`, "internal");
    const head = { seq: Number(h.head_seq), hash: h.head_hash };
    if (h.seq !== null) {
      const stored = fromRow(toStored(h));
      if (recordContent(stored) !== recordContent(chainRecord(event, head).record)) {
        throw new AgentGateError("AUDIT_DECISION_CONFLICT", `decision ${event.decision_id} is already recorded as record ${stored.seq} with different content`, "internal");
      }
      return { out: { seq: stored.seq, hash: stored.hash, duplicate: true }, head };
    }
    const out = await this.insert(q, event, head, data);
    return { out, head: out };
  }

  /** The record after `head` under the lock, in one statement: its row and its other rows (recordWrites). */
  private async insert(q: Queryable, event: AuditEvent, head: Checkpoint, data: { digest: string; text: string } | undefined): Promise<AppendResult> {
    const { record, params, writes } = recordWrites(event, head, data);
    await q.query(
      `${writes.length > 0 ? `WITH ${writes.join(", ")} ` : ""}INSERT INTO audit_records (seq, prev_hash, hash, decision_id, ts, record, kind, repository, head_sha) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      params,
    );
    return { seq: record.seq, hash: record.hash };
  }

  async get(decisionId: string): Promise<AuditRecord | undefined> {
    const [r] = await this.db.query<DbRow>(`SELECT ${ROW_COLUMNS} FROM audit_records WHERE decision_id = $1`, [decisionId]);
    return r ? fromRow(toStored(r)) : undefined;
  }

  /** The stored row as hashed, for callers that check it themselves (audit show). */
  async getRow(decisionId: string): Promise<StoredRow | undefined> {
    const [r] = await this.db.query<DbRow>(`SELECT ${ROW_COLUMNS} FROM audit_records WHERE decision_id = $1`, [decisionId]);
    return r ? toStored(r) : undefined;
  }

  /**
   * The latest decision recorded for a commit of a repository (the deployment gate asks for the PR gate's),
   * checked against its own hash: a record edited in place is refused, never relied on.
   */
  async latest(subject: { repository: string; headSha: string; kind?: AuditRecord["agent_gate"]["kind"] }): Promise<AuditRecord | undefined> {
    const [r] = await this.db.query<DbRow>(
      `SELECT ${ROW_COLUMNS} FROM audit_records WHERE repository = $1 AND head_sha = $2 AND ($3::text IS NULL OR kind = $3::text) ORDER BY seq DESC LIMIT 1`,
      [subject.repository, subject.headSha, subject.kind ?? null],
    );
    if (!r) return undefined;
    const row = toStored(r);
    const b = new ChainVerifier({ seq: row.seq - 1, hash: row.prev_hash }).push(row);
    if (b) throw new AgentGateError("AUDIT_RECORD_TAMPERED", `the audit record for ${subject.repository}@${subject.headSha.slice(0, 12)} cannot be relied on: ${b.reason}`, "internal");
    return fromRow(row);
  }

  async onHead(subject: { repository: string; headSha: string; kind: AuditRecord["agent_gate"]["kind"] }, limit: number): Promise<AuditRecord[]> {
    const latest = `SELECT DISTINCT ON (pull) ${ROW_COLUMNS} FROM (SELECT ${ROW_COLUMNS}, record::jsonb #>> '{agent_gate,pull_request}' AS pull FROM audit_records WHERE repository = $1 AND head_sha = $2 AND kind = $3) h ORDER BY pull, seq DESC`;
    const rows = await this.db.query<DbRow>(`SELECT ${ROW_COLUMNS} FROM (${latest}) latest ORDER BY seq DESC LIMIT $4`, [subject.repository, subject.headSha, subject.kind, Math.max(0, Math.floor(limit))]);
    return rows.map((r) => checked(r, subject.repository, subject.kind, subject.headSha));
  }

  async recent(repository: string, kind: AuditRecord["agent_gate"]["kind"], limit: number): Promise<AuditRecord[]> {
    const rows = await this.db.query<DbRow>(`SELECT ${ROW_COLUMNS} FROM audit_records WHERE repository = $1 AND kind = $2 ORDER BY seq DESC LIMIT $3`, [repository, kind, Math.max(0, Math.floor(limit))]);
    return rows.map((r) => checked(r, repository, kind));
  }

  async spellings(repository: string, limit: number): Promise<string[]> {
    // A skip scan over the distinct names (the subject index leads with repository): one index probe per repository
    // the log holds, never a read of every record.
    const rows = await this.db.query<{ name: string }>(
      `WITH RECURSIVE names(name) AS (SELECT min(repository) FROM audit_records UNION ALL SELECT (SELECT min(repository) FROM audit_records WHERE repository > names.name) FROM names WHERE names.name IS NOT NULL)
       SELECT name FROM names WHERE name IS NOT NULL AND lower(name) = lower($1) LIMIT $2`,
      [repository, Math.max(0, Math.floor(limit))],
    );
    return rows.map((r) => r.name);
  }

  async configUsers(files: readonly string[], limit: number): Promise<{ file: string; repository: string }[]> {
    if (files.length === 0) return [];
    const rows = await this.db.query<{ config_file: string; repository: string }>(
      "SELECT config_file, repository FROM audit_config_uses WHERE config_file = ANY($1::text[]) ORDER BY config_file, repository LIMIT $2",
      [[...files], Math.max(0, Math.floor(limit))],
    );
    return rows.map((r) => ({ file: r.config_file, repository: r.repository }));
  }

  async list(opts: ListOptions = {}): Promise<AuditRecord[]> {
    const since = opts.since === undefined ? null : new Date(opts.since);
    if (since && Number.isNaN(since.getTime())) throw new AgentGateError("AUDIT_SINCE_INVALID", `expected a time for since, got ${JSON.stringify(opts.since)}`);
    const rows = await this.db.query<DbRow>(
      `SELECT ${ROW_COLUMNS} FROM audit_records WHERE seq > $1 AND ($2::timestamptz IS NULL OR ts >= $2::timestamptz) ORDER BY seq LIMIT $3`,
      [opts.afterSeq ?? 0, since?.toISOString() ?? null, opts.limit ?? 1000],
    );
    return rows.map((r) => fromRow(toStored(r)));
  }

  async head(): Promise<Checkpoint> {
    const [h] = await this.db.query<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_head");
    if (!h) throw new AgentGateError("AUDIT_HEAD_MISSING", `the audit head pointer row is missing in ${this.db.location}: the log was tampered with`, "internal");
    return { seq: Number(h.seq), hash: h.hash };
  }

  async witnessHead(): Promise<Checkpoint> {
    return this.ownHead ?? this.head();
  }

  async checkpoint(note = ""): Promise<Checkpoint> {
    const head = await this.head();
    if (head.seq > 0) {
      await this.db.query("INSERT INTO audit_checkpoints (seq, hash, note) VALUES ($1, $2, $3) ON CONFLICT (seq) DO NOTHING", [head.seq, head.hash, note]);
    }
    return head;
  }

  async verify(opts: VerifyOptions = {}): Promise<VerifyResult> {
    const head = await this.head().catch((err: unknown) => {
      if (err instanceof AgentGateError && err.code === "AUDIT_HEAD_MISSING") return undefined;
      throw err;
    });
    const recorded = await this.db.query<{ seq: string; hash: string; created_at: unknown }>("SELECT seq, hash, created_at FROM audit_checkpoints ORDER BY seq");
    const checkpoints: SourcedCheckpoint[] = [
      ...(head ? [{ ...head, source: "head pointer" }] : []),
      ...recorded.map((c) => ({ seq: Number(c.seq), hash: c.hash, source: `checkpoint recorded ${c.created_at instanceof Date ? c.created_at.toISOString() : String(c.created_at)}` })),
      ...(opts.checkpoints ?? []),
    ];
    const from = opts.fromCheckpoint ?? { seq: 0, hash: "0".repeat(64) };
    if (from.seq > 0) {
      const bad = await this.checkStart(from);
      if (bad) return bad;
    }
    const verifier = new ChainVerifier(from, checkpoints.filter((c) => c.seq > from.seq));
    // The tables derived from the records, checked a page at a time after the page's chain (index-check.ts).
    const index = await IndexCheck.start(this.db);
    let after = from.seq;
    for (;;) {
      const page = (await this.db.query<DbRow>(`SELECT ${ROW_COLUMNS} FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT ${PAGE}`, [after])).map(toStored);
      for (const [i, row] of page.entries()) {
        const b = verifier.push(row);
        if (b) return (await index.page(page.slice(0, i))) ?? (await this.explain(b, row));
        after = row.seq;
      }
      const bad = await index.page(page);
      if (bad) return bad;
      if (page.length < PAGE) break;
    }
    if (!head) return { ok: false, seq: 0, code: "TRUNCATED", reason: "the head pointer row is missing: it was deleted" };
    const end = verifier.finish();
    return end.ok ? ((await index.finish(after, from.seq === 0)) ?? end) : end;
  }

  /** The checkpoint's own record must be there, intact, and carry the checkpoint's hash. */
  private async checkStart(from: Checkpoint): Promise<ChainBreak | undefined> {
    const [r] = await this.db.query<DbRow>(`SELECT ${ROW_COLUMNS} FROM audit_records WHERE seq = $1`, [from.seq]);
    if (!r) return { ok: false, seq: from.seq, code: "TRUNCATED", reason: `record ${from.seq}, where the checkpoint starts, is missing` };
    const row = toStored(r);
    if (chainHash(row.prev_hash, row.record) !== row.hash || row.hash !== from.hash) {
      return { ok: false, seq: from.seq, code: "CHECKPOINT_MISMATCH", reason: `record ${from.seq} does not match the checkpoint ${from.hash.slice(0, 12)}…: it was edited, or the history was rewritten` };
    }
    return undefined;
  }

  /** A broken link whose prev_hash names another stored record means the records were reordered. */
  private async explain(b: ChainBreak, row: StoredRow): Promise<ChainBreak> {
    if (b.code !== "LINK_MISMATCH") return b;
    const [p] = await this.db.query<{ seq: string }>("SELECT seq FROM audit_records WHERE hash = $1", [row.prev_hash]);
    return explainLink(b, p ? Number(p.seq) : undefined);
  }

  async close(): Promise<void> {
    if (this.ownsDb) await this.db.close();
  }
}
