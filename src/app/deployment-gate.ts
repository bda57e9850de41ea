// The deployment gate use-case (a custom deployment protection rule): delivery -> config -> artifacts ->
// attestations (verified) -> the PR gate's decision for the commit -> policy -> callback. Every path answers:
// any error, missing fact or timeout rejects with its reason; nothing approves on error (fail closed).
import { detectPullRequestAgent } from "../core/agents.js";
import { combinePrGateRecords, MAX_HEAD_RECORDS } from "../core/recorded-pr-gate.js";
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
import type { AuditRecord } from "../core/audit-record.js";
import type { GateDecision } from "../adapters/storage/recorder.js";
import { policyData, type RepoConfig } from "../config/repo-config.js";
import type { Decision } from "../core/decision.js";
import { AgentGateError, describeError, publicError } from "../core/errors.js";
import { answerComment, progressComment } from "../render/deployment-comment.js";
import { deploymentInput, toPolicyTime, type DeploymentInput } from "../core/policy-input.js";
import { artifactDigests, attestationSigners, short, verifyArtifacts } from "./deployment-artifacts.js";

export { GITHUB_ACTIONS_ISSUER, MAX_DEPLOYMENT_ARTIFACTS, MAX_DEPLOYMENT_ATTESTATIONS, artifactDigests, attestationSigners, builderId } from "./deployment-artifacts.js";

export interface DeploymentGateOptions {
  readonly verifier: BundleVerifier;
  /** The policy, evaluated on the event loop (PolicyEngine) or on worker threads (PolicyPool). */
  readonly engine: PolicyEvaluator;
  /** Where the PR gate's decisions are recorded; without it (or without a record) the check run is asked. */
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
   * Judges a pull request at a commit again now, under the current config, and records the decision in the audit log
   * (PullRequestGate.rejudge): for a recorded verdict made under another config. Without it such a verdict rejects.
   */
  readonly rejudge?: (github: GitHubFacts, at: { owner: string; repo: string; pullNumber: number; headSha: string; installationId: number }) => Promise<unknown>;
}

/** Pull requests whose verdict on one commit one deployment judges again at most (each is a whole evaluation). */
export const MAX_REJUDGED_PULLS = 5;

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
    const gate = await this.prGate(github, req, config, configDigest, signal);
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
   * agent-gate's own decision for the deployed commit: the audit log's records when it has them, else the check run.
   * GitHub is always asked which pull request was merged (or squashed) as exactly that commit: when one was, its
   * decision (on its head, with its own record among them) decides, and records on the commit itself from other pull
   * requests (a fork pull request whose head is the squash commit) only tighten it (strictestPrGate).
   */
  private async prGate(github: GitHubFacts, req: DeploymentRequest, config: RepoConfig, configDigest: string, signal: AbortSignal): Promise<PrGateFacts> {
    signal.throwIfAborted();
    const budget = { rejudges: MAX_REJUDGED_PULLS, signal };
    const merged = await github.pullMergedAs(req.owner, req.repo, req.sha).catch((err: unknown) => {
      const shown = publicError(err);
      throw new AgentGateError("PR_GATE_MERGED_PULL_UNKNOWN", `GitHub's pull requests of commit ${req.sha.slice(0, 12)} of ${req.owner}/${req.repo} could not be read (${shown.code}: ${shown.message}), so it is not known whether an agent's pull request was merged as it: the deployment is rejected`, shown.transient ? "transient" : "invalid-input", { cause: err });
    });
    signal.throwIfAborted();
    if (!merged) return this.prGateOn(github, req, req.sha, configDigest, budget);
    const facts = await this.prGateOn(github, req, merged.head.sha, configDigest, budget, merged.number);
    const pull = { user: merged.user ? { login: merged.user.login, id: merged.user.id } : null, headRef: merged.head.ref, labels: merged.labels.map((l) => l.name) };
    const mergedFacts = { ...facts, agentAuthored: facts.agentAuthored ?? isAgentPull(config, pull) };
    if (merged.head.sha === req.sha) return mergedFacts;
    const direct = await this.prGateOn(github, req, req.sha, configDigest, budget);
    if (!direct.pr_gate) return mergedFacts;
    return strictestPrGate(mergedFacts, { ...direct, agentAuthored: direct.agentAuthored ?? this.agentAuthored(config, req) });
  }

  /**
   * The decision on `sha`: every pull request whose head it is judged it, and each recorded its own decision; all of
   * their latest records are combined (recorded-pr-gate.ts), never the newest alone. Without a record, the check run
   * (the combined verdict) says the conclusion, and the prompters are unknown.
   */
  private async prGateOn(github: GitHubFacts, req: DeploymentRequest, sha: string, configDigest: string, budget: { rejudges: number; readonly signal: AbortSignal }, mergedPull?: number): Promise<PrGateFacts> {
    budget.signal.throwIfAborted();
    let records = await this.recordsOn(req, sha);
    // A verdict made under another config (or revocation list) than the current one never approves: judged again now.
    const stale = staleRecords(records, configDigest);
    if (stale.length > 0) {
      await this.rejudgeStale(github, req, sha, stale, configDigest, budget);
      records = await this.recordsOn(req, sha);
      const left = staleRecords(records, configDigest);
      if (left.length > 0) throw configStale(req, sha, left, configDigest, "its decision under the current config was not recorded");
    }
    const combined = combinePrGateRecords(records, mergedPull);
    if (combined) {
      return {
        pr_gate: { conclusion: combined.conclusion, decision_id: combined.decisionId },
        ...(combined.agentAuthored !== undefined ? { agentAuthored: combined.agentAuthored } : {}),
        prompters: combined.prompters,
        promptersKnown: combined.promptersKnown,
        evidence: combined.evidence,
        evidenceStatus: { state: combined.evidenceComplete ? "complete" : "incomplete", ...(combined.evidencePull !== undefined ? { pull_request: combined.evidencePull } : {}) },
      };
    }
    // Without a record (no audit log: the demo, `evaluate`) the check run's config is not known: its conclusion is taken.
    const runs = await github.checkRuns(req.owner, req.repo, sha, CHECK_NAME);
    const run = runs.find((r) => r.status === "completed" && (this.opts.appId === undefined || r.app?.id === this.opts.appId));
    if (!run) return { pr_gate: null, prompters: [], promptersKnown: false };
    return { pr_gate: { conclusion: run.conclusion ?? "none", ...(run.external_id ? { decision_id: run.external_id } : {}) }, prompters: [], promptersKnown: false };
  }

  /** The latest recorded decision of each pull request `sha` heads (at most MAX_HEAD_RECORDS, else rejected). */
  private async recordsOn(req: DeploymentRequest, sha: string): Promise<AuditRecord[]> {
    const subject = { repository: `${req.owner}/${req.repo}`, headSha: sha, kind: "pull_request" as const };
    const records = (await this.opts.auditLog?.onHead(subject, MAX_HEAD_RECORDS + 1)) ?? [];
    if (records.length > MAX_HEAD_RECORDS) {
      throw new AgentGateError("PR_GATE_RECORDS_TOO_MANY", `commit ${sha.slice(0, 12)} was judged as the head of more than ${MAX_HEAD_RECORDS} pull requests (each has a recorded decision); at most ${MAX_HEAD_RECORDS} are read and combined, so the deployment is rejected`);
    }
    return records;
  }

  /** Judges the pull requests of stale records again (recorded by `rejudge`), or rejects saying why it cannot. */
  private async rejudgeStale(github: GitHubFacts, req: DeploymentRequest, sha: string, stale: readonly AuditRecord[], configDigest: string, budget: { rejudges: number; readonly signal: AbortSignal }): Promise<void> {
    const rejudge = this.opts.rejudge;
    if (!rejudge) throw configStale(req, sha, stale, configDigest, "this agent-gate cannot judge a pull request again while answering a deployment");
    // The budget is the deployment's, shared by the deployed commit and the merged pull request's head.
    if (stale.length > budget.rejudges) throw configStale(req, sha, stale, configDigest, `at most ${MAX_REJUDGED_PULLS} are judged again for one deployment`);
    budget.rejudges -= stale.length;
    for (const r of stale) {
      const pullNumber = r.agent_gate.pull_request;
      if (pullNumber === null) throw configStale(req, sha, [r], configDigest, "the record names no pull request");
      budget.signal.throwIfAborted();
      try {
        await rejudge(github, { owner: req.owner, repo: req.repo, pullNumber, headSha: sha, installationId: req.installationId });
      } catch (err) {
        throw configStale(req, sha, [r], configDigest, `judging it again failed (${publicError(err).code})`, publicError(err).transient);
      }
    }
  }
}

/** The records whose decision was made under another config digest than `configDigest` (or under none known). */
export function staleRecords(records: readonly AuditRecord[], configDigest: string): AuditRecord[] {
  const latest = new Map<string, AuditRecord>();
  for (const r of records) if (!latest.has(String(r.agent_gate.pull_request))) latest.set(String(r.agent_gate.pull_request), r);
  return [...latest.values()].filter((r) => (r.input as { config_digest?: unknown } | null | undefined)?.config_digest !== configDigest);
}

function configStale(req: DeploymentRequest, sha: string, stale: readonly AuditRecord[], configDigest: string, why: string, transient = false): AgentGateError {
  const made = (r: AuditRecord): string => {
    const d = (r.input as { config_digest?: unknown } | null | undefined)?.config_digest;
    return `#${r.agent_gate.pull_request ?? "?"} (judged under ${typeof d === "string" ? short(d) : "no known config"})`;
  };
  const names = stale.slice(0, 10).map(made).join(", ") + (stale.length > 10 ? ` and ${stale.length - 10} more` : "");
  return new AgentGateError("PR_GATE_CONFIG_STALE", `the verdict on commit ${sha.slice(0, 12)} of ${req.owner}/${req.repo} of pull request ${names} was made under another config than the current ${short(configDigest)}, and ${why}: rejected until it is judged under the current config (re-run the deployment; for an open pull request, Re-evaluate its agent-gate check first)`, transient ? "transient" : "invalid-input");
}
