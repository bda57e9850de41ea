// Durable intake: a verified delivery is persisted as a job and acknowledged at once (GitHub gives up after
// ten seconds and never retries by itself); workers evaluate it, at least once. Evaluations are idempotent by
// (repository, head commit, trigger, config digest, policy digest), so a job run twice writes once. A job whose
// evaluation could not complete (GitHub failing beyond the retry budget) completes the check as "could not be
// evaluated" and is retried with backoff, so no check is left in_progress and none stays wrong.
import type { JobQueue, QueuedJob } from "../adapters/queue/job-queue.js";
import { RetryLater } from "../adapters/queue/job-queue.js";
import type { SqlGateStore } from "../adapters/storage/gate-store.js";
import { toTrigger, type Trigger } from "../adapters/github/triggers.js";
import { CHECK_NAME } from "../adapters/github/check-runs.js";
import type { InstallationGitHub } from "../adapters/github/facts-port.js";
import { AgentGateError } from "../core/errors.js";
import { nestsWithin } from "../core/json-depth.js";
import type { DeploymentGate } from "./deployment-gate.js";
import type { PullRequestGate } from "./pull-request-gate.js";
import type { ConfigSweepStep } from "./config-sweep.js";
import { foldable, foldSql, subjectOf } from "./fold.js";

export const EVALUATE_QUEUE = "evaluate";
export const DEPLOYMENT_QUEUE = "deployment";
export const RECONCILE_QUEUE = "reconcile";
export const QUEUES = [EVALUATE_QUEUE, DEPLOYMENT_QUEUE, RECONCILE_QUEUE] as const;

export interface EvaluateJob {
  readonly deliveryId: string | undefined;
  /** The trigger's identity when there is no delivery (a reconciliation sweep). */
  readonly triggerId?: string;
  /** The intake process's clock, for the record; triggers are ordered by the job's createdOn (the database's clock). */
  readonly receivedAt: string;
  readonly trigger: Trigger;
  readonly redelivered: boolean;
  /** Deliveries folded into this job while it waited to start (app/fold.ts), oldest first; it answers for them too. */
  readonly folded?: readonly string[];
  /** When the last of them was folded in, by the database's clock: the job's trigger time from then on. */
  readonly foldedAt?: string;
}

export interface DeploymentJob {
  readonly deliveryId: string;
  readonly receivedAt: string;
  readonly payload: unknown;
}

/**
 * An installation's GitHub (over Probot's `app.auth(id)`, retried and paced by the request budget's plugin); with `signal`,
 * every request it makes ends with it (a job attempt's deadline, or the process stopping).
 */
export type InstallationAuth = (installationId: number, signal?: AbortSignal) => Promise<InstallationGitHub>;

/** GitHub's payloads nest about ten deep; a job's data nesting deeper than this is no delivery of theirs. */
export const MAX_JOB_DEPTH = 64;

/**
 * A signed delivery that can never be processed (a payload that is no trigger, or nests too deep to store): answered
 * 422 so it is not retried (reconciliation redelivers only deliveries that failed on our side), and nothing is stored.
 */
export class UnprocessableDelivery extends AgentGateError {
  /** The HTTP status @octokit/webhooks answers with. */
  readonly status = 422;
  constructor(
    readonly deliveryId: string,
    readonly eventName: string,
    readonly reason: string,
  ) {
    super("DELIVERY_UNPROCESSABLE", `delivery ${deliveryId} (${eventName}) can never be processed, so it is refused: ${reason}`);
    // @octokit/webhooks attaches the whole delivery to a handler's error as `event`, and Probot logs the error:
    // this accessor keeps only its id and name, so the payload is never logged.
    Object.defineProperty(this, "event", { get: () => ({ id: deliveryId, name: eventName }), set: () => undefined, enumerable: false, configurable: true });
  }
}

export interface IntakeEvents {
  /** A delivery refused as unprocessable (log it once: delivery id, event, reason; never the payload). */
  rejected?(refusal: UnprocessableDelivery): void;
  /** A delivery folded into job `jobId` of its subject, which waited to start (app/fold.ts): no job of its own. */
  folded?(deliveryId: string, event: string, jobId: string): void;
  /** `error`: an error's full message, for the log only (GitHub was shown what publicError allows). */
  evaluated?(job: EvaluateJob, outcome: { conclusion: string; outcome: string; transient: boolean; retryCount: number; error?: string }): void;
  deployed?(job: DeploymentJob, outcome: { state: string; decisionId: string; error?: string }): void;
  failed?(queue: string, err: unknown, retryCount: number): void;
}

export class Intake {
  constructor(
    readonly queue: JobQueue,
    readonly store: SqlGateStore,
    private readonly events: IntakeEvents = {},
  ) {}

  /**
   * The trigger of a delivery, or null for one the gate ignores; a payload that is not what GitHub sends for its event
   * is refused (UnprocessableDelivery) rather than failed, which GitHub and reconciliation would only send again.
   */
  toTrigger(deliveryId: string, name: string, payload: unknown, appId?: number): Trigger | null {
    let trigger: Trigger | null;
    try {
      trigger = toTrigger(name, payload, CHECK_NAME, appId);
    } catch (err) {
      if (err instanceof AgentGateError && err.code === "WEBHOOK_PAYLOAD_INVALID") throw this.refuse(deliveryId, name, `${err.message}; expected the payload GitHub sends for this event`);
      throw err;
    }
    // Only the trigger is stored, but a payload nested deeper than GitHub's ever are is no delivery of theirs.
    if (trigger) this.storable(deliveryId, trigger.event, payload);
    return trigger;
  }

  /**
   * Persists one trigger: the delivery's row and its job in one statement, so a failure leaves neither and
   * reconciliation redelivers it (the delivery is acknowledged after this resolves). The job is a redelivery when
   * the delivery's row was there already (the statement sets `redelivered`). A foldable trigger (app/fold.ts) is first
   * folded into a job of its subject that waits to start, if one does: the delivery's row and the fold, one statement.
   */
  async acceptTrigger(deliveryId: string, trigger: Trigger): Promise<void> {
    const subject = subjectOf(trigger);
    if (foldable(trigger)) {
      const along = (p: (value: unknown) => string, folded: string): string => this.store.takeDeliverySql(deliveryId, trigger.event, p, folded);
      const into = await this.queue.fold(EVALUATE_QUEUE, subject, { ...foldSql(deliveryId, trigger), along });
      if (into !== null) {
        this.events.folded?.(deliveryId, trigger.event, into);
        return;
      }
    }
    // The trigger only, never the delivery's payload: the gate reads every fact from GitHub when it runs (a webhook's
    // pull request object is ~37 KB that was written, kept for the queue's retention and read back for nothing).
    const job: EvaluateJob = { deliveryId, receivedAt: new Date().toISOString(), trigger, redelivered: false };
    await this.queue.sendWith(EVALUATE_QUEUE, job, { subject, lane: trigger.installationId }, { sql: (p) => this.store.takeDeliverySql(deliveryId, trigger.event, p), unwrittenFlag: "redelivered" });
  }

  async acceptDeployment(deliveryId: string, payload: unknown): Promise<void> {
    const event = "deployment_protection_rule.requested";
    const job: DeploymentJob = { deliveryId, receivedAt: new Date().toISOString(), payload };
    this.storable(deliveryId, event, job);
    await this.queue.sendWith(DEPLOYMENT_QUEUE, job, { lane: laneOf(payload) }, { sql: (p) => this.store.takeDeliverySql(deliveryId, event, p) });
  }

  /** Refuses, before anything is written, a payload that could never be stored (nor stringified, nor cloned). */
  private storable(deliveryId: string, event: string, job: unknown): void {
    if (!nestsWithin(job, MAX_JOB_DEPTH)) throw this.refuse(deliveryId, event, `its payload nests arrays or objects more than ${MAX_JOB_DEPTH} deep; expected a payload as GitHub sends it (about ten deep)`);
  }

  private refuse(deliveryId: string, event: string, reason: string): UnprocessableDelivery {
    const refusal = new UnprocessableDelivery(deliveryId, event, reason);
    this.events.rejected?.(refusal);
    return refusal;
  }

  /**
   * A sweep found a head commit without a completed check (`unsettled`), or one a changed revocation list names
   * (`inputs`): evaluate it as its own trigger, unless a job for that head waits to start (each sweep would add one
   * more per head while evaluations lag or GitHub fails, and every one of them would be retried). A job already running
   * stands in only for an unsettled head: it completes the check (or fails, and is retried or found again). For changed
   * inputs it never does: it read the revocation list and config before this sweep asked, and would publish its result
   * under them. Resolves to whether a job was added; either way a job evaluates the head with what the sweep asked.
   */
  async enqueueSweep(trigger: Trigger, sweepId: string, why: "unsettled" | "inputs"): Promise<boolean> {
    const subject = subjectOf(trigger);
    if (await this.queue.waiting(EVALUATE_QUEUE, subject, why === "unsettled")) return false;
    const job: EvaluateJob = { deliveryId: undefined, triggerId: `reconcile:${sweepId}`, receivedAt: new Date().toISOString(), trigger, redelivered: true };
    await this.queue.send(EVALUATE_QUEUE, job, { subject, lane: trigger.installationId });
    return true;
  }

  /**
   * A push changed `owner`'s revocation list: queue a sweep of that owner, unless one waits to start (it reads the
   * list when it runs). A sweep already running read the list before this push, so it never stands in for one.
   */
  async enqueueRevocationSweep(pushed: { owner: string; installationId: number }): Promise<boolean> {
    const subject = `revocations:${pushed.owner.toLowerCase()}`;
    if (await this.queue.waiting(RECONCILE_QUEUE, subject)) return false;
    await this.queue.send(RECONCILE_QUEUE, { requestedAt: new Date().toISOString(), revocations: pushed }, { subject });
    return true;
  }

  /**
   * A step of a config sweep (app/config-sweep.ts): queued, unless the same sweep of a repository (or of an owner's
   * repositories) waits to start: it reads the config when it runs. One already running may have read it before this
   * change, so it never stands in. Continuations (a later page) and changed-file steps are always queued.
   */
  async enqueueConfigSweep(step: ConfigSweepStep): Promise<boolean> {
    const subject = step.step === "repository" && step.page === 1 ? `config:${step.owner}/${step.repo}`.toLowerCase() : step.step === "owner" && step.page === 1 ? `config:${step.owner}`.toLowerCase() : undefined;
    if (subject !== undefined && (await this.queue.waiting(RECONCILE_QUEUE, subject))) return false;
    await this.queue.send(RECONCILE_QUEUE, { requestedAt: new Date().toISOString(), config: step }, { ...(subject !== undefined ? { subject } : {}), lane: step.installationId });
    return true;
  }

  /** Starts this process's workers (`workersHoldingLocks(concurrency)` of them may hold a head's lock at once). */
  async start(opts: { auth: InstallationAuth; gate: PullRequestGate; deploymentGate?: DeploymentGate; concurrency: number }): Promise<void> {
    await this.queue.work<EvaluateJob>(EVALUATE_QUEUE, opts.concurrency, (job) => this.runEvaluate(job, opts.auth, opts.gate));
    const deploymentGate = opts.deploymentGate;
    if (deploymentGate) {
      await this.queue.work<DeploymentJob>(DEPLOYMENT_QUEUE, deploymentWorkers(opts.concurrency), async (job) => {
        try {
          const github = await opts.auth(installationOf(job.data.payload), job.signal);
          const r = await deploymentGate.handle(github, job.data.payload, { deliveryId: job.data.deliveryId });
          this.events.deployed?.(job.data, { state: r.state, decisionId: r.decisionId, ...(r.error !== undefined ? { error: r.error } : {}) });
        } catch (err) {
          this.events.failed?.(DEPLOYMENT_QUEUE, err, job.retryCount);
          throw err;
        }
      });
    }
  }

  private async runEvaluate(job: QueuedJob<EvaluateJob>, auth: InstallationAuth, gate: PullRequestGate): Promise<void> {
    const d = job.data;
    // Deliveries folded in while it waited: it answers for them, and its trigger is as new as the last of them.
    const folded = d.folded ?? [];
    const foldedAt = d.foldedAt !== undefined ? new Date(d.foldedAt) : undefined;
    const own = d.deliveryId ?? d.triggerId;
    let results;
    try {
      // Every GitHub call of this attempt ends with the attempt's deadline (retries and rate-limit waits included).
      const github = await auth(d.trigger.installationId, job.signal);
      results = await gate.handle(github, d.trigger, {
        ...(d.deliveryId !== undefined ? { deliveryId: d.deliveryId } : {}),
        ...(d.triggerId !== undefined ? { triggerId: d.triggerId } : {}),
        ...(folded.length > 0 ? { covers: { as: `${job.id}+${folded.length}`, head: d.trigger.headSha, triggers: [...(own !== undefined ? [own] : []), ...folded] } } : {}),
        // Triggers are ordered by when their job was stored, by the database's clock: the processes that took them in
        // may run on hosts whose clocks disagree, and a skewed one would let an older trigger pass a newer one.
        receivedAt: foldedAt !== undefined && foldedAt > job.createdOn ? foldedAt : job.createdOn,
        // A retried job may have created the check run before it died: look it up instead of adding one.
        redelivered: d.redelivered || job.retryCount > 0,
      });
    } catch (err) {
      // The check could not even be written (GitHub down beyond the budget): the job is retried with backoff,
      // and reconciliation finds the head again should the retries run out.
      this.events.failed?.(EVALUATE_QUEUE, err, job.retryCount);
      throw err;
    }
    for (const r of results) this.events.evaluated?.(d, { conclusion: r.conclusion, outcome: r.outcome, transient: r.transient, retryCount: job.retryCount, ...(r.error !== undefined ? { error: r.error } : {}) });
    const transient = results.filter((r) => r.transient);
    if (transient.length > 0) {
      throw new RetryLater(`${transient.map((r) => `#${r.pullNumber}@${r.headSha.slice(0, 7)}`).join(", ")} could not be evaluated; retrying`);
    }
  }
}

/** The job's lane in the queue: its installation, so one installation's burst does not hold up the others' jobs. */
function laneOf(payload: unknown): number | undefined {
  const id = (payload as { installation?: { id?: unknown } } | null)?.installation?.id;
  return typeof id === "number" ? id : undefined;
}

function installationOf(payload: unknown): number {
  const id = (payload as { installation?: { id?: unknown } } | null)?.installation?.id;
  if (typeof id !== "number") throw new Error("the deployment_protection_rule delivery has no installation.id");
  return id;
}

/** Deployment workers beside `concurrency` evaluation workers. */
const deploymentWorkers = (concurrency: number): number => Math.max(1, Math.floor(concurrency / 2));

/** The most workers of one process that hold a head's lock at once: evaluations, deployments and reconciliation's one. */
export function workersHoldingLocks(concurrency: number): number {
  return concurrency + deploymentWorkers(concurrency) + 1;
}
