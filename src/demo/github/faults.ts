// Seeded fault injection for the GitHub stand-in: server errors, latency, hangs, dropped connections and both kinds
// of rate limit, at configured rates, on the API requests a predicate picks. The same seed and the same sequence of
// requests give the same faults; every injected fault is counted by kind and logged, so a harness can print them.
import type { Fault, StandInRequest, StandInResponse } from "./stand-in.js";

export type FaultKind = "server-error" | "latency" | "timeout" | "drop" | "primary-rate-limit" | "secondary-rate-limit";
export const FAULT_KINDS: readonly FaultKind[] = ["server-error", "latency", "timeout", "drop", "primary-rate-limit", "secondary-rate-limit"];

/** Probabilities per targeted request, each in [0, 1], summing to at most 1 (one kind at most per request). */
export interface FaultRates {
  /** 500, 502 or 503 with a GitHub-like JSON body. */
  serverError?: number;
  /** The request is answered normally, after a delay. */
  latency?: number;
  /** The response hangs for `timeoutMs` (or until the client aborts), then the connection is dropped. */
  timeout?: number;
  /** The connection is dropped without an answer. */
  drop?: number;
  /** 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` a few seconds ahead. */
  primaryRateLimit?: number;
  /** 403 or 429 with `retry-after` and GitHub's secondary rate limit message. */
  secondaryRateLimit?: number;
}

/** An inclusive range [min, max] or a fixed value. */
export type Range = number | readonly [number, number];

export interface FaultInjectorOptions {
  seed: number;
  rates: FaultRates;
  /** Which requests may be faulted. Default: API requests except attestation bundle downloads and, unless
   * `includeTokenRequests`, installation token requests (POST /app/installations/{id}/access_tokens). */
  target?: (req: StandInRequest) => boolean;
  /** Let the default target also fault POST /app/installations/{id}/access_tokens. Default false. */
  includeTokenRequests?: boolean;
  /** Delay of a latency fault, ms. Default [100, 1500]. */
  latencyMs?: Range;
  /** How long a timeout fault hangs before the connection is dropped, ms. Default 30 000. */
  timeoutMs?: number;
  /** Statuses a server error is drawn from. Default [500, 502, 503]. */
  serverErrorStatuses?: readonly (500 | 502 | 503)[];
  /** Seconds until `x-ratelimit-reset` of a primary rate limit. Default [2, 5]. */
  resetInSeconds?: Range;
  /** `retry-after` of a secondary rate limit, seconds. Default [1, 5]. */
  retryAfterSeconds?: Range;
  /** Status of a secondary rate limit: 403, 429, or drawn from both. Default "both". */
  secondaryStatus?: 403 | 429 | "both";
  /** Installation ID named in the primary rate limit's message. Default 77, or what `installationFor` says. */
  installationId?: number;
  installationFor?: (req: StandInRequest) => number;
  /**
   * Once a rate limit is injected, keep answering it (same reset / until retry-after has passed) to every targeted
   * request carrying the same Authorization, as GitHub does. Default false: each request draws independently.
   */
  sticky?: boolean;
  /** Clock (ms since the epoch). Default Date.now. */
  now?: () => number;
}

export interface InjectedFault {
  /** The index of the targeted request (0-based) this fault was drawn for. */
  seq: number;
  kind: FaultKind;
  method: string;
  path: string;
  /** The status answered, for faults that answer (server errors and rate limits). */
  status?: number;
}

/** mulberry32: a small, fast, seedable PRNG with a 2^32 period; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api";
const SERVER_ERROR_BODY: Record<number, Record<string, string>> = {
  500: { message: "Server Error" },
  502: { message: "Server Error" },
  503: { message: "Service Unavailable" },
};

/** Whether a request asks for an installation access token (POST /app/installations/{id}/access_tokens). */
export function isTokenRequest(req: StandInRequest): boolean {
  return req.method.toUpperCase() === "POST" && /^\/app\/installations\/[^/]+\/access_tokens(?:\?|$)/.test(req.url);
}

/** Whether a request is for GitHub's REST API (not an attestation bundle download, which GitHub serves elsewhere). */
export function isApiRequest(req: StandInRequest): boolean {
  return !req.url.startsWith("/_attestation-bundles/");
}

const pick = (r: Range, u: number): number => (typeof r === "number" ? r : Math.floor(r[0] + u * (r[1] - r[0] + 1)));

function requestId(rand: () => number): string {
  const hex = (n: number): string => Math.floor(rand() * 16 ** n).toString(16).toUpperCase().padStart(n, "0");
  return `${hex(4)}:${hex(4)}:${hex(6)}:${hex(6)}:${hex(8)}`;
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Draws faults for the requests its `fault` sees. Add it with `standIn.faults.push(injector.fault)`. Exactly two
 * numbers are drawn per targeted request (which fault, and its parameters), so request n's fault depends only on the
 * seed and n. Set `enabled = false` to stop injecting (requests are then neither drawn for nor counted).
 */
export class FaultInjector {
  enabled = true;
  /** Faults injected, by kind. */
  readonly counts: Record<FaultKind, number> = { "server-error": 0, latency: 0, timeout: 0, drop: 0, "primary-rate-limit": 0, "secondary-rate-limit": 0 };
  /** Every injected fault, in order. */
  readonly log: InjectedFault[] = [];
  /** Targeted requests seen (faulted or not). */
  targeted = 0;
  private readonly rand: () => number;
  private readonly options: FaultInjectorOptions;
  private readonly limited = new Map<string, { kind: "primary-rate-limit" | "secondary-rate-limit"; until: number; res: StandInResponse }>();

  constructor(options: FaultInjectorOptions) {
    const rates = Object.values(options.rates) as number[];
    if (rates.some((r) => !(r >= 0 && r <= 1))) throw new RangeError("fault rates must lie in [0, 1]");
    if (rates.reduce((a, b) => a + b, 0) > 1 + 1e-9) throw new RangeError("fault rates must sum to at most 1");
    this.options = options;
    this.rand = mulberry32(options.seed);
  }

  /** The total number of injected faults. */
  get total(): number {
    return this.log.length;
  }

  /** One line per kind with a non-zero count, e.g. "server-error: 3, drop: 1 (of 120 targeted requests)". */
  summary(): string {
    const parts = FAULT_KINDS.filter((k) => this.counts[k] > 0).map((k) => `${k}: ${this.counts[k]}`);
    return `${parts.length ? parts.join(", ") : "no faults"} (of ${this.targeted} targeted requests)`;
  }

  private targets(req: StandInRequest): boolean {
    if (this.options.target) return this.options.target(req);
    return isApiRequest(req) && (this.options.includeTokenRequests === true || !isTokenRequest(req));
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private count(seq: number, kind: FaultKind, req: StandInRequest, status?: number): void {
    this.counts[kind]++;
    this.log.push({ seq, kind, method: req.method.toUpperCase(), path: req.url.split("?")[0] ?? req.url, ...(status !== undefined ? { status } : {}) });
  }

  /** The fault function for `GitHubStandIn.faults`. */
  readonly fault: Fault = (req, signal) => {
    if (!this.enabled || !this.targets(req)) return undefined;
    const seq = this.targeted++;
    const u = this.rand();
    const v = this.rand(); // always drawn: request n's fault does not depend on earlier requests' parameters
    const key = req.headers.authorization ?? "";
    const sticky = this.options.sticky ? this.limited.get(key) : undefined;
    if (sticky && this.now() < sticky.until) {
      this.count(seq, sticky.kind, req, sticky.res.status);
      return structuredClone(sticky.res);
    }
    const r = this.options.rates;
    const order: [FaultKind, number | undefined][] = [
      ["server-error", r.serverError], ["latency", r.latency], ["timeout", r.timeout], ["drop", r.drop],
      ["primary-rate-limit", r.primaryRateLimit], ["secondary-rate-limit", r.secondaryRateLimit],
    ];
    let acc = 0;
    const kind = order.find(([, rate]) => u < (acc += rate ?? 0))?.[0];
    if (!kind) return undefined;
    switch (kind) {
      case "server-error": {
        const statuses = this.options.serverErrorStatuses ?? [500, 502, 503];
        const status = statuses[Math.floor(v * statuses.length)] ?? 500;
        this.count(seq, kind, req, status);
        return { status, headers: { "content-type": "application/json; charset=utf-8", "x-github-request-id": requestId(mulberry32(seq + 1)) }, body: { ...SERVER_ERROR_BODY[status] } };
      }
      case "latency": {
        this.count(seq, kind, req);
        return sleep(pick(this.options.latencyMs ?? [100, 1500], v), signal).then(() => undefined);
      }
      case "timeout": {
        this.count(seq, kind, req);
        return sleep(this.options.timeoutMs ?? 30_000, signal).then(() => "drop" as const);
      }
      case "drop":
        this.count(seq, kind, req);
        return "drop";
      case "primary-rate-limit": {
        const reset = Math.floor(this.now() / 1000) + pick(this.options.resetInSeconds ?? [2, 5], v);
        const id = this.options.installationFor?.(req) ?? this.options.installationId ?? 77;
        const res = primaryRateLimit(id, reset, requestId(mulberry32(seq + 1)));
        if (this.options.sticky) this.limited.set(key, { kind, until: reset * 1000, res });
        this.count(seq, kind, req, res.status);
        return structuredClone(res);
      }
      case "secondary-rate-limit": {
        const retryAfter = pick(this.options.retryAfterSeconds ?? [1, 5], v);
        const s = this.options.secondaryStatus ?? "both";
        const status = s === "both" ? (Math.floor(v * 1e6) % 2 === 0 ? 403 : 429) : s;
        const res = secondaryRateLimit(status, retryAfter, requestId(mulberry32(seq + 1)));
        if (this.options.sticky) this.limited.set(key, { kind, until: this.now() + retryAfter * 1000, res });
        this.count(seq, kind, req, status);
        return structuredClone(res);
      }
    }
  };
}

/** GitHub's answer when an installation's primary rate limit is exhausted until `resetEpochSeconds`. */
export function primaryRateLimit(installationId: number, resetEpochSeconds: number, requestIdValue = "0000:0000:000000:000000:00000000", limit = 5000): StandInResponse {
  return {
    status: 403,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "x-ratelimit-limit": String(limit), "x-ratelimit-remaining": "0", "x-ratelimit-used": String(limit),
      "x-ratelimit-reset": String(resetEpochSeconds), "x-ratelimit-resource": "core", "x-github-request-id": requestIdValue,
    },
    body: { message: `API rate limit exceeded for installation ID ${installationId}. If you reach out to GitHub Support for help, please include the request ID ${requestIdValue}.`, documentation_url: DOCS, status: "403" },
  };
}

/** GitHub's answer to a request over a secondary rate limit. */
export function secondaryRateLimit(status: 403 | 429, retryAfterSeconds: number, requestIdValue = "0000:0000:000000:000000:00000000"): StandInResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "retry-after": String(retryAfterSeconds), "x-github-request-id": requestIdValue },
    body: {
      message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestIdValue}.`,
      documentation_url: `${DOCS}#about-secondary-rate-limits`, status: String(status),
    },
  };
}
