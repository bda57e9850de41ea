// Durable intake: a verified delivery is persisted as a job and acknowledged at once (GitHub gives up after
// ten seconds and never retries by itself); workers evaluate it, at least once. Evaluations are idempotent by
// (repository, head commit, trigger, config digest, policy digest), so a job run twice writes once. A job whose
// evaluation could not complete (GitHub failing beyond the retry budget) completes the check as "could not be
// evaluated" and is retried with backoff, so no check is left in_progress and none stays wrong.
import type { Octokit } from "@octokit/rest";
import type { JobQueue, QueuedJob } from "../adapters/queue/job-queue.js";
import { RetryLater } from "../adapters/queue/job-queue.js";
import type { SqlGateStore } from "../adapters/storage/gate-store.js";
import type { Trigger } from "../adapters/github/triggers.js";
import type { DeploymentGate } from "./deployment-gate.js";
import type { PullRequestGate } from "./pull-request-gate.js";

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
  /** The webhook's pull request object, when it carried one (saves a request). */
  readonly pull?: unknown;
  readonly redelivered: boolean;
}

export interface DeploymentJob {
  readonly deliveryId: string;
  readonly receivedAt: string;
  readonly payload: unknown;
}

/** An installation's Octokit (Probot's `app.auth(id)`), retried and throttled by Probot's plugins. */
export type InstallationAuth = (installationId: number) => Promise<Octokit>;

export interface IntakeEvents {
  evaluated?(job: EvaluateJob, outcome: { conclusion: string; outcome: string; transient: boolean; retryCount: number }): void;
  deployed?(job: DeploymentJob): void;
  failed?(queue: string, err: unknown, retryCount: number): void;
}

export class Intake {
  constructor(
    readonly queue: JobQueue,
    readonly store: SqlGateStore,
    private readonly events: IntakeEvents = {},
  ) {}

  /** Persists one trigger (the delivery is acknowledged after this resolves). */
  async acceptTrigger(deliveryId: string, trigger: Trigger, pull: unknown): Promise<void> {
    const redelivered = !(await this.store.takeDelivery(deliveryId, trigger.event));
    const job: EvaluateJob = { deliveryId, receivedAt: new Date().toISOString(), trigger, ...(pull !== undefined ? { pull } : {}), redelivered };
    await this.queue.send(EVALUATE_QUEUE, job);
  }

  async acceptDeployment(deliveryId: string, payload: unknown): Promise<void> {
    await this.store.takeDelivery(deliveryId, "deployment_protection_rule.requested");
    await this.queue.send(DEPLOYMENT_QUEUE, { deliveryId, receivedAt: new Date().toISOString(), payload } satisfies DeploymentJob);
  }

  /** A sweep found a head commit without a completed check: evaluate it as its own trigger. */
  async enqueueSweep(trigger: Trigger, sweepId: string): Promise<void> {
    const job: EvaluateJob = { deliveryId: undefined, triggerId: `reconcile:${sweepId}`, receivedAt: new Date().toISOString(), trigger, redelivered: true };
    await this.queue.send(EVALUATE_QUEUE, job);
  }

  /** Starts this process's workers. */
  async start(opts: { auth: InstallationAuth; gate: PullRequestGate; deploymentGate?: DeploymentGate; concurrency: number }): Promise<void> {
    await this.queue.work<EvaluateJob>(EVALUATE_QUEUE, opts.concurrency, (job) => this.runEvaluate(job, opts.auth, opts.gate));
    const deploymentGate = opts.deploymentGate;
    if (deploymentGate) {
      await this.queue.work<DeploymentJob>(DEPLOYMENT_QUEUE, Math.max(1, Math.floor(opts.concurrency / 2)), async (job) => {
        try {
          const octokit = await opts.auth(installationOf(job.data.payload));
          await deploymentGate.handle(octokit, job.data.payload, { deliveryId: job.data.deliveryId });
          this.events.deployed?.(job.data);
        } catch (err) {
          this.events.failed?.(DEPLOYMENT_QUEUE, err, job.retryCount);
          throw err;
        }
      });
    }
  }

  private async runEvaluate(job: QueuedJob<EvaluateJob>, auth: InstallationAuth, gate: PullRequestGate): Promise<void> {
    const d = job.data;
    let results;
    try {
      const octokit = await auth(d.trigger.installationId);
      results = await gate.handle(octokit, d.trigger, {
        ...(d.deliveryId !== undefined ? { deliveryId: d.deliveryId } : {}),
        ...(d.triggerId !== undefined ? { triggerId: d.triggerId } : {}),
        ...(d.pull !== undefined ? { pullPayload: d.pull } : {}),
        // Triggers are ordered by when their job was stored, by the database's clock: the processes that took them in
        // may run on hosts whose clocks disagree, and a skewed one would let an older trigger pass a newer one.
        receivedAt: job.createdOn,
        // A retried job may have created the check run before it died: look it up instead of adding one.
        redelivered: d.redelivered || job.retryCount > 0,
      });
    } catch (err) {
      // The check could not even be written (GitHub down beyond the budget): the job is retried with backoff,
      // and reconciliation finds the head again should the retries run out.
      this.events.failed?.(EVALUATE_QUEUE, err, job.retryCount);
      throw err;
    }
    for (const r of results) this.events.evaluated?.(d, { conclusion: r.conclusion, outcome: r.outcome, transient: r.transient, retryCount: job.retryCount });
    const transient = results.filter((r) => r.transient);
    if (transient.length > 0) {
      throw new RetryLater(`${transient.map((r) => `#${r.pullNumber}@${r.headSha.slice(0, 7)}`).join(", ")} could not be evaluated; retrying`);
    }
  }
}

function installationOf(payload: unknown): number {
  const id = (payload as { installation?: { id?: unknown } } | null)?.installation?.id;
  if (typeof id !== "number") throw new Error("the deployment_protection_rule delivery has no installation.id");
  return id;
}
