// The pull-request gate's decision as a deployment reads it, and the strict combination of two of them: the records
// on the deployed commit itself and the decision of the pull request GitHub says was merged as that commit. Records
// on the commit from other pull requests (a stranger's fork pull request whose head is the squash commit) may only
// tighten the merged pull request's decision, never replace it or clear its agent authorship.
import { conclusionRank } from "../core/recorded-pr-gate.js";
import { MAX_RECORDED_ATTESTATIONS } from "../core/recorded-evidence.js";
import type { DeploymentInput } from "../core/policy-input.js";

export interface PrGateFacts {
  readonly pr_gate: DeploymentInput["pr_gate"];
  readonly agentAuthored?: boolean;
  /** Who may not approve; known only from recorded decisions that say (prompters_known false without them). */
  readonly prompters: { login?: string; id?: number }[];
  readonly promptersKnown: boolean;
  /** The attestations the recorded pull-request decision carried (for the organisation's revocation list). */
  readonly evidence?: Record<string, unknown>[];
  /** Whether `evidence` is all of it (unknown: no recorded decision), and the pull request it is of. */
  readonly evidenceStatus?: DeploymentInput["pr_evidence_status"];
}

type EvidenceStatus = NonNullable<PrGateFacts["evidenceStatus"]>;
const STATUS_RANK: Record<EvidenceStatus["state"], number> = { complete: 0, incomplete: 1, unknown: 2 };

/**
 * The strictest of the merged pull request's decision (`merged`, read on its head) and the decision on the deployed
 * commit (`direct`): the worst conclusion (no decision in either is none), agent-authored if either says so (each
 * already resolved: unknown counts as agent-authored), every prompter of both (known only when both are), all
 * evidence of both, and its status the worse of the two.
 */
export function strictestPrGate(merged: PrGateFacts & { agentAuthored: boolean }, direct: PrGateFacts & { agentAuthored: boolean }): PrGateFacts & { agentAuthored: boolean } {
  const agentAuthored = merged.agentAuthored || direct.agentAuthored;
  if (merged.pr_gate === null || direct.pr_gate === null) return { ...(merged.pr_gate === null ? merged : direct), agentAuthored };
  const worse = conclusionRank(direct.pr_gate.conclusion) > conclusionRank(merged.pr_gate.conclusion) ? direct : merged;
  // Every entry of both, one per login (case-insensitive) or, named by id alone, per id: the policy matches either.
  const prompters = new Map<string, { login?: string; id?: number }>();
  for (const p of [...merged.prompters, ...direct.prompters]) {
    const key = p.login !== undefined ? `login:${p.login.toLowerCase()}` : `id:${p.id ?? ""}`;
    const known = prompters.get(key);
    if (!known || (known.id === undefined && p.id !== undefined)) prompters.set(key, p);
  }
  const all = [...(merged.evidence ?? []), ...(direct.evidence ?? [])];
  const evidence = all.slice(0, MAX_RECORDED_ATTESTATIONS);
  const ms: EvidenceStatus = merged.evidenceStatus ?? { state: "unknown" };
  const ds: EvidenceStatus = direct.evidenceStatus ?? { state: "unknown" };
  let status = STATUS_RANK[ds.state] > STATUS_RANK[ms.state] ? ds : ms;
  if (all.length > evidence.length && status.state === "complete") status = { state: "incomplete", ...(ms.pull_request !== undefined ? { pull_request: ms.pull_request } : {}) };
  return {
    pr_gate: worse.pr_gate,
    agentAuthored,
    prompters: [...prompters.values()],
    promptersKnown: merged.promptersKnown && direct.promptersKnown,
    evidence,
    evidenceStatus: status,
  };
}
