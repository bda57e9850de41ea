// The PR gate use-case: trigger -> gather -> verify -> bind -> policy input -> evaluate -> render -> check run.
// Every path ends with the check completed; any error completes it as failure with the reason (fail closed).
import { randomUUID } from "node:crypto";
import type { Octokit } from "@octokit/rest";
import { CheckRunPublisher } from "../adapters/github/check-runs.js";
import { ConfigSource, CONFIG_PATH } from "../adapters/github/config-source.js";
import { fetchPull, loadPullRequest, pullsForCommit } from "../adapters/github/pull-request-source.js";
import type { Trigger } from "../adapters/github/triggers.js";
import { PULL_REQUEST_ENTRYPOINT, type PolicyEngine } from "../adapters/opa/engine.js";
import type { BundleVerifier } from "../adapters/sigstore/verifier.js";
import { defaultRepoConfig, parseRepoConfig, policyData, type RepoConfig } from "../config/repo-config.js";
import { withConfiguredAgents } from "../core/agents.js";
import { bindProvenance } from "../core/binding.js";
import { conclude, type CheckConclusion } from "../core/conclusion.js";
import type { Decision } from "../core/decision.js";
import { AgentGateError, describeError } from "../core/errors.js";
import type { ConfigFacts, Facts } from "../core/facts.js";
import { buildPullRequestInput, commitIsAgent } from "../core/pull-request-input.js";
import type { PullRequestInput } from "../core/policy-input.js";
import type { TlogEntrySummary } from "../core/verification.js";
import { protectedPathsFromDecision, renderCheckRun, type RenderCommit, type RenderInput } from "../render/check-run.js";
import { commitsForRender } from "../render/commits.js";
import { EvidenceVerifier, trustedSigners } from "./evidence.js";
import { gatherFacts } from "./gather.js";

export interface GateResult {
  readonly pullNumber: number;
  readonly headSha: string;
  readonly conclusion: "success" | "failure";
  readonly title: string;
  readonly decisionId: string;
  readonly checkRunId: number;
}

/** What one evaluation produced, for the audit log (dry runs record nothing). */
export interface DecisionEvent {
  readonly decisionId: string;
  readonly deliveryId: string | undefined;
  readonly installationId: number;
  readonly repository: string;
  readonly pullNumber: number;
  readonly headSha: string;
  readonly input: PullRequestInput | undefined;
  readonly decision: Decision | undefined;
  readonly conclusion: CheckConclusion;
  readonly durationMs: number;
  /** The data document the policy was evaluated with (the repository's config), kept for replay. */
  readonly policyData: unknown;
}

export interface PullRequestGateOptions {
  readonly verifier: BundleVerifier;
  readonly engine: PolicyEngine;
  readonly configSource?: ConfigSource;
  readonly checkRuns?: CheckRunPublisher;
  readonly keyRing?: ReadonlyMap<string, string>;
  readonly now?: () => Date;
  readonly tlogEntryUrl?: (entry: TlogEntrySummary) => string | undefined;
  readonly onDecision?: (event: DecisionEvent) => Promise<unknown> | void;
}

export interface HandleContext {
  readonly deliveryId?: string;
  readonly pullPayload?: unknown;
  /** Evaluate and return results without writing anything to GitHub (the `evaluate` command). */
  readonly dryRun?: boolean;
}

/** Fresh head commits: no check run can exist yet unless this very delivery was seen before. */
const FRESH_HEAD_EVENTS = new Set(["pull_request.opened", "pull_request.synchronize"]);

export interface Evaluation {
  readonly facts: Facts | undefined;
  readonly input: PullRequestInput | undefined;
  readonly decision: Decision | undefined;
  readonly conclusion: CheckConclusion;
  readonly output: ReturnType<typeof renderCheckRun>;
  readonly decisionId: string;
  readonly durationMs: number;
  readonly policyData: unknown;
}

export class PullRequestGate {
  private readonly configSource: ConfigSource;
  readonly checkRuns: CheckRunPublisher;
  private readonly evidence: EvidenceVerifier;
  private readonly now: () => Date;
  private readonly keyRing: ReadonlyMap<string, string>;
  /** Evaluations of one head commit run one after another, so the last one started is the last one written. */
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly seenDeliveries = new Set<string>();

  constructor(private readonly opts: PullRequestGateOptions) {
    this.configSource = opts.configSource ?? new ConfigSource();
    this.checkRuns = opts.checkRuns ?? new CheckRunPublisher();
    this.evidence = new EvidenceVerifier(opts.verifier);
    this.now = opts.now ?? (() => new Date());
    this.keyRing = opts.keyRing ?? new Map();
  }

  async handle(octokit: Octokit, trigger: Trigger, ctx: HandleContext = {}): Promise<GateResult[]> {
    const redelivered = ctx.deliveryId !== undefined && this.seenDeliveries.has(ctx.deliveryId);
    if (ctx.deliveryId) this.remember(ctx.deliveryId);
    let numbers = [...trigger.pullNumbers];
    if (numbers.length === 0 && trigger.headSha) numbers = await pullsForCommit(octokit, trigger.owner, trigger.repo, trigger.headSha);
    const results: GateResult[] = [];
    for (const n of numbers) {
      const payload = (ctx.pullPayload as { number?: number } | undefined)?.number === n ? ctx.pullPayload : await fetchPull(octokit, trigger.owner, trigger.repo, n);
      const headSha = trigger.kind === "merge_group" ? undefined : (trigger.headSha ?? (payload as { head: { sha: string } }).head.sha);
      const sha = headSha ?? (payload as { head: { sha: string } }).head.sha;
      const lookup = redelivered || !FRESH_HEAD_EVENTS.has(trigger.event);
      results.push(await this.inLane(`${trigger.owner}/${trigger.repo}@${sha}`, () => this.evaluateAndPublish(octokit, trigger, payload, sha, { lookup, ...ctx })));
    }
    if (trigger.kind === "merge_group") results.push(await this.publishMergeGroup(octokit, trigger, results));
    return results;
  }

  private remember(id: string): void {
    if (this.seenDeliveries.size > 10_000) this.seenDeliveries.clear();
    this.seenDeliveries.add(id);
  }

  private async inLane<T>(key: string, work: () => Promise<T>): Promise<T> {
    const prev = this.lanes.get(key) ?? Promise.resolve();
    const next = prev.then(work, work);
    this.lanes.set(key, next);
    try {
      return await next;
    } finally {
      if (this.lanes.get(key) === next) this.lanes.delete(key);
    }
  }

  private async evaluateAndPublish(octokit: Octokit, trigger: Trigger, payload: unknown, headSha: string, ctx: HandleContext & { lookup: boolean }): Promise<GateResult> {
    const pullNumber = (payload as { number: number }).number;
    const existingId = trigger.kind === "pull_request" ? trigger.checkRunId : undefined;
    const checkRunId = ctx.dryRun ? 0 : await this.checkRuns.start(octokit, trigger.owner, trigger.repo, headSha, { ...(existingId !== undefined ? { existingId } : {}), lookup: ctx.lookup });
    const evaluation = await this.evaluate(octokit, trigger.owner, trigger.repo, payload, headSha);
    if (!ctx.dryRun) {
      // Publishing must not fail silently: if it throws, the error propagates and the delivery is failed loudly.
      await this.checkRuns.complete(octokit, trigger.owner, trigger.repo, checkRunId, { ...evaluation.output, externalId: evaluation.decisionId });
      await this.opts.onDecision?.({
        decisionId: evaluation.decisionId,
        deliveryId: ctx.deliveryId,
        installationId: trigger.installationId,
        repository: `${trigger.owner}/${trigger.repo}`,
        pullNumber,
        headSha,
        input: evaluation.input,
        decision: evaluation.decision,
        conclusion: evaluation.conclusion,
        durationMs: evaluation.durationMs,
        policyData: evaluation.policyData,
      });
    }
    return { pullNumber, headSha, conclusion: evaluation.output.conclusion, title: evaluation.output.title, decisionId: evaluation.decisionId, checkRunId };
  }

  /** Gathers and decides for one PR head; never throws: errors become a failing, explained evaluation. */
  async evaluate(octokit: Octokit, owner: string, repo: string, payload: unknown, headSha: string): Promise<Evaluation> {
    const started = performance.now();
    const decisionId = randomUUID();
    let facts: Facts | undefined;
    let input: PullRequestInput | undefined;
    let decision: Decision | undefined;
    let commits: RenderCommit[] = [];
    let binding: ReturnType<typeof bindProvenance> | undefined;
    let data: unknown;
    let conclusion: CheckConclusion;
    let error: RenderInput["error"];
    try {
      const configText = await this.configSource.load(octokit, owner, repo);
      let config: RepoConfig = defaultRepoConfig();
      let configFacts: ConfigFacts = { source: "default", path: CONFIG_PATH, digest: `sha256:${"0".repeat(64)}` };
      if (configText) {
        const parsed = parseRepoConfig(configText.text, configText.source);
        if (!parsed.ok) throw new AgentGateError("CONFIG_INVALID", `${parsed.messages[0] ?? `${configText.source} is invalid`}${parsed.messages.length > 1 ? ` (+${parsed.messages.length - 1} more)` : ""}`, "invalid-input", { details: parsed.messages });
        config = parsed.config;
        configFacts = { source: configText.source.startsWith(`${owner}/.github:`) && repo !== ".github" ? "organization" : "repository", path: CONFIG_PATH, digest: configText.digest };
      }
      const snapshot = await loadPullRequest(octokit, owner, repo, payload);
      const head = snapshot.commits.at(-1)?.sha;
      if (head !== headSha) {
        throw new AgentGateError("HEAD_MOVED", `the pull request's head moved from ${headSha.slice(0, 7)} to ${head?.slice(0, 7) ?? "nothing"} while this commit was evaluated; the new head is evaluated on its own`, "transient");
      }
      const agents = withConfiguredAgents({
        accounts: config.agents.accounts.map((a) => ({ ...a, agent: "configured" })),
        emails: config.agents.co_author_emails.map((email) => ({ email, agent: "configured" })),
        branchPrefixes: config.agents.branch_prefixes.map((prefix) => ({ prefix, agent: "configured" })),
        labels: config.agents.labels.map((name) => ({ name, agent: "configured" })),
      });
      const gathered = gatherFacts(snapshot, configFacts, agents, this.now());
      facts = gathered.facts;
      const { signers, problems } = trustedSigners(config, `${owner}/${repo}`, this.keyRing);
      if (problems.length > 0) throw new AgentGateError("CONFIG_INVALID", problems.join("; "));
      const evidence = this.evidence.verifyAll(facts.bundles, signers);
      const f = facts;
      binding = bindProvenance({ repository: f.repository, commits: f.commits.map((c) => ({ sha: c.sha, treeSha: c.treeSha, expectsProvenance: commitIsAgent(c, f) })), bundles: evidence.verified });
      input = buildPullRequestInput({ facts, binding, failed: evidence.failed, configDigest: configFacts.digest, agentAccounts: config.agents.accounts, now: this.now() });
      data = policyData(config);
      decision = this.opts.engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data, decisionId });
      if (facts.incomplete.commits || facts.incomplete.files) {
        const what = [facts.incomplete.commits && "commits", facts.incomplete.files && "files"].filter(Boolean).join(" and ");
        decision = { ...decision, allow: false, deny: [...decision.deny, { msg: `GitHub listed only part of this pull request's ${what}; agent-gate cannot judge what it cannot see`, rule: "completeness", remediation: "split the pull request into smaller ones" }] };
      }
      conclusion = conclude({ kind: "decision", decision });
      commits = commitsForRender(f.commits, binding, (c) => commitIsAgent(c, f));
    } catch (err) {
      conclusion = conclude({ kind: "error", error: err });
      error = err instanceof AgentGateError
        ? { code: err.code, message: err.message, details: err.details, transient: err.kind === "transient" }
        : { code: "INTERNAL_ERROR", message: `internal error: ${describeError(err)}` };
    }
    const durationMs = Math.round(performance.now() - started);
    const output = renderCheckRun({
      conclusion,
      ...(error ? { error } : {}),
      ...(decision ? { decision } : {}),
      commits,
      ...(binding ? { bundles: binding.bundles } : {}),
      ...(decision ? { protectedPaths: protectedPathsFromDecision(decision) } : {}),
      durationMs,
      ...(this.opts.tlogEntryUrl ? { tlogEntryUrl: this.opts.tlogEntryUrl } : {}),
    });
    return { facts, input, decision, conclusion, output, decisionId, durationMs, policyData: data };
  }

  /** Merge queues: the group commit passes only when every queued pull request's head passed. */
  private async publishMergeGroup(octokit: Octokit, trigger: Extract<Trigger, { kind: "merge_group" }>, prs: GateResult[]): Promise<GateResult> {
    const failed = prs.filter((r) => r.conclusion !== "success");
    const ok = prs.length > 0 && failed.length === 0;
    const decisionId = randomUUID();
    const title = prs.length === 0 ? "Blocked: the merge group names no pull request agent-gate can evaluate" : ok ? `Mergeable: all ${prs.length} queued pull requests passed` : `Blocked: ${failed.map((f) => `#${f.pullNumber}`).join(", ")} did not pass`;
    const summary = prs.map((r) => `- #${r.pullNumber} at \`${r.headSha.slice(0, 7)}\`: ${r.conclusion}`).join("\n") || "No pull request found in the merge group's ref.";
    const id = await this.checkRuns.start(octokit, trigger.owner, trigger.repo, trigger.headSha, { lookup: true });
    await this.checkRuns.complete(octokit, trigger.owner, trigger.repo, id, { conclusion: ok ? "success" : "failure", title, summary, text: "", annotations: [], annotationBatches: [], actions: [], externalId: decisionId });
    return { pullNumber: 0, headSha: trigger.headSha, conclusion: ok ? "success" : "failure", title, decisionId, checkRunId: id };
  }
}
