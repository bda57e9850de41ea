// agent-gate's retry budget and request lanes as one Octokit plugin, in place of @octokit/plugin-retry and
// @octokit/plugin-throttling (whose Bottleneck limiters cost about three times the request itself in CPU and added
// milliseconds of timers to each request). One wrap of Octokit's request:
// - lanes of this process: at most 10 requests of an installation in flight, its token requests one at a time;
// - writes of an installation (not GETs, token requests or GraphQL queries) start `writeIntervalMs` apart, shared
//   between processes through Redis when Probot has it (write-pacing.ts); a write whose slot would start after its
//   attempt's deadline (its first write: a third of the remaining time; any: MAX_PACING_WAIT_MS) is refused at once as
//   transient (GITHUB_WRITES_BACKLOGGED), booking nothing, and a write not sent (its wait cut off) gives its slot back;
// - answers that retrying can fix are retried `retries` times: primary and secondary rate limits after the wait
//   GitHub asks for, when it is at most `maxRetryAfterSeconds` (else the request fails at once and the job backs off);
//   other failures as plugin-retry did: any status >= 400 but 400, 401, 403, 404, 410, 422 and 451, and requests
//   without an answer (Octokit reports them as 500), the n-th retry after `retryBaseMs` × n².
// A request that waits for nothing costs no timer and no extra promise.
import { AgentGateError } from "../../core/errors.js";
import { withNativeJson } from "./native-json.js";
import { LocalPacer, SharedPacer, type Pacer, type RedisLike, type Slot } from "./write-pacing.js";

export interface RequestBudget {
  readonly retries: number;
  readonly retryBaseMs: number;
  readonly maxRetryAfterSeconds: number;
  readonly writeIntervalMs: number;
}

/** Statuses plugin-retry never retried (a 403 that is a rate limit is waited out instead). */
const DO_NOT_RETRY = new Set([400, 401, 403, 404, 410, 422, 451]);
/** plugin-throttling's wait for a secondary rate limit without retry-after. */
const SECONDARY_FALLBACK_SECONDS = 60;
const MAX_IN_FLIGHT = 10;
/** The longest a write waits for its paced slot, with or without an attempt deadline (the default attempt's 30 s). */
export const MAX_PACING_WAIT_MS = 30_000;

export interface RequestShape {
  method?: string;
  url?: string;
  query?: unknown;
  /** `retries`: at most this many retries of a failure whose effect is unknown (plugin-retry's per-request option). */
  /** `attempt`: the job attempt's deadline (Date.now() ms) and its writes sent so far (attempt-deadline.ts). */
  request?: { signal?: AbortSignal | null; retryCount?: number; retries?: number; attempt?: AttemptBudget };
}

/** One job attempt's, shared by its requests: no write waits past `deadline`; `writes` counts those sent. */
export interface AttemptBudget {
  readonly deadline: number;
  writes: number;
}

/** The path of a request URL (a route template or an absolute URL), without origin and query. */
function pathOf(url: string | undefined): string {
  const path = (url ?? "").replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "");
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

/** A GraphQL request whose document is a query (agent-gate names its operations: `query AgentGate...`). */
export function isGraphqlQuery(options: RequestShape): boolean {
  return options.method === "POST" && /\/graphql$/.test(options.url ?? "") && typeof options.query === "string" && /^\s*query\b/.test(options.query);
}

/** Requests for a token (plugin-throttling's list): one at a time per installation, never paced. */
function isAuthRequest(method: string | undefined, path: string): boolean {
  return (
    (method === "PATCH" && /^\/applications\/[^/]+\/token\/scoped$/.test(path)) ||
    (method === "POST" && (/^\/applications\/[^/]+\/token$/.test(path) || /^\/app\/installations\/[^/]+\/access_tokens$/.test(path) || path === "/login/oauth/access_token"))
  );
}

type Kind = "auth" | "write" | "read";

export function classify(options: RequestShape): Kind {
  const method = options.method ?? "GET";
  if (method === "GET" || method === "HEAD") return "read";
  if (isAuthRequest(method, pathOf(options.url))) return "auth";
  return isGraphqlQuery(options) ? "read" : "write";
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** Per-key semaphores. A free slot is taken synchronously; a freed slot passes straight to the next waiter. */
export class Lanes {
  private readonly lanes = new Map<string, { active: number; readonly waiting: Waiter[] }>();

  tryAcquire(key: string, limit: number): boolean {
    const lane = this.lanes.get(key);
    if (!lane) {
      this.lanes.set(key, { active: 1, waiting: [] });
      return true;
    }
    if (lane.active >= limit) return false;
    lane.active++;
    return true;
  }

  /** Waits for a slot (after tryAcquire said no); a waiter whose signal aborts leaves the queue. */
  wait(key: string, limit: number, signal?: AbortSignal): Promise<void> {
    if (this.tryAcquire(key, limit)) return Promise.resolve();
    signal?.throwIfAborted();
    const lane = this.lanes.get(key)!;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = lane.waiting.indexOf(waiter);
          if (i >= 0) lane.waiting.splice(i, 1);
          reject(signal?.reason as Error);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      lane.waiting.push(waiter);
    });
  }

  release(key: string): void {
    const lane = this.lanes.get(key);
    if (!lane) return;
    const next = lane.waiting.shift();
    if (next) {
      next.signal?.removeEventListener("abort", next.onAbort);
      next.resolve(); // the slot passes on: `active` is unchanged
      return;
    }
    if (--lane.active <= 0) this.lanes.delete(key);
  }

  /** Requests in flight under `key` (tests). */
  active(key: string): number {
    return this.lanes.get(key)?.active ?? 0;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

interface FailureLike {
  status?: unknown;
  message?: unknown;
  request?: unknown;
  response?: { headers?: Record<string, unknown>; data?: { errors?: readonly { type?: unknown }[] } };
}

/** Seconds a rate-limited answer asks to wait (plugin-throttling's reading), or undefined if it is not one. */
export function rateLimitWait(err: unknown, options: RequestShape, nowMs = Date.now()): number | undefined {
  const e = (err ?? {}) as FailureLike;
  const graphql = pathOf(options.url).startsWith("/graphql");
  if (!(e.status === 403 || e.status === 429 || (graphql && e.status !== 401))) return undefined;
  const headers = e.response?.headers ?? {};
  if (/\bsecondary rate\b/i.test(typeof e.message === "string" ? e.message : "")) return Number(headers["retry-after"]) || SECONDARY_FALLBACK_SECONDS;
  if (headers["x-ratelimit-remaining"] === "0" || (e.response?.data?.errors ?? []).some((x) => x?.type === "RATE_LIMITED")) {
    const reset = (Number(headers["x-ratelimit-reset"]) || 0) * 1000;
    return Math.max(Math.ceil((reset - nowMs) / 1000) + 1, 0); // one second past the reset, as GitHub advises
  }
  return undefined;
}

interface ResponseLike {
  status: number;
  headers: Record<string, unknown>;
  data?: unknown;
}

function isErrorList(v: unknown): v is readonly ({ type?: unknown; message?: unknown } | null)[] {
  return Array.isArray(v);
}

/** A GraphQL answer that is a failure in a 200: GitHub's rate limit, or its "something went wrong" (a 500). */
function graphqlFailure(response: ResponseLike, options: RequestShape): Error | undefined {
  const errors: unknown = (response.data as { errors?: unknown } | null | undefined)?.errors;
  if (!isErrorList(errors) || errors.length === 0 || !pathOf(options.url).startsWith("/graphql")) return undefined;
  if (errors.some((x) => x?.type === "RATE_LIMITED")) {
    // Thrown with 403 (GitHub's status for an exhausted rate limit) so the failure reads as transient.
    return Object.assign(new Error("GraphQL rate limit exceeded (RATE_LIMITED)"), { name: "HttpError", status: 403, request: options, response, data: response.data });
  }
  const first = errors[0]?.message;
  if (typeof first === "string" && /Something went wrong while executing your query/.test(first)) {
    return Object.assign(new Error(first), { name: "HttpError", status: 500, request: options, response });
  }
  return undefined;
}

type Send = (options: RequestShape) => Promise<ResponseLike>;

export interface BudgetedRequestContext {
  readonly budget: RequestBudget;
  readonly lanes: Lanes;
  /** The installation (or "app") whose lanes and pacing the request takes. */
  readonly id: string;
  /** Absent: writes are not paced. */
  readonly pacer: Pacer | undefined;
}

/** Milliseconds before the next attempt of a failed request, or undefined: the failure is final. */
function retryDelay(err: unknown, options: RequestShape, retryCount: number, budget: RequestBudget): number | undefined {
  if (retryCount >= budget.retries || options.request?.signal?.aborted) return undefined;
  const limited = rateLimitWait(err, options);
  if (limited !== undefined) return limited <= budget.maxRetryAfterSeconds ? limited * 1000 : undefined;
  // A request may ask for fewer retries of a failure whose effect is unknown (a 5xx, a lost answer): the check-run
  // create asks for none, since GitHub may have made the run (a lookup decides instead). A rate limit refused the
  // request, so waiting it out is safe whatever the request asked.
  if (retryCount >= (options.request?.retries ?? budget.retries)) return undefined;
  const e = (err ?? {}) as FailureLike;
  if (e.request === undefined || typeof e.status !== "number" || e.status < 400 || DO_NOT_RETRY.has(e.status)) return undefined;
  return budget.retryBaseMs * (retryCount + 1) ** 2;
}

/**
 * A write's slot, within the attempt's remaining time and MAX_PACING_WAIT_MS; none is booked past them. A backlog the
 * write could not wait out fails it at once as transient: its job is retried later, not cut off with its slot held.
 */
async function pacedSlot(pacer: Pacer, id: string, interval: number, options: RequestShape): Promise<Slot> {
  const signal = options.request?.signal ?? undefined;
  signal?.throwIfAborted();
  const attempt = options.request?.attempt;
  // An attempt's first write may wait a third of its remaining time: the rest is for the writes that finish its job (a
  // check run created, then completed), which a queue as long would make wait as long again; with half, a backlog at
  // that bound refused nearly every second write (test/adapters/github/pacing-slots.test.ts). Later writes: all of it.
  const remaining = attempt === undefined ? Infinity : (attempt.deadline - Date.now()) / (attempt.writes === 0 ? 3 : 1);
  const maxWait = Math.min(MAX_PACING_WAIT_MS, remaining);
  const slot = await pacer.reserve(`agent-gate:write-pacing:${interval}ms:${id}`, interval, maxWait);
  if (slot && signal?.aborted) slot.release(); // aborted while Redis answered
  signal?.throwIfAborted();
  if (slot) return slot;
  throw new AgentGateError(
    "GITHUB_WRITES_BACKLOGGED",
    `installation ${id}'s paced writes (one per ${interval} ms) are reserved further ahead than this request may wait (${Math.max(0, Math.round(maxWait))} ms); it is retried later`,
    "transient",
  );
}

/** One request under the budget: lanes, pacing and retries. */
export async function budgetedRequest(ctx: BudgetedRequestContext, send: Send, options: RequestShape): Promise<ResponseLike> {
  const kind = classify(options);
  const lane = kind === "auth" ? `auth:${ctx.id}` : `req:${ctx.id}`;
  const limit = kind === "auth" ? 1 : MAX_IN_FLIGHT;
  const signal = options.request?.signal ?? undefined;
  const interval = ctx.budget.writeIntervalMs;
  for (let retryCount = 0; ; ) {
    const slot = kind === "write" && ctx.pacer && interval > 0 ? await pacedSlot(ctx.pacer, ctx.id, interval, options) : undefined;
    try {
      if (slot && slot.waitMs > 0) await sleep(slot.waitMs, signal);
      if (!ctx.lanes.tryAcquire(lane, limit)) await ctx.lanes.wait(lane, limit, signal);
    } catch (err) {
      slot?.release(); // never sent: the slot goes back
      throw err;
    }
    let failure: unknown;
    try {
      if (slot && options.request?.attempt) options.request.attempt.writes++;
      const response = await send(options);
      failure = graphqlFailure(response, options);
      if (failure === undefined) return response;
    } catch (err) {
      failure = err;
    } finally {
      ctx.lanes.release(lane);
    }
    const delay = retryDelay(failure, options, retryCount, ctx.budget);
    if (delay === undefined) throw failure;
    retryCount++;
    if (options.request) options.request.retryCount = retryCount;
    await sleep(delay, signal);
  }
}

interface PluginOctokit {
  readonly hook: { wrap(name: "request", fn: (send: Send, options: RequestShape) => Promise<ResponseLike>): void };
  readonly log?: { warn(message: string): void };
}

interface PluginOptions {
  readonly auth?: unknown;
  /** Probot's throttle options: with REDIS_URL, `connection` is a Bottleneck IORedisConnection whose `client` is ioredis. */
  readonly throttle?: { readonly connection?: unknown };
}

function redisOf(connection: unknown): RedisLike | undefined {
  const client = (connection as { client?: unknown } | null | undefined)?.client as Partial<RedisLike> | undefined;
  return typeof client?.evalsha === "function" && typeof client.eval === "function" ? (client as RedisLike) : undefined;
}

/**
 * The Octokit plugin. Its lanes and pacing are shared by every client of the plugin (a process's Probot makes one
 * per installation and event); with Redis the pacing is shared with other processes too.
 */
export function requestBudgetPlugin(budget: RequestBudget): (octokit: PluginOctokit, options?: PluginOptions) => void {
  const lanes = new Lanes();
  const local = new LocalPacer();
  const shared = new WeakMap<object, SharedPacer>();
  const pacerFor = (options: PluginOptions | undefined, octokit: PluginOctokit): Pacer | undefined => {
    if (budget.writeIntervalMs <= 0) return undefined;
    const redis = redisOf(options?.throttle?.connection);
    if (!redis) return local;
    let pacer = shared.get(redis);
    if (!pacer) {
      pacer = new SharedPacer(redis, { fallback: local, warn: (message) => octokit.log?.warn(message) });
      shared.set(redis, pacer);
    }
    return pacer;
  };
  return (octokit, options) => {
    const installation = (options?.auth as { installationId?: unknown } | undefined)?.installationId;
    const id = installation === undefined ? "app" : typeof installation === "number" || typeof installation === "string" ? String(installation) : "unknown";
    const ctx: BudgetedRequestContext = { budget, lanes, id, pacer: pacerFor(options, octokit) };
    // Over a lean fetch (http-transport.ts), successful JSON answers are parsed with JSON.parse (native-json.ts).
    octokit.hook.wrap("request", (send, requestOptions) => budgetedRequest(ctx, withNativeJson(send, requestOptions), requestOptions));
  };
}
