// The errors of a job's attempt: its deadline passed, its process is stopping, or its handler asks to be retried later.
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
