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

export const PolicyResult = z.object({
  deny: z.array(Finding),
  warn: z.array(Finding),
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
  return { deny: [...parsed.data.deny].sort(byRuleThenMsg), warn: [...parsed.data.warn].sort(byRuleThenMsg) };
}
