// Webhook intake for the App's HTTP server: a delivery's body is an outsider's bytes until its HMAC says GitHub
// sent it, so it is checked while it streams in, held only within a budget shared by all connections, capped at
// GitHub's 25 MB, and refused (with one log line that never carries the payload) before Probot ever sees it.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** GitHub caps webhook payloads at 25 MB; 25 MiB leaves room for any rounding on their side. */
export const MAX_WEBHOOK_PAYLOAD_BYTES = 25 * 1024 * 1024;
/** Bytes of not-yet-verified bodies held at once across all connections: two full-size deliveries and change. */
export const DEFAULT_UNVERIFIED_BUDGET_BYTES = 64 * 1024 * 1024;
/** Default deadline for receiving a whole request body (a slow sender holds a socket and a share of the budget). */
export const DEFAULT_BODY_READ_TIMEOUT_MS = 30_000;
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
  /** The shared budget for unverified bytes, or its size; default a budget of DEFAULT_UNVERIFIED_BUDGET_BYTES. */
  readonly budget?: UnverifiedBudget | number;
  /** Milliseconds to receive the whole body, else 408; default DEFAULT_BODY_READ_TIMEOUT_MS. */
  readonly readTimeoutMs?: number;
  readonly log?: IntakeLog;
}

/** A delivery that passed: `body` is its UTF-8 text (what @octokit/webhooks reads instead of the stream), `rawBody` its bytes. */
export type BufferedRequest = IncomingMessage & { body?: string; rawBody?: Buffer };

/** Bytes held for bodies whose signature is not yet known, across every connection that shares it. */
export class UnverifiedBudget {
  #held = 0;
  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`expected a byte count for the unverified-body budget, got ${limit}`);
  }
  get held(): number {
    return this.#held;
  }
  /** Takes `bytes` if they fit, else takes nothing and says so. */
  take(bytes: number): boolean {
    if (this.#held + bytes > this.limit) return false;
    this.#held += bytes;
    return true;
  }
  give(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
  }
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
 * header is 400, a malformed signature 400, a non-JSON content type 415, a declared length over the cap 413, and a
 * declared length the shared budget cannot hold 429 with Retry-After. While reading, the HMAC is updated per chunk
 * and a streamed body is cut off with 413 (or 429) as soon as it passes the cap (or the budget). At the end a
 * wrong signature is 401. A verified body is handed on as `req.body` and `req.rawBody`; every other request
 * passes straight through, its body unread.
 */
export function webhookIntake<A extends unknown[], R>(
  handler: (req: IncomingMessage, res: ServerResponse, ...rest: A) => R,
  options: WebhookIntakeOptions,
): (req: IncomingMessage, res: ServerResponse, ...rest: A) => Promise<Awaited<R> | true> {
  const maxBytes = options.maxBytes ?? MAX_WEBHOOK_PAYLOAD_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`expected a byte count for the body cap, got ${maxBytes}`);
  if (!options.secret) throw new TypeError("expected the webhook secret, got an empty one");
  const budget = options.budget instanceof UnverifiedBudget ? options.budget : new UnverifiedBudget(options.budget ?? DEFAULT_UNVERIFIED_BUDGET_BYTES);
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_BODY_READ_TIMEOUT_MS;
  const webhookPath = trimSlashes(options.path ?? DEFAULT_PATH);
  const { secret, log } = options;

  const refuse = (req: IncomingMessage, res: ServerResponse, refusal: Refusal, readBytes: number): true => {
    // Header values are an outsider's too: only a bounded prefix goes into the log line.
    const clip = (v: string | undefined) => (v === undefined ? null : v.slice(0, 100));
    log?.warn(
      { delivery: clip(header(req, "x-github-delivery")), event: clip(header(req, "x-github-event")), status: refusal.status, reason: refusal.reason, declaredBytes: clip(header(req, "content-length")), readBytes },
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
    // A declared length is reserved whole before reading; a streamed one chunk by chunk.
    let reserved = declared ?? 0;
    if (!budget.take(reserved)) return refuse(req, res, { status: 429, reason: "too many unverified webhook bodies in flight; retry later" }, 0);

    const outcome = await new Promise<{ body: Buffer } | { refusal: Refusal; read: number } | undefined>((resolve) => {
      const hmac = createHmac("sha256", secret);
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const done = (value: { body: Buffer } | { refusal: Refusal; read: number } | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.off("data", onData).off("end", onEnd).off("error", onGone).off("close", onGone);
        chunks.length = 0;
        budget.give(reserved);
        reserved = 0;
        resolve(value);
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > maxBytes) return done({ refusal: { status: 413, reason: `request body is more than ${maxBytes} bytes; expected at most ${maxBytes} bytes` }, read: size });
        if (declared === undefined) {
          if (!budget.take(chunk.length)) return done({ refusal: { status: 429, reason: "too many unverified webhook bodies in flight; retry later" }, read: size });
          reserved += chunk.length;
        }
        hmac.update(chunk);
        chunks.push(chunk);
      };
      const onEnd = (): void => {
        const expected = Buffer.from(signature.slice("sha256=".length), "hex");
        if (!timingSafeEqual(hmac.digest(), expected)) return done({ refusal: { status: 401, reason: "x-hub-signature-256 does not match the body and the webhook secret" }, read: size });
        done({ body: Buffer.concat(chunks, size) });
      };
      const onGone = (): void => done(undefined); // the client went away before the end: nobody to answer
      const timer = setTimeout(() => {
        done({ refusal: { status: 408, reason: `request body not received within ${readTimeoutMs} ms` }, read: size });
      }, readTimeoutMs);
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
