// Gathered commits + their coverage -> the rows the check run shows, so callers do not assemble them by hand.
import type { BindingResult } from "../core/binding.js";
import type { CommitFacts } from "../core/facts.js";
import type { CommitSignatureOutcome } from "../core/pull-request-input.js";
import type { RenderCommit, RenderSignature } from "./check-run.js";

/**
 * One RenderCommit per gathered commit, in order. Provenance counts as required for agent commits unless
 * `required` says otherwise (the policy's view, when the caller has it). A commit the binder did not see is
 * shown as uncovered, never as verified.
 */
export function commitsForRender(
  commits: readonly CommitFacts[],
  binding: BindingResult,
  required?: (commit: CommitFacts) => boolean,
  signatures: readonly CommitSignatureOutcome[] = [],
): RenderCommit[] {
  const coverage = new Map(binding.commits.map((c) => [c.sha, c]));
  const signed = new Map<string, RenderSignature>();
  for (const s of signatures) if (!signed.has(s.sha) || s.ok) signed.set(s.sha, signatureRow(s));
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
      ...(signed.has(c.sha) ? { signature: signed.get(c.sha)! } : {}),
    };
  });
}

function signatureRow(s: CommitSignatureOutcome): RenderSignature {
  if (!s.ok) return { ok: false, code: s.code };
  const a = s.attestation;
  const tier = a.tier === "platform" ? "platform" : "signed-commit";
  return {
    ok: true,
    tier,
    ...(a.signer.identity !== undefined ? { identity: a.signer.identity } : {}),
    ...(a.signer.issuer !== undefined ? { issuer: a.signer.issuer } : {}),
    ...(a.rekor_log_index !== undefined ? { logIndex: a.rekor_log_index } : {}),
    ...(a.integrated_time !== undefined ? { time: a.integrated_time } : {}),
  };
}
