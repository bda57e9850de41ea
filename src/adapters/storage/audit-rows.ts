// The audit_records row as read (its columns, as both databases answer them) and the checks on a record read by its
// columns, shared by the audit log's reads (audit-log.ts).
import { chainHash, fromRow } from "../../core/audit.js";
import type { AuditRecord, StoredRow } from "../../core/audit.js";
import { AgentGateError } from "../../core/errors.js";

export const ROW_COLUMNS = "seq, prev_hash, hash, record, decision_id, ts, kind, repository, head_sha";

export interface DbRow {
  [k: string]: unknown;
  seq: string | number | bigint;
  prev_hash: string;
  hash: string;
  record: string;
  decision_id: string;
  ts: Date | string;
  kind: string | null;
  repository: string | null;
  head_sha: string | null;
}
export const toStored = (r: DbRow): StoredRow => ({
  seq: Number(r.seq),
  prev_hash: r.prev_hash,
  hash: r.hash,
  record: r.record,
  decision_id: r.decision_id,
  columns: { ts: new Date(r.ts).toISOString(), kind: r.kind, repository: r.repository, head_sha: r.head_sha },
});

// Each record read by its columns must hash to its stored hash and be of the repository, kind (and commit) its columns
// say: a record edited in place, or an index column edited to bring another's record in, is refused. The whole chain
// is `audit verify`'s: this is a read of N records, linear in N.
export function checked(r: DbRow, repository: string, kind: AuditRecord["agent_gate"]["kind"], headSha?: string): AuditRecord {
  const row = toStored(r);
  const record = chainHash(row.prev_hash, row.record) === row.hash ? fromRow(row) : undefined;
  if (!record || record.agent_gate.repository !== repository || record.agent_gate.kind !== kind || (headSha !== undefined && record.agent_gate.head_sha !== headSha)) {
    throw new AgentGateError("AUDIT_RECORD_TAMPERED", `audit record ${row.seq} of ${repository} cannot be relied on: ${record ? "its columns do not match its content" : "it does not hash to its stored hash (edited)"}`, "internal");
  }
  return record;
}
