// The queue's order and its retry backoff: pure functions of time and counts (job-queue.ts writes them on jobs).
/**
 * Jobs are taken in the order they joined the line, and a failed attempt rejoins it at the back: pg-boss takes the
 * highest priority first, so a job's priority is minus the second (counted from this epoch) at which it joined. A
 * retry joins when its backoff ends plus one attempt deadline: every job that arrived meanwhile goes first, so
 * retries never starve fresh work, and each retry waits only for those, so failing work is retried in bounded time
 * (a fixed lower priority for retries would leave them waiting for as long as fresh work keeps coming).
 */
const LINE_EPOCH_MS = Date.UTC(2025, 0, 1);
export const placeInLine = (atMs: number): number => -Math.floor((atMs - LINE_EPOCH_MS) / 1000);

/** Seconds before the next attempt after `failures` failed ones (1 for the first retry): doubling, capped, jittered down by up to half. */
export function retryDelay(failures: number, baseSeconds: number, maxSeconds: number, random: () => number = Math.random): number {
  const full = Math.min(maxSeconds, baseSeconds * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.ceil(full / 2 + (full / 2) * random());
}
