// GitHub's failures, told apart: what retrying can fix (5xx, timeouts, dropped connections, primary and secondary
// rate limits) is transient, so the evaluation is completed as "could not be evaluated" and re-queued; what it
// cannot (404, 422, a permission the App lacks) is final. Messages name the request, never its credentials.
import { AgentGateError, describeError } from "../../core/errors.js";

interface RequestErrorLike {
  status?: unknown;
  request?: { method?: unknown; url?: unknown };
  response?: { headers?: Record<string, unknown> };
}

function requestName(e: RequestErrorLike): string {
  const method = typeof e.request?.method === "string" ? e.request.method : "";
  const raw = typeof e.request?.url === "string" ? e.request.url : "";
  let path = raw;
  try {
    path = new URL(raw).pathname;
  } catch {
    path = raw.split("?")[0] ?? "";
  }
  return `${method} ${path}`.trim() || "a GitHub request";
}

/** True for a failure that a later attempt may not meet. */
export function isTransientGitHubError(err: unknown): boolean {
  const e = err as RequestErrorLike | null;
  const status = typeof e?.status === "number" ? e.status : undefined;
  if (status === undefined) {
    const name = (err as { name?: unknown } | null)?.name;
    // fetch failures, aborts and timeouts (no HTTP status at all)
    return name === "HttpError" || name === "TypeError" || name === "AbortError" || name === "TimeoutError" || /fetch failed|timed? ?out|ECONNRESET|ECONNREFUSED|socket hang up|aborted/i.test(describeError(err));
  }
  if (status >= 500 || status === 429 || status === 408) return true;
  if (status === 403) {
    const h = e?.response?.headers ?? {};
    return h["x-ratelimit-remaining"] === "0" || h["retry-after"] !== undefined || /rate limit/i.test(describeError(err));
  }
  return false;
}

/** A GitHub failure as a coded error: GITHUB_UNAVAILABLE (transient) or GITHUB_REQUEST_FAILED (final). */
export function fromGitHubError(err: unknown): AgentGateError | undefined {
  if (err instanceof AgentGateError) return undefined;
  const e = err as RequestErrorLike | null;
  const status = typeof e?.status === "number" ? e.status : undefined;
  if (status === undefined && !isTransientGitHubError(err)) return undefined;
  const what = `${requestName(e ?? {})} ${status !== undefined ? `answered HTTP ${status}` : "failed without an HTTP answer"}`; // a raw message may be anything's (shown on GitHub): the log has it
  return isTransientGitHubError(err)
    ? new AgentGateError("GITHUB_UNAVAILABLE", `GitHub could not serve ${what} within agent-gate's retry budget; the evaluation is retried`, "transient", { cause: err })
    : new AgentGateError("GITHUB_REQUEST_FAILED", `GitHub refused a request (${what})`, "internal", { cause: err });
}
