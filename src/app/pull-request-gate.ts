// The PR gate use-case: trigger -> gather -> verify -> bind -> policy input -> evaluate -> render -> check run.
// Every path ends with the check completed; any error completes it as failure with the reason (fail closed).
import { randomUUID } from "node:crypto";
import type { Octokit } from "@octokit/rest";
import { CheckRunPublisher } from "../adapters/github/check-runs.js";
import { ConfigSource } from "../adapters/github/config-source.js";
import { loadRepoConfig, type LoadedConfig } from "./load-config.js";
import { evaluationKey, MemoryGateStore, type GateStore } from "../adapters/storage/gate-store.js";
import { fetchPull, loadPullRequest, PermissionCache, permissionOf, pullsForCommit, type PullRequestSnapshot } from "../adapters/github/pull-request-source.js";
import type { Trigger } from "../adapters/github/triggers.js";
import { fromGitHubError } from "../adapters/github/errors.js";
import { PULL_REQUEST_ENTRYPOINT } from "../adapters/opa/engine.js";
import type { PolicyEvaluator } from "../adapters/opa/pool.js";
import type { BundleVerifier } from "../adapters/sigstore/verifier.js";
import { policyData, type RepoConfig } from "../config/repo-config.js";
import { withConfiguredAgents } from "../core/agents.js";
import { bindProvenance, type BindingResult } from "../core/binding.js";
import { conclude, type CheckConclusion } from "../core/conclusion.js";
import type { Decision } from "../core/decision.js";
import { AgentGateError, describeError } from "../core/errors.js";
import type { Facts } from "../core/facts.js";
import { buildPullRequestInput, commitIsAgent } from "../core/pull-request-input.js";
import type { PullRequestInput } from "../core/policy-input.js";
import type { TlogEntrySummary } from "../core/verification.js";

/** What one pull request's evaluation decided, with what it was decided from. */
interface Decided {
  readonly facts: Facts;
  readonly input: PullRequestInput;
  readonly decision: Decision;
  readonly binding: BindingResult;
  readonly data: unknown;
  readonly configDigest: string;
  readonly commits: RenderCommit[];
}

/**
 * Paths in this repository that hold a file of its config chain: protected like .github/agent-gate.yml, so an
 * agent cannot weaken a base it extends. In the organisation's `.github` repository, its own config is the chain.
 */
function configPathsIn(loaded: LoadedConfig, repository: string): string[] {
  const prefix = `${repository.toLowerCase()}:`;
  return loaded.files.filter((f) => f.toLowerCase().startsWith(prefix)).map((f) => f.slice(prefix.length).replace(/ \(default branch\)$/, ""));
}

/** Files named like agent-gate configs anywhere: a base another repository extends may live in this one. */
const CONFIG_LIKE = ["**/agent-gate*.yml", "**/agent-gate*.yaml", "agent-gate*.yml", "agent-gate*.yaml"];

/** The policy's data: the config, with every file of the config chain (and config-like files) protected. */
function gatePolicyData(config: RepoConfig, configPaths: readonly string[]): unknown {
  const pp = config.rules.protected_paths;
  const listed = new Set(pp.paths.map((p) => (typeof p === "string" ? p : p.pattern)));
  const extra = [...configPaths, ...CONFIG_LIKE].filter((p) => !listed.has(p) && (listed.add(p), true));
  return policyData({ ...config, rules: { ...config.rules, protected_paths: { ...pp, paths: [...pp.paths, ...extra] } } });
}
import { protectedPathsFromDecision, renderCheckRun, type RenderCommit, type RenderInput } from "../render/check-run.js";
import { commitsForRender } from "../render/commits.js";
import { sharedHeadSection } from "../render/shared-head.js";
import { withProvenanceSignals } from "../core/provenance-signals.js";
import { claimedCommits, EvidenceVerifier, trustedSigners } from "./evidence.js";
import { gatherFacts } from "./gather.js";
import { combineHeadVerdicts, type HeadPull } from "./shared-head.js";

export interface GateResult {
  readonly pullNumber: number;
  readonly headSha: string;
  readonly conclusion: "success" | "failure";
  readonly title: string;
  readonly decisionId: string;
  readonly checkRunId: number;
  /**
   * evaluated: the check run was written; duplicate: this very evaluation (same idempotency key) had already
   * completed, nothing was written; superseded: the check already shows the result of a newer trigger.
   */
  readonly outcome: "evaluated" | "duplicate" | "superseded";
  /** Completed as "could not be evaluated" (GitHub failing, head still moving): the caller re-queues the work. */
  readonly transient: boolean;
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
  /** The policy, evaluated on the event loop (PolicyEngine) or on worker threads (PolicyPool). */
  readonly engine: PolicyEvaluator;
  readonly configSource?: ConfigSource;
  readonly checkRuns?: CheckRunPublisher;
  readonly keyRing?: ReadonlyMap<string, string>;
  readonly now?: () => Date;
  readonly tlogEntryUrl?: (entry: TlogEntrySummary) => string | undefined;
  readonly onDecision?: (event: DecisionEvent) => Promise<unknown> | void;
  /** Durable check-run ids, idempotency and ordering; default: in memory (one process that keeps nothing). */
  readonly store?: GateStore;
  /** Latencies of the two CPU-bound stages, in seconds (metrics). */
  readonly observe?: { verification?(seconds: number, outcome: "verified" | "some-failed" | "none"): void; policy?(seconds: number): void };
}

export interface HandleContext {
  readonly deliveryId?: string;
  readonly pullPayload?: unknown;
  /** Evaluate and return results without writing anything to GitHub (the `evaluate` command). */
  readonly dryRun?: boolean;
  /** When the trigger was received: an evaluation for an older trigger never overwrites a newer result. */
  readonly receivedAt?: Date;
  /** The trigger's identity in the idempotency key when there is no delivery (reconciliation sweeps). */
  readonly triggerId?: string;
  /** This work was seen before (a redelivery, a retried job): look the check run up before creating one. */
  readonly redelivered?: boolean;
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
  readonly configDigest: string | undefined;
  readonly transient: boolean;
}

export class PullRequestGate {
  private readonly configSource: ConfigSource;
  readonly checkRuns: CheckRunPublisher;
  private readonly evidence: EvidenceVerifier;
  private readonly now: () => Date;
  private readonly keyRing: ReadonlyMap<string, string>;
  private readonly store: GateStore;
  /** Reviewers' repository permissions, for a minute: repeated events on a repository cost no lookups. */
  private readonly permissions = new PermissionCache();

  constructor(private readonly opts: PullRequestGateOptions) {
    this.configSource = opts.configSource ?? new ConfigSource();
    this.checkRuns = opts.checkRuns ?? new CheckRunPublisher();
    this.evidence = new EvidenceVerifier(opts.verifier);
    this.now = opts.now ?? (() => new Date());
    this.keyRing = opts.keyRing ?? new Map();
    this.store = opts.store ?? new MemoryGateStore();
  }

  async handle(octokit: Octokit, trigger: Trigger, ctx: HandleContext = {}): Promise<GateResult[]> {
    // The store remembers every check run this deployment made; GitHub is asked only for work seen before (a
    // retried job may have created the run and died before remembering it) and for heads that are not new.
    const redelivered = ctx.redelivered === true;
    let numbers = [...trigger.pullNumbers];
    if (numbers.length === 0 && trigger.headSha) numbers = await pullsForCommit(octokit, trigger.owner, trigger.repo, trigger.headSha);
    const results: GateResult[] = [];
    const judged = new Set<string>();
    for (const n of numbers) {
      // Facts are read from GitHub now, never taken from the delivery: a late or out-of-order delivery carries a
      // stale title, body, labels, draft state and head.
      const payload = await fetchPull(octokit, trigger.owner, trigger.repo, n);
      // A merge group's commit is not a PR head: each queued PR is judged at its own head.
      const sha = (trigger.kind === "merge_group" ? undefined : trigger.headSha) ?? (payload as { head: { sha: string } }).head.sha;
      if (judged.has(sha)) continue; // already judged with every pull request it heads
      judged.add(sha);
      const lookup = redelivered || !FRESH_HEAD_EVENTS.has(trigger.event);
      // Evaluations of one head commit run one after another in every process, so the last one started is the
      // last one written, and two processes never both create its check run.
      results.push(...(await this.store.withHead(`${trigger.owner}/${trigger.repo}`, sha, () => this.evaluateAndPublish(octokit, trigger, payload, sha, { lookup, ...ctx }))));
    }
    if (trigger.kind === "merge_group") results.push(await this.publishMergeGroup(octokit, trigger, results));
    return results;
  }

  /** The triggering pull request first, then every other open one whose head is `headSha`, each read fresh. */
  private async pullsSharingHead(octokit: Octokit, owner: string, repo: string, primary: unknown, headSha: string): Promise<unknown[]> {
    const first = (primary as { number: number }).number;
    const others = (await pullsForCommit(octokit, owner, repo, headSha)).filter((n) => n !== first);
    const more = await Promise.all(others.map((n) => fetchPull(octokit, owner, repo, n)));
    return [primary, ...more.filter((p) => (p as { head: { sha: string } }).head.sha === headSha)];
  }

  /**
   * Standing: opened by someone with write access, or by an App from this repository (an App opens pull requests only
   * where it is installed). A branch here is not enough: members who may only read can open a pull request from any
   * branch of the repository.
   */
  private async standing(octokit: Octokit, owner: string, repo: string, payload: unknown): Promise<{ standing: boolean; fork: boolean; author: string }> {
    const p = payload as { user: { login: string; id: number; type: string }; head: { repo: { full_name: string } | null }; base: { repo: { full_name: string } } };
    const fork = (p.head.repo?.full_name ?? "").toLowerCase() !== p.base.repo.full_name.toLowerCase();
    if (!fork && p.user.type === "Bot") return { standing: true, fork, author: p.user.login };
    // Unknown standing counts as standing: its verdict then counts too, which can only add failures.
    const permission = await permissionOf(octokit, owner, repo, p.user, this.permissions).catch(() => "write" as const);
    return { standing: permission === "admin" || permission === "write", fork, author: p.user.login };
  }

  private async evaluateAndPublish(octokit: Octokit, trigger: Trigger, payload: unknown, headSha: string, ctx: HandleContext & { lookup: boolean }): Promise<GateResult[]> {
    const pullNumber = (payload as { number: number }).number;
    const repository = `${trigger.owner}/${trigger.repo}`;
    const receivedAt = ctx.receivedAt ?? new Date();
    // The config first: its digest is part of the idempotency key, checked before anything is written.
    const config = await this.loadConfig(octokit, trigger.owner, trigger.repo).catch((err: unknown) => ({ error: err }));
    const triggerName = ctx.deliveryId ?? ctx.triggerId ?? randomUUID();
    const key = evaluationKey({
      repository,
      headSha,
      trigger: triggerName,
      configDigest: "error" in config ? "unavailable" : config.facts.digest,
      policyDigest: this.opts.engine.policy.digest,
    });
    // Every open pull request this commit heads: one check run shows on all of them.
    const pulls = await this.pullsSharingHead(octokit, trigger.owner, trigger.repo, payload, headSha).catch((err: unknown) => ({ error: err }));
    const payloads = "error" in pulls ? [payload] : pulls;
    const snapshots = await Promise.all(payloads.map((p) => loadPullRequest(octokit, trigger.owner, trigger.repo, p, { permissions: this.permissions }).catch((err: unknown) => ({ error: err }))));
    if (!ctx.dryRun) {
      const done = await this.store.evaluation(key);
      const run = await this.store.checkRun(repository, headSha);
      if (done && !done.transient) {
        const conclusion = passOrFail(done.conclusion === "superseded" ? run?.lastConclusion : done.conclusion);
        return [{ pullNumber, headSha, conclusion, title: "already evaluated", decisionId: done.decisionId, checkRunId: run?.id ?? 0, outcome: "duplicate", transient: false }];
      }
      const snapshot = snapshots[0]!;
      const movedOn = trigger.kind === "pull_request" && !("error" in snapshot) && !snapshot.truncated.includes("commits") && snapshot.commits.at(-1)?.sha !== headSha;
      // An older trigger never overwrites a newer result; nor does anything overwrite the final result of a commit
      // that is no longer the pull request's head.
      if (run?.lastTriggerAt && (run.lastTriggerAt > receivedAt || movedOn)) {
        // Recorded, so that a redelivery of this trigger is a duplicate from now on; the check is not touched.
        await this.store.recordEvaluation({ key, trigger: triggerName, repository, headSha, decisionId: done?.decisionId ?? "none", conclusion: "superseded", transient: false, triggerAt: receivedAt });
        return [{ pullNumber, headSha, conclusion: passOrFail(run.lastConclusion), title: "superseded by a newer evaluation", decisionId: done?.decisionId ?? "", checkRunId: run.id, outcome: "superseded", transient: false }];
      }
    }
    const existingId = trigger.kind === "pull_request" ? trigger.checkRunId : undefined;
    const checkRunId = ctx.dryRun ? 0 : await this.startCheck(octokit, trigger.owner, trigger.repo, headSha, { ...(existingId !== undefined ? { existingId } : {}), lookup: ctx.lookup });
    const evaluations: Evaluation[] = [];
    for (const [i, p] of payloads.entries()) evaluations.push(await this.evaluate(octokit, trigger.owner, trigger.repo, p, headSha, config, snapshots[i]));
    let output = evaluations[0]!.output;
    let shownId = evaluations[0]!.decisionId;
    let transient = evaluations.some((e) => e.transient);
    if ("error" in pulls) {
      // Which pull requests this commit heads is unknown: no verdict can be published for all of them.
      const failed = await this.evaluateError(pulls.error);
      output = failed.output;
      shownId = failed.decisionId;
      transient ||= failed.transient;
    } else if (payloads.length > 1) {
      const heads: HeadPull[] = [];
      for (const [i, p] of payloads.entries()) {
        const s = await this.standing(octokit, trigger.owner, trigger.repo, p);
        heads.push({ number: (p as { number: number }).number, ...s, conclusion: evaluations[i]!.output.conclusion, title: evaluations[i]!.output.title });
      }
      const combined = combineHeadVerdicts(heads);
      const shown = evaluations[payloads.findIndex((p) => (p as { number: number }).number === combined.shown)]!;
      shownId = shown.decisionId;
      const counted = heads.filter((h) => combined.counted.includes(h.number));
      const title = combined.conclusion === shown.output.conclusion ? shown.output.title : `Blocked: ${counted.filter((h) => h.conclusion !== "success").map((h) => `#${h.number}`).join(", ")} did not pass`;
      output = { ...shown.output, conclusion: combined.conclusion, title, summary: `${shown.output.summary}${sharedHeadSection(heads, combined.counted)}` };
    }
    if (!ctx.dryRun) {
      // Publishing must not fail silently: if it throws, the error propagates and the work is retried.
      await this.checkRuns.complete(octokit, trigger.owner, trigger.repo, checkRunId, { ...output, externalId: shownId });
      for (const [i, ev] of evaluations.entries()) {
        await this.opts.onDecision?.({
          decisionId: ev.decisionId,
          deliveryId: ctx.deliveryId,
          installationId: trigger.installationId,
          repository,
          pullNumber: (payloads[i] as { number: number }).number,
          headSha,
          input: ev.input,
          decision: ev.decision,
          conclusion: ev.conclusion,
          durationMs: ev.durationMs,
          policyData: ev.policyData,
        });
      }
      await this.store.recordEvaluation({ key, trigger: triggerName, repository, headSha, decisionId: shownId, conclusion: output.conclusion, transient, triggerAt: receivedAt });
    }
    return payloads.map((p, i) => ({ pullNumber: (p as { number: number }).number, headSha, conclusion: output.conclusion, title: output.title, decisionId: evaluations[i]!.decisionId, checkRunId, outcome: "evaluated" as const, transient }));
  }

  /** A failing evaluation for an error met outside one pull request's evaluation. */
  private async evaluateError(error: unknown): Promise<Evaluation> {
    return this.evaluateWith(() => Promise.reject(error instanceof Error ? error : new Error(String(error))));
  }

  /** The check run of a head commit: the one the store remembers, else GitHub's (when asked to look), else new. */
  private async startCheck(octokit: Octokit, owner: string, repo: string, headSha: string, opts: { existingId?: number; lookup: boolean }): Promise<number> {
    const repository = `${owner}/${repo}`;
    const stored = opts.existingId ?? (await this.store.checkRun(repository, headSha))?.id;
    const id = await this.checkRuns.start(octokit, owner, repo, headSha, { ...(stored !== undefined ? { existingId: stored } : {}), lookup: opts.lookup });
    if (id !== stored) await this.store.saveCheckRun(repository, headSha, id);
    return id;
  }

  /** The repository's config from its default branch (or the organisation's) with its bases, else the built-in default. */
  private loadConfig(octokit: Octokit, owner: string, repo: string): Promise<LoadedConfig> {
    return loadRepoConfig(this.configSource, octokit, owner, repo);
  }

  /** Gathers and decides for one PR head; never throws: errors become a failing, explained evaluation. */
  async evaluate(
    octokit: Octokit,
    owner: string,
    repo: string,
    payload: unknown,
    headSha: string,
    preloaded?: LoadedConfig | { error: unknown },
    preSnapshot?: Awaited<ReturnType<typeof loadPullRequest>> | { error: unknown },
  ): Promise<Evaluation> {
    return this.evaluateWith(async (decisionId) => {
      const loaded = preloaded ?? (await this.loadConfig(octokit, owner, repo));
      if ("error" in loaded) throw loaded.error;
      const snapshot = preSnapshot ?? (await loadPullRequest(octokit, owner, repo, payload, { permissions: this.permissions }));
      if ("error" in snapshot) throw snapshot.error;
      const head = snapshot.commits.at(-1)?.sha;
      // Past GitHub's 250 commits the head is never listed: the policy denies "too many commits", nothing moved.
      if (head !== headSha && !snapshot.truncated.includes("commits")) {
        // Moved on (this commit is in the list, no longer last): final, the new head is judged on its own. Not in the
        // list at all: GitHub's list lags behind the event, and a retry will see it.
        const movedOn = snapshot.commits.some((c) => c.sha === headSha);
        throw new AgentGateError("HEAD_MOVED", `the pull request's head moved from ${headSha.slice(0, 7)} to ${head?.slice(0, 7) ?? "nothing"} while this commit was evaluated; the new head is evaluated on its own`, movedOn ? "invalid-input" : "transient");
      }
      return this.decide(snapshot, loaded, `${owner}/${repo}`, decisionId);
    });
  }

  /** Facts -> verified evidence -> policy input -> decision, for one pull request's snapshot. */
  private async decide(snapshot: PullRequestSnapshot, loaded: LoadedConfig, repository: string, decisionId: string): Promise<Decided> {
    const { config, facts: configFacts } = loaded;
    const agents = withConfiguredAgents({
      accounts: config.agents.accounts.map((a) => ({ ...a, agent: "configured" })),
      emails: config.agents.co_author_emails.map((email) => ({ email, agent: "configured" })),
      branchPrefixes: config.agents.branch_prefixes.map((prefix) => ({ prefix, agent: "configured" })),
      labels: config.agents.labels.map((name) => ({ name, agent: "configured" })),
    });
    const gathered = gatherFacts(snapshot, configFacts, agents, this.now());
    const { signers, problems } = trustedSigners(config, repository, this.keyRing);
    if (problems.length > 0) throw new AgentGateError("CONFIG_INVALID", problems.join("; "));
    const tv = performance.now();
    const evidence = this.evidence.verifyAll(gathered.facts.bundles, signers);
    this.opts.observe?.verification?.((performance.now() - tv) / 1000, gathered.facts.bundles.length === 0 ? "none" : evidence.failed.length > 0 ? "some-failed" : "verified");
    // Verified agent provenance is itself an agent signal, and so is a block in the PR body that claims a commit
    // (unverified: it can only tighten). Bound once to find the signals, then again with them.
    const bind = (f: Facts): BindingResult => bindProvenance({ repository: f.repository, commits: f.commits.map((c) => ({ sha: c.sha, treeSha: c.treeSha, expectsProvenance: commitIsAgent(c, f) })), bundles: evidence.verified });
    const claimed = new Set(gathered.facts.bundles.filter((b) => b.location.kind === "pr-body").flatMap((b) => claimedCommits(b.json)));
    const facts = withProvenanceSignals(gathered.facts, bind(gathered.facts), claimed);
    const binding = bind(facts);
    const input = buildPullRequestInput({ facts, binding, failed: evidence.failed, configDigest: configFacts.digest, agentAccounts: config.agents.accounts, now: this.now() });
    const data = gatePolicyData(config, configPathsIn(loaded, repository));
    const tp = performance.now();
    const decision = await this.opts.engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data, decisionId });
    this.opts.observe?.policy?.((performance.now() - tp) / 1000);
    return { facts, input, decision, binding, data, configDigest: configFacts.digest, commits: commitsForRender(facts.commits, binding, (c) => commitIsAgent(c, facts)) };
  }

  /** Runs `work` and renders its decision, or its error as a failing, explained evaluation; never throws. */
  private async evaluateWith(work: (decisionId: string) => Promise<Decided>): Promise<Evaluation> {
    const started = performance.now();
    const decisionId = randomUUID();
    let decided: Decided | undefined;
    let conclusion: CheckConclusion;
    let error: RenderInput["error"];
    try {
      decided = await work(decisionId);
      conclusion = conclude({ kind: "decision", decision: decided.decision });
    } catch (thrown) {
      const err = fromGitHubError(thrown) ?? thrown;
      conclusion = conclude({ kind: "error", error: err });
      error = err instanceof AgentGateError
        ? { code: err.code, message: err.message, details: err.details, transient: err.kind === "transient" }
        : { code: "INTERNAL_ERROR", message: `internal error: ${describeError(err)}` };
    }
    const durationMs = Math.round(performance.now() - started);
    const decision = decided?.decision;
    const output = renderCheckRun({
      conclusion,
      ...(error ? { error } : {}),
      ...(decision ? { decision } : {}),
      commits: decided?.commits ?? [],
      ...(decided ? { bundles: decided.binding.bundles, detection: decided.facts.detection, bodyClaims: decided.facts.pullRequest.bodyClaims } : {}),
      ...(decision ? { protectedPaths: protectedPathsFromDecision(decision) } : {}),
      durationMs,
      ...(this.opts.tlogEntryUrl ? { tlogEntryUrl: this.opts.tlogEntryUrl } : {}),
    });
    return { facts: decided?.facts, input: decided?.input, decision, conclusion, output, decisionId, durationMs, policyData: decided?.data, configDigest: decided?.configDigest, transient: error?.transient === true };
  }

  /** Merge queues: the group commit passes only when every queued pull request's head passed. */
  private async publishMergeGroup(octokit: Octokit, trigger: Extract<Trigger, { kind: "merge_group" }>, prs: GateResult[]): Promise<GateResult> {
    const failed = prs.filter((r) => r.conclusion !== "success");
    const ok = prs.length > 0 && failed.length === 0;
    const decisionId = randomUUID();
    const title = prs.length === 0 ? "Blocked: the merge group names no pull request agent-gate can evaluate" : ok ? `Mergeable: all ${prs.length} queued pull requests passed` : `Blocked: ${failed.map((f) => `#${f.pullNumber}`).join(", ")} did not pass`;
    const summary = prs.map((r) => `- #${r.pullNumber} at \`${r.headSha.slice(0, 7)}\`: ${r.conclusion}`).join("\n") || "No pull request found in the merge group's ref.";
    const transient = prs.some((r) => r.transient);
    const id = await this.store.withHead(`${trigger.owner}/${trigger.repo}`, trigger.headSha, async () => {
      const runId = await this.startCheck(octokit, trigger.owner, trigger.repo, trigger.headSha, { lookup: true });
      await this.checkRuns.complete(octokit, trigger.owner, trigger.repo, runId, { conclusion: ok ? "success" : "failure", title, summary, text: "", annotations: [], annotationBatches: [], actions: [], externalId: decisionId });
      return runId;
    });
    return { pullNumber: 0, headSha: trigger.headSha, conclusion: ok ? "success" : "failure", title, decisionId, checkRunId: id, outcome: "evaluated", transient };
  }
}

/**
 * A result's conclusion as the gate reports it: "success" only for a success. A superseded trigger reports what the
 * head's check shows now, its newest final result (a merge group asks exactly that); none yet is a failure.
 */
function passOrFail(conclusion: string | undefined): "success" | "failure" {
  return conclusion === "success" ? "success" : "failure";
}
