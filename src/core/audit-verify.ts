// Store-independent verification of the chain: rows are checked one at a time in seq order (so storage can
// stream them), and the first broken link is located and named; rows to and from records; checkpoints.
import { z } from "zod";
import { canonicalize } from "./digest.js";
import { AgentGateError } from "./errors.js";
import { AuditRecord, GENESIS, Hex64, type Checkpoint, type SourcedCheckpoint } from "./audit-record.js";
import { chainHash } from "./audit-chain.js";

/** A row as storage holds it: the canonical text hashed, and the columns storage indexes and orders by. */
export interface StoredRow {
  readonly seq: number;
  readonly prev_hash: string;
  readonly hash: string;
  readonly record: string; // canonical JSON of the record without `hash`
  readonly decision_id: string;
  /** Further indexed columns, checked against the record when storage has them (null only where the record has no such field). */
  readonly columns?: {
    readonly ts?: string | null; // ISO time
    readonly kind?: string | null;
    readonly repository?: string | null;
    readonly head_sha?: string | null;
  };
}

/** The indexed columns' values as the record says they must be. */
function expectedColumns(body: { timestamp?: unknown; agent_gate?: { kind?: unknown; repository?: unknown; head_sha?: unknown } }): Record<string, unknown> {
  const t = typeof body.timestamp === "string" ? new Date(body.timestamp).toISOString() : undefined;
  return { ts: t, kind: body.agent_gate?.kind, repository: body.agent_gate?.repository, head_sha: body.agent_gate?.head_sha };
}

export type BreakCode =
  | "GENESIS_MISMATCH" // the first record does not start from the genesis hash
  | "RECORDS_MISSING" // a gap in seq: records were deleted
  | "OUT_OF_ORDER" // seq repeats or goes back (only in files: storage orders by a unique seq)
  | "NOT_CANONICAL" // the stored text is not the canonical JSON it was written as
  | "HASH_MISMATCH" // the content no longer hashes to the stored hash: edited
  | "REORDERED" // a self-consistent record sits at another seq than it was written for
  | "COLUMN_MISMATCH" // an indexed column disagrees with the hashed record
  | "LINK_MISMATCH" // the record does not follow its predecessor
  | "CHECKPOINT_MISMATCH" // the record at a checkpoint's seq has another hash: history rewritten
  | "INDEX_MISMATCH" // a table derived from the records (audit_evidence, audit_config_uses) lost, gained or changed rows
  | "TRUNCATED"; // the chain ends before a checkpoint or the head pointer

export interface ChainBreak {
  readonly ok: false;
  readonly seq: number; // where the chain breaks: the first record that cannot be trusted
  readonly code: BreakCode;
  readonly reason: string;
}
export interface ChainOk {
  readonly ok: true;
  readonly checked: number;
  readonly first: number; // first verified seq (0 when the chain is empty)
  readonly head: Checkpoint;
}
export type VerifyResult = ChainOk | ChainBreak;

const short = (h: string): string => h.slice(0, 12);

function breakAt(seq: number, code: BreakCode, reason: string): ChainBreak {
  return { ok: false, seq, code, reason };
}

/**
 * Verifies rows in seq order, one at a time, from `start` (genesis, or a checkpoint whose record was checked).
 * `checkpoints` are known-good {seq, hash} pairs (recorded ones, the head pointer, external ones): the chain
 * must pass through each, and must not end before any of them.
 */
export class ChainVerifier {
  private prev: Checkpoint;
  private checked = 0;
  private readonly checkpoints: Map<number, SourcedCheckpoint[]>;
  private readonly start: Checkpoint;

  constructor(start: Checkpoint = GENESIS, checkpoints: readonly SourcedCheckpoint[] = []) {
    this.prev = start;
    this.start = start;
    this.checkpoints = new Map();
    for (const c of checkpoints) this.checkpoints.set(c.seq, [...(this.checkpoints.get(c.seq) ?? []), c]);
  }

  /** The break at this row, if any; after a break the verifier must not be fed further rows. */
  push(row: StoredRow): ChainBreak | undefined {
    const want = this.prev.seq + 1;
    if (row.seq < want) {
      return breakAt(row.seq, "OUT_OF_ORDER", `record ${row.seq} appears after record ${this.prev.seq}: records are out of order or repeated`);
    }
    if (row.seq > want) {
      const span = row.seq - 1 === want ? `record ${want} is` : `records ${want} to ${row.seq - 1} are`;
      return breakAt(want, "RECORDS_MISSING", `${span} missing: the chain jumps from record ${this.prev.seq} to record ${row.seq} (deleted)`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.record);
    } catch {
      return breakAt(row.seq, "NOT_CANONICAL", `record ${row.seq} is not valid JSON any more: it was edited`);
    }
    let canonical: string;
    try {
      canonical = canonicalize(parsed);
    } catch {
      canonical = "";
    }
    if (canonical !== row.record) {
      return breakAt(row.seq, "NOT_CANONICAL", `record ${row.seq} is not in the canonical form it was written in: it was edited`);
    }
    const actual = chainHash(row.prev_hash, row.record);
    if (actual !== row.hash) {
      return breakAt(
        row.seq,
        "HASH_MISMATCH",
        `record ${row.seq} was modified after it was written: its content hashes to ${short(actual)}…, the stored hash is ${short(row.hash)}…`,
      );
    }
    const body = parsed as { seq?: unknown; prev_hash?: unknown; decision_id?: unknown; timestamp?: unknown; agent_gate?: { kind?: unknown; repository?: unknown; head_sha?: unknown } };
    if (body.seq !== row.seq || body.prev_hash !== row.prev_hash) {
      return breakAt(
        row.seq,
        "REORDERED",
        `the record stored at seq ${row.seq} was written as record ${String(body.seq)}: records were moved (reordered)`,
      );
    }
    if (body.decision_id !== row.decision_id) {
      return breakAt(row.seq, "COLUMN_MISMATCH", `record ${row.seq}'s decision_id column (${row.decision_id}) differs from the hashed record (${String(body.decision_id)}): the column was edited`);
    }
    const expected = expectedColumns(body);
    // A NULL column passes only where the hashed record has no such field: the deployment gate reads records by these
    // columns, so a NULL-ed one (or any other value) would hide its record from it.
    for (const [name, value] of Object.entries(row.columns ?? {})) {
      if ((value === null || value === undefined) && expected[name] === undefined) continue;
      if (expected[name] !== value) {
        return breakAt(row.seq, "COLUMN_MISMATCH", `record ${row.seq}'s ${name} column (${value ?? "NULL"}) differs from the hashed record (${String(expected[name])}): the column was edited`);
      }
    }
    if (row.prev_hash !== this.prev.hash) {
      if (this.prev.seq === 0 && this.start.seq === 0) {
        return breakAt(row.seq, "GENESIS_MISMATCH", `record ${row.seq} should start the chain from the genesis hash, its prev_hash is ${short(row.prev_hash)}…: records before it were removed`);
      }
      return breakAt(
        row.seq,
        "LINK_MISMATCH",
        `record ${row.seq} does not follow record ${this.prev.seq}: its prev_hash is ${short(row.prev_hash)}…, record ${this.prev.seq} hashes to ${short(this.prev.hash)}… (records were deleted, reordered, or replaced and rehashed)`,
      );
    }
    for (const c of this.checkpoints.get(row.seq) ?? []) {
      if (c.hash !== row.hash) {
        return breakAt(
          row.seq,
          "CHECKPOINT_MISMATCH",
          `record ${row.seq} hashes to ${short(row.hash)}… but a checkpoint${c.source ? ` (${c.source})` : ""} says ${short(c.hash)}…: the history up to here was rewritten`,
        );
      }
    }
    this.prev = { seq: row.seq, hash: row.hash };
    this.checked++;
    return undefined;
  }

  /** After the last row: the chain must reach every checkpoint. */
  finish(): VerifyResult {
    const beyond = [...this.checkpoints.values()].flat().filter((c) => c.seq > this.prev.seq);
    if (beyond.length > 0) {
      const furthest = beyond.reduce((a, b) => (b.seq > a.seq ? b : a));
      const src = furthest.source ? ` (${furthest.source})` : "";
      return breakAt(
        this.prev.seq + 1,
        "TRUNCATED",
        `the chain ends at record ${this.prev.seq} but a checkpoint${src} says record ${furthest.seq} exists: records ${this.prev.seq + 1} to ${furthest.seq} were removed (truncated)`,
      );
    }
    return { ok: true, checked: this.checked, first: this.checked === 0 ? 0 : this.start.seq + 1, head: this.prev };
  }
}

/** When a LINK_MISMATCH's prev_hash names another stored record: the record was written after that one. */
export function explainLink(b: ChainBreak, writtenAfter: number | undefined): ChainBreak {
  if (b.code !== "LINK_MISMATCH" || writtenAfter === undefined || writtenAfter === b.seq - 1) return b;
  return breakAt(
    b.seq,
    "REORDERED",
    `record ${b.seq} was written to follow record ${writtenAfter}, not record ${b.seq - 1}: records were reordered (and renumbered)`,
  );
}

/** Verifies whole rows in memory (an export file, a test); storage streams through ChainVerifier instead. */
export function verifyChain(rows: Iterable<StoredRow>, start: Checkpoint = GENESIS, checkpoints: readonly SourcedCheckpoint[] = []): VerifyResult {
  const v = new ChainVerifier(start, checkpoints);
  for (const r of rows) {
    const b = v.push(r);
    if (b) return b;
  }
  return v.finish();
}

/** The row storage keeps for a record, and back. */
export function toRow(r: AuditRecord): StoredRow {
  const { hash, ...unhashed } = r;
  return { seq: r.seq, prev_hash: r.prev_hash, hash, record: canonicalize(unhashed), decision_id: r.decision_id };
}

export function fromRow(row: StoredRow): AuditRecord {
  const parsed = AuditRecord.safeParse({ ...(JSON.parse(row.record) as object), hash: row.hash });
  if (!parsed.success) {
    throw new AgentGateError("AUDIT_RECORD_INVALID", `record ${row.seq} does not have the audit record's shape: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/**
 * An exported line (`audit export`: the canonical JSON of a record with its hash) as the row that was hashed, or why it
 * is not one. It must be exactly that canonical JSON: a field the record does not have would otherwise be dropped by
 * the parse and the rest still hash to the stored hash, so an added field (an "override") would verify.
 */
export function rowFromExportLine(line: string): { row: StoredRow } | { code: "NOT_A_RECORD" | "NOT_CANONICAL"; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { code: "NOT_A_RECORD", reason: "not JSON" };
  }
  const parsed = AuditRecord.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { code: "NOT_A_RECORD", reason: `not an audit record: ${issue ? `${issue.path.join(".") || "(record)"}: ${issue.message}` : "invalid"}` };
  }
  const extra = extraField(raw, parsed.data, "");
  if (extra !== undefined) return { code: "NOT_A_RECORD", reason: `field ${extra} is not part of an audit record (added after the export)` };
  if (canonicalize(parsed.data) !== line) return { code: "NOT_CANONICAL", reason: "not the canonical JSON the record was exported as (reformatted or edited)" };
  const { hash, ...unhashed } = parsed.data;
  return { row: { seq: parsed.data.seq, prev_hash: parsed.data.prev_hash, hash, record: canonicalize(unhashed), decision_id: parsed.data.decision_id } };
}

/** The first field of `raw` that the parsed `kept` does not have (a dotted path), if any. */
function extraField(raw: unknown, kept: unknown, path: string): string | undefined {
  if (typeof raw !== "object" || raw === null || typeof kept !== "object" || kept === null) return undefined;
  for (const [key, value] of Object.entries(raw)) {
    const at = path === "" ? key : `${path}.${key}`;
    if (!Object.prototype.hasOwnProperty.call(kept, key)) return at;
    const inner = extraField(value, (kept as Record<string, unknown>)[key], at);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** A checkpoint as written on the command line or in a file: `SEQ:HASH` or {"seq":..,"hash":..}. */
export function parseCheckpoint(text: string): Checkpoint {
  const t = text.trim();
  const m = /^(\d+):([0-9a-f]{64})$/.exec(t);
  if (m) return { seq: Number(m[1]), hash: m[2]! };
  try {
    const o = z.object({ seq: z.number().int().nonnegative(), hash: Hex64 }).parse(JSON.parse(t));
    return { seq: o.seq, hash: o.hash };
  } catch {
    // Never quoted: a checkpoint is often read from a file (@FILE), and the wrong file may be a key or a token.
    const what = t.length === 0 ? "nothing" : `${t.length} characters that are neither (not quoted, as they may be a secret)`;
    throw new AgentGateError("AUDIT_CHECKPOINT_INVALID", `expected a checkpoint SEQ:HASH (64 hex) or {"seq":N,"hash":"..."}, got ${what}`);
  }
}
