// Rule modes (issue 18): the schema piece every rule section takes, the check that enabled and mode agree, and the
// normalisation that spells every rule's mode out for the policy (policies/rego/agent_gate/pull_request/modes.rego).
import { z } from "zod";
import type { RepoConfig } from "./repo-config.js";

// Rule modes (issue 18, docs/policy.md "Rule modes"): enforce (a denial fails the check), warn (reported as what would
// block, never a failure), off. `enabled: false` is the older spelling of off; the two may not disagree.
export const RULE_MODE_CHOICES = ["enforce", "warn", "off"] as const;
export const ruleMode = () =>
  z
    .enum(RULE_MODE_CHOICES, { error: 'expected "enforce", "warn" or "off"' })
    .optional()
    .describe('enforce (default): a denial fails the check; warn: reported as what would block, never a failure; off: not evaluated (enabled: false is the older spelling)');

/** enabled: false with mode enforce or warn disagree; so do the older `mode: deny` and a different path_mode. */
export function ruleModesAgree(rules: object, ctx: z.RefinementCtx): void {
  for (const [name, rule] of Object.entries(rules) as [string, { enabled: boolean; mode?: string; path_mode?: string }][]) {
    if (rule.enabled === false && (rule.mode === "enforce" || rule.mode === "warn"))
      ctx.addIssue({ code: "custom", path: [name, "mode"], input: rule.mode, message: `expected "off" or no mode with enabled: false (the older spelling of mode: off); write mode alone` });
    if (rule.path_mode !== undefined && (rule.mode === "deny" || rule.mode === "require-approval") && rule.mode !== rule.path_mode)
      ctx.addIssue({ code: "custom", path: [name, "path_mode"], input: rule.path_mode, message: `expected no path_mode, or "${rule.mode}" as mode says (the older spelling)` });
  }
}

/**
 * Every rule's mode spelled out, as the policy reads it: mode (enforce unless given), off whenever enabled is false,
 * and enabled false exactly when off; protected_paths' older `mode: deny | require-approval` becomes its path_mode.
 */
export function withRuleModes(config: RepoConfig): RepoConfig {
  const rules: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(config.rules) as [string, { enabled: boolean; mode?: string; path_mode?: string }][]) {
    const legacyPath = rule.mode === "deny" || rule.mode === "require-approval" ? rule.mode : undefined;
    const mode = rule.enabled === false ? "off" : legacyPath || rule.mode === undefined ? "enforce" : rule.mode;
    const pathMode = name === "protected_paths" ? { path_mode: rule.path_mode ?? legacyPath ?? "require-approval" } : {};
    rules[name] = { ...rule, enabled: mode !== "off", mode, ...pathMode };
  }
  return { ...config, rules: rules as RepoConfig["rules"] };
}
