// Folding (availability): a delivery that asks only for its head, or its pull request, to be judged again with what
// GitHub holds when the job runs (a review, a label, a comment, another App's check run...) carries nothing a job of
// the same subject that has not started yet would not read anyway. So it is folded into that job instead of queuing
// its own: an outsider's fork pull request whose workflow runs a matrix of 256 jobs named like a required check sends
// 512 check_run deliveries per push, each of them one evaluation and two paced check-run writes (~17 minutes of its
// installation's write lane); folded, they are one or two. A job already running never stands in: it read its facts
// before the delivery came. Deliveries that change the head or the set of pull requests (opened, synchronize,
// reopened, closed, a base changed by edited), re-requests of our own check, merge groups and deployments are never
// folded. Durable: Intake.acceptTrigger (the fold is one statement with the delivery's row: JobQueue.fold); inline:
// InlineFolds.
import type { CompletedCheck, PullRequestTrigger, Trigger } from "../adapters/github/triggers.js";

/** Deliveries whose trigger carries nothing beyond its head (or pull request): every fact is read when the job runs. */
const FOLDABLE_EVENTS = new Set([
  "pull_request.edited",
  "pull_request.labeled",
  "pull_request.unlabeled",
  "pull_request.ready_for_review",
  "pull_request.converted_to_draft",
  "pull_request_review.submitted",
  "pull_request_review.dismissed",
  "issue_comment.created",
  "issue_comment.edited",
  "issue_comment.deleted",
  "check_suite.requested",
  "check_suite.rerequested",
  "check_run.created",
  "check_run.completed",
]);

/** Deliveries one job answers for at most (its data holds their ids); the next delivery queues a job of its own. */
export const MAX_FOLDED = 256;
/** Distinct checks one job remembers (foldedChecks); past them it judges its head whatever the config requires. */
export const MAX_FOLDED_CHECKS = 16;

/** Whether a trigger may be folded into a waiting job of its subject (see above). */
export function foldable(t: Trigger): t is PullRequestTrigger {
  return t.kind === "pull_request" && FOLDABLE_EVENTS.has(t.event) && t.checkRunId === undefined && t.leftHead === undefined && t.retargeted !== true;
}

/** What a trigger's job is about: its head commit, or, for a delivery that names none (a comment), its pull request. */
export function subjectOf(t: Trigger): string {
  return t.headSha !== undefined ? `${t.owner}/${t.repo}@${t.headSha}` : `${t.owner}/${t.repo}#${t.pullNumbers.join(",")}`;
}

const sameCheck = (a: CompletedCheck, b: CompletedCheck): boolean => a.name === b.name && a.appId === b.appId && a.appSlug === b.appSlug;

/**
 * The trigger of a waiting job with `incoming` folded into it. A job that judges its head whatever checks ran covers
 * anything; one asked only by other Apps' checks (completedCheck: judged when the config requires it) judges
 * unconditionally once a delivery that is no check folds in, and otherwise when the config requires any of its checks
 * (up to MAX_FOLDED_CHECKS distinct ones; past them, unconditionally). foldSql is the same in SQL.
 */
export function foldTrigger(target: PullRequestTrigger, incoming: PullRequestTrigger): PullRequestTrigger {
  const held = target.completedCheck;
  if (held === undefined) return target;
  const { completedCheck: _held, foldedChecks: _others, ...always } = target;
  const check = incoming.completedCheck;
  if (check === undefined) return always;
  const others = target.foldedChecks ?? [];
  if (sameCheck(held, check) || others.some((o) => sameCheck(o, check))) return target;
  if (others.length >= MAX_FOLDED_CHECKS) return always;
  return { ...target, foldedChecks: [...others, check] };
}

/**
 * The durable fold of delivery `deliveryId` (trigger `t`) as SQL over a waiting job's `data` (an EvaluateJob): which
 * jobs may take it (`where`: a pull request's, with room), and the data it leaves (`data`: the trigger as foldTrigger
 * makes it, the delivery's id appended to `folded`, `foldedAt` the database's now). `param` names a parameter.
 */
export function foldSql(deliveryId: string, t: PullRequestTrigger): { where: (param: (v: unknown) => string) => string; data: (param: (v: unknown) => string) => string } {
  const folded = `COALESCE(data->'folded', '[]'::jsonb)`;
  return {
    where: (param) => `data->'trigger'->>'kind' = 'pull_request' AND jsonb_array_length(${folded}) < ${param(MAX_FOLDED)}::int`,
    data: (param) => {
      const check = `${param(t.completedCheck === undefined ? null : JSON.stringify(t.completedCheck))}::jsonb`;
      const held = `data->'trigger'->'completedCheck'`;
      const others = `COALESCE(data->'trigger'->'foldedChecks', '[]'::jsonb)`;
      const always = `(data #- '{trigger,completedCheck}' #- '{trigger,foldedChecks}')`;
      const trigger = `CASE WHEN ${held} IS NULL THEN data
        WHEN ${check} IS NULL THEN ${always}
        WHEN ${held} = ${check} OR EXISTS (SELECT 1 FROM jsonb_array_elements(${others}) AS o(c) WHERE o.c = ${check}) THEN data
        WHEN jsonb_array_length(${others}) >= ${param(MAX_FOLDED_CHECKS)}::int THEN ${always}
        ELSE jsonb_set(data, '{trigger,foldedChecks}', ${others} || jsonb_build_array(${check})) END`;
      return `jsonb_set(jsonb_set(${trigger}, '{folded}', ${folded} || jsonb_build_array(${param(deliveryId)}::text)), '{foldedAt}', to_jsonb(now()))`;
    },
  };
}

interface Waiting<R> {
  trigger: Trigger;
  result: Promise<R>;
}

/**
 * Folding without durable intake (the App evaluates a delivery before it answers it): per subject, one evaluation runs
 * at a time, and a foldable delivery that finds one waiting behind it (not yet started) is answered with that one's
 * results, its trigger folded in (foldTrigger), instead of an evaluation of its own.
 */
export class InlineFolds<R> {
  private readonly lines = new Map<string, { tail: Promise<void>; waiting: Waiting<R> | undefined }>();

  run(trigger: Trigger, evaluate: (t: Trigger) => Promise<R>): Promise<R> {
    const subject = subjectOf(trigger);
    const line = this.lines.get(subject) ?? { tail: Promise.resolve(), waiting: undefined };
    const waiting = line.waiting;
    if (waiting && waiting.trigger.kind === "pull_request" && foldable(trigger)) {
      waiting.trigger = foldTrigger(waiting.trigger, trigger);
      return waiting.result;
    }
    const entry: Waiting<R> = { trigger, result: Promise.resolve(undefined as R) };
    entry.result = line.tail.then(() => {
      if (line.waiting === entry) line.waiting = undefined; // started: it reads its facts from now on
      return evaluate(entry.trigger);
    });
    line.waiting = entry;
    const tail = entry.result.then(
      () => undefined,
      () => undefined,
    );
    line.tail = tail;
    this.lines.set(subject, line);
    void tail.then(() => {
      if (line.tail === tail) this.lines.delete(subject);
    });
    return entry.result;
  }
}
