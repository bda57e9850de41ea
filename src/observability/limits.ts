// Request body caps for the App's HTTP server. GitHub never delivers a webhook payload over 25 MB, so anything
// larger is not GitHub: it is refused with 413 before it is buffered, whether it declares its length or streams it.
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** GitHub caps webhook payloads at 25 MB; 25 MiB leaves room for any rounding on their side. */
export const MAX_WEBHOOK_PAYLOAD_BYTES = 25 * 1024 * 1024;
/** Default deadline for receiving a whole request body (a slow sender holds a socket and a buffer). */
export const DEFAULT_BODY_READ_TIMEOUT_MS = 30_000;

export interface LimitBodyOptions {
  /** Milliseconds to receive the whole body, else 408; default DEFAULT_BODY_READ_TIMEOUT_MS. */
  readonly readTimeoutMs?: number;
}

/** A request whose body limitBody has read: `body` is its UTF-8 text, `rawBody` its bytes. */
export type BufferedRequest = IncomingMessage & { body?: string; rawBody?: Buffer };

const NO_BODY_METHODS = new Set(["GET", "HEAD", "OPTIONS", "DELETE", "TRACE"]);
const decoder = new TextDecoder("utf-8", { fatal: false }); // as @octokit/webhooks decodes a payload

function refuse(res: ServerResponse, status: 408 | 413, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", connection: "close" }).end(JSON.stringify({ error: message }));
}

/**
 * Wraps a node http handler (Probot's webhook middleware, a plain request listener) so a request body larger than
 * `maxBytes` is answered 413 Payload Too Large: at once when content-length says so, else as soon as the streamed
 * body passes the cap. Bodies within the cap are read in full first and handed on as `req.body` (string) and
 * `req.rawBody` (Buffer), which @octokit/webhooks (Probot's middleware) reads instead of the stream. Requests
 * without a body pass straight through.
 */
export function limitBody<A extends unknown[], R>(
  maxBytes: number,
  handler: (req: IncomingMessage, res: ServerResponse, ...rest: A) => R,
  options: LimitBodyOptions = {},
): (req: IncomingMessage, res: ServerResponse, ...rest: A) => Promise<Awaited<R> | true> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`expected a byte count, got ${maxBytes}`);
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_BODY_READ_TIMEOUT_MS;
  const tooLarge = (size: string) => `request body is ${size} bytes; expected at most ${maxBytes} bytes`;
  return async (req, res, ...rest): Promise<Awaited<R> | true> => {
    const declared = req.headers["content-length"];
    const chunked = req.headers["transfer-encoding"] !== undefined;
    const noBody = declared === undefined ? !chunked && NO_BODY_METHODS.has(req.method ?? "GET") : Number(declared) === 0;
    if (noBody) return await handler(req, res, ...rest);
    if (declared !== undefined && Number(declared) > maxBytes) {
      refuse(res, 413, tooLarge(declared));
      req.resume(); // discard what the client sends until the connection closes
      return true;
    }
    const body = await new Promise<Buffer | undefined>((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (value: Buffer | undefined): void => {
        clearTimeout(timer);
        req.off("data", onData).off("end", onEnd).off("error", onError).off("aborted", onError);
        resolve(value);
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > maxBytes) {
          refuse(res, 413, tooLarge(`more than ${maxBytes}`));
          req.resume();
          done(undefined);
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = (): void => done(Buffer.concat(chunks, size));
      const onError = (): void => done(undefined); // the client went away: nobody to answer
      const timer = setTimeout(() => {
        refuse(res, 408, `request body not received within ${readTimeoutMs} ms`);
        req.destroy();
        done(undefined);
      }, readTimeoutMs);
      req.on("data", onData).on("end", onEnd).on("error", onError).on("aborted", onError);
    });
    if (body === undefined) return true;
    const buffered = req as BufferedRequest;
    buffered.rawBody = body;
    buffered.body = decoder.decode(body);
    return await handler(req, res, ...rest);
  };
}

/**
 * Puts limitBody in front of every "request" listener an http.Server already has. For servers whose handler
 * chain cannot be wrapped from outside, such as Probot 14's Server (its webhook middleware runs first, and `run()`
 * keeps the server to itself): `const http = await probotServer.start(); limitServerBodies(http, MAX_WEBHOOK_PAYLOAD_BYTES)`.
 */
export function limitServerBodies(server: Server, maxBytes: number = MAX_WEBHOOK_PAYLOAD_BYTES, options: LimitBodyOptions = {}): void {
  const listeners = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => unknown)[];
  const limited = limitBody(
    maxBytes,
    (req, res) => {
      for (const l of listeners) void l.call(server, req, res);
      return true;
    },
    options,
  );
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => void limited(req, res));
}
