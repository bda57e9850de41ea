// Gathered commits + their coverage -> the rows the check run shows, so callers do not assemble them by hand.
import type { BindingResult } from "../core/binding.js";
import type { CommitFacts } from "../core/facts.js";
import type { RenderCommit } from "./check-run.js";

/**
 * One RenderCommit per gathered commit, in order. Provenance counts as required for agent commits unless
 * `required` says otherwise (the policy's view, when the caller has it). A commit the binder did not see is
 * shown as uncovered, never as verified.
 */
export function commitsForRender(
  commits: readonly CommitFacts[],
  binding: BindingResult,
  required?: (commit: CommitFacts) => boolean,
): RenderCommit[] {
  const coverage = new Map(binding.commits.map((c) => [c.sha, c]));
  return commits.map((c) => {
    const login = c.author.user?.login;
    return {
      sha: c.sha,
      author: { ...(login !== undefined ? { login } : {}), name: c.author.name },
      isAgent: c.detection.isAgent,
      ...(c.detection.agent !== undefined ? { agent: c.detection.agent } : {}),
      provenanceRequired: required ? required(c) : c.detection.isAgent,
      coverage: coverage.get(c.sha) ?? { sha: c.sha, covered: false, by: [], rejected: [] },
      claims: c.claims,
    };
  });
}
