// The check run's annotations: one per protected path and rule, batched to GitHub's 50 per request.
import type { Decision, Finding } from "../core/decision.js";
import { truncate } from "./markdown.js";
import { MAX_ANNOTATIONS, type Annotation, type ProtectedPathHit } from "./check-run-types.js";

export function annotations(hits: readonly ProtectedPathHit[]): Annotation[] {
  const seen = new Set<string>();
  const all: Annotation[] = [];
  for (const h of hits) {
    const key = `${h.path}\u0000${h.rule}`;
    if (!h.path || seen.has(key) || all.length >= MAX_ANNOTATIONS) continue;
    seen.add(key);
    all.push({
      path: h.path,
      start_line: 1,
      end_line: 1,
      annotation_level: h.level,
      title: truncate(`agent-gate: ${h.rule}`, 255),
      message: truncate(h.message, 4_000),
    });
  }
  return all;
}

export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Protected paths named by findings (`details.path` or `details.paths`), as annotation hits. */
export function protectedPathsFromDecision(d: Decision): ProtectedPathHit[] {
  const hits: ProtectedPathHit[] = [];
  const from = (f: Finding, level: "failure" | "warning"): void => {
    const details = f.details;
    if (typeof details !== "object" || details === null) return;
    const rec = details as Record<string, unknown>;
    const paths = [rec["path"], ...(Array.isArray(rec["paths"]) ? (rec["paths"] as unknown[]) : [])].filter((p): p is string => typeof p === "string" && p.length > 0);
    for (const path of paths) hits.push({ path, rule: f.rule, level, message: f.remediation ? `${f.msg}\n${f.remediation}` : f.msg });
  };
  for (const f of d.deny) from(f, "failure");
  for (const f of d.warn) from(f, "warning");
  // What a warn-mode rule or shadow mode held back is a warning annotation, never a failure.
  for (const f of d.wouldDeny ?? []) from(f, "warning");
  return hits;
}
