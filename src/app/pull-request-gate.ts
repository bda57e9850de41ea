// The PR gate: the effects around the evaluation pipeline (app/evaluate-pull-request.ts). It reads GitHub, verifies,
// keeps one head's evaluations ordered and idempotent, and publishes one check run per head commit, judged against
// every open pull request it heads. Every path completes the check; any error completes it as failure (fail closed).
import { describeError } from "../core/errors.js";
import { randomUUID } from "node:crypto";
import type { GitHubFacts, GitHubWrites, InstallationGitHub } from "../adapters/github/facts-port.js";
import { openPullsWithHead, pullStanding, type PullRequestSnapshot } from "../adapters/github/pull-request-source.js";
import type { PullRequestTrigger, Trigger } from "../adapters/github/triggers.js";
import { CHECK_RUN_INTENT, evaluationKey, MemoryGateStore, type GateStore, type HeadCheckRun } from "../adapters/storage/gate-store.js";
import type { CheckRunOutput } from "../render/check-run.js";
import { renderMergeGroup } from "../render/merge-group.js";
import { withWitness } from "../render/witness.js";
import { withCommitEvidence } from "./commit-evidence.js";
import { ImpactCache, inspectConfigChange, requesterOf } from "./config-change.js";
import { EvidenceVerifier, verifyEvidence } from "./evidence.js";
import { checkHead, evaluatePullRequest, explain, factsOf, type Decided } from "./evaluate-pull-request.js";
import type { Evaluation, GateResult, HandleContext, PullRequestGateOptions } from "./gate-types.js";
import { loadRepoConfig, type LoadedConfig } from "./load-config.js";
import { priorResult } from "./head-order.js";
import { combinedOutput } from "./shared-head.js";
import { waitsForCheck, withHeadChecks } from "./required-checks.js";

export type { DecisionEvent, Evaluation, GateResult, HandleContext, PullRequestGateOptions } from "./gate-types.js";

/** Fresh head commits: no check run can exist yet unless this delivery was seen before or a creation left its intent (startCheck). */
const FRESH_HEAD_EVENTS = new Set(["pull_request.opened", "pull_request.synchronize"]);
type Failed = { error: unknown };
const failed = (error: unknown): Failed => ({ error });
const numberOf = (p: unknown): number => (p as { number: number }).number;
const headOf = (p: unknown): string => (p as { head: { sha: string } }).head.sha;

export class PullRequestGate {
  private readonly evidence: EvidenceVerifier;
  private readonly now: () => Date;
  private readonly store: GateStore;
  private readonly impacts = new ImpactCache();

  constructor(private readonly opts: PullRequestGateOptions) {
    this.evidence = new EvidenceVerifier(opts.verifier);
    this.now = opts.now ?? (() => new Date());
    this.store = opts.store ?? new MemoryGateStore();
  }

  /** Judges what a trigger names through one installation's GitHub (the port: src/adapters/github/facts-port.ts). */
  async handle(github: InstallationGitHub, trigger: Trigger, ctx: HandleContext = {}): Promise<GateResult[]> {
    // Another App's check started or completed: judged again only where the config requires it (required checks).
    if (trigger.kind === "pull_request" && trigger.completedCheck && !(await waitsForCheck(github, trigger.owner, trigger.repo, trigger.completedCheck))) return [];
    const left = trigger.kind === "pull_request" ? trigger.leftHead : undefined;
    let numbers = [...trigger.pullNumbers];
    if (numbers.length === 0 && trigger.headSha && trigger.headSha !== left) numbers = await github.pullsForCommit(trigger.owner, trigger.repo, trigger.headSha);
    const results: GateResult[] = [];
    const judged = new Set<string>();
    // GitHub is asked for an existing check run only for work seen before and for heads that are not new.
    const lookup = ctx.redelivered === true || !FRESH_HEAD_EVENTS.has(trigger.event);
    for (const n of numbers) {
      // Facts are read from GitHub now, never taken from the delivery: a late or out-of-order delivery carries a
      // stale title, body, labels, draft state and head.
      const payload = await github.pull(trigger.owner, trigger.repo, n);
      // A merge group's commit is not a PR head: each queued PR is judged at its own head.
      const sha = (trigger.kind === "merge_group" ? undefined : trigger.headSha) ?? headOf(payload);
      results.push(...(await this.judgeOnce(github, trigger, payload, sha, judged, { ...ctx, lookup })));
    }
    if (trigger.kind === "pull_request" && left !== undefined) results.push(...(await this.judgeLeftHead(github, trigger, left, judged, ctx)));
    if (trigger.kind === "merge_group") results.push(await this.publishMergeGroup(github, trigger, results));
    return results;
  }

  /** Judges `sha` once per trigger, with every open pull request it heads, in order with its other evaluations. */
  private async judgeOnce(github: InstallationGitHub, trigger: Trigger, payload: unknown, sha: string, judged: Set<string>, ctx: HandleContext & { lookup: boolean }): Promise<GateResult[]> {
    if (judged.has(sha)) return []; // already judged with every pull request it heads
    judged.add(sha);
    // Evaluations of one head run one after another in every process: the last one started is the last written.
    // Should the lock be lost meanwhile (`held` aborted), the evaluation stops before its next write and throws a
    // transient error: the job runs again under a fresh lock, with a lookup.
    return this.store.withHead(`${trigger.owner}/${trigger.repo}`, sha, (held) => this.judgeHead(github, trigger, payload, sha, { ...ctx, held }));
  }

  /**
   * A pull request left `left` (closed, or pushed to a new head): the set of open pull requests heading that commit
   * changed, so its one check run, which may have passed on the leaving pull request's verdict, is judged again with
   * a fresh read of those still heading it: an ordinary evaluation of that head, in order with its others. None left:
   * nothing to do (a check on a commit no open pull request heads gates nothing), after the one read that tells.
   * That read is skipped when the store says the commit's last verdict combined one pull request, and no evaluation
   * of it is under way (headState forgets the count until one records its own): this one, alone, as every pull request
   * that came to head the commit since was judged there, or will be, after this one left. No row, or no count: read.
   */
  private async judgeLeftHead(github: InstallationGitHub, trigger: PullRequestTrigger, left: string, judged: Set<string>, ctx: HandleContext): Promise<GateResult[]> {
    const { owner, repo } = trigger;
    if (judged.has(left)) return [];
    if ((await this.store.checkRun(`${owner}/${repo}`, left))?.lastPulls === 1) return [];
    // A commit GitHub does not know (404, 422) is no open pull request's head; any other failure fails the job (retried).
    const numbers = await github.pullsForCommit(owner, repo, left).catch((err: unknown) => {
      const status = (err as { status?: unknown } | null)?.status;
      if (status === 404 || status === 422) return [];
      throw err;
    });
    const { leftHead: _left, ...rest } = trigger;
    const at: PullRequestTrigger = { ...rest, headSha: left, pullNumbers: numbers };
    const results: GateResult[] = [];
    for (const n of numbers) {
      if (judged.has(left)) break;
      const payload = await github.pull(owner, repo, n);
      if (headOf(payload) !== left) continue; // it moved on meanwhile: its own push judges this head again
      // Never a fresh head: its check run exists, and is looked up if the store does not remember it.
      results.push(...(await this.judgeOnce(github, at, payload, left, judged, { ...ctx, lookup: true })));
    }
    return results;
  }

  /** One head commit against every open pull request it heads; writes its check run unless superseded or a duplicate. */
  private async judgeHead(github: InstallationGitHub, trigger: Trigger, payload: unknown, headSha: string, ctx: HandleContext & { lookup: boolean; held: AbortSignal }): Promise<GateResult[]> {
    const { owner, repo } = trigger;
    const repository = `${owner}/${repo}`;
    const receivedAt = ctx.receivedAt ?? new Date();
    // The config first: its digest is part of the idempotency key, checked before anything is written.
    const config = await loadRepoConfig(github, owner, repo).catch(failed);
    const triggerName = ctx.deliveryId ?? ctx.triggerId ?? randomUUID();
    const key = evaluationKey({ repository, headSha, trigger: triggerName, configDigest: "error" in config ? "unavailable" : config.facts.digest, policyDigest: this.opts.engine.policy.digest });
    const existingId = trigger.kind === "pull_request" ? trigger.checkRunId : undefined;
    // One statement: the evaluation, the check run, and the intent to create one (startCheck) unless it is known. Read
    // before GitHub is asked who heads the commit: it forgets the head's count of pull requests until this evaluation
    // records its own, so that a pull request leaving the commit meanwhile asks GitHub (judgeLeftHead).
    ctx.held.throwIfAborted();
    const state = ctx.dryRun ? undefined : await this.store.headState(key, repository, headSha, existingId === undefined);
    const pulls = await openPullsWithHead(github, owner, repo, payload, headSha).catch(failed);
    const payloads = "error" in pulls ? [payload] : pulls;
    const snapshots = await Promise.all(payloads.map((p) => github.snapshot(owner, repo, p).catch(failed)));
    const base = { pullNumber: numberOf(payload), headSha, transient: false };
    let recorded: { run: HeadCheckRun | undefined } | undefined;
    if (state) {
      const first = snapshots[0]!;
      const movedOn = trigger.kind === "pull_request" && !("error" in first) && !first.truncated.includes("commits") && first.commits.at(-1)?.sha !== headSha;
      const prior = await priorResult(this.store, { key, trigger: triggerName, repository, headSha, receivedAt, movedOn, pullNumber: numberOf(payload) }, ctx.held, state);
      if (prior) return [prior];
      recorded = { run: state.checkRun };
    }
    const checkRunId = ctx.dryRun ? 0 : await this.startCheck(github, owner, repo, headSha, { ...(existingId !== undefined ? { existingId } : {}), ...(recorded ? { recorded } : {}), lookup: ctx.lookup }, ctx.held);
    const evaluations: Evaluation[] = [];
    for (const [i, p] of payloads.entries()) evaluations.push(await this.evaluate(github, owner, repo, p, headSha, config, snapshots[i]));
    // Which pull requests this commit heads must be known: no verdict is published for only some of them.
    const standings = "error" in pulls || payloads.length < 2 ? [] : await Promise.all(payloads.map((p) => pullStanding(github, owner, repo, p))); // a lookup each: only when shared
    const shown = "error" in pulls ? explain(pulls, randomUUID(), 0, this.opts.tlogEntryUrl) : combinedOutput(evaluations, standings);
    const transient = evaluations.some((e) => e.transient) || ("transient" in shown && shown.transient);
    if (!ctx.dryRun) await this.publish(github, trigger, headSha, checkRunId, shown, evaluations, payloads, ctx, { key, triggerName, receivedAt, transient, pulls: "error" in pulls ? undefined : payloads.length });
    return evaluations.map((ev, i) => ({ ...base, pullNumber: numberOf(payloads[i]), conclusion: shown.output.conclusion, title: shown.output.title, decisionId: ev.decisionId, checkRunId, outcome: "evaluated" as const, transient, ...(ev.error !== undefined ? { error: ev.error } : {}) }));
  }

  /** Writes the check run, then one audit event per pull request judged, then remembers the evaluation. */
  private async publish(github: GitHubWrites, trigger: Trigger, headSha: string, checkRunId: number, shown: { output: CheckRunOutput; decisionId: string }, evaluations: readonly Evaluation[], payloads: readonly unknown[], ctx: HandleContext & { held: AbortSignal }, rec: { key: string; triggerName: string; receivedAt: Date; transient: boolean; pulls: number | undefined }): Promise<void> {
    const repository = `${trigger.owner}/${trigger.repo}`;
    // Publishing must not fail silently: if it throws, the error propagates and the work is retried.
    // The footer's last line witnesses the log's head before this decision's records (a failed read fails the delivery).
    const head = await this.opts.auditHead?.();
    ctx.held.throwIfAborted(); // before each write: the head's lock is still ours
    await github.completeCheckRun(trigger.owner, trigger.repo, checkRunId, { ...withWitness(shown.output, head), externalId: shown.decisionId });
    for (const [i, ev] of evaluations.entries()) {
      const { decisionId, input, decision, conclusion, durationMs, policyData, configFiles } = ev;
      ctx.held.throwIfAborted();
      await this.opts.onDecision?.({ decisionId, deliveryId: ctx.deliveryId, installationId: trigger.installationId, repository, pullNumber: numberOf(payloads[i]), headSha, input, decision, conclusion, durationMs, policyData, ...(configFiles ? { configFiles } : {}) });
    }
    ctx.held.throwIfAborted();
    await this.store.recordEvaluation({ key: rec.key, trigger: rec.triggerName, repository, headSha, decisionId: shown.decisionId, conclusion: shown.output.conclusion, transient: rec.transient, triggerAt: rec.receivedAt, pulls: rec.pulls });
  }

  /**
   * The check run of a head commit: the one the store remembers, else GitHub's (when asked to look, or when an
   * earlier creation left its intent but no id: it may have reached GitHub before its process died), else new.
   * The intent is recorded before any create, whoever creates (a fresh head, another event, a sweep), so that a
   * fresh head's first attempt, which does not look, never adds a second run. `opts.recorded`: the run as recorded
   * before the intent, when the intent was recorded already (GateStore.headState).
   */
  private async startCheck(github: GitHubWrites, owner: string, repo: string, headSha: string, opts: { existingId?: number; recorded?: { run: HeadCheckRun | undefined }; lookup: boolean }, held: AbortSignal): Promise<number> {
    const repository = `${owner}/${repo}`;
    held.throwIfAborted();
    const recorded = opts.existingId !== undefined ? undefined : opts.recorded ? opts.recorded.run : await this.store.intendCheckRun(repository, headSha);
    const stored = opts.existingId ?? (recorded?.id === CHECK_RUN_INTENT ? undefined : recorded?.id);
    const lookup = opts.lookup || recorded?.id === CHECK_RUN_INTENT;
    held.throwIfAborted();
    const id = await github.startCheckRun(owner, repo, headSha, { ...(stored !== undefined ? { existingId: stored } : {}), lookup });
    held.throwIfAborted(); // the run now exists on GitHub; the intent (or the stored id) leads a retry to it
    if (id !== stored) await this.store.saveCheckRun(repository, headSha, id);
    return id;
  }

  /** Gathers and decides for one PR head; never throws: errors become a failing, explained evaluation. */
  async evaluate(github: GitHubFacts, owner: string, repo: string, payload: unknown, headSha: string, preloaded?: LoadedConfig | Failed, preSnapshot?: PullRequestSnapshot | Failed): Promise<Evaluation> {
    const started = performance.now();
    const decisionId = randomUUID();
    let outcome: { decided: Decided } | Failed;
    const withheld: string[] = []; // config-change analysis errors its note withholds from GitHub: to the log
    try {
      const loaded = preloaded ?? (await loadRepoConfig(github, owner, repo));
      if ("error" in loaded) throw loaded.error;
      const snapshot = preSnapshot ?? (await github.snapshot(owner, repo, payload));
      if ("error" in snapshot) throw snapshot.error;
      checkHead(snapshot, headSha);
      const configChange = await inspectConfigChange(github, { owner, repo, headSha, files: snapshot.files, requester: requesterOf(snapshot.pull) }, { ...(this.opts.history ? { history: this.opts.history } : {}), last: loaded.config.config_changes.impact_last, cache: this.impacts, onWithheld: (err) => withheld.push(describeError(err)) });
      const facts = await withHeadChecks(github, factsOf(snapshot, loaded, this.now()), loaded.config, this.opts.appId);
      const evidence = withCommitEvidence(verifyEvidence(this.evidence, facts.bundles, loaded.config, `${owner}/${repo}`, this.opts.keyRing, this.opts.observe), facts.commits, this.opts.verifier, loaded.config, this.opts.githubSigningKeys);
      outcome = { decided: await evaluatePullRequest(facts, loaded, evidence, this.opts.engine, { now: this.now(), decisionId, ...(this.opts.observe ? { observe: this.opts.observe } : {}), ...(configChange ? { configChange } : {}) }) };
    } catch (err) {
      outcome = failed(err);
    }
    const ev = explain(outcome, decisionId, Math.round(performance.now() - started), this.opts.tlogEntryUrl);
    return withheld.length > 0 && ev.error === undefined ? { ...ev, error: `config-change analysis: ${withheld.join("; ")}` } : ev;
  }

  /** Merge queues: the group commit passes only when every queued pull request's head passed. */
  private async publishMergeGroup(github: GitHubWrites, trigger: Extract<Trigger, { kind: "merge_group" }>, prs: GateResult[]): Promise<GateResult> {
    const output = renderMergeGroup(prs);
    const decisionId = randomUUID();
    const id = await this.store.withHead(`${trigger.owner}/${trigger.repo}`, trigger.headSha, async (held) => {
      const runId = await this.startCheck(github, trigger.owner, trigger.repo, trigger.headSha, { lookup: true }, held);
      held.throwIfAborted();
      await github.completeCheckRun(trigger.owner, trigger.repo, runId, { ...output, externalId: decisionId });
      return runId;
    });
    return { pullNumber: 0, headSha: trigger.headSha, conclusion: output.conclusion, title: output.title, decisionId, checkRunId: id, outcome: "evaluated", transient: prs.some((r) => r.transient) };
  }
}
