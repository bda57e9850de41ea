// The audit log's evidence index (migrations 8 and 15): per record, the signers, certificates, Rekor entries, models, agents
// and commit keys its decision rested on, so that a revocation sweep finds the decisions a revoked item touches with
// index lookups instead of reading the log. Rows are written in the append's transaction (`indexRecord`); records
// appended before the index existed are indexed by `backfill`, in pages, resumably, once.
import { evidenceKeys, INCOMPLETE_MARK, type EvidenceKeys } from "../../core/recorded-evidence.js";
import { fromRow, type AuditRecord } from "../../core/audit.js";
import type { RevokedData } from "../../config/revocations.js";
import type { Db, Queryable } from "./db.js";

const KEY_COLUMNS = ["signer_identity", "signer_issuer", "signer_key", "cert_fingerprint", "rekor_log_id", "rekor_log_index", "rekor_uuid", "model", "model_version", "agent", "agent_version", "commit_key", "cert_tbs_fingerprint"] as const;
const RECORD_COLUMNS = ["seq", "repository", "kind", "pull_number", "deployment_id", "environment", "head_sha", "ts"] as const;
/** The record's own columns, typed for parameters that may be null. */
const RECORD_TYPES = ["bigint", "text", "text", "integer", "bigint", "text", "text", "timestamptz"] as const;
const BACKFILL_PAGE = 200;

/**
 * The INSERT of a record's evidence rows, or undefined when it has none; `param` names a parameter ($n) for a value.
 * One statement whatever the number of rows: the record's columns once, each key column as one array (unnest), so
 * the append folds it into its own statement (audit-log.ts) and a record of 2,001 rows still takes 20 parameters.
 */
export function evidenceInsert(record: EvidenceRecord, param: (value: unknown) => string, onlyIf?: string): { sql: string; rows: number } | undefined {
  const { own, keys } = evidenceValues(record);
  if (keys.length === 0) return undefined;
  const scalars = own.map((v, i) => `${param(v)}::${RECORD_TYPES[i]}`).join(", ");
  const arrays = KEY_COLUMNS.map((c, i) => `${param(keys.map((k) => k[i]))}::text[]`).join(", ");
  const where = onlyIf === undefined ? "" : ` WHERE EXISTS (SELECT 1 FROM ${onlyIf})`; // a CTE's name: rows only if it has one
  return { sql: `INSERT INTO audit_evidence (${EVIDENCE_COLUMNS.join(", ")}) SELECT ${scalars}, k.* FROM unnest(${arrays}) AS k${where}`, rows: keys.length };
}

type EvidenceRecord = Pick<AuditRecord, "seq" | "timestamp" | "input" | "agent_gate">;

/** A record's evidence rows' values: the record's own columns (RECORD_COLUMNS) once, and each row's KEY_COLUMNS. */
function evidenceValues(record: EvidenceRecord): { own: unknown[]; keys: (string | null)[][] } {
  const g = record.agent_gate;
  const lower = (v: string | null): string | null => (v === null ? null : v.toLowerCase());
  const own = [record.seq, g.repository.toLowerCase(), g.kind, g.pull_request, g.deployment_id, g.environment, g.head_sha, record.timestamp];
  const columns: Record<(typeof KEY_COLUMNS)[number], (k: EvidenceKeys) => string | null> = {
    signer_identity: (k) => k.signer_identity, signer_issuer: (k) => k.signer_issuer, signer_key: (k) => k.signer_key,
    cert_fingerprint: (k) => lower(k.cert_fingerprint), rekor_log_id: (k) => lower(k.rekor_log_id), rekor_log_index: (k) => k.rekor_log_index,
    rekor_uuid: (k) => lower(k.rekor_uuid), model: (k) => lower(k.model), model_version: (k) => k.model_version,
    agent: (k) => lower(k.agent), agent_version: (k) => k.agent_version, commit_key: (k) => lower(k.commit_key),
    cert_tbs_fingerprint: (k) => lower(k.cert_tbs_fingerprint),
  };
  return { own, keys: evidenceKeys(record.input).map((k) => KEY_COLUMNS.map((c) => columns[c](k))) };
}

/** Every column of audit_evidence, in the order evidenceRowKey reads them. */
export const EVIDENCE_COLUMNS = [...RECORD_COLUMNS, ...KEY_COLUMNS];

/** One audit_evidence row (as either database answers it, or as a record implies it) as a comparable string. */
export function evidenceRowKey(values: readonly unknown[]): string {
  return JSON.stringify(values.map((v, i) => {
    if (v === null || v === undefined) return null;
    const column = EVIDENCE_COLUMNS[i];
    if (column === "ts") return new Date(v as string).toISOString();
    if (column === "seq" || column === "pull_number" || column === "deployment_id") return Number(v);
    return typeof v === "string" ? v : typeof v === "number" || typeof v === "bigint" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
  }));
}

/** The audit_evidence rows a record implies (evidenceRowKey of each), for `audit verify`. */
export function evidenceRowKeys(record: EvidenceRecord): string[] {
  const { own, keys } = evidenceValues(record);
  return keys.map((k) => evidenceRowKey([...own, ...k]));
}

/** Writes a record's evidence rows in one statement (in the caller's transaction: the backfill's page). */
export async function indexRecord(q: Queryable, record: EvidenceRecord): Promise<number> {
  const params: unknown[] = [];
  const insert = evidenceInsert(record, (v) => `$${params.push(v)}`);
  if (insert) await q.query(insert.sql, params);
  return insert?.rows ?? 0;
}

/** A pull request whose latest matching record is `seq`, at head `headSha`. */
export interface IndexedPull {
  readonly repository: string;
  readonly pullNumber: number;
  readonly headSha: string;
  readonly seq: number;
}

export interface IndexedDeployment {
  readonly repository: string;
  readonly deploymentId: number | null;
  readonly environment: string | null;
  readonly headSha: string;
  readonly seq: number;
  readonly at: string;
}

/** A signer as the index knows it, for matching patterns and workflow forms outside SQL. */
export interface IndexedSigner {
  readonly identity: string | null;
  readonly issuer: string | null;
  readonly key: string | null;
}

/** What the sweep asks of the index, as exact keys (patterns are resolved against `signers` first). */
export interface RevokedKeys {
  readonly signers: readonly IndexedSigner[];
  readonly certificates: readonly string[];
  readonly rekorEntries: readonly { readonly logId: string; readonly logIndex: string }[];
  readonly rekorUuids: readonly string[];
  readonly models: readonly { readonly model: string; readonly version?: string | undefined }[];
  readonly agents: readonly { readonly name: string; readonly version?: string | undefined }[];
  readonly commitKeys: readonly string[];
}

export class EvidenceIndex {
  constructor(readonly db: Db) {}

  /**
   * Indexes up to `maxRecords` records appended before the index existed; true when none is left. Pages are taken
   * under a row lock, so processes backfilling at once never index a record twice.
   */
  async backfill(maxRecords = 5000): Promise<boolean> {
    for (let done = 0; done < maxRecords; done += BACKFILL_PAGE) {
      const left = await this.db.transaction(async (q) => {
        const [state] = await q.query<{ upto: string; next: string }>("SELECT upto, next FROM audit_evidence_backfill FOR UPDATE");
        if (!state || Number(state.next) > Number(state.upto)) return false;
        const rows = await q.query<Record<string, unknown>>(
          "SELECT seq, prev_hash, hash, record, decision_id, ts, kind, repository, head_sha FROM audit_records WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3",
          [state.next, state.upto, BACKFILL_PAGE],
        );
        for (const r of rows) {
          const record = fromRow({ seq: Number(r["seq"]), prev_hash: String(r["prev_hash"]), hash: String(r["hash"]), record: String(r["record"]), decision_id: String(r["decision_id"]), columns: { ts: new Date(r["ts"] as string).toISOString(), kind: r["kind"] as string | null, repository: r["repository"] as string | null, head_sha: r["head_sha"] as string | null } });
          await indexRecord(q, record);
        }
        const next = rows.length < BACKFILL_PAGE ? Number(state.upto) + 1 : Number(rows.at(-1)!["seq"]) + 1;
        await q.query("UPDATE audit_evidence_backfill SET next = $1", [next]);
        return next <= Number(state.upto);
      });
      if (!left) return true;
    }
    return false;
  }

  /** The distinct signers of an owner's recorded decisions (at most `limit`), to resolve patterns against. */
  async signers(owner: string, limit = 10_000): Promise<IndexedSigner[]> {
    const rows = await this.db.query<{ signer_identity: string | null; signer_issuer: string | null; signer_key: string | null }>(
      "SELECT DISTINCT signer_identity, signer_issuer, signer_key FROM audit_evidence WHERE repository LIKE $1 AND (signer_identity IS NOT NULL OR signer_key IS NOT NULL) LIMIT $2",
      [ownerPrefix(owner), limit],
    );
    return rows.map((r) => ({ identity: r.signer_identity, issuer: r.signer_issuer, key: r.signer_key }));
  }

  /** Pull requests of the owner whose latest matching record is before `beforeSeq`, newest first. */
  async pulls(owner: string, keys: RevokedKeys, opts: { beforeSeq?: number | undefined; limit: number }): Promise<IndexedPull[]> {
    const { where, params } = matchClause(keys, 3);
    if (!where) return [];
    const rows = await this.db.query<{ repository: string; pull_number: number; head_sha: string; seq: string }>(
      `SELECT repository, pull_number, head_sha, max(seq) AS seq FROM audit_evidence
       WHERE kind = 'pull_request' AND repository LIKE $1 AND pull_number IS NOT NULL AND (${where})
       GROUP BY repository, pull_number, head_sha HAVING ($2::bigint IS NULL OR max(seq) < $2::bigint)
       ORDER BY max(seq) DESC LIMIT ${Math.max(0, Math.floor(opts.limit))}`,
      [ownerPrefix(owner), opts.beforeSeq ?? null, ...params],
    );
    return rows.map((r) => ({ repository: r.repository, pullNumber: Number(r.pull_number), headSha: r.head_sha, seq: Number(r.seq) }));
  }

  /** Deployments of the owner decided since `since` whose evidence matches, newest first. */
  async deployments(owner: string, keys: RevokedKeys, opts: { since: Date; limit: number }): Promise<IndexedDeployment[]> {
    const { where, params } = matchClause(keys, 3);
    if (!where) return [];
    const rows = await this.db.query<{ repository: string; deployment_id: string | null; environment: string | null; head_sha: string; seq: string; ts: Date | string }>(
      `SELECT repository, deployment_id, environment, head_sha, max(seq) AS seq, max(ts) AS ts FROM audit_evidence
       WHERE kind = 'deployment' AND repository LIKE $1 AND ts >= $2 AND (${where})
       GROUP BY repository, deployment_id, environment, head_sha ORDER BY max(seq) DESC LIMIT ${Math.max(0, Math.floor(opts.limit))}`,
      [ownerPrefix(owner), opts.since.toISOString(), ...params],
    );
    return rows.map((r) => ({ repository: r.repository, deploymentId: r.deployment_id === null ? null : Number(r.deployment_id), environment: r.environment, headSha: r.head_sha, seq: Number(r.seq), at: new Date(r.ts).toISOString() }));
  }
}

/** owner/% for LIKE: GitHub logins hold only letters, digits and -, never a LIKE wildcard. */
function ownerPrefix(owner: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(owner)) throw new Error(`expected a GitHub owner login, got ${JSON.stringify(owner)}`);
  return `${owner.toLowerCase()}/%`;
}

/** The OR of every revoked key as SQL over audit_evidence, its parameters numbered from `first`. */
export function matchClause(keys: RevokedKeys, first: number): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (v: unknown): string => (params.push(v), `$${first + params.length - 1}`);
  const or: string[] = [];
  const certs = keys.signers.filter((s) => s.identity !== null);
  if (certs.length > 0) or.push(`(signer_identity, coalesce(signer_issuer, '')) IN (SELECT * FROM unnest(${p(certs.map((s) => s.identity))}::text[], ${p(certs.map((s) => s.issuer ?? ""))}::text[]))`);
  const hints = keys.signers.flatMap((s) => (s.key !== null ? [s.key] : []));
  if (hints.length > 0) or.push(`signer_key = ANY(${p(hints)}::text[])`);
  // A certificate entry names its TBS fingerprint or its DER's (docs/revocation.md); a commit key is one of a signed
  // commit, but by its TBS fingerprint any attestation of that certificate is found (the policy decides).
  const named = (column: string, values: readonly string[]): string => {
    const v = p(values.map((c) => c.toLowerCase()));
    return `${column} = ANY(${v}::text[]) OR cert_tbs_fingerprint = ANY(${v}::text[])`;
  };
  if (keys.certificates.length > 0) or.push(named("cert_fingerprint", keys.certificates));
  if (keys.rekorEntries.length > 0) or.push(`(rekor_log_id, rekor_log_index) IN (SELECT * FROM unnest(${p(keys.rekorEntries.map((e) => e.logId.toLowerCase()))}::text[], ${p(keys.rekorEntries.map((e) => e.logIndex))}::text[]))`);
  if (keys.rekorUuids.length > 0) or.push(`rekor_uuid = ANY(${p(keys.rekorUuids.map((u) => u.toLowerCase()))}::text[])`);
  const models = keys.models.map((m) => ({ name: m.model, version: m.version }));
  if (models.length > 0) or.push(namedClause("model", "model_version", models, p));
  if (keys.agents.length > 0) or.push(namedClause("agent", "agent_version", keys.agents, p));
  if (keys.commitKeys.length > 0) or.push(named("commit_key", keys.commitKeys));
  // A record whose evidence was cut short may rest on anything revoked: it is always found (recorded-evidence.ts).
  if (or.length > 0) or.push(`model = ${p(INCOMPLETE_MARK)}`);
  return { where: or.join(" OR "), params };
}

/** A version as revocation compares it: trimmed, lower-case, without the separators `-`, `.` and `_`. */
export function versionKey(v: string): string {
  return v.trim().toLowerCase().replace(/[-._]/g, "");
}

const VERSION_KEY_SQL = (x: string): string => `regexp_replace(lower(trim(${x})), '[-._]', '', 'g')`;

/**
 * Models or agents as policies/rego/revocation_lib.rego matches them (_named_fits): the name itself or the name
 * followed by `-`, `@` or `:` and a suffix (anthropic/claude-sonnet-4-5-20250929); an entry with a version also
 * names a claim whose version or suffix is it (separators ignored) and a claim without a version.
 */
function namedClause(column: string, versionColumn: string, entries: readonly { readonly name: string; readonly version?: string | undefined }[], p: (v: unknown) => string): string {
  const names = p(entries.map((e) => e.name.trim().toLowerCase()));
  const versions = p(entries.map((e) => (e.version === undefined ? null : versionKey(e.version))));
  const id = `lower(trim(${column}))`;
  const suffixed = `left(${id}, length(r.name) + 1) IN (r.name || '-', r.name || '@', r.name || ':')`;
  return `EXISTS (SELECT 1 FROM unnest(${names}::text[], ${versions}::text[]) AS r(name, version)
    WHERE (${id} = r.name OR ${suffixed})
    AND (r.version IS NULL OR ${versionColumn} IS NULL OR ${VERSION_KEY_SQL(versionColumn)} = r.version
      OR (${id} <> r.name AND ${VERSION_KEY_SQL(`substr(${id}, length(r.name) + 2)`)} = r.version)))`;
}

export type { RevokedData };
