// The rows one audit record writes, as SQL for one statement (audit-log.ts): the record's row and, in a WITH, its data
// document, the config files it read and its evidence rows.
import { chainRecord } from "../../core/audit.js";
import type { AuditEvent, AuditRecord, Checkpoint } from "../../core/audit.js";
import { evidenceInsert } from "./evidence-index.js";

/**
 * The record after `head` ($1-$9: its row's columns) and the statements, for a WITH, that write its other rows: its
 * data document (unless stored before), the config files it read and its evidence rows. With `onlyIf` (a CTE's name),
 * each writes only if that CTE has a row.
 */
export function recordWrites(event: AuditEvent, head: Checkpoint, data: { digest: string; text: string } | undefined, onlyIf?: string): { record: AuditRecord; params: unknown[]; writes: string[] } {
  const { record, text } = chainRecord(event, head);
  const files = [...new Set(record.agent_gate.config_files ?? [])];
  const params: unknown[] = [record.seq, record.prev_hash, record.hash, record.decision_id, record.timestamp, text, record.agent_gate.kind, record.agent_gate.repository, record.agent_gate.head_sha];
  const from = onlyIf === undefined ? "" : ` FROM ${onlyIf}`;
  const writes: string[] = [];
  if (data) writes.push(`policy_data AS (INSERT INTO policy_data (digest, data) SELECT $${params.push(data.digest)}, $${params.push(data.text)}${from} ON CONFLICT (digest) DO NOTHING)`);
  if (files.length > 0) writes.push(`config_uses AS (INSERT INTO audit_config_uses (config_file, repository) SELECT unnest($${params.push(files)}::text[]), $8${from} ON CONFLICT DO NOTHING)`);
  // The evidence it rested on, for revocation sweeps (evidence-index.ts): in this statement, so never missed.
  const evidence = evidenceInsert(record, (v) => `$${params.push(v)}`, onlyIf);
  if (evidence) writes.push(`evidence AS (${evidence.sql})`);
  return { record, params, writes };
}
