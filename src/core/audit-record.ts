// The audit record's model: OPA's decision-log event plus agent-gate's facts, the stored record with its place
// in the hash chain, checkpoints, and the events built from a decision or an evaluation error.
import { z } from "zod";
import { recordedResult, type Decision, type PolicyRef } from "./decision.js";
import type { PolicyInput } from "./policy-input.js";

export const AUDIT_RECORD_VERSION = 1;
/** prev_hash of the first record. */
export const GENESIS_HASH = "0".repeat(64);

export const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, { error: "expected 64 lowercase hex digits" });
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
  config_files: z
    .array(z.string())
    .optional()
    .describe("the config files the decision's config was read from, the repository's (or organisation's) first, each owner/repo:path: whom a change to one applies to"),
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
    result: recordedResult(d),
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
      // every verified statement that covers the commit (a recorded input of before `attestations`: its one)
      for (const a of c.provenance.status === "verified" ? [c.provenance] : c.attestations) {
        if (a.bundle_digest) digests.add(a.bundle_digest);
        if (a.signer.identity) signers.add(a.signer.identity);
        if (a.rekor_log_index) indexes.add(a.rekor_log_index);
      }
    }
  } else {
    for (const a of input.artifacts) {
      for (const att of a.attestations) if (att.verified && att.signer.identity) signers.add(att.signer.identity);
    }
  }
  const sorted = (s: Set<string>): string[] => [...s].sort();
  return { evidence_bundle_digests: sorted(digests), signer_identities: sorted(signers), rekor_log_indexes: sorted(indexes) };
}
