// A job's attempt under its deadline, and its errors: its deadline passed, its process is stopping, or its handler asks
// to be retried later.
import { AgentGateError } from "../../core/errors.js";

/** An attempt that ran past its deadline (the reason of its aborted signal). */
export class AttemptDeadline extends AgentGateError {
  constructor(queue: string, seconds: number) {
    super("JOB_DEADLINE", `a job of ${queue} did not finish within its attempt deadline of ${seconds} s; it is retried after the fresh jobs`, "transient");
  }
}

/** A running attempt cut short because the process is stopping (its job is retried elsewhere). */
export class ShuttingDown extends AgentGateError {
  constructor(queue: string) {
    super("JOB_SHUTDOWN", `the process stopped before a job of ${queue} finished; it is left for retry`, "transient");
  }
}

/** Thrown by a handler to have its job retried later without logging it as a failure of ours. */
export class RetryLater extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "RetryLater";
  }
}

/** When each running attempt's signal aborts for its deadline (Date.now() ms), so waits under it can be bounded. */
const deadlines = new WeakMap<AbortSignal, number>();

/** Records that `signal` aborts at `at` (Date.now() ms): its attempt's deadline. */
export function markDeadline(signal: AbortSignal, at: number): void {
  deadlines.set(signal, at);
}

/** The deadline recorded for `signal`, if any. */
export function deadlineOf(signal: AbortSignal): number | undefined {
  return deadlines.get(signal);
}

/** After the deadline aborted an attempt's signal, how long it may take to wind down before its worker moves on. */
export const ABORT_GRACE_MS = 2_000;

/**
 * One attempt of a job of `queue` under its deadline of `seconds`: the signal aborts at the deadline (or when a stop
 * drains past its own, through the controller kept in `running` while the attempt runs), and an attempt that does not
 * wind down within a grace period after that is failed anyway, freeing its worker.
 */
export async function runAttempt(running: Map<Promise<unknown>, AbortController>, queue: string, seconds: number, run: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const control = new AbortController();
  const deadline = setTimeout(() => control.abort(new AttemptDeadline(queue, seconds)), seconds * 1000);
  markDeadline(control.signal, Date.now() + seconds * 1000);
  let grace: NodeJS.Timeout | undefined;
  const cutOff = new Promise<never>((_, reject) => {
    control.signal.addEventListener("abort", () => (grace = setTimeout(() => reject(control.signal.reason as Error), ABORT_GRACE_MS)), { once: true });
  });
  const attempt = run(control.signal);
  const settled = Promise.race([attempt, cutOff]);
  const tracked = settled.then(() => undefined, () => undefined);
  running.set(tracked, control);
  try {
    await settled;
  } finally {
    clearTimeout(deadline);
    clearTimeout(grace);
    running.delete(tracked);
    // A handler cut off still finishes in the background: its rejection is the attempt's, already reported.
    attempt.catch(() => undefined);
  }
}
