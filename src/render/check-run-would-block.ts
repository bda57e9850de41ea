// What would block under enforce (issue 18): the denials a warn-mode rule, or shadow mode, held back. They never
// fail the check; the verdict says so, and this section lists each with its rule and the mode that held it back.
import type { Decision, Finding } from "../core/decision.js";
import { code, row, text } from "./markdown.js";
import { MAX_FINDING_ROWS } from "./check-run-types.js";
import { plural } from "./check-run-cells.js";

const BUDGET = 20_000;

// The config section a finding's rule belongs to (as policies/rego/agent_gate/pull_request/modes.rego maps it).
const section = (rule: string): string => rule.replace(/-/g, "_");

const shadow = (d: Decision): boolean => d.modes?.config === "shadow";

/** The verdict line when denials were held back or the config runs in shadow mode; undefined otherwise. */
export function heldVerdict(d: Decision): string | undefined {
  const held = d.wouldDeny ?? [];
  if (shadow(d)) {
    return held.length
      ? `### 👁️ Shadow mode: mergeable, but ${plural(held.length, "finding")} would block under enforce`
      : "### 👁️ Shadow mode: mergeable, and nothing would block under enforce";
  }
  if (held.length === 0) return undefined;
  return `### ✅ Mergeable; ${plural(held.length, "finding")} of warn-mode rules would block under enforce`;
}

/** The "Would block under enforce" section: every held-back denial, with the mode that held it back. */
export function wouldBlockLines(d: Decision | undefined): string[] {
  const held = d?.wouldDeny ?? [];
  if (!d || held.length === 0) return [];
  const intro = shadow(d)
    ? "The config runs in shadow mode (`mode: shadow`): no rule fails this check. Under `mode: enforce` these would have blocked the merge:"
    : "These rules run in warn mode (`mode: warn`): they report without failing the check. Under `mode: enforce` they would block the merge:";
  const lines = ["#### Would block under enforce", "", intro, "", "| | rule | mode | why | what to do |", "|---|---|---|---|---|"];
  let size = 0;
  let shown = 0;
  for (const f of held.slice(0, MAX_FINDING_ROWS)) {
    const line = row(["👁️", code(f.rule, { table: true, max: 80 }), modeOf(d, f), text(f.msg, { max: 400 }), f.remediation ? text(f.remediation, { max: 300 }) : "–"]);
    if (size + line.length > BUDGET) break;
    lines.push(line);
    size += line.length + 1;
    shown++;
  }
  if (held.length > shown) lines.push("", `… and ${held.length - shown} more (all are in the raw decision in the details)`);
  return lines;
}

function modeOf(d: Decision, f: Finding): string {
  const rule = d.modes?.rules.find((r) => r.section === section(f.rule))?.mode;
  return rule === "warn" ? "warn" : shadow(d) ? "shadow" : "–";
}
