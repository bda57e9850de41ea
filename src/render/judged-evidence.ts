// Which verified evidence of each commit the policy counted and which it ignored, as the decision says
// (decision.evidence, policies/rego/agent_gate/pull_request/decision.rego). The check run shows only counted
// evidence as the change's provenance: anyone can post a validly signed bundle, and a stranger's statement beside
// the real one must not read like it. Nothing here judges a signer; it reads what the policy decided.
import type { CoveringStatement } from "../core/binding.js";
import type { Decision } from "../core/decision.js";
import type { RenderCommit } from "./check-run-types.js";
import { code } from "./markdown.js";

export interface IgnoredStatement {
  readonly s: CoveringStatement;
  /** The policy's reason (signer-not-allowed, tier-not-accepted), or not-counted when it names the statement nowhere. */
  readonly reason: string;
}

export interface JudgedCommit {
  /** The verified statements the policy counted, in the binding's order. */
  readonly accepted: readonly CoveringStatement[];
  readonly ignored: readonly IgnoredStatement[];
  /** Whether the commit's own signature (signed-commit or platform tier) counts. */
  readonly signatureAccepted: boolean;
}

export interface Judged {
  /** False when the decision does not say which evidence it counted (a policy bundle without decision.evidence). */
  readonly reported: boolean;
  of(c: RenderCommit): JudgedCommit;
}

const digestOf = (d: string): string => d.replace(/^sha256:/, "");

export function judgedEvidence(decision: Decision | undefined): Judged {
  const evidence = decision?.evidence;
  if (!evidence) {
    // Nothing says what counted: every verified statement is shown as verified, and the summary says the policy did not tell.
    return { reported: false, of: (c) => ({ accepted: c.coverage.by, ignored: [], signatureAccepted: c.signature?.ok === true }) };
  }
  const bySha = new Map(evidence.map((e) => [e.sha, e]));
  const cache = new Map<RenderCommit, JudgedCommit>();
  const of = (c: RenderCommit): JudgedCommit => {
    const known = cache.get(c);
    if (known) return known;
    const e = bySha.get(c.sha);
    const accepted = new Set((e?.accepted ?? []).flatMap((r) => (r.bundle_digest !== undefined ? [digestOf(r.bundle_digest)] : [])));
    const why = new Map((e?.ignored ?? []).flatMap((r) => (r.bundle_digest !== undefined ? [[digestOf(r.bundle_digest), r.reason] as const] : [])));
    const sig = c.signature;
    const judged: JudgedCommit = {
      accepted: c.coverage.by.filter((s) => accepted.has(s.bundleDigest)),
      ignored: c.coverage.by.filter((s) => !accepted.has(s.bundleDigest)).map((s) => ({ s, reason: why.get(s.bundleDigest) ?? "not-counted" })),
      signatureAccepted: sig?.ok === true && (e?.accepted ?? []).some((r) => r.tier === sig.tier && r.bundle_digest === undefined),
    };
    cache.set(c, judged);
    return judged;
  };
  return { reported: true, of };
}

const REASONS: Readonly<Record<string, string>> = {
  "signer-not-allowed": "not an allowed signer for this repository",
  "tier-not-accepted": "its evidence tier is not accepted for this agent",
};

/** Why the policy ignored a statement, in words. */
export function ignoredReason(reason: string): string {
  return REASONS[reason] ?? `not counted by the policy (${code(reason, { max: 60 })})`;
}

/** Who signed a statement, as the summary names it. */
export function signerName(s: CoveringStatement): string {
  return s.signer.identity ?? (s.signer.keyHint !== undefined ? `key ${s.signer.keyHint}` : "an unnamed key");
}
