// One coded error base: deterministic denials, transient faults and bugs are told apart by `kind`,
// and every message says what was expected and what was found.
export type ErrorKind = "invalid-input" | "transient" | "internal";

export class AgentGateError extends Error {
  override readonly name = "AgentGateError";
  /** Itemised problems (e.g. every invalid config field), shown to humans one per line. */
  readonly details: readonly string[];
  constructor(
    readonly code: string,
    message: string,
    readonly kind: ErrorKind = "invalid-input",
    options?: { cause?: unknown; details?: readonly string[] },
  ) {
    super(message, options);
    this.details = options?.details ?? [];
  }
}

/** A message for any thrown value, without leaking stack traces into user-facing output. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "string") return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
