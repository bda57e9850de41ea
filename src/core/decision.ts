// The policy's result contract (conftest-style deny/warn sets) and the Decision the host derives from it.
// A result that breaks the contract is an error, never a pass: parseDecisionResult throws a coded error.
import { z } from "zod";
import { AgentGateError } from "./errors.js";

export const Finding = z
  .object({
    msg: z.string().min(1),
    rule: z.string().min(1),
    severity: z.enum(["low", "medium", "high", "critical"]).optional(),
    remediation: z.string().optional(),
    details: z.unknown().optional(),
  })
  .passthrough();
export type Finding = z.infer<typeof Finding>;

// The mode each rule ran in (issue 18): enforce, warn or off per config section, and the config's own mode
// (enforce or shadow). Recorded with the decision.
export const RULE_MODES = ["enforce", "warn", "off"] as const;
export type RuleMode = (typeof RULE_MODES)[number];
export const RuleModes = z.object({
  config: z.enum(["enforce", "shadow"]),
  // A list, section names as values: the audit log masks values under any key named like "prompt".
  rules: z.array(z.object({ section: z.string(), mode: z.enum(RULE_MODES) })),
});
export type RuleModes = z.infer<typeof RuleModes>;

// Which verified attestations of a commit the rules counted and which they ignored (a signer the repository does not
// allow, a tier its agent does not accept): the check run shows only counted ones as the change's provenance.
const EvidenceRef = z.object({ tier: z.string(), bundle_digest: z.string().optional() });
export const CommitEvidence = z.object({
  sha: z.string(),
  accepted: z.array(EvidenceRef),
  ignored: z.array(EvidenceRef.extend({ reason: z.string() })),
});
export type CommitEvidence = z.infer<typeof CommitEvidence>;

// Who the pull-request decision kept from approving the agent's work, as the policy matches them: account ids, and
// lowercased logins. Recorded with the decision: a deployment of the commit keeps them from approving it too (the
// prompters a verified statement names are known only from the policy's judgement of whose statements count).
export const Excluded = z.object({ ids: z.array(z.number()), logins: z.array(z.string()) });
export type Excluded = z.infer<typeof Excluded>;

export const PolicyResult = z.object({
  deny: z.array(Finding),
  warn: z.array(Finding),
  // Denials held back by a rule in warn mode or by shadow mode: reported as what would block, never a failure.
  would_deny: z.array(Finding).optional(),
  modes: RuleModes.optional(),
  evidence: z.array(CommitEvidence).optional(),
  excluded: Excluded.optional(),
});
export type PolicyResult = z.infer<typeof PolicyResult>;

export interface PolicyRef {
  readonly revision: string; // bundle revision (manifest) or "builtin@<version>"
  readonly digest: string; // sha256:<hex> of policy.wasm + data
}

export interface Decision {
  readonly allow: boolean;
  readonly deny: readonly Finding[];
  readonly warn: readonly Finding[];
  /** Denials a warn-mode rule or shadow mode held back (absent: none, or a policy without modes). */
  readonly wouldDeny?: readonly Finding[];
  readonly modes?: RuleModes;
  /** Per commit with verified attestations, which the rules counted (absent: a policy that does not say). */
  readonly evidence?: readonly CommitEvidence[];
  /** Who the pull-request decision kept from approving (absent: a deployment decision, or an older policy). */
  readonly excluded?: Excluded;
  readonly policy: PolicyRef;
  readonly entrypoint: string;
  readonly decisionId: string;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// JSON with sorted object keys: a total order for findings that share rule and msg.
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => cmp(p, q)))
      : x,
  );

const byRuleThenMsg = (a: Finding, b: Finding): number => cmp(a.rule, b.rule) || cmp(a.msg, b.msg) || cmp(canonical(a), canonical(b));

/** Validates what the policy returned and sorts the sets so output is deterministic. */
export function parseDecisionResult(raw: unknown): PolicyResult {
  const parsed = PolicyResult.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join(".") : "(result)"}: ${i.message}`)
      .join("; ");
    throw new AgentGateError(
      "POLICY_CONTRACT_VIOLATION",
      `the policy result breaks the contract {deny: [{msg, rule, ...}], warn: [...]}: ${where}`,
    );
  }
  const { would_deny, modes, evidence, excluded } = parsed.data;
  return {
    deny: [...parsed.data.deny].sort(byRuleThenMsg),
    warn: [...parsed.data.warn].sort(byRuleThenMsg),
    ...(would_deny ? { would_deny: [...would_deny].sort(byRuleThenMsg) } : {}),
    ...(modes ? { modes } : {}),
    ...(evidence ? { evidence } : {}),
    ...(excluded ? { excluded } : {}),
  };
}

/** The mode fields, the judged evidence and the excluded of a policy result as Decision fields (none when the policy reports none). */
export function modeFields(r: Pick<PolicyResult, "would_deny" | "modes" | "evidence" | "excluded">): Pick<Decision, "wouldDeny" | "modes" | "evidence" | "excluded"> {
  return { ...(r.would_deny ? { wouldDeny: r.would_deny } : {}), ...(r.modes ? { modes: r.modes } : {}), ...(r.evidence ? { evidence: r.evidence } : {}), ...(r.excluded ? { excluded: r.excluded } : {}) };
}

/**
 * A decision's result as recorded and replayed: allow, deny, warn, and the mode fields and excluded when present (a
 * deployment of the commit reads excluded from the record: recorded-pr-gate.ts).
 */
export function recordedResult(d: Pick<Decision, "allow" | "deny" | "warn" | "wouldDeny" | "modes" | "excluded">): Record<string, unknown> {
  return { allow: d.allow, deny: d.deny, warn: d.warn, ...(d.wouldDeny ? { would_deny: d.wouldDeny } : {}), ...(d.modes ? { modes: d.modes } : {}), ...(d.excluded ? { excluded: d.excluded } : {}) };
}
