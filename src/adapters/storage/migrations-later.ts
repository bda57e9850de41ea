// Migrations 10 and later (migrations.ts holds 1 to 9 and applies them all, in order): each appended, never edited.
import type { Migration } from "./migrations.js";

export const LATER_MIGRATIONS: readonly Migration[] = [
  {
    version: 10,
    name: "audit records' subject columns filled from the hashed record for every record, and NOT NULL",
    sql: `
-- The deployment gate reads records by (repository, head_sha, kind): a record with a NULL there is invisible to it.
-- Records from before migration 3 had NULLs, legitimately, and so a NULL was no sign of tampering; now every record's
-- columns are filled from its own hashed text (agent_gate.kind, .repository, .head_sha, which every record has) and a
-- NULL is refused by the schema and reported by audit verify (COLUMN_MISMATCH). A record whose text is no JSON any
-- more (edited: verify reports it NOT_CANONICAL) gets '' so that the schema can still be migrated and verified.
CREATE FUNCTION audit_record_field(record text, path text[]) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN record::jsonb #>> path;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;
UPDATE audit_records SET
  kind = coalesce(kind, audit_record_field(record, '{agent_gate,kind}'), ''),
  repository = coalesce(repository, audit_record_field(record, '{agent_gate,repository}'), ''),
  head_sha = coalesce(head_sha, audit_record_field(record, '{agent_gate,head_sha}'), '')
WHERE kind IS NULL OR repository IS NULL OR head_sha IS NULL;
ALTER TABLE audit_records ENABLE TRIGGER audit_records_append_only;
DROP FUNCTION audit_record_field(text, text[]);
ALTER TABLE audit_records ALTER COLUMN kind SET NOT NULL, ALTER COLUMN repository SET NOT NULL, ALTER COLUMN head_sha SET NOT NULL;
`,
  },
  {
    version: 11,
    name: "the evidence index and config uses refuse UPDATE, DELETE and TRUNCATE, as the records do",
    sql: `
-- Derived from the records, only ever added to, and what revocation sweeps and config-change re-evaluation choose by:
-- a deleted row would hide a decision from them. audit verify checks them against the records as well (INDEX_MISMATCH).
CREATE TRIGGER audit_evidence_append_only BEFORE UPDATE OR DELETE ON audit_evidence
  FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_evidence_no_truncate BEFORE TRUNCATE ON audit_evidence
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_config_uses_append_only BEFORE UPDATE OR DELETE ON audit_config_uses
  FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_config_uses_no_truncate BEFORE TRUNCATE ON audit_config_uses
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
`,
  },
  {
    version: 12,
    name: "reconciliation's place in the App's delivery history, so that a run stopped by its budget is continued",
    sql: `
-- One row: every delivery with an id up to covered_to (delivered at covered_at) was examined by a completed pass over
-- the history; an unfinished pass (from pass_top, delivered at pass_top_at) continues at the page pass_cursor (NULL: the newest) with the
-- deliveries whose id is below pass_below.
CREATE TABLE reconcile_delivery_cursor (
  one         boolean PRIMARY KEY DEFAULT true CHECK (one),
  covered_to  bigint NOT NULL CHECK (covered_to >= 0),
  covered_at  timestamptz,
  pass_top    bigint,
  pass_top_at timestamptz,
  pass_below  bigint,
  pass_cursor text,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((pass_top IS NULL) = (pass_below IS NULL))
);
`,
  },
  {
    version: 13,
    name: "gate state: how many open pull requests a head commit's last published verdict combined",
    sql: `
-- Set when a verdict is published (the open pull requests then heading the commit), NULL while an evaluation is under
-- way or when unknown: a pull request leaving a commit whose last verdict was its alone skips asking GitHub who else
-- heads it. NULL (and no row) means ask.
ALTER TABLE gate_check_runs ADD COLUMN last_pulls integer;
`,
  },
  {
    version: 14,
    name: "gate state: the config digest each head commit's newest final verdict was made under",
    sql: `
-- Moved with last_conclusion (the newest trigger's final result): the config (and revocation list) the verdict the check
-- shows was judged by. A config sweep (app/config-sweep.ts) and reconciliation evaluate again every open pull request
-- whose head's digest is not the config's digest now; NULL (a verdict from before this column, or none) is not.
ALTER TABLE gate_check_runs ADD COLUMN last_config_digest text;
`,
  },
  {
    version: 15,
    name: "audit evidence index: each certificate also by its TBS fingerprint (the DER can be re-encoded; docs/revocation.md)",
    sql: `ALTER TABLE audit_evidence ADD COLUMN cert_tbs_fingerprint text;
CREATE INDEX audit_evidence_cert_tbs ON audit_evidence (cert_tbs_fingerprint);`,
  },
];
