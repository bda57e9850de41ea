// Facts + verification outcomes + binding -> the versioned pull-request policy input. Pure. The policy sees, for
// every commit, whether verified provenance covers it, who signed it and whether an agent or a human wrote it.
import type { AgentDetection } from "./agents.js";
import type { BindingResult, CoveringStatement } from "./binding.js";
import type { CommitFacts, Facts, HeadChecks, ReviewFacts } from "./facts.js";
import { pullRequestInput, toPolicyTime, type CommitAttestationDraft, type PullRequestInput } from "./policy-input.js";
import { signerFacts } from "./signer-facts.js";
import type { TrailerClaim } from "./trailers.js";
import type { VerificationFailure } from "./verification.js";

/** A bundle that failed verification, and the commits its (untrusted) statement claimed, for explanation only. */
export interface FailedBundle {
  readonly bundleDigest: string;
  readonly failure: VerificationFailure;
  readonly claimedCommits: readonly string[];
}

export interface PullRequestInputParts {
  readonly facts: Facts;
  readonly binding: BindingResult;
  readonly failed: readonly FailedBundle[];
  readonly configDigest: string;
  readonly agentAccounts: readonly { login: string; id: number }[];
  readonly now: Date;
  /** Each commit's own signature (app/commit-evidence.ts): a signed-commit or platform attestation, or a failure. */
  readonly commitSignatures?: readonly CommitSignatureOutcome[];
}

/** A commit's own signature as evidence: an attestation of tier signed-commit or platform, or why it is none. */
export type CommitSignatureOutcome =
  | { readonly sha: string; readonly ok: true; readonly attestation: CommitAttestationDraft }
  | { readonly sha: string; readonly ok: false; readonly tier: "signed-commit" | "platform"; readonly code: string; readonly message: string };

/** Commits of an agent's pull request are the agent's unless shown otherwise (a known non-agent account). */
export function commitIsAgent(c: CommitFacts, facts: Facts): boolean {
  // On an agent's pull request every commit needs provenance: a commit's author (dependabot, a human) is only an
  // address anyone can write into it.
  return c.detection.isAgent || facts.detection.isAgent;
}

const reasonText = (d: AgentDetection): string[] => d.reasons.map((r) => `${r.signal}: ${r.detail}`);

function trailers(claims: readonly TrailerClaim[]): { co_authored_by: string[]; assisted_by: string[]; generated_by: string[] } {
  const pick = (kind: TrailerClaim["kind"]): string[] => claims.filter((c) => c.kind === kind).map((c) => c.raw);
  return { co_authored_by: pick("co-authored-by"), assisted_by: pick("assisted-by"), generated_by: pick("generated-by") };
}

/** A covering statement as the policy sees it: tier sigstore, the signer's facts and what the statement says. */
export function attestationOf(s: CoveringStatement): CommitAttestationDraft {
  const tlog = s.tlog[0];
  const time = tlog?.integratedTime ?? s.timestamps[0]?.time;
  return {
    tier: "sigstore",
    signer: signerFacts(s.signer),
    agent: { name: s.runtime.name, version: s.runtime.version },
    ...(s.subagents && s.subagents.length > 0 ? { agents: s.subagents.map((a) => ({ name: a.name, ...(a.version !== undefined ? { version: a.version } : {}), role: "subagent" as const })) } : {}),
    model: { id: s.model.id, ...(s.model.version ? { version: s.model.version } : {}) },
    ...(s.prompt ? { prompt: { digest: `sha256:${s.prompt.sha256}`, contains_secrets: s.prompt.secrets.length > 0, text_present: s.prompt.textIncluded } } : {}),
    ...(s.delegation ? { prompter: { login: s.delegation.principal.login, id: s.delegation.principal.id } } : {}),
    ...(s.requestedBy ? { requested_by: { login: s.requestedBy.login, ...(s.requestedBy.id !== undefined ? { id: s.requestedBy.id } : {}) } } : {}),
    models: (s.models ?? [{ ...s.model, role: "agent" as const }]).map((m) => ({ id: m.id, ...(m.version !== undefined ? { version: m.version } : {}), role: m.role })),
    ...(tlog ? { rekor_log_index: tlog.logIndex, ...(tlog.logId ? { rekor_log_id: tlog.logId } : {}), ...(tlog.leafHash ? { rekor_entry_uuid: tlog.leafHash } : {}) } : {}),
    ...(time ? { integrated_time: toPolicyTime(time) } : {}),
    bundle_digest: `sha256:${s.bundleDigest}`,
  };
}

/** The attestations a commit's own signature gives (after the bundles': a bundle the policy allows comes first). */
function signed(parts: PullRequestInputParts, sha: string): CommitAttestationDraft[] {
  return (parts.commitSignatures ?? []).flatMap((x) => (x.sha === sha && x.ok ? [x.attestation] : []));
}

/**
 * Every agent name any signal gives the commit: its own detection's (logins, addresses, trailers, signed statements
 * whoever signed them, its own signature's trailers), the pull request's own (its opener, branch, labels, body; not
 * those it takes from its commits), and every covering statement's runtime. The commit is held to the evidence tiers
 * all of them accept (tiers.rego): a name anyone can add can only narrow them.
 */
export function tierAgents(c: CommitFacts, facts: Facts, parts: PullRequestInputParts): string[] {
  const names = new Set(c.detection.reasons.map((r) => r.agent));
  for (const r of facts.detection.reasons) if (r.signal !== "commit" && r.signal !== "provenance") names.add(r.agent);
  for (const s of parts.binding.commits.find((x) => x.sha === c.sha)?.by ?? []) names.add(s.runtime.name);
  for (const a of signed(parts, c.sha)) if (a.agent) names.add(a.agent.name);
  return [...names].sort();
}

function provenanceOf(c: CommitFacts, parts: PullRequestInputParts): Record<string, unknown> {
  const coverage = parts.binding.commits.find((x) => x.sha === c.sha);
  if ((coverage?.covered && coverage.by.length > 0) || signed(parts, c.sha).length > 0) return { status: "attested" };
  const rejection = coverage?.rejected[0];
  if (rejection) return { status: "invalid", failure_code: rejection.code, message: rejection.message };
  const failed = parts.failed.find((f) => f.claimedCommits.includes(c.sha));
  if (failed) return { status: "invalid", failure_code: failed.failure.code, message: failed.failure.message };
  const signature = parts.commitSignatures?.find((x) => x.sha === c.sha);
  if (signature && !signature.ok) return { status: "invalid", failure_code: signature.code, message: `the commit's signature (tier ${signature.tier}): ${signature.message}` };
  return { status: "missing" };
}

export function buildPullRequestInput(parts: PullRequestInputParts): PullRequestInput {
  const { facts } = parts;
  const pr = facts.pullRequest;
  const agentShas = new Set(facts.commits.filter((c) => c.detection.isAgent).map((c) => c.sha));
  // A file is agent-touched when the PR is an agent's, or when any agent commit exists (per-file history is not
  // fetched: a conservative over-approximation that can only demand more, never less).
  const agentTouched = facts.detection.isAgent || agentShas.size > 0;
  // Everyone who asked for the work, signed or not, is kept from approving it (separation of duties). Unsigned names
  // only ever exclude; none of them exempts anyone.
  const prompters = new Map<string, { login: string; id?: number; source: string }>();
  const addPrompter = (login: string, id: number | undefined, source: string): void => {
    const key = login.toLowerCase();
    const known = prompters.get(key);
    if (!known || (known.id === undefined && id !== undefined)) prompters.set(key, { login, ...(id !== undefined ? { id } : {}), source: known?.source ?? source });
  };
  // Signed delegations and requesters are not listed here: they count only from the provenance the policy chooses
  // (a signer the repository allows), or a stranger's bundle could keep any maintainer from approving.
  const coverage = new Map(parts.binding.commits.map((c) => [c.sha, c]));
  const agentWork = facts.detection.isAgent || agentShas.size > 0;
  // An agent PR opened under a human's own account (Codex cloud, Cursor, Claude Code CLI): that human asked for it.
  const authorIsAgent = parts.agentAccounts.some((a) => a.id === pr.author.id);
  if (facts.detection.isAgent && !authorIsAgent && !pr.author.login.endsWith("[bot]")) addPrompter(pr.author.login, pr.author.id, "opened the agent's pull request");
  if (agentWork) for (const r of facts.requesters) addPrompter(r.login, r.id, r.source);

  return pullRequestInput({
    version: 1,
    kind: "pull_request",
    now: toPolicyTime(parts.now),
    config_digest: parts.configDigest,
    repository: { owner: facts.repository.owner, name: facts.repository.name, id: facts.repository.id, default_branch: facts.repository.defaultBranch },
    pull_request: {
      number: pr.number,
      title: pr.title,
      author: { login: pr.author.login, id: pr.author.id, type: pr.author.login.endsWith("[bot]") ? "Bot" : "User" },
      head_sha: pr.headSha,
      base_sha: pr.baseSha,
      base_ref: pr.baseRef,
      head_ref: pr.headRef,
      labels: [...pr.labels],
      draft: pr.draft,
      fork: pr.fork,
    },
    commits: facts.commits.map((c) => ({
      sha: c.sha,
      is_head: c.sha === pr.headSha,
      author: { ...(c.author.user ? { login: c.author.user.login, id: c.author.user.id } : {}), email: c.author.email, name: c.author.name },
      committer: { ...(c.committer.user ? { login: c.committer.user.login, id: c.committer.user.id } : {}), email: c.committer.email, name: c.committer.name },
      is_agent: commitIsAgent(c, facts),
      agent_reasons: c.detection.isAgent ? reasonText(c.detection) : facts.detection.isAgent ? reasonText(facts.detection) : [],
      trailers: trailers(c.claims),
      ...((c.detection.agent ?? facts.detection.agent) !== undefined ? { agent: c.detection.agent ?? facts.detection.agent } : {}),
      tier_agents: tierAgents(c, facts, parts),
      attestations: [...(coverage.get(c.sha)?.by ?? []).map(attestationOf), ...signed(parts, c.sha)],
      provenance: provenanceOf(c, parts),
    })),
    files: facts.files.map((f) => ({
      path: f.path,
      ...(f.previousPath ? { previous_path: f.previousPath } : {}),
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
      agent_touched: agentTouched,
      binary: f.binary === true,
      submodule: f.submodule === true,
    })),
    reviews: reviewsInput(facts.reviews),
    agent: { detected: facts.detection.isAgent || agentShas.size > 0, reasons: reasonText(facts.detection), accounts: [...parts.agentAccounts] },
    prompters: [...prompters.values()],
    completeness: facts.completeness,
    evidence_problems: facts.evidenceProblems.map((p) => ({ location: p.location, ...(p.commentId !== undefined ? { comment_id: p.commentId } : {}), ...(p.author ? { author: p.author } : {}), message: p.message })),
    ...(facts.checks ? { checks: headChecksInput(facts.checks) } : {}),
  });
}

/**
 * The submitted reviews as the policy reads them, each with its place in GitHub's order, so that a reviewer's reviews
 * of the same second (GitHub's times have whole seconds) are told apart: its database id when every review has a
 * distinct one (ids grow as reviews are made, and a reviewer has one pending review at a time, so one reviewer's ids
 * follow the order of submission), else its position in GitHub's list, which is chronological. Never the two mixed.
 */
export function reviewsInput(reviews: readonly ReviewFacts[]): Record<string, unknown>[] {
  const ids = reviews.map((r) => r.id);
  const byId = ids.every((id) => Number.isSafeInteger(id) && id > 0) && new Set(ids).size === ids.length;
  return reviews.flatMap((r, i) =>
    r.submittedAt === undefined
      ? []
      : [
          {
            user: { login: r.user.login, id: r.user.id, type: r.user.login.endsWith("[bot]") ? "Bot" : "User" },
            state: r.state,
            commit_id: r.commitId,
            submitted_at: toPolicyTime(r.submittedAt),
            order: byId ? r.id : i,
            ...(r.permission ? { permission: r.permission } : {}),
          },
        ],
  );
}

/** The head's check runs as the policy reads them, with whether the list is whole. */
function headChecksInput(c: HeadChecks): Record<string, unknown> {
  const l = c.list;
  const complete = !l.truncated && (l.reported === undefined || l.listed >= l.reported);
  return { head_sha: c.sha, complete, listed: l.listed, ...(l.reported !== undefined ? { reported: l.reported } : {}), limit: l.limit, runs: c.runs.map((r) => ({ id: r.id, name: r.name, status: r.status, conclusion: r.conclusion, app: r.app ?? null })) };
}
