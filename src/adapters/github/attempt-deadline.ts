// A job attempt's deadline over an installation's Octokit. Each request is raced against the attempt's signal from
// outside the request budget's plugin (request-budget.ts), so retries, Retry-After waits and a lane's queue all end
// with the attempt; the signal also reaches the budget (which stops retrying and waiting) and fetch, so the request
// itself is cut off; after the deadline a new request fails at once. The error is the signal's reason (the attempt's deadline, or the process stopping).
// The deadline's time (job-queue.ts records it) goes with the request too, so no write waits for a slot beyond it.
import type { Octokit } from "@octokit/rest";
import { deadlineOf } from "../queue/attempts.js";
import type { AttemptBudget } from "./request-budget.js";

export function boundedBy<O extends Pick<Octokit, "hook">>(octokit: O, signal: AbortSignal): O {
  const at = deadlineOf(signal);
  const attempt: AttemptBudget | undefined = at === undefined ? undefined : { deadline: at, writes: 0 };
  octokit.hook.wrap("request", async (request, options) => {
    signal.throwIfAborted();
    const own = options.request?.signal;
    // On the options object itself: Octokit's hook chain binds every inner hook to this one object, so a copy passed
    // to `request` would never reach the request budget or fetch (the request would run on past the deadline).
    options.request = { ...options.request, signal: own && own !== signal ? AbortSignal.any([own, signal]) : signal };
    // The attempt's deadline, for the budget's pacing: a write is not booked a slot it could not wait for.
    if (attempt) options.request.attempt = attempt;
    const inner = Promise.resolve(request(options));
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([inner, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
      // Cut off, the request still settles in the background (at once: its fetch is aborted too).
      inner.catch(() => undefined);
    }
  });
  return octokit;
}
