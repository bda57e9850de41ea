// The evaluation of one pull request as a pipeline of values: facts (gathered from a snapshot) and verified evidence
// in, a decision out, rendered as the check run it would be. No GitHub, no clock: the gate around it reads GitHub,
// verifies, and publishes; the policy is a port (on the event loop or on worker threads).
//
//   snapshot ──factsOf──► Facts ──(verify: EvidenceVerifier)──► Evidence
//   Facts + Evidence ──provenance signals, binding──► PolicyInput ──policy──► Decision ──render──► Evaluation
import type { PullRequestSnapshot } from "../adapters/github/pull-request-source.js";
import { fromGitHubError } from "../adapters/github/errors.js";
import { filePages, unboundPage } from "../adapters/github/files-binding.js";
import { LruCache } from "../adapters/lru.js";
import { PULL_REQUEST_ENTRYPOINT } from "../adapters/opa/engine.js";
import type { PolicyEvaluator } from "../adapters/opa/pool.js";
import { policyData, type RepoConfig } from "../config/repo-config.js";
import { deepFreeze, isDeepFrozen } from "../core/freeze.js";
import { withConfiguredAgents, type AgentDetectionConfig } from "../core/agents.js";
import { bindProvenance, type BindingResult } from "../core/binding.js";
import { conclude, type CheckConclusion } from "../core/conclusion.js";
import { configChangeInput, type ConfigChangeReport } from "../core/config-change.js";
import type { Decision } from "../core/decision.js";
import { AgentGateError, describeError, publicError } from "../core/errors.js";
import type { Facts } from "../core/facts.js";
import { withProvenanceSignals } from "../core/provenance-signals.js";
import { buildPullRequestInput, commitIsAgent } from "../core/pull-request-input.js";
import type { PullRequestInput } from "../core/policy-input.js";
import type { TlogEntrySummary } from "../core/verification.js";
import { protectedPathsFromDecision, renderCheckRun, type RenderCommit, type RenderInput } from "../render/check-run.js";
import { commitsForRender } from "../render/commits.js";
import { claimedCommits, type Evidence } from "./evidence.js";
import type { Evaluation, StageObserver } from "./gate-types.js";
import { factsFromSnapshot } from "./snapshot-facts.js";
import type { LoadedConfig } from "./load-config.js";

/** What one pull request's evaluation decided, with what it was decided from. */
export interface Decided {
  readonly facts: Facts;
  readonly input: PullRequestInput;
  readonly decision: Decision;
  readonly binding: BindingResult;
  readonly data: unknown;
  readonly configDigest: string;
  readonly configFiles: readonly string[];
  readonly commits: RenderCommit[];
  /** The config files the pull request changes, validated, with the impact analysis (information). */
  readonly configChange?: ConfigChangeReport;
}

/** Agent detection for a repository: the built-in agents, plus what its config adds (never fewer). */
export function agentDetectionFor(config: RepoConfig): AgentDetectionConfig {
  return withConfiguredAgents({
    accounts: config.agents.accounts.map((a) => ({ ...a, agent: "configured" })),
    emails: config.agents.co_author_emails.map((email) => ({ email, agent: "configured" })),
    branchPrefixes: config.agents.branch_prefixes.map((prefix) => ({ prefix, agent: "configured" })),
    labels: config.agents.labels.map((name) => ({ name, agent: "configured" })),
  });
}

/** The facts of a snapshot, with the repository's agent detection. */
export function factsOf(snapshot: PullRequestSnapshot, loaded: LoadedConfig, now: Date): Facts {
  return factsFromSnapshot(snapshot, loaded.facts, agentDetectionFor(loaded.config), now);
}

/** Commits whose own verified signature covers agent trailers, with the agent (or model) they name. */
function signedAgentCommits(evidence: Evidence): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of evidence.commitSignatures ?? []) {
    if (!s.ok || s.attestation.tier !== "signed-commit") continue;
    const named = s.attestation.agent?.name ?? s.attestation.model?.id;
    if (named !== undefined) out.set(s.sha, named);
  }
  return out;
}

/**
 * The head the evaluation is bound to must be the pull request's head, or the verdict would be for another commit:
 * the last of its commits, and the commit every changed file was read at. The files come from a read of their own
 * (REST serves the pull request's head as it is then), so a push between the reads would judge this commit by
 * another's diff. A removed file is not bound: GitHub may name the commit it was removed from (the base side); a read
 * holding only removed files is bound by GitHub's comparison of the base with the head (`filesCompared`).
 */
export function checkHead(snapshot: PullRequestSnapshot, headSha: string): void {
  const head = snapshot.commits.at(-1)?.sha;
  // Past GitHub's 250 commits the head is never listed: the policy denies "too many commits", nothing moved.
  if (head !== headSha && !snapshot.truncated.includes("commits")) {
    // Moved on (this commit is in the list, no longer last): final, the new head is judged on its own. Not in the
    // list at all: GitHub's list lags behind the event, and a retry will see it.
    const movedOn = snapshot.commits.some((c) => c.sha === headSha);
    throw new AgentGateError("HEAD_MOVED", `the pull request's head moved from ${headSha.slice(0, 7)} to ${head?.slice(0, 7) ?? "nothing"} while this commit was evaluated; the new head is evaluated on its own`, movedOn ? "invalid-input" : "transient");
  }
  const other = snapshot.files.find((f) => f.readAt !== headSha && f.status !== "removed");
  // Transient: a retry reads the commits again, and finds the head moved on (final) or the files caught up.
  if (other) throw new AgentGateError("HEAD_MOVED", `the pull request's head moved from ${headSha.slice(0, 7)} to ${other.readAt.slice(0, 7)} while this commit was evaluated (its changed file ${JSON.stringify(other.filename)} was listed at ${other.readAt.slice(0, 7)}); the new head is evaluated on its own`, "transient");
  // Each read (page) of the list is bound by an entry naming the head, or, holding only removed files (or none), by
  // GitHub's comparison of the base with exactly this head listing the same files (files-binding.ts). Never by nothing.
  const unbound = filePages(snapshot.files, snapshot.filePages).find((page) => unboundPage(page, headSha));
  if (unbound && snapshot.filesCompared !== headSha) {
    const compared = snapshot.filesCompared ? `GitHub's comparison confirmed them for ${snapshot.filesCompared.slice(0, 7)}, not this commit` : "no comparison with the base confirmed them";
    throw new AgentGateError("HEAD_MOVED", `the pull request's changed files were listed without naming its head ${headSha.slice(0, 7)} (${unbound.length === 0 ? "no files" : "only removed files"}), and ${compared}; the head may have moved while this commit was evaluated`, "transient");
  }
}

/** Files named like agent-gate configs anywhere: a base another repository extends may live in this one. */
export const CONFIG_LIKE = ["**/agent-gate*.yml", "**/agent-gate*.yaml", "agent-gate*.yml", "agent-gate*.yaml"];

// The data of a deep-frozen config (load-config shares one per chain reading) is built once per repository's chain
// and revocation list and kept deep-frozen: the same object each event, so the policy pool serialises it and the
// audit log hashes it once. Keyed by the config object itself, then by everything else the data is made of (the
// extra protected paths, which carry the repository's part, and the revocation list's content); a config that is
// not deep-frozen could change under its entry, so its data is built afresh. Bounded per config, in count and size.
const dataOfConfig = new WeakMap<RepoConfig, LruCache<string, object>>();
const DATA_PER_CONFIG = 16;
const DATA_KEY_BYTES = 256 * 1024;

/**
 * The policy's data: the config, with every file of its chain that lives in this repository (and config-like files
 * anywhere) protected like .github/agent-gate.yml, so an agent cannot weaken a base it extends.
 */
export function gatePolicyData(loaded: LoadedConfig, repository: string): unknown {
  const { config, revoked } = loaded;
  const prefix = `${repository.toLowerCase()}:`;
  const chain = loaded.files.filter((f) => f.toLowerCase().startsWith(prefix)).map((f) => f.slice(prefix.length).replace(/ \(default branch\)$/, ""));
  const pp = config.rules.protected_paths;
  const listed = new Set(pp.paths.map((p) => (typeof p === "string" ? p : p.pattern)));
  const extra = [...chain, ...CONFIG_LIKE].filter((p) => !listed.has(p) && (listed.add(p), true));
  const build = (r: typeof revoked): object => {
    const data = policyData({ ...config, rules: { ...config.rules, protected_paths: { ...pp, paths: [...pp.paths, ...extra] } } });
    // The organisation's revocation list: data of its own, never subject to the repository's rule modes.
    return r ? { ...data, revoked: r } : data;
  };
  if (!isDeepFrozen(config)) return build(revoked);
  const key = JSON.stringify([extra, revoked ?? null]);
  let entries = dataOfConfig.get(config);
  if (!entries) dataOfConfig.set(config, (entries = new LruCache<string, object>(DATA_PER_CONFIG, DATA_KEY_BYTES)));
  const known = entries.get(key);
  if (known) return known;
  // A copy of the list: freezing the caller's own object would be a side effect.
  const data = deepFreeze(build(revoked ? structuredClone(revoked) : undefined));
  entries.set(key, data, key.length);
  return data;
}

export interface PipelineOptions {
  readonly now: Date;
  readonly decisionId: string;
  readonly observe?: StageObserver;
  readonly configChange?: ConfigChangeReport;
}

/** Facts and verified evidence in, a decision out. */
export async function evaluatePullRequest(gathered: Facts, loaded: LoadedConfig, evidence: Evidence, policy: PolicyEvaluator, opts: PipelineOptions): Promise<Decided> {
  const repository = `${gathered.repository.owner}/${gathered.repository.name}`;
  // Verified agent provenance is itself an agent signal, and so is a block in the PR body that claims a commit
  // (unverified: it can only tighten). Bound once to find the signals, then again with them.
  const bind = (f: Facts, bundles = evidence.verified): BindingResult => bindProvenance({ repository: f.repository, commits: f.commits.map((c) => ({ sha: c.sha, treeSha: c.treeSha, expectsProvenance: commitIsAgent(c, f) })), bundles });
  const claimed = new Set(gathered.bundles.filter((b) => b.location.kind === "pr-body").flatMap((b) => claimedCommits(b.json)));
  // A stranger's bundle (verified for any identity) may cover a commit, never make one an agent's.
  const strangers = evidence.fromStrangers;
  const facts = withProvenanceSignals(gathered, bind(gathered, strangers?.size ? evidence.verified.filter((b) => !strangers.has(b.bundleDigest)) : evidence.verified), claimed, signedAgentCommits(evidence));
  const binding = bind(facts);
  const agentAccounts = agentDetectionFor(loaded.config).accounts.map((a) => ({ login: a.login, id: a.id }));
  const built = buildPullRequestInput({ facts, binding, failed: evidence.failed, configDigest: loaded.facts.digest, agentAccounts, now: opts.now, ...(evidence.commitSignatures ? { commitSignatures: evidence.commitSignatures } : {}) });
  // A config change's validity is a fact the policy may judge (require_valid_config_changes); its files never are the config.
  const input: PullRequestInput = opts.configChange ? { ...built, config_change: configChangeInput(opts.configChange) } : built;
  const data = gatePolicyData(loaded, repository);
  const tp = performance.now();
  const decision = await policy.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data, decisionId: opts.decisionId });
  opts.observe?.policy?.((performance.now() - tp) / 1000);
  return { facts, input, decision, binding, data, configDigest: loaded.facts.digest, configFiles: loaded.files, commits: commitsForRender(facts.commits, binding, (c) => commitIsAgent(c, facts), evidence.commitSignatures), ...(opts.configChange ? { configChange: opts.configChange } : {}) };
}

/** A decision, or the error that stopped it, as the check run a reviewer reads; an error is always a failure. */
export function explain(outcome: { decided: Decided } | { error: unknown }, decisionId: string, durationMs: number, tlogEntryUrl?: (entry: TlogEntrySummary) => string | undefined): Evaluation {
  const decided = "decided" in outcome ? outcome.decided : undefined;
  let conclusion: CheckConclusion;
  let error: RenderInput["error"];
  let logged: string | undefined;
  if ("decided" in outcome) conclusion = conclude({ kind: "decision", decision: outcome.decided.decision });
  else {
    const err = fromGitHubError(outcome.error) ?? outcome.error;
    conclusion = conclude({ kind: "error", error: err });
    const shown = publicError(err); // the check run is GitHub's: a withheld message goes to the log only (logged)
    error = { code: shown.code, message: shown.message, details: shown.details, transient: shown.transient };
    logged = `${shown.code}: ${describeError(outcome.error)}`;
  }
  const decision = decided?.decision;
  const output = renderCheckRun({
    conclusion,
    ...(error ? { error } : {}),
    ...(decision ? { decision, protectedPaths: protectedPathsFromDecision(decision) } : {}),
    commits: decided?.commits ?? [],
    ...(decided ? { bundles: decided.binding.bundles, detection: decided.facts.detection, bodyClaims: decided.facts.pullRequest.bodyClaims } : {}),
    ...(decided?.configChange ? { configChange: decided.configChange } : {}),
    durationMs,
    ...(tlogEntryUrl ? { tlogEntryUrl } : {}),
  });
  return { facts: decided?.facts, input: decided?.input, decision, conclusion, output, decisionId, durationMs, policyData: decided?.data, configDigest: decided?.configDigest, ...(decided ? { configFiles: decided.configFiles } : {}), transient: error?.transient === true, ...(logged !== undefined ? { error: logged } : {}) };
}
