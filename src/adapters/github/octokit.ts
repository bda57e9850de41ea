// Probot's Octokit with agent-gate's retry budget: 5xx and dropped connections are retried twice with backoff,
// primary and secondary rate limits are waited out when GitHub asks for at most `maxRetryAfterSeconds`, and
// writes are paced per installation (GitHub's secondary-limit guidance; shared between processes when Probot
// has REDIS_URL). Past the budget the request fails, the evaluation completes as "could not be evaluated", and
// the job is retried later with backoff.
import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";

export interface GitHubBudget {
  /** Retries of a request that failed with 5xx or no answer. */
  readonly retries: number;
  /** Milliseconds; the n-th retry waits base × n². */
  readonly retryBaseMs: number;
  /** A rate limit asking for a longer wait than this fails the request instead (the job backs off). */
  readonly maxRetryAfterSeconds: number;
  /** Minimum milliseconds between two writes of one installation; GitHub advises 1000. */
  readonly writeIntervalMs: number;
  /** Octokit plugins to add (metrics). */
  readonly plugins?: readonly ((octokit: never, options?: never) => void)[];
}

export const DEFAULT_BUDGET: GitHubBudget = { retries: 2, retryBaseMs: 250, maxRetryAfterSeconds: 10, writeIntervalMs: 1000 };

/** A GraphQL request whose document is a query (agent-gate names its operations: `query AgentGate...`). */
function isGraphqlQuery(options: { method?: string; url?: string; query?: unknown }): boolean {
  return options.method === "POST" && /\/graphql$/.test(options.url ?? "") && typeof options.query === "string" && /^\s*query\b/.test(options.query);
}

/** A write lane that does not wait (plugin-throttling schedules a no-op on it before the request). */
const UNPACED = { key: () => ({ schedule: (_opts: unknown, fn: () => Promise<unknown>) => fn() }) };

type Options = Record<string, unknown> & { auth?: { installationId?: unknown }; throttle?: Record<string, unknown>; retry?: Record<string, unknown> };

export function budgetedOctokit(budget: GitHubBudget = DEFAULT_BUDGET): typeof ProbotOctokit {
  const writeGroups = new Map<unknown, Bottleneck.Group>();
  // Concurrency lanes of this process only (plugin-throttling's own share Redis when it has it): a process killed
  // mid-request would hold its shared slots until they expire after 60 s, and with the token lane's one slot, every
  // process would wait that long for an installation token (the fault harness saw 44 s stalls after each SIGKILL).
  // Shared, only the pacing of writes, whose slot is held for no request.
  const local = { global: new Bottleneck.Group({ id: "agent-gate-global", maxConcurrent: 10, timeout: 120_000 }), auth: new Bottleneck.Group({ id: "agent-gate-auth", maxConcurrent: 1, timeout: 120_000 }) };
  // Probot applies its own retry and throttle defaults over a plain `.defaults({...})`; a function has the last word.
  const Base = budget.plugins?.length ? ProbotOctokit.plugin(...(budget.plugins as unknown as Parameters<typeof ProbotOctokit.plugin>)) : ProbotOctokit;
  return Base.defaults((options: Options) => {
    const installation = options.auth?.installationId;
    const throttle = options.throttle ?? {};
    const connection = throttle["connection"] as Bottleneck.IORedisConnection | undefined;
    let write = writeGroups.get(connection ?? "local");
    if (!write) {
      // Bottleneck keeps a shared lane's settings in Redis as the first process wrote them (until its keys idle for the
      // timeout): the interval is part of the lane's id, so a changed AGENT_GATE_WRITE_INTERVAL_MS applies at once.
      write = new Bottleneck.Group({ id: `agent-gate-write-${budget.writeIntervalMs}ms`, maxConcurrent: 1, minTime: budget.writeIntervalMs, timeout: 120_000, ...(connection ? { connection } : {}) });
      writeGroups.set(connection ?? "local", write);
    }
    const retryWithin = (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number): boolean => retryCount < budget.retries && retryAfter <= budget.maxRetryAfterSeconds;
    // plugin-throttling paces every POST /graphql as a write (it cannot tell a query from a mutation). GitHub's
    // 1 s guidance is for requests that create content; a GraphQL query reads (1 point of GraphQL's secondary limit,
    // a mutation 5), so ours skip the pacing: each event's query would otherwise wait a second for the writes.
    const retryLimiter = new Bottleneck();
    const schedule = retryLimiter.schedule.bind(retryLimiter) as (...args: unknown[]) => Promise<unknown>;
    retryLimiter.schedule = ((fn: unknown, state: { write: unknown }, request: unknown, options: { method?: string; url?: string; query?: unknown }) =>
      schedule(fn, isGraphqlQuery(options) ? { ...state, write: UNPACED } : state, request, options)) as typeof retryLimiter.schedule;
    return {
      ...options,
      retry: { ...options.retry, enabled: budget.retries > 0, retries: budget.retries, retryAfterBaseValue: budget.retryBaseMs },
      throttle: {
        ...throttle,
        enabled: true,
        // One pacing lane per installation (the unit GitHub's secondary limits count), not one for the whole App.
        id: installation === undefined ? "agent-gate-app" : `agent-gate-installation-${typeof installation === "number" || typeof installation === "string" ? installation : "unknown"}`,
        write,
        retryLimiter,
        global: local.global,
        auth: local.auth,
        onRateLimit: retryWithin,
        onSecondaryRateLimit: retryWithin,
      },
    };
  });
}
