// The schema, as numbered migrations shared by PGlite and PostgreSQL, applied once each and recorded in
// schema_migrations. Appending is guarded in SQL as well as in code: a record must extend the head pointer,
// records and checkpoints refuse UPDATE, DELETE and TRUNCATE, and the head only moves forward by one.
import { AgentGateError } from "../../core/errors.js";
import type { Db } from "./db.js";
import { quoteSchema, sqlState } from "./db.js";
import { LATER_MIGRATIONS } from "./migrations-later.js";

// Migrations 10 on live in migrations-later.ts (one file each would pass 400 lines).
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "audit log: records, head pointer, checkpoints, append-only triggers",
    sql: `
CREATE TABLE audit_records (
  seq         bigint PRIMARY KEY CHECK (seq >= 1),
  prev_hash   text NOT NULL UNIQUE CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  decision_id text NOT NULL UNIQUE,
  ts          timestamptz NOT NULL,
  record      text NOT NULL -- canonical JSON of the record without its hash: exactly the bytes hashed
);
CREATE INDEX audit_records_ts ON audit_records (ts, seq);

CREATE TABLE audit_head (
  one  boolean PRIMARY KEY DEFAULT true CHECK (one),
  seq  bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, repeat('0', 64));

CREATE TABLE audit_checkpoints (
  seq        bigint PRIMARY KEY,
  hash       text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  note       text NOT NULL DEFAULT ''
);

CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the agent-gate audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();

-- The head moves forward by exactly one record at a time.
CREATE FUNCTION audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.seq <> OLD.seq + 1 THEN
    RAISE EXCEPTION 'the agent-gate audit head moves forward by one: % -> % refused', OLD.seq, NEW.seq
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward();

-- A record must extend the head, and inserting it moves the head: one chain, whoever writes.
CREATE FUNCTION audit_link() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  h_seq bigint;
  h_hash text;
BEGIN
  SELECT seq, hash INTO h_seq, h_hash FROM audit_head FOR UPDATE;
  IF NEW.seq <> h_seq + 1 OR NEW.prev_hash <> h_hash THEN
    RAISE EXCEPTION 'agent-gate audit record % does not extend the head (seq %)', NEW.seq, h_seq
      USING ERRCODE = '40001';
  END IF;
  UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_records_link BEFORE INSERT ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_link();
`,
  },
  {
    version: 2,
    name: "policy bundles and data documents by digest, for replay",
    sql: `
-- Content-addressed: the key is the digest of the content, checked again on every read.
CREATE TABLE policy_bundles (
  digest    text PRIMARY KEY, -- sha256(policy.wasm || data.json bytes), as the policy engine computes it
  revision  text NOT NULL,
  wasm      bytea NOT NULL,
  data      text NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE policy_data (
  digest    text PRIMARY KEY, -- sha256 of the canonical JSON
  data      text NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 3,
    name: "audit records indexed by subject (repository, head commit, kind) for the deployment gate",
    sql: `
ALTER TABLE audit_records ADD COLUMN kind text, ADD COLUMN repository text, ADD COLUMN head_sha text;
CREATE INDEX audit_records_subject ON audit_records (repository, head_sha, kind, seq DESC);
`,
  },
  {
    version: 4,
    name: "gate state: deliveries taken in, check runs by head commit, evaluations by idempotency key",
    sql: `
-- Every delivery the App persisted (the job engine holds the work; this answers "do we have it?" for
-- reconciliation, which redelivers only what never arrived).
CREATE TABLE intake_deliveries (
  delivery_id text PRIMARY KEY,
  event       text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX intake_deliveries_received ON intake_deliveries (received_at);

-- The one agent-gate check run of a head commit, and the receipt time of the newest trigger whose final
-- (not transient) result it shows: an evaluation for an older trigger never overwrites it.
CREATE TABLE gate_check_runs (
  repository      text NOT NULL,
  head_sha        text NOT NULL,
  check_run_id    bigint NOT NULL,
  last_trigger_at timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository, head_sha)
);

-- Evaluations by idempotency key sha256(repository, head commit, trigger, config digest, policy digest).
CREATE TABLE gate_evaluations (
  key          text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{64}$'),
  delivery_id  text, -- the webhook delivery (or reconciliation) that asked for it
  repository   text NOT NULL,
  head_sha     text NOT NULL,
  decision_id  text NOT NULL,
  conclusion   text NOT NULL,
  transient    boolean NOT NULL,
  completed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gate_evaluations_delivery ON gate_evaluations (delivery_id);
`,
  },
  {
    version: 5,
    name: "gate state: the conclusion of each head commit's newest final result",
    sql: `
-- What the check run shows now, so that a trigger superseded by a newer one (or a merge group that asks about a
-- pull request) reports that result instead of a failure of its own.
ALTER TABLE gate_check_runs ADD COLUMN last_conclusion text;
`,
  },
  {
    version: 6,
    name: "gate state: indexes by age, for pruning past the retention",
    sql: `
-- SqlGateStore.prune deletes evaluations and check runs older than AGENT_GATE_STATE_RETENTION_DAYS in batches.
CREATE INDEX gate_evaluations_completed ON gate_evaluations (completed_at);
CREATE INDEX gate_check_runs_updated ON gate_check_runs (updated_at);
`,
  },
  {
    version: 7,
    name: "audit records by repository, newest first, and the config files each repository's decisions were made with",
    sql: `
-- The last N decisions of a repository (config-change impact): an index scan from the newest, not the whole log.
CREATE INDEX audit_records_repository_recent ON audit_records (repository, kind, seq DESC);
-- Which repositories' decisions read which config file (their own, the organisation's, a base in an _extends chain),
-- from the config_files each record names: the repositories a change to that file applies to. Derived from the
-- chained records (never trusted beyond choosing whom to analyse); rows are only ever added.
CREATE TABLE audit_config_uses (
  config_file text NOT NULL, -- owner/repo:path, owner and repository in lower case
  repository  text NOT NULL,
  PRIMARY KEY (config_file, repository)
);
`,
  },
  {
    version: 8,
    name: "audit evidence index: the signers, certificates, log entries, models, agents and commit keys each decision rested on",
    sql: `
-- Revocation sweeps (app/revocation-sweep.ts) find the decisions whose evidence an organisation revoked: one row per
-- attestation and model of a record (core/recorded-evidence.ts), written in the append's transaction. Derived from the
-- chained records, so only ever used to choose what to evaluate again; rows are only ever added.
CREATE TABLE audit_evidence (
  seq              bigint NOT NULL,
  repository       text NOT NULL, -- owner/name in lower case
  kind             text NOT NULL,
  pull_number      integer,
  deployment_id    bigint,
  environment      text,
  head_sha         text NOT NULL,
  ts               timestamptz NOT NULL,
  signer_identity  text,
  signer_issuer    text,
  signer_key       text,
  cert_fingerprint text,
  rekor_log_id     text,
  rekor_log_index  text,
  rekor_uuid       text,
  model            text, -- lower case
  model_version    text,
  agent            text, -- lower case
  agent_version    text,
  commit_key       text
);
CREATE INDEX audit_evidence_seq ON audit_evidence (seq);
CREATE INDEX audit_evidence_signer ON audit_evidence (signer_identity);
CREATE INDEX audit_evidence_cert ON audit_evidence (cert_fingerprint);
CREATE INDEX audit_evidence_rekor ON audit_evidence (rekor_log_index);
CREATE INDEX audit_evidence_uuid ON audit_evidence (rekor_uuid);
CREATE INDEX audit_evidence_model ON audit_evidence (model);
CREATE INDEX audit_evidence_agent ON audit_evidence (agent);
CREATE INDEX audit_evidence_commit_key ON audit_evidence (commit_key);
-- Records appended before this migration are indexed by the first sweep (EvidenceIndex.backfill): those up to
-- upto, from next on.
CREATE TABLE audit_evidence_backfill (
  one  boolean PRIMARY KEY DEFAULT true CHECK (one),
  upto bigint NOT NULL,
  next bigint NOT NULL DEFAULT 1
);
INSERT INTO audit_evidence_backfill (upto) SELECT seq FROM audit_head;
-- The revocation list each owner's open pull requests were last swept against (by digest), and how far a sweep cut
-- short by its bounds got: reconciliation sweeps again when the list differs (a missed push delivery).
CREATE TABLE revocation_sweeps (
  owner    text PRIMARY KEY, -- lower case
  digest   text NOT NULL,
  cursor   bigint,           -- the pull requests whose latest matching record is before this seq are left
  done     boolean NOT NULL,
  swept_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 9,
    name: "an audit record is refused when the head pointer row is missing",
    sql: `
-- An append tries, in one statement without a transaction, the head its process made last (audit-log.ts); the trigger
-- is then what checks the head. A missing head row (deleted with the triggers bypassed) read as NULLs, and NULL
-- comparisons let the record through: now refused, like a record that does not extend the head.
CREATE OR REPLACE FUNCTION audit_link() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  h_seq bigint;
  h_hash text;
BEGIN
  SELECT seq, hash INTO h_seq, h_hash FROM audit_head FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'agent-gate audit record % refused: the head pointer row is missing', NEW.seq
      USING ERRCODE = '42501';
  END IF;
  IF NEW.seq <> h_seq + 1 OR NEW.prev_hash <> h_hash THEN
    RAISE EXCEPTION 'agent-gate audit record % does not extend the head (seq %)', NEW.seq, h_seq
      USING ERRCODE = '40001';
  END IF;
  UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash;
  RETURN NEW;
END $$;
`,
  },
  ...LATER_MIGRATIONS,
];

/** The newest migration this agent-gate knows; a database past it was migrated by a newer one (schema-watch.ts). */
export const LATEST_MIGRATION = Math.max(...MIGRATIONS.map((m) => m.version));

function refuseNewer(versions: Iterable<number>, db: Db): void {
  const newest = Math.max(0, ...versions);
  if (newest > LATEST_MIGRATION) {
    throw new AgentGateError(
      "STORAGE_SCHEMA_NEWER",
      `the database schema ${db.schema} in ${db.location} is at migration ${newest}, newer than this agent-gate knows (${LATEST_MIGRATION}): upgrade agent-gate`,
      "internal",
    );
  }
}

/**
 * Applies the migrations not applied yet, in one transaction, serialised between processes. A database that
 * is already current is only read, so the App can run as a role that may not create anything.
 */
export async function migrate(db: Db): Promise<number[]> {
  const schema = quoteSchema(db.schema);
  try {
    const have = (await db.query<{ version: number }>("SELECT version FROM schema_migrations")).map((r) => Number(r.version));
    refuseNewer(have, db);
    if (MIGRATIONS.every((m) => have.includes(m.version))) return [];
  } catch (err) {
    if (sqlState(err) !== "42P01") throw err; // undefined_table: a new database, migrate below
  }
  return db.transaction(async (q) => {
    // Several App processes may start at once; the first migrates, the others then find nothing to do.
    await q.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`agent-gate migrate ${db.schema}`]);
    await q.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET LOCAL search_path TO ${schema};
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());`);
    const done = new Set((await q.query<{ version: number }>("SELECT version FROM schema_migrations")).map((r) => Number(r.version)));
    refuseNewer(done, db);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await q.exec(m.sql);
      await q.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
