// A lean `fetch` for Octokit's `request: { fetch }` (issue #19: App CPU per event). Node's fetch costs ~4× the CPU
// of undici's `request()` per GitHub request (WHATWG streams, Headers, Request/Response objects); this is the subset
// @octokit/request uses (status, statusText, url, headers iterable + get(), text(), arrayBuffer(), json(), body) over
// a shared undici Agent (keep-alive pools per origin; TLS with Node's default CA verification, never turned off).
// It keeps fetch's semantics where they matter:
// - the answer is read whole before fetch resolves, capped at `maxBodyBytes` (fetch has no cap; the caller's
//   deadline, fetchWithTimeout, still covers headers and body through the signal);
// - an aborted signal rejects with the signal's reason, as Node's fetch does; any other failure (refused connection,
//   reset, DNS, a refused redirect, a body over the cap) is a TypeError("fetch failed") with the cause, so
//   @octokit/request makes it a RequestError 500 that the request budget retries;
// - redirects (301/302/303/307/308) are followed at most `maxRedirects` times: 303 (and 301/302 of a POST) become a
//   GET without body, 307/308 keep method and body; the Authorization (and Cookie) header never goes to another
//   origin than the request's own; https -> http is refused; `redirect: "manual"` returns the 3xx, "error" fails;
// - no Accept-Encoding is sent unless the caller sets one (so GitHub answers uncompressed: on a LAN-to-GitHub link
//   the CPU of gunzip outweighs the bytes saved); an answer that is compressed anyway (gzip, deflate, br) is
//   decompressed, within the same cap;
// - proxies: none, as with Node 20's fetch (which ignores HTTPS_PROXY): nothing changes.
// Bodies this fetch returns are registered (bufferedBytes) so the request budget's plugin can parse JSON answers with
// JSON.parse without a stream round trip (native-json.ts). Inputs it does not model (a Request object, a stream or
// form body) go to globalThis.fetch unchanged.
import { STATUS_CODES } from "node:http";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { Agent, type Dispatcher } from "undici";

type Fetch = typeof globalThis.fetch;

export const DEFAULT_MAX_REDIRECTS = 5;
/** Larger than any GitHub API answer agent-gate reads (a contents file is at most 100 MB raw; we read config files). */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
/** Headers fetch drops when a redirect turns the request into a GET without body. */
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];
/** Headers fetch never sends to another origin after a redirect. */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

const BUFFERED = Symbol.for("agent-gate.buffered-fetch");
const bodies = new WeakMap<object, Buffer>();

/** Whether responses of `fetch` carry registered bodies (a lean fetch, or a wrapper that passes its responses on). */
export function isBufferedFetch(fetch: unknown): boolean {
  return typeof fetch === "function" && (fetch as unknown as Record<symbol, unknown>)[BUFFERED] === true;
}

/** Marks a wrapper of a lean fetch that returns the lean fetch's responses as they are (fetchWithTimeout). */
export function markBuffered<F extends Fetch>(fetch: F): F {
  Object.defineProperty(fetch, BUFFERED, { value: true });
  return fetch;
}

/** Whether `res` is an answer a lean fetch read whole (not one it handed to Node's fetch, whose body may still come). */
export function isBufferedResponse(res: unknown): boolean {
  return res instanceof LeanResponse;
}

/** The bytes behind a body stream a lean fetch returned, or undefined for any other value. */
export function bufferedBytes(body: unknown): Buffer | undefined {
  return typeof body === "object" && body !== null ? bodies.get(body) : undefined;
}

/** fetch's Headers, read only: names lower case, iterated sorted, repeated values joined with ", " (set-cookie apart). */
class LeanHeaders {
  private sorted: [string, string][] | undefined;
  constructor(
    private readonly map: ReadonlyMap<string, string>,
    private readonly cookies: readonly string[],
  ) {}

  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }

  getSetCookie(): string[] {
    return [...this.cookies];
  }

  entries(): IterableIterator<[string, string]> {
    if (!this.sorted) {
      const list: [string, string][] = [];
      for (const [k, v] of this.map) if (k !== "set-cookie") list.push([k, v]);
      for (const c of this.cookies) list.push(["set-cookie", c]);
      this.sorted = list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    }
    return this.sorted[Symbol.iterator]();
  }

  keys(): IterableIterator<string> {
    return [...this.entries()].map(([k]) => k)[Symbol.iterator]();
  }

  values(): IterableIterator<string> {
    return [...this.entries()].map(([, v]) => v)[Symbol.iterator]();
  }

  forEach(fn: (value: string, name: string, headers: this) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

function headersOf(raw: Record<string, string | string[] | undefined>): LeanHeaders {
  const map = new Map<string, string>();
  let cookies: string[] = [];
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (key === "set-cookie") cookies = Array.isArray(value) ? value : [value];
    map.set(key, Array.isArray(value) ? value.join(", ") : value);
  }
  return new LeanHeaders(map, cookies);
}

/** The subset of Response that @octokit/request (and a careful caller) uses. */
class LeanResponse {
  readonly type = "basic";
  private used = false;
  private stream: ReadableStream<Uint8Array> | undefined;
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly url: string,
    readonly redirected: boolean,
    readonly headers: LeanHeaders,
    private readonly bytes: Buffer | null,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  /** A one-chunk stream over the bytes, made on first use (Octokit asks for it only with parseSuccessResponseBody: false). */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.bytes === null) return null;
    if (!this.stream) {
      const bytes = this.bytes;
      this.stream = new ReadableStream<Uint8Array>({
        start(controller) {
          if (bytes.length > 0) controller.enqueue(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
          controller.close();
        },
      });
      bodies.set(this.stream, bytes);
    }
    return this.stream;
  }

  private take(): Buffer {
    if (this.used) throw new TypeError("Body is unusable: Body has already been read");
    this.used = true;
    return this.bytes ?? Buffer.alloc(0);
  }

  // A second read rejects, as fetch's does.
  text(): Promise<string> {
    return new Promise((resolve) => resolve(utf8(this.take())));
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return new Promise((resolve) => {
      const b = this.take();
      resolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer);
    });
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
}

/** UTF-8 as fetch's text() decodes it: a leading byte order mark is dropped, bad sequences become U+FFFD. */
export function utf8(bytes: Buffer): string {
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString("utf8", bom ? 3 : 0);
}

function fetchFailed(cause: unknown): TypeError {
  return new TypeError("fetch failed", { cause });
}

class BodyTooLargeError extends Error {
  constructor(method: string, url: URL, cap: number) {
    super(`the answer to ${method} ${url.protocol}//${url.host}${url.pathname} exceeds ${cap} bytes; expected at most that (response body cap)`);
    this.name = "BodyTooLargeError";
  }
}

function collect(body: Dispatcher.ResponseData["body"], cap: number, tooLarge: () => Error): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        body.destroy();
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    body.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    body.on("error", reject);
  });
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotli = promisify(zlib.brotliDecompress);

/** fetch decodes these content codings; others (and identity) are left as they are, as fetch leaves them. */
async function decode(bytes: Buffer, encoding: string | null, cap: number): Promise<Buffer> {
  const coding = encoding?.trim().toLowerCase();
  if (!coding || coding === "identity" || bytes.length === 0) return bytes;
  const opts = { maxOutputLength: cap };
  if (coding === "gzip" || coding === "x-gzip") return gunzip(bytes, opts);
  if (coding === "br") return brotli(bytes, opts);
  // deflate is meant to be zlib-wrapped; some servers send it raw (fetch accepts both)
  if (coding === "deflate") return (bytes[0]! & 0x0f) === 8 ? inflate(bytes, opts) : inflateRaw(bytes, opts);
  return bytes;
}

function requestHeaders(headers: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (Array.isArray(headers) || headers instanceof Headers) {
    for (const [k, v] of headers as Iterable<[string, string]>) out[k.toLowerCase()] = v;
    return out;
  }
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = String(v);
  return out;
}

type SimpleBody = string | Uint8Array | undefined;

function simpleBody(body: RequestInit["body"]): SimpleBody | false {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return false;
}

export interface LeanFetchOptions {
  /** Default: one undici Agent shared by every lean fetch of the process. */
  readonly dispatcher?: Dispatcher;
  readonly maxRedirects?: number;
  readonly maxBodyBytes?: number;
}

let sharedAgent: Agent | undefined;

/** The process's keep-alive Agent: pools per origin, Node's default TLS verification. */
function defaultDispatcher(): Agent {
  sharedAgent ??= new Agent({ keepAliveTimeout: 4_000 });
  return sharedAgent;
}

export function leanFetch(options: LeanFetchOptions = {}): Fetch {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const cap = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const lean = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const initialBody = simpleBody(init?.body);
    if (input instanceof Request || initialBody === false) return globalThis.fetch(input, init);
    const signal = init?.signal ?? undefined;
    signal?.throwIfAborted();
    let url: URL;
    try {
      url = new URL(input);
    } catch (err) {
      throw new TypeError(`expected an absolute http(s) URL, got ${JSON.stringify(String(input).split(/[?#]/, 1)[0])}`, { cause: err });
    }
    const dispatcher = options.dispatcher ?? defaultDispatcher();
    const mode = init?.redirect ?? "follow";
    const origin = url.origin;
    let method = (init?.method ?? "GET").toUpperCase();
    let body: SimpleBody = initialBody;
    const headers = requestHeaders(init?.headers);
    for (let hops = 0; ; hops++) {
      if (url.protocol !== "https:" && url.protocol !== "http:") throw fetchFailed(new Error(`expected an http(s) URL, got ${url.protocol}`));
      let bytes: Buffer;
      let res: Dispatcher.ResponseData;
      try {
        res = await dispatcher.request({ origin: url.origin, path: url.pathname + url.search, method, headers, body, signal });
        const location = REDIRECT_STATUSES.has(res.statusCode) && mode !== "manual" ? res.headers["location"] : undefined;
        if (Array.isArray(location)) {
          // Several Location headers: fetch fails here; never hand the redirect back as if it were the answer.
          await res.body.dump();
          throw new Error(`a ${res.statusCode} redirect with ${location.length} Location headers; expected one`);
        }
        if (typeof location === "string") {
          await res.body.dump();
          if (mode === "error") throw new Error(`${res.statusCode} redirect with redirect mode "error"`);
          if (hops >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects; expected at most ${maxRedirects}`);
          const next = new URL(location, url);
          if (url.protocol === "https:" && next.protocol === "http:") throw new Error(`refused redirect from https to http (${next.host})`);
          if ((res.statusCode === 303 && method !== "HEAD") || ((res.statusCode === 301 || res.statusCode === 302) && method === "POST")) {
            method = "GET";
            body = undefined;
            for (const h of BODY_HEADERS) delete headers[h];
          }
          // Once the request leaves its origin, its credentials stay behind (for every later hop too).
          if (next.origin !== origin) for (const h of CREDENTIAL_HEADERS) delete headers[h];
          url = next;
          continue;
        }
        const raw = await collect(res.body, cap, () => new BodyTooLargeError(method, url, cap));
        const encoding = res.headers["content-encoding"];
        bytes = await decode(raw, typeof encoding === "string" ? encoding : null, cap);
      } catch (err) {
        if (signal?.aborted) throw signal.reason as Error;
        throw fetchFailed(err);
      }
      const nullBody = NULL_BODY_STATUSES.has(res.statusCode) || method === "HEAD";
      const statusText = res.statusText || STATUS_CODES[res.statusCode] || "";
      const response = new LeanResponse(res.statusCode, statusText, url.href, hops > 0, headersOf(res.headers), nullBody ? null : bytes);
      return response as unknown as Response;
    }
  };
  return markBuffered(lean);
}
