// The check run of a merge group's commit: it passes only when every queued pull request's head passed.
import type { CheckRunOutput } from "./check-run.js";
import { code } from "./markdown.js";

export interface QueuedResult {
  readonly pullNumber: number;
  readonly headSha: string;
  readonly conclusion: "success" | "failure";
  /** Why, when it was not judged (a queued pull request that is not open). */
  readonly note?: string;
}

export function renderMergeGroup(prs: readonly QueuedResult[]): CheckRunOutput {
  const failed = prs.filter((r) => r.conclusion !== "success");
  const ok = prs.length > 0 && failed.length === 0;
  const title = prs.length === 0 ? "Blocked: the merge group names no pull request agent-gate can evaluate" : ok ? `Mergeable: all ${prs.length} queued pull requests passed` : `Blocked: ${failed.map((f) => `#${f.pullNumber}`).join(", ")} did not pass`;
  const summary = prs.map((r) => `- #${r.pullNumber} at ${code(r.headSha.slice(0, 7))}: ${r.conclusion}${r.note !== undefined ? ` (${r.note})` : ""}`).join("\n") || "No pull request found in the merge group's ref.";
  return { conclusion: ok ? "success" : "failure", title, summary, text: "", annotations: [], annotationBatches: [], actions: [] };
}
