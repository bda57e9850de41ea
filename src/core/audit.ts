// The tamper-evident audit record: its model (OPA's decision-log event plus agent-gate's facts), masking of
// prompts and secret-like values before storage, RFC 8785 canonical JSON, the sha256 hash chain, and the
// streaming verifier that finds and locates the first broken link. Pure: storage lives in adapters/storage.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Decision, PolicyRef } from "./decision.js";
import type { PolicyInput } from "./policy-input.js";
import { AgentGateError } from "./errors.js";
import { redact, scanSecrets } from "./secrets.js";

export const AUDIT_RECORD_VERSION = 1;
/** prev_hash of the first record. */
export const GENESIS_HASH = "0".repeat(64);

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, { error: "expected 64 lowercase hex digits" });
const Rfc3339 = z.iso.datetime({ offset: true, error: "expected an RFC 3339 time, e.g. 2026-11-26T07:00:00.000Z" });

/** agent-gate's own facts about a decision, beside OPA's event fields. */
export const AuditContext = z.object({
  kind: z.enum(["pull_request", "deployment"]),
  delivery_id: z.string().nullable(),
  installation_id: z.number().int().nullable(),
  repository: z.string().min(1).describe("owner/name"),
  pull_request: z.number().int().positive().nullable(),
  deployment_id: z.number().int().positive().nullable(),
  environment: z.string().nullable(),
  head_sha: z.string().min(1),
  evidence_bundle_digests: z.array(z.string()).describe("sha256 of each verified Sigstore bundle"),
  signer_identities: z.array(z.string()),
  rekor_log_indexes: z.array(z.string()).describe("decimal strings: indexes exceed 2^53"),
  conclusion: z.string().min(1),
  policy_data_digest: z
    .string()
    .nullable()
    .optional()
    .describe("sha256 of the canonical data document the policy was evaluated with (the merged repo config), kept for replay"),
});
export type AuditContext = z.infer<typeof AuditContext>;

/** What the app hands to AuditLog.append: one decision, before masking and chaining. */
export const AuditEvent = z.object({
  decision_id: z.string().min(1),
  timestamp: Rfc3339,
  path: z.string().min(1).describe("the policy entrypoint, as in OPA's decision log"),
  input: z.unknown(),
  result: z.unknown(),
  bundles: z.record(z.string(), z.object({ revision: z.string(), digest: z.string().min(1) })),
  labels: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), z.number()),
  agent_gate: AuditContext,
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/** A stored record: the masked event, which paths were masked, and its place in the chain. */
export const AuditRecord = AuditEvent.extend({
  record_version: z.literal(AUDIT_RECORD_VERSION),
  masked: z.array(z.string()),
  erased: z.array(z.string()),
  seq: z.number().int().positive(),
  prev_hash: Hex64,
  hash: Hex64,
});
export type AuditRecord = z.infer<typeof AuditRecord>;
export type UnhashedRecord = Omit<AuditRecord, "hash">;

export interface Checkpoint {
  readonly seq: number; // 0 with GENESIS_HASH is the empty chain
  readonly hash: string;
}
export const GENESIS: Checkpoint = { seq: 0, hash: GENESIS_HASH };
/** A checkpoint with where it came from ("head pointer", "recorded 2026-11-26", "--checkpoint"), for messages. */
export interface SourcedCheckpoint extends Checkpoint {
  readonly source?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Canonical JSON (RFC 8785, JCS)

/**
 * RFC 8785 canonical JSON: object keys sorted by UTF-16 code units, no whitespace, ECMAScript number and
 * string serialisation. Properties whose value is `undefined` are left out (as JSON.stringify does); anything
 * that is not JSON data (non-finite numbers, bigint, Date, Map, class instances, lone surrogates, cycles) throws.
 */
export function canonicalize(value: unknown): string {
  return write(value, new Set<object>(), "");
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function notJson(path: string, what: string): never {
  throw new AgentGateError("AUDIT_NOT_JSON", `expected JSON data at ${path || "/"}, found ${what}`);
}

function write(v: unknown, ancestors: Set<object>, path: string): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) notJson(path, String(v));
      return JSON.stringify(v); // ECMAScript Number-to-String, which RFC 8785 adopts; -0 becomes 0
    case "string":
      if (LONE_SURROGATE.test(v)) notJson(path, "a string with a lone surrogate");
      return JSON.stringify(v);
    case "object":
      break;
    default:
      return notJson(path, typeof v);
  }
  const o = v;
  if (ancestors.has(o)) notJson(path, "a cycle");
  ancestors.add(o);
  try {
    if (Array.isArray(o)) {
      return `[${o.map((x: unknown, i) => (x === undefined ? notJson(`${path}/${i}`, "undefined") : write(x, ancestors, `${path}/${i}`))).join(",")}]`;
    }
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) notJson(path, `an instance of ${o.constructor?.name ?? "a class"}`);
    const rec = o as Record<string, unknown>;
    const keys = Object.keys(rec).filter((k) => rec[k] !== undefined);
    keys.sort(); // default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 requires
    const parts: string[] = [];
    for (const k of keys) {
      if (LONE_SURROGATE.test(k)) notJson(path, "a key with a lone surrogate");
      parts.push(`${JSON.stringify(k)}:${write(rec[k], ancestors, `${path}/${pointerToken(k)}`)}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    ancestors.delete(o);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Hashing and chaining

export { sha256Hex } from "./digest.js";

/** hash = sha256(prev_hash || canonical(record without hash)), prev_hash as its 64 ASCII hex digits. */
export function chainHash(prevHash: string, canonicalRecord: string): string {
  return createHash("sha256").update(prevHash, "utf8").update(canonicalRecord, "utf8").digest("hex");
}

/** Masks the event, places it after `head`, and returns the stored text (exactly the bytes hashed) and hash. */
export function chainRecord(event: AuditEvent, head: Checkpoint): { record: AuditRecord; text: string } {
  const { value, masked } = maskEvent(event);
  const unhashed: UnhashedRecord = {
    ...value,
    record_version: AUDIT_RECORD_VERSION,
    masked,
    erased: [],
    seq: head.seq + 1,
    prev_hash: head.hash,
  };
  const text = canonicalize(unhashed);
  return { record: { ...unhashed, hash: chainHash(head.hash, text) }, text };
}

/** The record's content without its place in the chain: equal for the same decision appended twice. */
export function recordContent(r: UnhashedRecord | AuditRecord): string {
  const { seq: _s, prev_hash: _p, hash: _h, ...content } = r as UnhashedRecord & { hash?: string };
  return canonicalize(content);
}

// ---------------------------------------------------------------------------------------------------------
// Masking

export const MASK_PROMPT = "[MASKED:prompt]";
export const MASK_SECRET = "[MASKED:secret]";

// A string under a key naming a prompt (prompt, prompts, system_prompt, promptText, userPrompt; not
// prompter) is prompt text; so is `text` or `content` inside such an object.
const PROMPT_WORD = /(?:^|[_\-.])prompts?(?:$|[_\-.])/i;
const PROMPT_CAMEL = /[a-z]Prompts?(?:$|[A-Z_])|^prompts?[A-Z]/;
const PROMPT_KEY = { test: (k: string): boolean => PROMPT_WORD.test(k) || PROMPT_CAMEL.test(k) };
const PROMPT_TEXT_CHILD = /^(text|content|body|messages?)$/i;
// Values under these keys are secrets whatever they look like (the scanner cannot see a bare "hunter22").
const SECRET_KEY = /^(?:.*[_-])?(password|passwd|pwd|secret|client_secret|token|access_token|auth_token|api_?key|private_?key|authorization|cookie|credentials?)$/i;

/** RFC 6901 reference token. */
function pointerToken(k: string): string {
  return k.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * The event with prompt text and secret-like values masked, and the JSON pointers (from the event's root, as
 * OPA's `masked` field) of every masked value. Never changes the chain or identity fields.
 */
export function maskEvent(event: AuditEvent): { value: AuditEvent; masked: string[] } {
  const masked: string[] = [];
  const walk = (v: unknown, path: string, key: string, inPrompt: boolean): unknown => {
    if (typeof v === "string") {
      if (PROMPT_KEY.test(key) || (inPrompt && PROMPT_TEXT_CHILD.test(key))) {
        masked.push(path);
        return MASK_PROMPT;
      }
      if (SECRET_KEY.test(key)) {
        masked.push(path);
        return MASK_SECRET;
      }
      if (scanSecrets(v).length > 0) {
        masked.push(path);
        return redact(v);
      }
      return v;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}/${i}`, key, inPrompt));
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        out[k] = walk(x, `${path}/${pointerToken(k)}`, k, inPrompt || PROMPT_KEY.test(k));
      }
      return out;
    }
    return v;
  };
  // Identity, chain and hash fields are the app's own values, never free text: only these are masked.
  const value: AuditEvent = {
    ...event,
    input: walk(event.input, "/input", "input", false),
    result: walk(event.result, "/result", "result", false),
    labels: walk(event.labels, "/labels", "labels", false) as Record<string, string>,
  };
  return { value, masked: masked.sort() };
}

// ---------------------------------------------------------------------------------------------------------
// Building an event from a decision

export interface DecisionAuditFacts {
  readonly input: unknown;
  readonly decidedAt: Date;
  readonly context: AuditContext;
  readonly labels?: Record<string, string>;
  readonly metrics?: Record<string, number>;
  readonly dryRun?: boolean;
  readonly bundleName?: string;
}

/** The audit event for a decision, or undefined for a dry run (dry runs are never recorded). */
export function auditEventFromDecision(d: Decision, facts: DecisionAuditFacts): AuditEvent | undefined {
  if (facts.dryRun) return undefined;
  return AuditEvent.parse({
    decision_id: d.decisionId,
    timestamp: facts.decidedAt.toISOString(),
    path: d.entrypoint,
    input: facts.input,
    result: { allow: d.allow, deny: d.deny, warn: d.warn },
    bundles: { [facts.bundleName ?? "agent-gate"]: { revision: d.policy.revision, digest: d.policy.digest } },
    labels: { app: "agent-gate", ...facts.labels },
    metrics: facts.metrics ?? {},
    agent_gate: facts.context,
  });
}

/** An evaluation that produced no decision (a transient fault, a broken policy): recorded as well. */
export function auditEventFromError(
  error: { readonly code: string; readonly message: string },
  at: { readonly decisionId: string; readonly entrypoint: string; readonly policy: PolicyRef },
  facts: DecisionAuditFacts,
): AuditEvent | undefined {
  if (facts.dryRun) return undefined;
  return AuditEvent.parse({
    decision_id: at.decisionId,
    timestamp: facts.decidedAt.toISOString(),
    path: at.entrypoint,
    input: facts.input ?? null,
    result: { error: { code: error.code, message: error.message } },
    bundles: { [facts.bundleName ?? "agent-gate"]: { revision: at.policy.revision, digest: at.policy.digest } },
    labels: { app: "agent-gate", ...facts.labels },
    metrics: facts.metrics ?? {},
    agent_gate: facts.context,
  });
}

/** The verified evidence a policy input carries, for AuditContext: bundle digests, signers, Rekor indexes. */
export function evidenceOf(input: PolicyInput): Pick<AuditContext, "evidence_bundle_digests" | "signer_identities" | "rekor_log_indexes"> {
  const digests = new Set<string>();
  const signers = new Set<string>();
  const indexes = new Set<string>();
  if (input.kind === "pull_request") {
    for (const c of input.commits) {
      if (c.provenance.status !== "verified") continue;
      digests.add(c.provenance.bundle_digest);
      if (c.provenance.signer.identity) signers.add(c.provenance.signer.identity);
      if (c.provenance.rekor_log_index) indexes.add(c.provenance.rekor_log_index);
    }
  } else {
    for (const a of input.artifacts) {
      for (const att of a.attestations) if (att.verified && att.signer.identity) signers.add(att.signer.identity);
    }
  }
  const sorted = (s: Set<string>): string[] => [...s].sort();
  return { evidence_bundle_digests: sorted(digests), signer_identities: sorted(signers), rekor_log_indexes: sorted(indexes) };
}

// ---------------------------------------------------------------------------------------------------------
// Verification

/** A row as storage holds it: the canonical text hashed, and the columns storage indexes and orders by. */
export interface StoredRow {
  readonly seq: number;
  readonly prev_hash: string;
  readonly hash: string;
  readonly record: string; // canonical JSON of the record without `hash`
  readonly decision_id: string;
  /** Further indexed columns, checked against the record when storage has them (null for older rows). */
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
    for (const [name, value] of Object.entries(row.columns ?? {})) {
      if (value === null || value === undefined) continue;
      if (expected[name] !== value) {
        return breakAt(row.seq, "COLUMN_MISMATCH", `record ${row.seq}'s ${name} column (${value}) differs from the hashed record (${String(expected[name])}): the column was edited`);
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

/** A checkpoint as written on the command line or in a file: `SEQ:HASH` or {"seq":..,"hash":..}. */
export function parseCheckpoint(text: string): Checkpoint {
  const t = text.trim();
  const m = /^(\d+):([0-9a-f]{64})$/.exec(t);
  if (m) return { seq: Number(m[1]), hash: m[2]! };
  try {
    const o = z.object({ seq: z.number().int().nonnegative(), hash: Hex64 }).parse(JSON.parse(t));
    return { seq: o.seq, hash: o.hash };
  } catch {
    throw new AgentGateError("AUDIT_CHECKPOINT_INVALID", `expected a checkpoint SEQ:HASH (64 hex) or {"seq":N,"hash":"..."}, got ${JSON.stringify(t.slice(0, 80))}`);
  }
}
