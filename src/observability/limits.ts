// Webhook intake for the App's HTTP server: a delivery's body is an outsider's bytes until its HMAC says GitHub
// sent it, so it is checked while it streams in, held only as it arrives within a budget shared by all connections
// (and a smaller share per client address), capped at GitHub's 25 MB, cut off when it stops arriving promptly, and
// refused (with one log line that never carries the payload) before Probot ever sees it.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** GitHub caps webhook payloads at 25 MB; 25 MiB leaves room for any rounding on their side. */
export const MAX_WEBHOOK_PAYLOAD_BYTES = 25 * 1024 * 1024;
/** Bytes of not-yet-verified bodies held at once across all connections: two full-size deliveries and change. */
export const DEFAULT_UNVERIFIED_BUDGET_BYTES = 64 * 1024 * 1024;
/**
 * Default deadline for receiving a whole request body. GitHub gives up on a delivery after 10 s, answer included,
 * so a body still arriving after that has nobody waiting for its answer (reconciliation redelivers it).
 */
export const DEFAULT_BODY_READ_TIMEOUT_MS = 10_000;
/** Default window over which a body must keep arriving; the first one is the grace before any byte is due. */
export const DEFAULT_BODY_RATE_WINDOW_MS = 2_000;
/** Default slowest rate a body may arrive at (GitHub sends up to 25 MB within its 10 s, so at megabytes a second). */
export const DEFAULT_MIN_BODY_BYTES_PER_SECOND = 32 * 1024;
/**
 * The least a chunk of body costs in the budget, however few bytes it carries: a sender who splits a body into
 * one-byte chunks (chunked transfer-encoding) makes node emit one Buffer and one event per chunk, so each chunk is
 * charged as if it held this many bytes, and a stream of tiny chunks runs out of its share after a bounded count.
 */
export const MIN_CHUNK_CHARGE_BYTES = 1024;
/** Seconds a sender refused for want of budget is told to wait (GitHub itself does not retry; reconciliation does). */
export const RETRY_AFTER_SECONDS = 5;

/** Where refusals are reported: one line each, naming the delivery, never its payload. */
export interface IntakeLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface WebhookIntakeOptions {
  /** The webhook secret GitHub signs deliveries with (X-Hub-Signature-256: sha256=HMAC-SHA256 hex of the body). */
  readonly secret: string;
  /** The path Probot's webhook middleware serves (its default is /api/github/webhooks). */
  readonly path?: string;
  /** Largest body accepted, else 413; default MAX_WEBHOOK_PAYLOAD_BYTES. */
  readonly maxBytes?: number;
  /**
   * The shared budget for unverified bytes, or its size; default a budget of DEFAULT_UNVERIFIED_BUDGET_BYTES. One
   * built here from a size lets one client address hold half of it, or one whole body if that is more.
   */
  readonly budget?: UnverifiedBudget | number;
  /** Milliseconds to receive the whole body, else 408; default DEFAULT_BODY_READ_TIMEOUT_MS. */
  readonly readTimeoutMs?: number;
  /**
   * The body must keep arriving: in each window of `rateWindowMs` (default DEFAULT_BODY_RATE_WINDOW_MS, the first
   * being the grace), at least `minBytesPerSecond` (default DEFAULT_MIN_BODY_BYTES_PER_SECOND) times its seconds,
   * or all that is left of a declared length if that is less; else 408.
   */
  readonly rateWindowMs?: number;
  readonly minBytesPerSecond?: number;
  /** The least one chunk is charged to the budget; default MIN_CHUNK_CHARGE_BYTES. */
  readonly minChunkChargeBytes?: number;
  readonly log?: IntakeLog;
}

/** A delivery that passed: `body` is its UTF-8 text (what @octokit/webhooks reads instead of the stream), `rawBody` its bytes. */
export type BufferedRequest = IncomingMessage & { body?: string; rawBody?: Buffer };

/**
 * Bytes held for bodies whose signature is not yet known, across every connection that shares it, and per client
 * address: bytes are taken as they arrive (never on a sender's say-so) and given back when the body is done.
 */
export class UnverifiedBudget {
  #held = 0;
  readonly #byClient = new Map<string, number>();
  /** `perClient`: most bytes one client address may hold at once; default the whole limit. */
  constructor(
    readonly limit: number,
    readonly perClient: number = limit,
  ) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`expected a byte count for the unverified-body budget, got ${limit}`);
    if (!Number.isSafeInteger(perClient) || perClient < 0) throw new RangeError(`expected a byte count for one client's share of the budget, got ${perClient}`);
  }
  get held(): number {
    return this.#held;
  }
  /** How many client addresses hold bytes now (an address holding none is forgotten). */
  get clients(): number {
    return this.#byClient.size;
  }
  heldBy(client: string): number {
    return this.#byClient.get(client) ?? 0;
  }
  /** Takes `bytes` for `client` if they fit both the budget and its share, else takes nothing and says which is full. */
  take(bytes: number, client = ""): "taken" | "full" | "client-full" {
    const mine = this.heldBy(client);
    if (this.#held + bytes > this.limit) return "full";
    if (mine + bytes > this.perClient) return "client-full";
    this.#held += bytes;
    if (bytes > 0) this.#byClient.set(client, mine + bytes);
    return "taken";
  }
  give(bytes: number, client = ""): void {
    this.#held = Math.max(0, this.#held - bytes);
    const left = this.heldBy(client) - bytes;
    if (left > 0) this.#byClient.set(client, left);
    else this.#byClient.delete(client);
  }
}

/**
 * The address a connection comes from, as the budget's key: IPv4 (an IPv4-mapped IPv6 address too) as is, IPv6 by
 * its /64, the block one host is usually given. No X-Forwarded-For: nothing tells the App which proxy to trust, so
 * behind a reverse proxy every delivery shares the proxy's address (let the proxy buffer bodies and limit clients).
 */
export function clientKey(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/iu.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/u, "")).join(":")}::/64`;
}

const DEFAULT_PATH = "/api/github/webhooks";
const JSON_TYPE = /^\s*(application\/json)\s*(?:;|$)/u; // @octokit/webhooks' own test, so both refuse the same requests
const SIGNATURE = /^sha256=[0-9a-f]{64}$/; // exactly what GitHub sends and @octokit/webhooks compares against
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }); // decoding must not change what was signed

// @octokit/webhooks' normalisation, copied so a request is guarded exactly when its middleware would read the body.
function trimSlashes(path: string): string {
  let i = path.length;
  while (i > 0 && path.charCodeAt(i - 1) === 47) i--;
  return i === 0 ? "/" : path.slice(0, i);
}
function pathnameOf(url: string): string | undefined {
  try {
    return new URL(trimSlashes(url), "http://localhost").pathname;
  } catch {
    return undefined; // the middleware answers 422 without reading
  }
}

type Refusal = { status: 400 | 401 | 408 | 413 | 415 | 429; reason: string };

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * Wraps a node http handler (Probot's webhook middleware, or a server's request listeners) so that a POST to the
 * webhook path reaches it only with a body whose X-Hub-Signature-256 matches. Before any byte is read: a missing
 * header is 400, a malformed signature 400, a non-JSON content type 415, a declared length over the cap 413. While
 * reading, each chunk is copied into the body's one buffer and that buffer taken from the shared budget (and its
 * client address's share) as it grows, each chunk costing at least `minChunkChargeBytes`, so a declared length holds
 * nothing until its bytes come; the HMAC is updated per chunk, and a body is cut off with 413 as soon
 * as it passes the cap, 429 with Retry-After when its next chunk does not fit the budget or the share, 408 when it
 * stops arriving at the minimum rate or is not whole by the read deadline. At the end a wrong signature is 401. A
 * verified body is handed on as `req.body` and `req.rawBody`; every other request passes straight through, its body
 * unread. Whatever way a body ends (answer, refusal, abort, error), its bytes go back to the budget.
 */
export function webhookIntake<A extends unknown[], R>(
  handler: (req: IncomingMessage, res: ServerResponse, ...rest: A) => R,
  options: WebhookIntakeOptions,
): (req: IncomingMessage, res: ServerResponse, ...rest: A) => Promise<Awaited<R> | true> {
  const maxBytes = options.maxBytes ?? MAX_WEBHOOK_PAYLOAD_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`expected a byte count for the body cap, got ${maxBytes}`);
  if (!options.secret) throw new TypeError("expected the webhook secret, got an empty one");
  const limit = typeof options.budget === "number" ? options.budget : DEFAULT_UNVERIFIED_BUDGET_BYTES;
  const budget = options.budget instanceof UnverifiedBudget ? options.budget : new UnverifiedBudget(limit, Math.min(limit, Math.max(maxBytes, Math.floor(limit / 2))));
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_BODY_READ_TIMEOUT_MS;
  const rateWindowMs = options.rateWindowMs ?? DEFAULT_BODY_RATE_WINDOW_MS;
  const minBytesPerSecond = options.minBytesPerSecond ?? DEFAULT_MIN_BODY_BYTES_PER_SECOND;
  if (!(rateWindowMs > 0) || !(minBytesPerSecond >= 0)) throw new RangeError(`expected a positive rate window and a minimum rate, got ${rateWindowMs} ms and ${minBytesPerSecond} bytes/s`);
  const chunkCharge = options.minChunkChargeBytes ?? MIN_CHUNK_CHARGE_BYTES;
  if (!Number.isSafeInteger(chunkCharge) || chunkCharge < 0) throw new RangeError(`expected a byte count for the least a chunk is charged, got ${chunkCharge}`);
  const perWindow = Math.max(1, Math.ceil((minBytesPerSecond * rateWindowMs) / 1000));
  const webhookPath = trimSlashes(options.path ?? DEFAULT_PATH);
  const { secret, log } = options;

  const refuse = (req: IncomingMessage, res: ServerResponse, refusal: Refusal, readBytes: number): true => {
    // Header values are an outsider's too: only a bounded prefix goes into the log line.
    const clip = (v: string | undefined) => (v === undefined ? null : v.slice(0, 100));
    log?.warn(
      { delivery: clip(header(req, "x-github-delivery")), event: clip(header(req, "x-github-event")), status: refusal.status, reason: refusal.reason, declaredBytes: clip(header(req, "content-length")), readBytes, client: clientKey(req.socket.remoteAddress) },
      "webhook delivery refused",
    );
    if (res.headersSent) {
      res.destroy();
      return true;
    }
    // connection: close makes node drop the socket once the answer is out, so the rest of the body is never read.
    const headers: Record<string, string> = { "content-type": "application/json", connection: "close" };
    if (refusal.status === 429) headers["retry-after"] = String(RETRY_AFTER_SECONDS);
    res.writeHead(refusal.status, headers).end(JSON.stringify({ error: refusal.reason }));
    return true;
  };

  return async (req, res, ...rest): Promise<Awaited<R> | true> => {
    if (req.method !== "POST" || pathnameOf(req.url ?? "") !== webhookPath) return await handler(req, res, ...rest);
    const missing = ["x-github-event", "x-hub-signature-256", "x-github-delivery"].filter((h) => req.headers[h] === undefined);
    if (missing.length > 0) return refuse(req, res, { status: 400, reason: `required headers missing: ${missing.join(", ")}` }, 0);
    const signature = header(req, "x-hub-signature-256") ?? "";
    if (!SIGNATURE.test(signature)) return refuse(req, res, { status: 400, reason: "x-hub-signature-256: expected sha256= followed by 64 lowercase hex digits" }, 0);
    if (!JSON_TYPE.test(header(req, "content-type") ?? "")) return refuse(req, res, { status: 415, reason: 'content-type: expected "application/json"' }, 0);
    const declaredText = header(req, "content-length");
    const declared = declaredText === undefined ? undefined : Number(declaredText); // node has already refused a malformed one
    if (declared !== undefined && declared > maxBytes) return refuse(req, res, { status: 413, reason: `request body is ${declaredText} bytes; expected at most ${maxBytes} bytes` }, 0);
    // Nothing is held on a declared length's say-so; only one that could never fit is refused before reading.
    if (declared !== undefined && declared > Math.min(budget.limit, budget.perClient)) return refuse(req, res, { status: 429, reason: "too many unverified webhook bodies in flight; retry later" }, 0);
    const client = clientKey(req.socket.remoteAddress);

    const outcome = await new Promise<{ body: Buffer } | { refusal: Refusal; read: number } | undefined>((resolve) => {
      const hmac = createHmac("sha256", secret);
      // The body is copied into one buffer as it arrives, never kept as node's chunks: each of those is a view of the
      // socket's read buffer, so keeping thousands of tiny ones would hold far more memory than their bytes.
      let held = Buffer.alloc(0);
      let size = 0; // bytes received (what the size cap and the minimum rate count)
      let charged = 0; // what this body holds in the budget until done() gives it back: its buffer, its chunks' floor
      let settled = false;
      const done = (value: { body: Buffer } | { refusal: Refusal; read: number } | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(pace);
        req.off("data", onData).off("end", onEnd).off("error", onGone).off("close", onGone);
        held = Buffer.alloc(0);
        budget.give(charged, client);
        resolve(value);
      };
      const onData = (chunk: Buffer): void => {
        if (size + chunk.length > maxBytes) return done({ refusal: { status: 413, reason: `request body is more than ${maxBytes} bytes; expected at most ${maxBytes} bytes` }, read: size + chunk.length });
        const needed = size + chunk.length;
        // Grown by doubling (so copying stays linear), never past the declared length or the cap, never on a
        // declared length's say-so: at most twice what arrived, and the budget is charged for all of it.
        const capacity = needed <= held.length ? held.length : Math.max(needed, Math.min(declared ?? maxBytes, Math.max(2 * held.length, chunkCharge)));
        const cost = Math.max(charged + Math.max(chunk.length, chunkCharge), capacity) - charged;
        const taken = budget.take(cost, client);
        if (taken !== "taken") {
          const reason = taken === "full" ? "too many unverified webhook bodies in flight; retry later" : "too many unverified webhook bytes in flight from this address; retry later";
          return done({ refusal: { status: 429, reason }, read: needed });
        }
        charged += cost;
        if (capacity > held.length) {
          const grown = Buffer.allocUnsafeSlow(capacity); // its own memory, not a slice of node's shared pool
          held.copy(grown, 0, 0, size);
          held = grown;
        }
        chunk.copy(held, size);
        size = needed;
        hmac.update(chunk);
      };
      const onEnd = (): void => {
        const expected = Buffer.from(signature.slice("sha256=".length), "hex");
        if (!timingSafeEqual(hmac.digest(), expected)) return done({ refusal: { status: 401, reason: "x-hub-signature-256 does not match the body and the webhook secret" }, read: size });
        const body = size === held.length ? held : Buffer.from(held.subarray(0, size));
        done({ body });
      };
      const onGone = (): void => done(undefined); // the client went away before the end: nobody to answer
      const timer = setTimeout(() => {
        done({ refusal: { status: 408, reason: `request body not received within ${readTimeoutMs} ms` }, read: size });
      }, readTimeoutMs);
      // Each window must bring perWindow bytes (or the rest of a declared body); the first window is the grace. A
      // window that ran long because this process's event loop was stalled proves nothing about the sender.
      let windowStart = performance.now();
      let sizeAtWindowStart = 0;
      const pace = setInterval(() => {
        const now = performance.now();
        const arrived = size - sizeAtWindowStart;
        const due = declared === undefined ? perWindow : Math.min(perWindow, declared - sizeAtWindowStart);
        if (arrived < due && now - windowStart < 2 * rateWindowMs) {
          done({ refusal: { status: 408, reason: `request body arriving slower than ${minBytesPerSecond} bytes/s (${arrived} bytes in ${rateWindowMs} ms)` }, read: size });
          return;
        }
        windowStart = now;
        sizeAtWindowStart = size;
      }, rateWindowMs);
      req.on("data", onData).on("end", onEnd).on("error", onGone).on("close", onGone);
    });
    if (outcome === undefined) return true;
    if ("refusal" in outcome) {
      refuse(req, res, outcome.refusal, outcome.read);
      if (outcome.refusal.status === 408) req.destroy();
      return true;
    }
    let text: string;
    try {
      text = utf8.decode(outcome.body);
    } catch {
      return refuse(req, res, { status: 400, reason: "request body is not UTF-8; expected a JSON payload" }, outcome.body.length);
    }
    const buffered = req as BufferedRequest;
    buffered.rawBody = outcome.body;
    buffered.body = text;
    return await handler(req, res, ...rest);
  };
}

/**
 * Puts webhookIntake in front of every "request" listener an http.Server already has. For servers whose handler
 * chain cannot be wrapped from outside, such as Probot 14's Server (its webhook middleware runs first, and `run()`
 * keeps the server to itself): `const http = await probotServer.start(); guardWebhookIntake(http, { secret, path })`.
 */
export function guardWebhookIntake(server: Server, options: WebhookIntakeOptions): void {
  const listeners = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => unknown)[];
  const guarded = webhookIntake((req, res) => {
    for (const l of listeners) void l.call(server, req, res);
    return true;
  }, options);
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => void guarded(req, res));
}
