// Order and idempotency of one head commit's evaluations: a redelivered trigger is a duplicate, an older trigger
// never overwrites a newer result, and nothing overwrites the final result of a head that moved on.
import type { CoveredTrigger, GateStore, HeadCheckRun, HeadState } from "../adapters/storage/gate-store.js";
import type { GateResult } from "./gate-types.js";

export interface HeadTrigger {
  readonly key: string; // the evaluation's idempotency key
  readonly trigger: string;
  readonly repository: string;
  readonly headSha: string;
  readonly receivedAt: Date;
  /** The pull request's head is another commit now (this one is still listed, no longer last). */
  readonly movedOn: boolean;
  readonly pullNumber: number;
  /** Other triggers this evaluation answers for (deliveries folded into its job): recorded with it. */
  readonly covered?: readonly CoveredTrigger[];
}

/**
 * The result this trigger must report without evaluating (a duplicate, or superseded), or undefined: evaluate.
 * `held`: the head's lock (GateStore.withHead); nothing is recorded once it is lost. `state`: the evaluation and the
 * check run as read under that lock (GateStore.headState), else read here.
 */
export async function priorResult(store: GateStore, t: HeadTrigger, held?: AbortSignal, state?: HeadState): Promise<GateResult | undefined> {
  const done = state ? state.evaluation : await store.evaluation(t.key);
  const run = state ? state.checkRun : await store.checkRun(t.repository, t.headSha);
  const base = { pullNumber: t.pullNumber, headSha: t.headSha, transient: false };
  if (done && !done.transient) {
    return { ...base, conclusion: passOrFail(done.conclusion === "superseded" ? run?.lastConclusion : done.conclusion), title: "already evaluated", decisionId: done.decisionId, checkRunId: run?.id ?? 0, outcome: "duplicate" };
  }
  if (!run?.lastTriggerAt || !(run.lastTriggerAt > t.receivedAt || t.movedOn)) return undefined;
  // Newer only in that a pull request left the head since, with nothing published: it catches up (leftAfter).
  if (!t.movedOn && leftAfter(run, t.receivedAt) !== undefined) return undefined;
  // Recorded, so that a redelivery of this trigger is a duplicate from now on; the check is not touched.
  held?.throwIfAborted();
  await store.recordEvaluation({ key: t.key, trigger: t.trigger, repository: t.repository, headSha: t.headSha, decisionId: done?.decisionId ?? "none", conclusion: "superseded", transient: false, triggerAt: t.receivedAt, ...(t.covered ? { covered: t.covered } : {}) });
  return { ...base, conclusion: passOrFail(run.lastConclusion), title: "superseded by a newer evaluation", decisionId: done?.decisionId ?? "", checkRunId: run.id, outcome: "superseded" };
}

/**
 * A result's conclusion as the gate reports it: "success" only for a success. A superseded trigger reports what the
 * head's check shows now, its newest final result (a merge group asks exactly that); none yet is a failure.
 */
function passOrFail(conclusion: string | undefined): "success" | "failure" {
  return conclusion === "success" ? "success" : "failure";
}

/**
 * When a pull request left the head, if that was after this trigger was received and no verdict was published since
 * (GateStore.leaveHead marked it so, writing nothing on GitHub); else undefined. Such a trigger is not superseded: it
 * may be the only one left to judge a pull request that came to head the commit before that. But what it read of
 * GitHub may predate the leaving, so it reads afresh and judges the head as it stands, for that time.
 */
export function leftAfter(run: HeadCheckRun | undefined, receivedAt: Date): Date | undefined {
  return run?.lastPulls === 0 && run.lastTriggerAt !== undefined && run.lastTriggerAt > receivedAt ? run.lastTriggerAt : undefined;
}
