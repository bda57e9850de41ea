// The PR gate: the effects around the evaluation pipeline (app/evaluate-pull-request.ts). It reads GitHub, verifies,
// keeps one head's evaluations ordered and idempotent, and publishes one check run per head commit, judged against
// every open pull request it heads. Every path completes the check; any error completes it as failure (fail closed).
import { AgentGateError, describeError } from "../core/errors.js";
import { randomUUID } from "node:crypto";
import type { GitHubFacts, GitHubWrites, InstallationGitHub } from "../adapters/github/facts-port.js";
import { isOpen, openPullsWithHead, pullStanding, type PullRequestSnapshot } from "../adapters/github/pull-request-source.js";
import type { PullRequestTrigger, Trigger } from "../adapters/github/triggers.js";
import type { PolicyRef } from "../core/decision.js";
import { CHECK_RUN_INTENT, evaluationKey, MemoryGateStore, type CoveredTrigger, type GateStore, type HeadCheckRun } from "../adapters/storage/gate-store.js";
import type { CheckRunOutput } from "../render/check-run.js";
import { renderMergeGroup, type QueuedResult } from "../render/merge-group.js";
import { withWitness } from "../render/witness.js";
import { withCommitEvidence } from "./commit-evidence.js";
import { ImpactCache, inspectConfigChange, requesterOf } from "./config-change.js";
import { EvidenceVerifier, verifyEvidence } from "./evidence.js";
import { checkHead, evaluatePullRequest, explain, factsOf, type Decided } from "./evaluate-pull-request.js";
import type { Evaluation, GateResult, HandleContext, Preview, PullRequestGateOptions } from "./gate-types.js";
import { loadRepoConfig, type LoadedConfig } from "./load-config.js";
import { leftAfter, priorResult } from "./head-order.js";
import { combinedOutput } from "./shared-head.js";
import { waitsForCheck, withHeadChecks } from "./required-checks.js";

export type { DecisionEvent, Evaluation, GateResult, HandleContext, Preview, PullRequestGateOptions } from "./gate-types.js";

/** The config digest of a verdict made when the config could not be read (it is part of the evaluation's key too). */
export const UNAVAILABLE_CONFIG = "unavailable";

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

  /** The policy bundle every verdict of this gate is made with (its digest is in each evaluation's key). */
  get policy(): PolicyRef {
    return this.opts.engine.policy;
  }

  /**
   * The check run a pull request's head commit would get now, written nowhere and recorded nowhere (the `evaluate`
   * command): the very judgement an event of that pull request makes (judgeHead, dry run), of the commit with every
   * open pull request heading it, combined as app/shared-head.ts says. A pull request that is not open heads nothing
   * and is judged nowhere: PR_NOT_OPEN, never a verdict.
   */
  async preview(github: InstallationGitHub, owner: string, repo: string, pullNumber: number): Promise<Preview> {
    const payload = await github.pull(owner, repo, pullNumber);
    if (!isOpen(payload)) {
      const p = payload as { state?: unknown; merged?: unknown } | null;
      const state = p?.merged === true ? "merged" : typeof p?.state === "string" ? p.state : "of no state";
      throw new AgentGateError("PR_NOT_OPEN", `${owner}/${repo}#${pullNumber} is not open (it is ${state}): the App judges only the head commits of open pull requests, so there is no verdict to give; expected an open pull request`);
    }
    const headSha = headOf(payload);
    const trigger: PullRequestTrigger = { kind: "pull_request", event: "evaluate", owner, repo, installationId: 0, headSha, pullNumbers: [pullNumber] };
    const results = await this.judgeOnce(github, trigger, payload, headSha, new Set(), { dryRun: true, lookup: false });
    const output = results[0]?.output;
    if (output === undefined) throw new AgentGateError("PR_NOT_OPEN", `${owner}/${repo}#${pullNumber} no longer heads ${headSha.slice(0, 7)} open: there is no verdict to give; expected an open pull request`);
    return { headSha, output, decisionId: results[0]!.decisionId, pulls: results.map((r) => r.pullNumber), decisions: results.map((r) => r.decision) };
  }

  /** Judges what a trigger names through one installation's GitHub (the port: src/adapters/github/facts-port.ts). */
  async handle(github: InstallationGitHub, trigger: Trigger, ctx: HandleContext = {}): Promise<GateResult[]> {
    // Another App's check started or completed: judged again only where the config requires it (required checks).
    if (trigger.kind === "pull_request" && trigger.completedCheck && !(await waitsForCheck(github, trigger.owner, trigger.repo, [trigger.completedCheck, ...(trigger.foldedChecks ?? [])]))) return [];
    const left = trigger.kind === "pull_request" ? trigger.leftHead : undefined;
    let numbers = [...trigger.pullNumbers];
    if (numbers.length === 0 && trigger.headSha && trigger.headSha !== left) numbers = await github.pullsForCommit(trigger.owner, trigger.repo, trigger.headSha);
    const results: GateResult[] = [];
    const notOpen: QueuedResult[] = [];
    const judged = new Set<string>();
    // GitHub is asked for an existing check run only for work seen before and for heads that are not new.
    const lookup = ctx.redelivered === true || !FRESH_HEAD_EVENTS.has(trigger.event);
    for (const n of numbers) {
      // Facts are read from GitHub now, never taken from the delivery: a late or out-of-order delivery carries a
      // stale title, body, labels, draft state and head.
      const payload = await github.pull(trigger.owner, trigger.repo, n);
      // A merge group's commit is not a PR head: each queued PR is judged at its own head.
      const sha = (trigger.kind === "merge_group" ? undefined : trigger.headSha) ?? headOf(payload);
      // A pull request that is not open (closed, merged) heads nothing, whatever the event (a label on a merged pull
      // request, a review, a job queued before it closed): its head is judged as one it left. A merge group's queued
      // pull requests are open: one that is not fails the group.
      if (!isOpen(payload)) {
        if (trigger.kind === "merge_group") notOpen.push({ pullNumber: n, headSha: sha, conclusion: "failure", note: "not open" });
        else results.push(...(await this.judgeLeftHead(github, trigger, sha, judged, ctx)));
        continue;
      }
      results.push(...(await this.judgeOnce(github, trigger, payload, sha, judged, { ...ctx, lookup })));
    }
    if (trigger.kind === "pull_request" && left !== undefined) results.push(...(await this.judgeLeftHead(github, trigger, left, judged, ctx)));
    if (trigger.kind === "merge_group") results.push(await this.publishMergeGroup(github, trigger, results, notOpen));
    return results;
  }

  /**
   * Judges `sha` once per trigger, with every open pull request it heads, in order with its other evaluations.
   * `payload`: the open pull request that asked (undefined: none; then `ctx.heads` says why not who heads it).
   */
  private async judgeOnce(github: InstallationGitHub, trigger: Trigger, payload: unknown, sha: string, judged: Set<string>, ctx: HandleContext & { lookup: boolean; heads?: Failed }): Promise<GateResult[]> {
    if (judged.has(sha)) return []; // already judged with every pull request it heads
    judged.add(sha);
    // Evaluations of one head run one after another in every process: the last one started is the last written.
    // Should the lock be lost meanwhile (`held` aborted), the evaluation stops before its next write and throws a
    // transient error: the job runs again under a fresh lock, with a lookup.
    return this.store.withHead(`${trigger.owner}/${trigger.repo}`, sha, (held) => this.judgeHead(github, trigger, payload, sha, { ...ctx, held }));
  }

  /**
   * A pull request left `left` (closed, or pushed to a new head; or an event came for one that is not open): the set
   * of open pull requests heading that commit changed, so its one check run, which may have passed on the leaving
   * pull request's verdict, is judged again with a fresh read of those still heading it: an ordinary evaluation of
   * that head, in order with its others. None left: nothing to do (a check on a commit no open pull request heads
   * gates nothing), after the one read that tells. That read is skipped when the store says the commit's last verdict
   * combined at most one pull request, and no evaluation of it is under way (headState forgets the count until one
   * records its own): this one, alone, as every pull request that came to head the commit since was judged there, or
   * will be, after this one left. The store then marks the head left at this trigger's time (GateStore.leaveHead), so
   * that such a later evaluation, and any older one of the leaving pull request that read it open, reads GitHub
   * afresh (head-order.ts: leftAfter). No row, or no count: read. Too many pull requests heading it to judge them all
   * (TOO_MANY_PULLS): the commit fails with that error, and this job goes on (its own head is judged as ever).
   */
  private async judgeLeftHead(github: InstallationGitHub, trigger: PullRequestTrigger, left: string, judged: Set<string>, ctx: HandleContext): Promise<GateResult[]> {
    const { owner, repo } = trigger;
    if (judged.has(left)) return [];
    if (!ctx.dryRun && (await this.store.leaveHead(`${owner}/${repo}`, left, ctx.receivedAt ?? new Date()))) return [];
    const { leftHead: _left, ...rest } = trigger;
    const at: PullRequestTrigger = { ...rest, headSha: left, pullNumbers: [] };
    // A commit GitHub does not know (404, 422) is no open pull request's head; any other failure fails the job (retried).
    const numbers = await github.pullsForCommit(owner, repo, left).catch((err: unknown) => {
      const status = (err as { status?: unknown } | null)?.status;
      if (status === 404 || status === 422) return [];
      if (err instanceof AgentGateError && err.code === "TOO_MANY_PULLS") return failed(err);
      throw err;
    });
    // Never a fresh head: its check run exists, and is looked up if the store does not remember it.
    if (!Array.isArray(numbers)) return this.judgeOnce(github, at, undefined, left, judged, { ...ctx, lookup: true, heads: numbers });
    const results: GateResult[] = [];
    for (const n of numbers) {
      if (judged.has(left)) break;
      const payload = await github.pull(owner, repo, n);
      if (headOf(payload) !== left || !isOpen(payload)) continue; // it moved on or closed meanwhile: its own event judges this head again
      results.push(...(await this.judgeOnce(github, { ...at, pullNumbers: numbers }, payload, left, judged, { ...ctx, lookup: true })));
    }
    return results;
  }

  /** One head commit against every open pull request it heads; writes its check run unless superseded or a duplicate. */
  private async judgeHead(github: InstallationGitHub, trigger: Trigger, payload: unknown, headSha: string, ctx: HandleContext & { lookup: boolean; held: AbortSignal; heads?: Failed }): Promise<GateResult[]> {
    const { owner, repo } = trigger;
    const repository = `${owner}/${repo}`;
    const receivedAt = ctx.receivedAt ?? new Date();
    // The config first: its digest is part of the idempotency key, checked before anything is written.
    const config = await loadRepoConfig(github, owner, repo).catch(failed);
    const configDigest = "error" in config ? UNAVAILABLE_CONFIG : config.facts.digest;
    // Deliveries folded into this job are answered by the evaluation of the head they asked about (gate-types.ts).
    const covers = ctx.covers && (ctx.covers.head === undefined || ctx.covers.head === headSha) ? ctx.covers : undefined;
    const triggerName = covers?.as ?? ctx.deliveryId ?? ctx.triggerId ?? randomUUID();
    const keyOf = (trigger: string): string => evaluationKey({ repository, headSha, trigger, configDigest, policyDigest: this.opts.engine.policy.digest });
    const key = keyOf(triggerName);
    const covered = [...new Set(covers?.triggers)].filter((t) => t !== triggerName).map((t) => ({ key: keyOf(t), trigger: t }));
    const existingId = trigger.kind === "pull_request" ? trigger.checkRunId : undefined;
    // One statement: the evaluation, the check run, and the intent to create one (startCheck) unless it is known. Read
    // before GitHub is asked who heads the commit: it forgets the head's count of pull requests until this evaluation
    // records its own, so that a pull request leaving the commit meanwhile asks GitHub (judgeLeftHead).
    ctx.held.throwIfAborted();
    const state = ctx.dryRun ? undefined : await this.store.headState(key, repository, headSha, existingId === undefined);
    // A pull request left this head after this trigger came, with nothing published since (head-order.ts: leftAfter):
    // what was read before may predate its leaving. The pull request that asked is read again, and counts only if it
    // still heads the commit, open; the verdict is the head's as of that leaving.
    const left = leftAfter(state?.checkRun, receivedAt);
    const pulls: unknown[] | Failed =
      ctx.heads ??
      (await (left === undefined ? openPullsWithHead(github, owner, repo, payload, headSha) : github.pull(owner, repo, numberOf(payload)).then(async (fresh) => (await openPullsWithHead(github, owner, repo, fresh, headSha)).filter((p) => headOf(p) === headSha))).catch(failed));
    const payloads = "error" in pulls ? (payload === undefined ? [] : [payload]) : pulls;
    const snapshots = await Promise.all(payloads.map((p) => github.snapshot(owner, repo, p).catch(failed)));
    const base = { pullNumber: payload === undefined ? 0 : numberOf(payload), headSha, transient: false };
    let recorded: { run: HeadCheckRun | undefined } | undefined;
    if (state) {
      const first = left === undefined && payloads[0] === payload ? snapshots[0] : undefined;
      const movedOn = trigger.kind === "pull_request" && first !== undefined && !("error" in first) && !first.truncated.includes("commits") && first.commits.at(-1)?.sha !== headSha;
      const prior = await priorResult(this.store, { key, trigger: triggerName, repository, headSha, receivedAt, movedOn, pullNumber: base.pullNumber, covered }, ctx.held, state);
      if (prior) return [prior];
      recorded = { run: state.checkRun };
    }
    // No open pull request heads it now: nothing to publish. Recorded (a redelivery is a duplicate), the head still
    // marked left, so that an older trigger of a pull request heading it reads afresh too.
    if (!("error" in pulls) && payloads.length === 0) {
      ctx.held.throwIfAborted();
      // The deliveries folded into this job are answered by it too: recorded under their own ids (a redelivery of one
      // is a duplicate), as a published evaluation records them.
      if (state) await this.store.recordEvaluation({ key, trigger: triggerName, repository, headSha, decisionId: "none", conclusion: "superseded", transient: false, triggerAt: receivedAt, pulls: 0, covered });
      return [{ ...base, conclusion: state?.checkRun?.lastConclusion === "success" ? "success" : "failure", title: "no open pull request heads this commit", decisionId: "", checkRunId: state?.checkRun?.id ?? 0, outcome: "superseded" }];
    }
    const checkRunId = ctx.dryRun ? 0 : await this.startCheck(github, owner, repo, headSha, { ...(existingId !== undefined ? { existingId } : {}), ...(recorded ? { recorded } : {}), lookup: ctx.lookup }, ctx.held);
    const evaluations: Evaluation[] = [];
    for (const [i, p] of payloads.entries()) evaluations.push(await this.evaluate(github, owner, repo, p, headSha, config, snapshots[i]));
    // Which pull requests this commit heads must be known: no verdict is published for only some of them.
    const standings = "error" in pulls || payloads.length < 2 ? [] : await Promise.all(payloads.map((p) => pullStanding(github, owner, repo, p))); // a lookup each: only when shared
    const shown = "error" in pulls ? explain(pulls, randomUUID(), 0, this.opts.tlogEntryUrl) : combinedOutput(evaluations, standings);
    const transient = evaluations.some((e) => e.transient) || ("transient" in shown && shown.transient);
    if (!ctx.dryRun) await this.publish(github, trigger, headSha, checkRunId, shown, evaluations, payloads, ctx, { key, triggerName, receivedAt: left ?? receivedAt, transient, pulls: "error" in pulls ? undefined : payloads.length, configDigest, covered });
    // A dry run returns what it would have written: the output shown, and each pull request's own decision.
    const dry = (ev?: Evaluation) => (ctx.dryRun ? { output: shown.output, decision: ev?.decision } : {});
    const results = evaluations.map((ev, i) => ({ ...base, pullNumber: numberOf(payloads[i]), conclusion: shown.output.conclusion, title: shown.output.title, decisionId: ev.decisionId, checkRunId, outcome: "evaluated" as const, transient, ...(ev.error !== undefined ? { error: ev.error } : {}), ...dry(ev) }));
    // No pull request evaluated (who heads it could not be read): the head's verdict is that error, logged with it.
    return results.length > 0 ? results : [{ ...base, conclusion: shown.output.conclusion, title: shown.output.title, decisionId: shown.decisionId, checkRunId, outcome: "evaluated", transient, ...("error" in shown && shown.error !== undefined ? { error: shown.error } : {}), ...dry() }];
  }

  /** Writes the check run, then one audit event per pull request judged, then remembers the evaluation. */
  private async publish(github: GitHubWrites, trigger: Trigger, headSha: string, checkRunId: number, shown: { output: CheckRunOutput; decisionId: string }, evaluations: readonly Evaluation[], payloads: readonly unknown[], ctx: HandleContext & { held: AbortSignal }, rec: { key: string; triggerName: string; receivedAt: Date; transient: boolean; pulls: number | undefined; configDigest: string; covered: readonly CoveredTrigger[] }): Promise<void> {
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
    await this.store.recordEvaluation({ key: rec.key, trigger: rec.triggerName, repository, headSha, decisionId: shown.decisionId, conclusion: shown.output.conclusion, transient: rec.transient, triggerAt: rec.receivedAt, pulls: rec.pulls, configDigest: rec.configDigest, covered: rec.covered });
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

  /**
   * The config digest the verdict the head's check shows was made under (UNAVAILABLE_CONFIG: the config could not be
   * read then); undefined when the gate recorded none. A config sweep re-judges a head whose digest is not today's.
   */
  async verdictConfig(repository: string, headSha: string): Promise<string | undefined> {
    return (await this.store.checkRun(repository, headSha))?.lastConfigDigest;
  }

  /**
   * Judges one pull request at `headSha` now and records the decision (onDecision), without touching its check run: the
   * deployment gate's re-judgement of a recorded verdict made under another config. Throws when it could not be
   * evaluated (a transient failure): no decision is recorded then.
   */
  async rejudge(github: GitHubFacts, at: { owner: string; repo: string; pullNumber: number; headSha: string; installationId: number }): Promise<Evaluation> {
    const payload = await github.pull(at.owner, at.repo, at.pullNumber);
    const ev = await this.evaluate(github, at.owner, at.repo, payload, at.headSha);
    if (ev.transient) throw new AgentGateError("PR_REJUDGE_FAILED", `${at.owner}/${at.repo}#${at.pullNumber} could not be judged again under the current config: ${ev.output.title}`, "transient");
    const { decisionId, input, decision, conclusion, durationMs, policyData, configFiles } = ev;
    await this.opts.onDecision?.({ decisionId, deliveryId: undefined, installationId: at.installationId, repository: `${at.owner}/${at.repo}`, pullNumber: at.pullNumber, headSha: at.headSha, input, decision, conclusion, durationMs, policyData, ...(configFiles ? { configFiles } : {}) });
    return ev;
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

  /** Merge queues: the group commit passes only when every queued pull request's head passed; one not open (`notOpen`) fails it. */
  private async publishMergeGroup(github: GitHubWrites, trigger: Extract<Trigger, { kind: "merge_group" }>, prs: GateResult[], notOpen: readonly QueuedResult[]): Promise<GateResult> {
    const output = renderMergeGroup([...prs, ...notOpen]);
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
