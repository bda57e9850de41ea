// The queue's order and its retry backoff: pure functions of time and counts (job-queue.ts writes them on jobs).
import type PgBoss from "pg-boss";
import type { SendOptions } from "./job-queue.js";

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

/** pg-boss's options for a new job: its place in line (now, or when it may start) and the queue's own backoff. */
export function sendOptions(options: SendOptions, retryDelaySeconds: number): PgBoss.SendOptions {
  const startAfter = options.startAfterSeconds ?? 0;
  if (options.subject !== undefined && options.singletonKey !== undefined) throw new Error("expected a job's subject or its singleton key, not both");
  // The subject is kept in pg-boss's singleton_key: without singletonSeconds, and in a queue of the standard policy, a label only.
  const singletonKey = options.subject ?? options.singletonKey;
  return {
    priority: placeInLine(Date.now() + startAfter * 1000),
    // A job whose worker died (expired) is retried after the base delay, in its place; a failed one, see requeue.
    retryBackoff: false,
    retryDelay: retryDelaySeconds,
    ...(singletonKey !== undefined ? { singletonKey } : {}),
    ...(options.singletonSeconds !== undefined ? { singletonSeconds: options.singletonSeconds } : {}),
    ...(startAfter > 0 ? { startAfter } : {}),
  };
}
