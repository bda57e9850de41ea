// Liveness, readiness and metrics endpoints as one node http handler that says whether it answered, the shape
// Probot 14's server takes from an app function's `addHandler` (handlers run in turn until one returns true):
//   GET /healthz  200 while the event loop runs;
//   GET /readyz   200 {status:"ready", checks} when every registered check passes within its deadline, else 503
//                 {status:"not ready", reason, checks}; 503 {status:"draining"} once shutdown has begun;
//   GET /metrics  Prometheus text from a Metrics instance (optionally behind a bearer token).
import { timingSafeEqual } from "node:crypto";
import { sha256Bytes } from "../core/digest.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Metrics } from "./metrics.js";
import { scrubText } from "./logging.js";

/** Resolves (ready) or throws/rejects with the reason (not ready). Resolving `false` is not ready too; a string is
 *  shown as the check's detail. The signal aborts when the check's deadline passes. */
export type ReadinessCheck = (signal: AbortSignal) => unknown;

export interface CheckResult {
  readonly status: "ok" | "fail";
  readonly ms: number;
  readonly detail?: string;
  readonly error?: string;
}

export interface ReadinessReport {
  readonly status: "ready" | "not ready" | "draining";
  readonly reason?: string;
  readonly checks: Record<string, CheckResult>;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 2000;

export class Readiness {
  private readonly checks = new Map<string, { check: ReadinessCheck; timeoutMs: number }>();
  private draining: string | undefined;
  private inFlight: Promise<ReadinessReport> | undefined;

  constructor(private readonly defaultTimeoutMs: number = DEFAULT_CHECK_TIMEOUT_MS) {}

  /** Adds (or replaces) a named check, e.g. register("database", () => db.query("select 1")). */
  register(name: string, check: ReadinessCheck, options: { timeoutMs?: number } = {}): this {
    this.checks.set(name, { check, timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs });
    return this;
  }

  /** From now on /readyz answers 503 (the load balancer stops sending work) while liveness stays 200. */
  setDraining(reason = "shutting down"): void {
    this.draining = reason;
  }

  /** Runs every check in parallel, each under its own deadline; concurrent callers share one run. */
  evaluate(): Promise<ReadinessReport> {
    if (this.draining !== undefined) return Promise.resolve({ status: "draining", reason: this.draining, checks: {} });
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async run(): Promise<ReadinessReport> {
    const entries = [...this.checks.entries()];
    const results = await Promise.all(entries.map(([name, { check, timeoutMs }]) => runCheck(name, check, timeoutMs)));
    const checks: Record<string, CheckResult> = {};
    entries.forEach(([name], i) => (checks[name] = results[i]!));
    const failed = entries.map(([name], i) => [name, results[i]!] as const).filter(([, r]) => r.status === "fail");
    if (failed.length === 0) return { status: "ready", checks };
    return { status: "not ready", reason: failed.map(([name, r]) => `${name}: ${r.error ?? "failed"}`).join("; "), checks };
  }
}

async function runCheck(name: string, check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`no answer within ${timeoutMs} ms`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  const ms = (): number => Math.round((performance.now() - start) * 10) / 10;
  try {
    const value = await Promise.race([Promise.resolve().then(() => check(controller.signal)), deadline]);
    if (value === false) return { status: "fail", ms: ms(), error: `${name} reported not ready` };
    return { status: "ok", ms: ms(), ...(typeof value === "string" ? { detail: scrubText(value) } : {}) };
  } catch (err) {
    // a check's error may quote a connection string or a token: scrubbed like a log line
    return { status: "fail", ms: ms(), error: scrubText(err instanceof Error ? err.message : String(err)).slice(0, 500) };
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthHandlerOptions {
  readonly readiness?: Readiness;
  readonly metrics?: Metrics;
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (the App's port usually faces the internet). */
  readonly metricsToken?: string;
  readonly paths?: { readonly liveness?: string; readonly readiness?: string; readonly metrics?: string };
  /** Called with unexpected failures (a metrics collection that throws); default: none. */
  readonly onError?: (err: unknown) => void;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

function send(res: ServerResponse, status: number, body: unknown, head: boolean, headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res
    .writeHead(status, {
      "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json",
      "cache-control": "no-store",
      ...headers,
    })
    .end(head ? undefined : text);
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer ([^\s]{1,4096})$/i.exec(header ?? "");
  if (!m?.[1]) return false;
  // equal-length digests, so the comparison takes the same time whatever was sent
  return timingSafeEqual(sha256Bytes(m[1]), sha256Bytes(token));
}

/** The handler: true when it answered (or is answering) the request, false to let the next handler try. */
export function healthHandler(options: HealthHandlerOptions = {}): NodeHandler {
  const liveness = options.paths?.liveness ?? "/healthz";
  const readinessPath = options.paths?.readiness ?? "/readyz";
  const metricsPath = options.paths?.metrics ?? "/metrics";
  const readiness = options.readiness ?? new Readiness();
  const { metrics, metricsToken } = options;
  return (req, res) => {
    const path = (req.url ?? "").split("?", 1)[0];
    const known = path === liveness || path === readinessPath || (metrics !== undefined && path === metricsPath);
    if (!known) return false;
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      send(res, 405, { error: `${method} ${path} is not supported; expected GET or HEAD` }, false, { allow: "GET, HEAD" });
      return true;
    }
    const head = method === "HEAD";
    if (path === liveness) {
      send(res, 200, { status: "ok" }, head);
      return true;
    }
    if (path === readinessPath) {
      readiness.evaluate().then(
        (report) => send(res, report.status === "ready" ? 200 : 503, report, head),
        (err: unknown) => {
          options.onError?.(err);
          send(res, 503, { status: "not ready", reason: "the readiness checks failed to run", checks: {} }, head);
        },
      );
      return true;
    }
    if (metricsToken !== undefined && !tokenMatches(req.headers.authorization, metricsToken)) {
      send(res, 401, { error: "expected Authorization: Bearer <metrics token>" }, head, { "www-authenticate": 'Bearer realm="metrics"' });
      return true;
    }
    metrics!.text().then(
      (text) => send(res, 200, text, head, { "content-type": metrics!.contentType }),
      (err: unknown) => {
        options.onError?.(err);
        send(res, 500, { error: "metrics collection failed" }, head);
      },
    );
    return true;
  };
}

/** Handlers in turn, then 404: for serving health and metrics on a port of their own with node:http. */
export function requestListener(...handlers: NodeHandler[]): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    for (const h of handlers) if (h(req, res)) return;
    send(res, 404, { error: `nothing at ${(req.url ?? "").split("?", 1)[0]}` }, req.method === "HEAD");
  };
}
