// Prometheus metrics for the App: one Metrics instance owns its own Registry (never prom-client's global one), so
// a process can hold several (tests do) and nothing registers twice. Names are prefixed `agent_gate_`.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type EvaluationKind = "pull_request" | "deployment" | "merge_group";

/** 0.1 ms to 1 s (and a little past it): Sigstore verification of one bundle and one policy evaluation. */
export const FAST_BUCKETS_SECONDS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** A whole evaluation, GitHub round trips included: 10 ms to 2 minutes. */
export const EVALUATION_BUCKETS_SECONDS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface MetricsOptions {
  /** Name prefix; default "agent_gate_". */
  readonly prefix?: string;
  /** Process metrics (CPU, memory, event-loop lag, GC, handles) from prom-client; default true. */
  readonly defaultMetrics?: boolean;
  /** Labels added to every series, e.g. { instance: "a" }. */
  readonly defaultLabels?: Record<string, string>;
  /** Deadline for the queue-depth callback at scrape time; default 2000 ms. */
  readonly collectTimeoutMs?: number;
}

type QueueDepth = () => Promise<number> | number;
/** Seconds since the trusted root in use was fetched; undefined when no refresher runs (a pinned file). */
type RootAge = () => number | undefined;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export class Metrics {
  readonly registry: Registry;
  readonly eventsReceived: Counter<"event" | "action">;
  readonly evaluations: Counter<"kind" | "outcome">;
  readonly conclusions: Counter<"conclusion">;
  readonly deliveriesFolded: Counter<"event">;
  readonly queueDepth: Gauge;
  readonly jobsRetried: Counter<"queue">;
  readonly jobsFailed: Counter<"queue">;
  readonly githubRequests: Counter<"method" | "route" | "status">;
  readonly githubRateLimitRemaining: Gauge<"resource" | "installation">;
  readonly verificationSeconds: Histogram<"outcome">;
  readonly policySeconds: Histogram<"entrypoint">;
  readonly evaluationSeconds: Histogram<"kind" | "outcome">;
  readonly trustRootRefreshFailures: Counter;
  readonly trustRootAge: Gauge;
  private queueDepthFn: QueueDepth | undefined;
  private rootAgeFn: RootAge | undefined;

  constructor(options: MetricsOptions = {}) {
    const prefix = options.prefix ?? "agent_gate_";
    const registers = [(this.registry = new Registry())];
    if (options.defaultLabels) this.registry.setDefaultLabels(options.defaultLabels);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix });
    const collectTimeoutMs = options.collectTimeoutMs ?? 2000;
    const depth = (): QueueDepth | undefined => this.queueDepthFn;
    const rootAge = (): RootAge | undefined => this.rootAgeFn;

    this.eventsReceived = new Counter({
      name: `${prefix}events_received_total`,
      help: "Webhook deliveries received, by event and action",
      labelNames: ["event", "action"],
      registers,
    });
    this.evaluations = new Counter({
      name: `${prefix}evaluations_total`,
      help: "Evaluations finished, by kind (pull_request, deployment, merge_group) and outcome",
      labelNames: ["kind", "outcome"],
      registers,
    });
    this.conclusions = new Counter({
      name: `${prefix}conclusions_total`,
      help: "Check-run conclusions and deployment answers written, by conclusion",
      labelNames: ["conclusion"],
      registers,
    });
    this.deliveriesFolded = new Counter({
      name: `${prefix}deliveries_folded_total`,
      help: "Deliveries folded into a waiting job of their head instead of a job of their own, by event.action (answered by that job's evaluation)",
      labelNames: ["event"],
      registers,
    });
    this.queueDepth = new Gauge({
      name: `${prefix}queue_depth`,
      help: "Jobs waiting in the evaluation queue (read at scrape time; NaN when the queue did not answer)",
      registers,
      async collect() {
        const fn = depth();
        if (!fn) return;
        try {
          this.set(await withTimeout(Promise.resolve().then(fn), collectTimeoutMs, "the queue depth"));
        } catch {
          this.set(Number.NaN);
        }
      },
    });
    this.jobsRetried = new Counter({ name: `${prefix}jobs_retried_total`, help: "Jobs scheduled for another attempt, by queue", labelNames: ["queue"], registers });
    this.jobsFailed = new Counter({ name: `${prefix}jobs_failed_total`, help: "Jobs that failed for good (no attempts left), by queue", labelNames: ["queue"], registers });
    this.githubRequests = new Counter({
      name: `${prefix}github_requests_total`,
      help: "GitHub API requests, by method, route template and status (0: no answer)",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.githubRateLimitRemaining = new Gauge({
      name: `${prefix}github_rate_limit_remaining`,
      help: "x-ratelimit-remaining of the latest GitHub answer, by rate-limit resource and installation",
      labelNames: ["resource", "installation"],
      registers,
    });
    this.verificationSeconds = new Histogram({
      name: `${prefix}verification_duration_seconds`,
      help: "Sigstore verification of one bundle, by outcome",
      labelNames: ["outcome"],
      buckets: [...FAST_BUCKETS_SECONDS],
      registers,
    });
    this.policySeconds = new Histogram({
      name: `${prefix}policy_evaluation_duration_seconds`,
      help: "One Rego policy evaluation in WebAssembly, by entrypoint",
      labelNames: ["entrypoint"],
      buckets: [...FAST_BUCKETS_SECONDS],
      registers,
    });
    this.evaluationSeconds = new Histogram({
      name: `${prefix}evaluation_duration_seconds`,
      help: "A whole evaluation from trigger to written result, by kind and outcome",
      labelNames: ["kind", "outcome"],
      buckets: [...EVALUATION_BUCKETS_SECONDS],
      registers,
    });
    this.trustRootRefreshFailures = new Counter({
      name: `${prefix}trust_root_refresh_failures_total`,
      help: "TUF refreshes of the Sigstore trusted root that failed (each is logged with its cause)",
      registers,
    });
    this.trustRootAge = new Gauge({
      name: `${prefix}trust_root_age_seconds`,
      help: "Age of the trusted root in use since TUF last gave it (absent for a pinned root file)",
      registers,
      collect() {
        const seconds = rootAge()?.();
        if (seconds !== undefined) this.set(seconds);
      },
    });
  }

  /** The Content-Type of text(). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Reads the queue depth at every scrape (with a deadline; NaN if it throws or is late). */
  setQueueDepth(fn: QueueDepth): void {
    this.queueDepthFn = fn;
  }

  /** Reads the trusted root's age at every scrape. */
  setTrustRootAge(fn: RootAge): void {
    this.rootAgeFn = fn;
  }

  trustRootRefreshFailed(): void {
    this.trustRootRefreshFailures.inc();
  }

  eventReceived(event: string, action?: string): void {
    this.eventsReceived.inc({ event, action: action ?? "" });
  }

  evaluated(kind: EvaluationKind, outcome: string, seconds?: number): void {
    this.evaluations.inc({ kind, outcome });
    if (seconds !== undefined) this.evaluationSeconds.observe({ kind, outcome }, seconds);
  }

  concluded(conclusion: string): void {
    this.conclusions.inc({ conclusion });
  }

  /** A delivery folded into a waiting job of its head (app/fold.ts): that job's evaluation answers for it. */
  folded(event: string): void {
    this.deliveriesFolded.inc({ event });
  }

  jobRetried(queue = "evaluate"): void {
    this.jobsRetried.inc({ queue });
  }

  jobFailed(queue = "evaluate"): void {
    this.jobsFailed.inc({ queue });
  }

  githubRequest(method: string, route: string, status: number): void {
    this.githubRequests.inc({ method: method.toUpperCase(), route, status: String(status) });
  }

  rateLimitRemaining(resource: string, installation: string, remaining: number): void {
    this.githubRateLimitRemaining.set({ resource, installation }, remaining);
  }

  observeVerification(outcome: string, seconds: number): void {
    this.verificationSeconds.observe({ outcome }, seconds);
  }

  observePolicy(entrypoint: string, seconds: number): void {
    this.policySeconds.observe({ entrypoint }, seconds);
  }

  /**
   * Times `fn` (sync or async) into the verification histogram. The outcome label is `classify(result)` when given
   * (e.g. `(o) => (o.ok ? "verified" : o.code)` for the verifier's outcome), else "ok"; "error" when fn throws.
   */
  timeVerification<T>(fn: () => T, classify?: (result: Awaited<T>) => string): T {
    return timed(fn, classify, (outcome, s) => this.observeVerification(outcome, s));
  }

  /** Times `fn` (sync or async) into the policy histogram under `entrypoint`. */
  timePolicy<T>(entrypoint: string, fn: () => T): T {
    return timed(fn, undefined, (_outcome, s) => this.observePolicy(entrypoint, s));
  }
}

/** Runs fn (sync or async) and reports its outcome and duration in seconds. */
function timed<T>(fn: () => T, classify: ((result: Awaited<T>) => string) | undefined, report: (outcome: string, seconds: number) => void): T {
  const start = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - start) / 1e9;
  const outcome = (v: Awaited<T>): string => {
    try {
      return classify ? classify(v) : "ok";
    } catch {
      return "unknown";
    }
  };
  let result: T;
  try {
    result = fn();
  } catch (err) {
    report("error", seconds());
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (v: Awaited<T>) => {
        report(outcome(v), seconds());
        return v;
      },
      (err: unknown) => {
        report("error", seconds());
        throw err;
      },
    ) as T;
  }
  report(outcome(result as Awaited<T>), seconds());
  return result;
}
