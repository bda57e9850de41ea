// The deployment gate use-case (a custom deployment protection rule): delivery -> config -> artifacts ->
// attestations (verified) -> the PR gate's decision for the commit -> policy -> callback. Every path answers:
// any error, missing fact or timeout rejects with its reason; nothing approves on error (fail closed).
import { detectPullRequestAgent } from "../core/agents.js";
import { combinePrGateRecords } from "../core/recorded-pr-gate.js";
import { HeadRecords, MAX_REJUDGED_PULLS, neverJudged, type Rejudge, type RejudgeBudget } from "./head-records.js";
import { agentDetectionFor } from "./evaluate-pull-request.js";
import { strictestPrGate, type PrGateFacts } from "./pr-gate-facts.js";
import { randomUUID } from "node:crypto";
import { CHECK_NAME } from "../adapters/github/check-runs.js";
import type { GitHubFacts, InstallationGitHub } from "../adapters/github/facts-port.js";
import { loadRepoConfig } from "./load-config.js";
import { DeploymentCallback, MAX_COMMENT, parseDeploymentRequest, type DeploymentRequest } from "../adapters/github/deployment-protection.js";
import { DEPLOYMENT_ENTRYPOINT } from "../adapters/opa/engine.js";
import type { PolicyEvaluator } from "../adapters/opa/pool.js";
import type { BundleVerifier } from "../adapters/sigstore/verifier.js";
import { commentWithWitness } from "../render/witness.js";
import type { AuditLog } from "../adapters/storage/audit-log.js";
import type { GateDecision } from "../adapters/storage/recorder.js";
import { policyData, type RepoConfig } from "../config/repo-config.js";
import type { Decision } from "../core/decision.js";
import { AgentGateError, describeError, publicError } from "../core/errors.js";
import { answerComment, progressComment } from "../render/deployment-comment.js";
import { deploymentInput, toPolicyTime, type DeploymentInput } from "../core/policy-input.js";
import { artifactDigests, attestationSigners, verifyArtifacts } from "./deployment-artifacts.js";

export { MAX_REJUDGED_PULLS, staleRecords } from "./head-records.js";
export { GITHUB_ACTIONS_ISSUER, MAX_DEPLOYMENT_ARTIFACTS, MAX_DEPLOYMENT_ATTESTATIONS, artifactDigests, attestationSigners, builderId } from "./deployment-artifacts.js";

export interface DeploymentGateOptions {
  readonly verifier: BundleVerifier;
  /** The policy, evaluated on the event loop (PolicyEngine) or on worker threads (PolicyPool). */
  readonly engine: PolicyEvaluator;
  /** Where the PR gate's decisions are recorded; only without it is the check run asked (no record: no decision). */
  readonly auditLog?: Pick<AuditLog, "onHead">;
  /** The plain fetch for bundle_url downloads (no token). */
  readonly bundleFetch?: typeof globalThis.fetch;
  /** The whole evaluation's deadline; past it the deployment is rejected. */
  readonly timeoutMs?: number;
  readonly now?: () => Date;
  /** The App's id: a check run named agent-gate counts only when this App wrote it. */
  readonly appId?: number;
  readonly onDecision?: (event: GateDecision) => Promise<unknown> | void;
  /** The audit log's head, read before answering: the comment's last line witnesses it (docs/audit.md). */
  readonly auditHead?: () => Promise<{ readonly seq: number; readonly hash: string }>;
  /**
   * Judges a pull request at a commit now, under the current config, and records the decision in the audit log
   * (PullRequestGate.rejudge): for a recorded verdict made under another config, and for the merged pull request
   * without a recorded decision. Without it such a verdict rejects, and such a pull request has no decision.
   */
  readonly rejudge?: Rejudge;
}

export interface DeploymentResult {
  readonly state: "approved" | "rejected";
  readonly comment: string;
  readonly decisionId: string;
  readonly input: DeploymentInput | undefined;
  readonly decision: Decision | undefined;
  /** The error's full message, for the log only: the review comment is GitHub's and shows what publicError allows. */
  readonly error?: string;
}

type EnvironmentSettings = RepoConfig["deployments"]["default"];
/** The environment's settings: deployments.environments[name] over deployments.default (as the policy merges them). */
export function environmentSettings(config: RepoConfig, name: string): EnvironmentSettings {
  // Environment names are matched as GitHub matches them: case-insensitively ("Production" is "production").
  const key = Object.keys(config.deployments.environments).find((k) => k.toLowerCase() === name.toLowerCase());
  const override = (key !== undefined ? config.deployments.environments[key] : undefined) ?? {};
  const defined = Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined));
  return { ...config.deployments.default, ...defined };
}

/**
 * A pull request is an agent's by the same detection the pull-request gate uses (accounts by login or id, branch
 * prefixes, labels; the built-in agents plus the config's). A pull request without an author counts as an agent's.
 */
export function isAgentPull(config: RepoConfig, p: { user: { login: string; id: number } | null; headRef: string; labels: readonly string[] }): boolean {
  if (p.user === null) return true;
  return detectPullRequestAgent({ author: p.user, headRef: p.headRef, labels: p.labels, bodyClaims: [], commits: [] }, agentDetectionFor(config)).isAgent;
}

export class DeploymentGate {
  private readonly now: () => Date;

  constructor(private readonly opts: DeploymentGateOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Handles one delivery. A payload without a usable callback cannot be answered and throws; everything after
   * that ends with an answer through the callback (rejected on any error).
   */
  async handle(github: InstallationGitHub, payload: unknown, ctx: { deliveryId?: string } = {}): Promise<DeploymentResult> {
    const req = parseDeploymentRequest(payload);
    const callback = new DeploymentCallback(github, req);
    const started = performance.now();
    const decisionId = randomUUID();
    let input: DeploymentInput | undefined;
    let decision: Decision | undefined;
    let data: unknown;
    let state: "approved" | "rejected" = "rejected";
    let comment: string;
    let code: string | undefined;
    let error: string | undefined;
    const failures: string[] = [];
    const timeoutMs = this.opts.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    // Aborted once the deployment is answered (at the deadline, or on an error): the evaluation stops there, and no
    // further listing, download, verification or request of it spends the installation's rate limit.
    const answered = new AbortController();
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const late = new AgentGateError("DEPLOYMENT_TIMEOUT", `agent-gate did not finish within ${Math.round(timeoutMs / 1000)} s`, "transient");
          answered.abort(late);
          reject(late);
        }, timeoutMs);
      });
      timeout.catch(() => undefined);
      // A status comment is courtesy: its failure is not the deployment's, but it may not outlast the deadline.
      await Promise.race([callback.progress(progressComment(req.sha, req.environment)).catch(() => undefined), timeout]);
      const work = this.evaluate(github, req, decisionId, failures, answered.signal);
      work.catch(() => undefined);
      ({ input, decision, data } = await Promise.race([work, timeout]));
      state = decision.allow && decision.deny.length === 0 ? "approved" : "rejected";
      comment = answerComment(state, decision.deny, state === "rejected" ? failures : [], req.environment);
    } catch (err) {
      state = "rejected";
      const shown = publicError(err);
      code = shown.code;
      error = `${code}: ${describeError(err)}`;
      comment = answerComment("rejected", [{ rule: "error", msg: `${code}: ${shown.message}` }], [], req.environment);
    } finally {
      clearTimeout(timer);
      if (!answered.signal.aborted) answered.abort(new AgentGateError("DEPLOYMENT_TIMEOUT", "the deployment was already answered", "transient"));
    }
    // The comment's last line witnesses the log's head; a head that cannot be read rejects (fail closed).
    const head = await this.opts.auditHead?.().catch((err: unknown) => {
      state = "rejected";
      code = "AUDIT_APPEND_FAILED";
      error = `${code}: the audit log's head cannot be read: ${describeError(err)}`;
      comment = answerComment("rejected", [{ rule: "error", msg: `${code}: the audit log's head cannot be read (the details are in agent-gate's log)` }], [], req.environment);
      return undefined;
    });
    comment = commentWithWitness(comment, head, MAX_COMMENT);
    // Answering must not fail silently: a failed callback propagates and the delivery is failed loudly.
    await callback.answer(state, comment);
    await this.opts.onDecision?.({
      decisionId,
      deliveryId: ctx.deliveryId,
      installationId: req.installationId,
      repository: `${req.owner}/${req.repo}`,
      deploymentId: req.deploymentId,
      environment: req.environment,
      headSha: req.sha,
      input,
      decision,
      conclusion: { conclusion: state, title: comment.split("\n")[0] ?? state, ...(code ? { code } : {}) },
      durationMs: Math.round(performance.now() - started),
      policyData: data,
    });
    return { state, comment, decisionId, input, decision, ...(error !== undefined ? { error } : {}) };
  }

  private async evaluate(github: GitHubFacts, req: DeploymentRequest, decisionId: string, failures: string[], signal: AbortSignal): Promise<{ input: DeploymentInput; decision: Decision; data: unknown }> {
    const { owner, repo } = req;
    const loaded = await loadRepoConfig(github, owner, repo);
    signal.throwIfAborted();
    const config = loaded.config;
    const configDigest = loaded.facts.digest;
    const env = environmentSettings(config, req.environment);
    const digests = artifactDigests(req.payload, env);
    const { verifier, bundleFetch } = this.opts;
    const artifacts = await verifyArtifacts({ github, owner, repo, verifier, signers: attestationSigners(env), ...(bundleFetch ? { bundleFetch } : {}), signal, failures }, digests);
    const gate = await this.prGate(github, req, config, configDigest, signal, failures);
    signal.throwIfAborted();
    const approvals = await github.deploymentApprovals(req);
    signal.throwIfAborted();
    const region = typeof req.payload.region === "string" && req.payload.region !== "" ? req.payload.region : undefined;
    const input = deploymentInput({
      version: 1,
      kind: "deployment",
      now: toPolicyTime(this.now()),
      config_digest: configDigest,
      repository: { owner, name: repo, id: req.repositoryId, default_branch: req.defaultBranch },
      environment: { name: req.environment },
      deployment: { id: req.deploymentId, sha: req.sha, ref: req.ref, ...(region ? { region } : {}) },
      artifacts,
      pr_gate: gate.pr_gate,
      approvals,
      agent_authored: gate.agentAuthored ?? this.agentAuthored(config, req),
      agent: { accounts: agentDetectionFor(config).accounts.map((a) => ({ login: a.login, id: a.id })) },
      prompters: gate.prompters,
      prompters_known: gate.promptersKnown,
      pr_evidence: gate.evidence ?? [],
      pr_evidence_status: gate.evidenceStatus ?? { state: "unknown", ...(req.pullRequests[0] ? { pull_request: req.pullRequests[0].number } : {}) },
    });
    const data = loaded.revoked ? { ...policyData(config), revoked: loaded.revoked } : policyData(config);
    const decision = await this.opts.engine.evaluate(DEPLOYMENT_ENTRYPOINT, input, { data, decisionId });
    return { input, decision, data };
  }

  /** From the payload's pull requests: agent-authored when any is by an agent account, branch or label; unknown counts as agent. */
  private agentAuthored(config: RepoConfig, req: DeploymentRequest): boolean {
    if (req.pullRequests.length === 0) return true;
    return req.pullRequests.some((p) => isAgentPull(config, p));
  }

  /**
   * agent-gate's own decision for the deployed commit: the audit log's records (the check run only without an audit
   * log). GitHub is always asked which pull request of this repository was merged (or squashed) as exactly that
   * commit: when one was, its own decision on its head decides (judged now when none is recorded), and records on the
   * commit itself from other pull requests (a fork pull request whose head is the squash commit) only tighten it.
   */
  private async prGate(github: GitHubFacts, req: DeploymentRequest, config: RepoConfig, configDigest: string, signal: AbortSignal, failures: string[]): Promise<PrGateFacts> {
    signal.throwIfAborted();
    const budget = { rejudges: MAX_REJUDGED_PULLS, signal };
    const merged = await github.pullMergedAs(req.owner, req.repo, req.sha, req.repositoryId).catch((err: unknown) => {
      const shown = publicError(err);
      throw new AgentGateError("PR_GATE_MERGED_PULL_UNKNOWN", `GitHub's pull requests of commit ${req.sha.slice(0, 12)} of ${req.owner}/${req.repo} could not be read (${shown.code}: ${shown.message}), so it is not known whether an agent's pull request was merged as it: the deployment is rejected`, shown.transient ? "transient" : "invalid-input", { cause: err });
    });
    signal.throwIfAborted();
    if (!merged) return this.prGateOn(github, req, req.sha, configDigest, budget);
    const facts = await this.prGateOn(github, req, merged.head.sha, configDigest, budget, { number: merged.number, failures });
    const pull = { user: merged.user ? { login: merged.user.login, id: merged.user.id } : null, headRef: merged.head.ref, labels: merged.labels.map((l) => l.name) };
    const mergedFacts = { ...facts, agentAuthored: facts.agentAuthored ?? isAgentPull(config, pull) };
    if (merged.head.sha === req.sha) return mergedFacts;
    const direct = await this.prGateOn(github, req, req.sha, configDigest, budget);
    if (!direct.pr_gate) return mergedFacts;
    return strictestPrGate(mergedFacts, { ...direct, agentAuthored: direct.agentAuthored ?? this.agentAuthored(config, req) });
  }

  /**
   * The decision on `sha`: every pull request whose head it is judged it, and each recorded its own decision; all of
   * their latest records are combined (recorded-pr-gate.ts), never the newest alone. `merged`: the pull request merged
   * as the deployed commit, whose own record must be among them: without one it is judged now, else there is no
   * decision (`failures` says why). With an audit log no record is no decision; without one (the demo, `evaluate`)
   * the check run (the combined verdict) says the conclusion, and the prompters are unknown.
   */
  private async prGateOn(github: GitHubFacts, req: DeploymentRequest, sha: string, configDigest: string, budget: RejudgeBudget, merged?: { number: number; failures: string[] }): Promise<PrGateFacts> {
    budget.signal.throwIfAborted();
    if (!this.opts.auditLog) return this.checkRunOn(github, req, sha);
    const records = new HeadRecords(this.opts.auditLog, req, sha, configDigest, budget, this.opts.rejudge ? { rejudge: this.opts.rejudge, github } : undefined);
    await records.read();
    if (merged && !records.judged(merged.number)) {
      const unjudged = await records.judgeNow(merged.number);
      if (unjudged !== undefined) {
        merged.failures.push(neverJudged(req, merged.number, sha, unjudged));
        return { pr_gate: null, prompters: [], promptersKnown: false };
      }
    }
    await records.refreshStale();
    const combined = combinePrGateRecords(records.all, merged?.number);
    if (!combined) return { pr_gate: null, prompters: [], promptersKnown: false };
    return {
      pr_gate: { conclusion: combined.conclusion, decision_id: combined.decisionId },
      ...(combined.agentAuthored !== undefined ? { agentAuthored: combined.agentAuthored } : {}),
      prompters: combined.prompters,
      promptersKnown: combined.promptersKnown,
      evidence: combined.evidence,
      evidenceStatus: { state: combined.evidenceComplete ? "complete" : "incomplete", ...(combined.evidencePull !== undefined ? { pull_request: combined.evidencePull } : {}) },
    };
  }

  /** Without an audit log the check run's config is not known: its conclusion is taken (written by this App). */
  private async checkRunOn(github: GitHubFacts, req: DeploymentRequest, sha: string): Promise<PrGateFacts> {
    const runs = await github.checkRuns(req.owner, req.repo, sha, CHECK_NAME);
    const run = runs.find((r) => r.status === "completed" && (this.opts.appId === undefined || r.app?.id === this.opts.appId));
    if (!run) return { pr_gate: null, prompters: [], promptersKnown: false };
    return { pr_gate: { conclusion: run.conclusion ?? "none", ...(run.external_id ? { decision_id: run.external_id } : {}) }, prompters: [], promptersKnown: false };
  }
}
