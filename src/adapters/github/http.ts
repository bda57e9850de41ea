// Outbound HTTP with a deadline: every request made through this fetch is aborted after `timeoutMs`, headers and
// body alike, and the abort becomes an error that names the request (without its query string or credentials) and
// the timeout. A caller's own signal still works and keeps its own reason. Suitable for Octokit's
// `request: { fetch }`, and for any other outbound call (TUF, policy bundles, Rekor, a TSA).
import { AgentGateError } from "../../core/errors.js";
import { isBufferedFetch, isBufferedResponse, markBuffered } from "./http-transport.js";

/** Default deadline for one outbound request, from sending it to reading the last byte of its body. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** What a timed-out request rejects with (also the reason of the aborted signal, so a body read rejects with it). */
export class HttpTimeoutError extends AgentGateError {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super("HTTP_TIMEOUT", `${method} ${url} did not complete within ${timeoutMs} ms; expected an answer sooner (outbound request timeout)`, "transient");
  }
}

/** `scheme://host[:port]/path` of a request: no user info, query string or fragment, which may carry secrets. */
export function describeUrl(input: string | URL | Request): string {
  const raw = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    // not absolute: keep the path only
    return raw.split(/[?#]/, 1)[0] ?? "";
  }
}

type Fetch = typeof globalThis.fetch;

/**
 * A fetch that aborts each request after `timeoutMs`. The deadline covers the response body too: a server that
 * sends headers and then stalls is cut off, and reading the body rejects with the same HttpTimeoutError.
 */
export function fetchWithTimeout(timeoutMs: number = DEFAULT_HTTP_TIMEOUT_MS, baseFetch: Fetch = globalThis.fetch): Fetch {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`expected a positive timeout in ms, got ${timeoutMs}`);
  // An answer a lean fetch read whole (http-transport.ts) is complete when it resolves: its deadline ends there. Left
  // armed, each request's timer fired later anyway, made an error (with its stack) and kept the request's signal
  // alive. Decided per answer: a lean fetch hands some inputs (a Request, a stream body) to Node's fetch, whose
  // body may still stall, and the deadline covers that body as before.
  const buffered = isBufferedFetch(baseFetch);
  const timed = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const timeout = new AbortController();
    // Not AbortSignal.timeout(): its reason is an anonymous TimeoutError; this one names the request.
    const timer = setTimeout(() => timeout.abort(new HttpTimeoutError(method, describeUrl(input), timeoutMs)), timeoutMs);
    timer.unref(); // the timer stays armed while the body is read, but never keeps the process alive
    const callerSignal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout.signal]) : timeout.signal;
    try {
      const res = await baseFetch(input, { ...init, signal });
      if (isBufferedResponse(res)) clearTimeout(timer);
      return res;
    } catch (err) {
      clearTimeout(timer);
      // undici rejects with the signal's reason; other fetches may reject with a plain AbortError
      if (timeout.signal.aborted && !callerSignal?.aborted) throw timeout.signal.reason as Error;
      throw err;
    }
  };
  // The base fetch's responses pass through as they are: a lean fetch's bodies stay registered (native-json.ts).
  return buffered ? markBuffered(timed) : timed;
}
