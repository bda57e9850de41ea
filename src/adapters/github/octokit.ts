// Probot's Octokit with agent-gate's retry budget: 5xx and dropped connections are retried twice with backoff,
// primary and secondary rate limits are waited out when GitHub asks for at most `maxRetryAfterSeconds`, and
// writes are paced per installation (GitHub's secondary-limit guidance; shared between processes when Probot
// has REDIS_URL). Past the budget the request fails, the evaluation completes as "could not be evaluated", and
// the job is retried later with backoff. One plugin of ours does it all (request-budget.ts); Probot's retry and
// throttling plugins are off.
import { ProbotOctokit } from "probot";
import { fetchWithTimeout } from "./http.js";
import { leanFetch } from "./http-transport.js";
import { requestBudgetPlugin } from "./request-budget.js";

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
  /**
   * The fetch of every client of this class given none. Probot's installation clients (`app.auth(id)`) are built
   * without the `request.fetch` given to Probot (they went out over Node's fetch, without its deadline); this one
   * reaches them. A client given its own `request.fetch` (the demo's stand-in, tests) keeps it.
   */
  readonly fetch?: typeof globalThis.fetch;
}

export const DEFAULT_BUDGET: GitHubBudget = { retries: 2, retryBaseMs: 250, maxRetryAfterSeconds: 10, writeIntervalMs: 1000 };

type Options = Record<string, unknown> & { throttle?: Record<string, unknown>; retry?: Record<string, unknown>; request?: Record<string, unknown> };

export function budgetedOctokit(budget: GitHubBudget = DEFAULT_BUDGET): typeof ProbotOctokit {
  // The budget's plugin first, so the metrics plugins around it count each request once, with its final answer.
  const plugins = [requestBudgetPlugin(budget), ...(budget.plugins ?? [])] as unknown as Parameters<typeof ProbotOctokit.plugin>;
  // Probot applies its own retry and throttle defaults over a plain `.defaults({...})`; a function has the last word.
  // Probot's plugin-retry and plugin-throttling stay off (the budget's plugin does their work); the throttle options
  // keep Probot's Redis `connection`, through which the budget shares its write pacing.
  const fetch = budget.fetch;
  return ProbotOctokit.plugin(...plugins).defaults((options: Options) => ({
    ...options,
    ...(fetch && !options.request?.["fetch"] ? { request: { ...options.request, fetch } } : {}),
    retry: { ...options.retry, enabled: false },
    throttle: { ...options.throttle, enabled: false },
  }));
}

/**
 * The App's fetch for GitHub: the lean transport (http-transport.ts: undici's request() instead of Node's fetch,
 * and JSON answers parsed with JSON.parse by the budget's plugin) under a per-request deadline. A `request.fetch`
 * given to Probot or an Octokit (the demo's stand-in, tests) replaces it, as any fetch does.
 */
export function githubFetch(timeoutMs: number): typeof globalThis.fetch {
  return fetchWithTimeout(timeoutMs, leanFetch());
}
