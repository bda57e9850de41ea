// Decision + per-commit facts -> the check run a reviewer reads: the verdict and what to do first, then who
// wrote the change and what vouches for it, then the evidence for those who verify. Every value from outside
// goes through markdown.ts; everything stays within GitHub's limits (65,535 characters per field, 50
// annotations per request, action buttons of 20/20/40 characters).
import type { CoveringStatement } from "../core/binding.js";
import { REEVALUATE_IDENTIFIER } from "../core/conclusion.js";
import { ANNOTATIONS_PER_REQUEST, FIELD_BUDGET, MAX_ANNOTATIONS, MAX_BUNDLE_SECTIONS, type CheckRunAction, type CheckRunOutput, type RenderInput } from "./check-run-types.js";
import { plural, publicRekorUrl } from "./check-run-cells.js";
import { agentLines, findingsTable, footer, signalsLine, verdictLines } from "./check-run-summary.js";
import { commitTable, refusedEvidence } from "./check-run-commits.js";
import { bundleSection, claimsSection, rawDecision, rejectedSection } from "./check-run-evidence.js";
import { annotations, batches, protectedPathsFromDecision } from "./check-run-annotations.js";
import { wouldBlockLines } from "./check-run-would-block.js";
import { configChangeAnnotations, configChangeLines } from "./check-run-config-change.js";
import { ignoredReason, judgedEvidence } from "./judged-evidence.js";

export * from "./check-run-types.js";
export { publicRekorUrl } from "./check-run-cells.js";
export { protectedPathsFromDecision } from "./check-run-annotations.js";

export const REEVALUATE_BUTTON: CheckRunAction = {
  label: "Re-evaluate",
  description: "Evaluate this head commit again",
  identifier: REEVALUATE_IDENTIFIER,
};

/**
 * Joins sections in document order, choosing them by priority (lower first) while they fit the budget; a
 * section that does not fit is left out whole and counted, never cut mid-markup.
 */
function fit(sections: readonly { readonly lines: readonly string[]; readonly priority: number }[], budget: number): string {
  const order = sections.map((s, i) => ({ ...s, i, block: s.lines.join("\n") })).filter((s) => s.lines.length > 0);
  const chosen = new Set<number>();
  let used = 0;
  let dropped = 0;
  for (const s of [...order].sort((a, b) => a.priority - b.priority || a.i - b.i)) {
    if (used + s.block.length + 2 <= budget - 200) {
      chosen.add(s.i);
      used += s.block.length + 2;
    } else dropped++;
  }
  const out = order.filter((s) => chosen.has(s.i)).map((s) => s.block).join("\n\n");
  return dropped ? `${out}\n\n… ${plural(dropped, "section")} left out to stay within GitHub's size limit` : out;
}

/** The check run for one evaluation. */
export function renderCheckRun(input: RenderInput): CheckRunOutput {
  const urlOf = input.tlogEntryUrl ?? publicRekorUrl;
  const judged = judgedEvidence(input.decision);
  const summary = fit(
    [
      { lines: verdictLines(input), priority: 0 },
      { lines: findingsTable(input.decision), priority: 1 },
      { lines: wouldBlockLines(input.decision), priority: 1 },
      { lines: configChangeLines(input.configChange), priority: 1 },
      { lines: [...agentLines(input.commits, judged), ...signalsLine(input.detection)], priority: 2 },
      { lines: commitTable(input.commits, urlOf, refusedEvidence(input.decision), judged), priority: 3 },
      { lines: [footer(input)], priority: 0 },
    ],
    FIELD_BUDGET,
  );

  // Each bundle once, with what the policy made of it; counted ones first, so ignored ones never push them out.
  const byBundle = new Map<string, { s: CoveringStatement; covers: string[]; counted: boolean; ignored: Set<string> }>();
  for (const c of input.commits) {
    const j = judged.of(c);
    for (const [s, reason] of [...j.accepted.map((x) => [x, undefined] as const), ...j.ignored.map((x) => [x.s, x.reason] as const)]) {
      const entry = byBundle.get(s.bundleDigest) ?? { s, covers: [], counted: false, ignored: new Set<string>() };
      entry.covers.push(c.sha);
      if (reason === undefined) entry.counted = true;
      else entry.ignored.add(reason);
      byBundle.set(s.bundleDigest, entry);
    }
  }
  const policyLine = (e: { counted: boolean; ignored: Set<string> }): string | undefined =>
    !judged.reported ? undefined : e.ignored.size === 0 ? "✅ counted" : `⛔ ignored${e.counted ? " for some of the commits it covers" : ""}: ${[...e.ignored].map(ignoredReason).join("; ")}; its claims are not the change's`;
  const ordered = [...byBundle.values()].sort((a, b) => Number(b.counted) - Number(a.counted));
  const bundleSections = ordered.slice(0, MAX_BUNDLE_SECTIONS).map((e) => bundleSection(e.s, e.covers, urlOf, policyLine(e)));
  const moreBundles = byBundle.size > MAX_BUNDLE_SECTIONS ? [`… and ${byBundle.size - MAX_BUNDLE_SECTIONS} more verified bundles`] : [];
  const text = fit(
    [
      { lines: bundleSections.length ? ["### Verified provenance"] : [], priority: 3 },
      ...bundleSections.map((lines) => ({ lines, priority: 3 })),
      { lines: moreBundles, priority: 3 },
      { lines: rejectedSection(input.bundles ?? []), priority: 2 },
      { lines: claimsSection(input.commits, input.bodyClaims ?? []), priority: 4 },
      { lines: rawDecision(input.decision, 15_000), priority: 1 },
    ],
    FIELD_BUDGET,
  );

  const notes = [...configChangeAnnotations(input.configChange, input.decision), ...annotations([...(input.protectedPaths ?? []), ...(input.decision ? protectedPathsFromDecision(input.decision) : [])])].slice(0, MAX_ANNOTATIONS);
  return {
    conclusion: input.conclusion.conclusion,
    title: input.conclusion.title,
    summary,
    text,
    annotations: notes,
    annotationBatches: batches(notes, ANNOTATIONS_PER_REQUEST),
    actions: [REEVALUATE_BUTTON],
  };
}
