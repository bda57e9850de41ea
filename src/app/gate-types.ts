// The pull-request gate's contract: what it is built from, what one call is told, and what it returns.
import type { PolicyEvaluator } from "../adapters/opa/pool.js";
import type { BundleVerifier } from "../adapters/sigstore/verifier.js";
import type { GitHubSigningKey } from "../core/github-signature.js";
import type { GateStore } from "../adapters/storage/gate-store.js";
import type { AuditLog } from "../adapters/storage/audit-log.js";
import type { CheckConclusion } from "../core/conclusion.js";
import type { Decision } from "../core/decision.js";
import type { Facts } from "../core/facts.js";
import type { PullRequestInput } from "../core/policy-input.js";
import type { TlogEntrySummary } from "../core/verification.js";
import type { CheckRunOutput } from "../render/check-run.js";
import type { ConfigChangeOptions } from "./config-change.js";

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
  /** The error's full message, for the log only: GitHub is shown what publicError allows. */
  readonly error?: string;
  /** Dry runs only: the check run's output as it would have been written, and this pull request's own decision. */
  readonly output?: CheckRunOutput;
  readonly decision?: Decision | undefined;
}

/** The check run a pull request's head commit would get now (PullRequestGate.preview), written nowhere. */
export interface Preview {
  readonly headSha: string;
  /** The commit's one verdict, combined over every open pull request heading it. */
  readonly output: CheckRunOutput;
  readonly decisionId: string;
  /** The open pull requests judged at the commit, and each one's own decision (undefined: it could not be decided). */
  readonly pulls: readonly number[];
  readonly decisions: readonly (Decision | undefined)[];
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
  /** The files the config was read from (LoadedConfig.files): recorded, so a change to one finds whom it applies to. */
  readonly configFiles?: readonly string[];
}

/** Latencies of the two CPU-bound stages, in seconds (metrics). */
export interface StageObserver {
  verification?(seconds: number, outcome: "verified" | "some-failed" | "none"): void;
  policy?(seconds: number): void;
}

export interface PullRequestGateOptions {
  readonly verifier: BundleVerifier;
  /** The policy, evaluated on the event loop (PolicyEngine) or on worker threads (PolicyPool). */
  readonly engine: PolicyEvaluator;
  readonly keyRing?: ReadonlyMap<string, string>;
  /** The keys GitHub signs its own commits with (tier platform): its pinned web-flow keys unless a stand-in has its own. */
  readonly githubSigningKeys?: readonly GitHubSigningKey[];
  readonly now?: () => Date;
  readonly tlogEntryUrl?: (entry: TlogEntrySummary) => string | undefined;
  readonly onDecision?: (event: DecisionEvent) => Promise<unknown> | void;
  /** The audit log's head, read before each check run is completed: its footer witnesses it (docs/audit.md). */
  readonly auditHead?: () => Promise<{ readonly seq: number; readonly hash: string }>;
  /** The audit log, read for what earlier decisions recorded (config-change impact, revocation sweeps). */
  readonly auditLog?: AuditLog;
  /** The App's id: its own check runs are never among the required checks it waits for (default: left out by name only). */
  readonly appId?: number;
  /**
   * Recorded decisions and the bundles they were made with: a pull request that changes a config gets an impact
   * analysis over them (app/config-change.ts). Without it the new files are still validated.
   */
  readonly history?: ConfigChangeOptions["history"];
  /** Durable check-run ids, idempotency and ordering; default: in memory (one process that keeps nothing). */
  readonly store?: GateStore;
  readonly observe?: StageObserver;
}

export interface HandleContext {
  readonly deliveryId?: string;
  readonly pullPayload?: unknown;
  /** Evaluate and return results (with their output) without writing anything to GitHub or the store (PullRequestGate.preview, the `evaluate` command). */
  readonly dryRun?: boolean;
  /** When the trigger was received: an evaluation for an older trigger never overwrites a newer result. */
  readonly receivedAt?: Date;
  /** The trigger's identity in the idempotency key when there is no delivery (reconciliation sweeps). */
  readonly triggerId?: string;
  /** This work was seen before (a redelivery, a retried job): look the check run up before creating one. */
  readonly redelivered?: boolean;
  /**
   * Deliveries folded into this job while it waited to start (app/fold.ts): the evaluation of `head` (the trigger's
   * head; undefined: the head its pull request has, for a trigger that names none) answers for each of `triggers`
   * too, recorded under its own key with the result. `as` names that evaluation in the idempotency key instead of the
   * job's own trigger (the job and how many it folded: a retry that folded no more is a duplicate, one that folded
   * more is judged again).
   */
  readonly covers?: { readonly as: string; readonly head: string | undefined; readonly triggers: readonly string[] };
}

/** One pull request's evaluation, rendered: what it decided and from what, or the error that stopped it. */
export interface Evaluation {
  readonly facts: Facts | undefined;
  readonly input: PullRequestInput | undefined;
  readonly decision: Decision | undefined;
  readonly conclusion: CheckConclusion;
  readonly output: CheckRunOutput;
  readonly decisionId: string;
  readonly durationMs: number;
  readonly policyData: unknown;
  readonly configDigest: string | undefined;
  readonly configFiles?: readonly string[];
  readonly transient: boolean;
  /** The error's full message, for the log only: GitHub is shown what publicError allows. */
  readonly error?: string;
}
