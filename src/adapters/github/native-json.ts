// JSON answers parsed with JSON.parse (issue #19). @octokit/request 10 parses every JSON answer with json-with-bigint,
// which on Node 20 runs a regex over the whole text and a reviver per value (several times JSON.parse's CPU). When the
// Octokit's fetch is a lean one (http-transport.ts: its bodies are registered bytes), the request budget's plugin asks
// @octokit/request for the raw body of successful answers (`parseSuccessResponseBody: false`) and decodes it here,
// exactly as @octokit/request's getResponseData does, but with JSON.parse. Failed answers (>= 400, 304) are still
// parsed by @octokit/request (they are rare). A caller that asks for the raw body itself keeps getting the stream.
//
// Past 2^53: json-with-bigint turns an integer above Number.MAX_SAFE_INTEGER into a BigInt; JSON.parse rounds it to
// the nearest double. GitHub's ids are below 2^53 today (database ids ~2^33); where agent-gate reads ids it reads
// them through zod number schemas or as numbers, which would refuse (z.number() rejects a BigInt) or mishandle a
// BigInt anyway, so neither parser gives a usable id past 2^53: an id of that size needs a schema change either way.
import { bufferedBytes, isBufferedFetch, utf8 } from "./http-transport.js";

interface RequestOptionsLike {
  request?: { fetch?: unknown; parseSuccessResponseBody?: boolean } & Record<string, unknown>;
}

interface ResponseLike {
  status: number;
  headers: Record<string, unknown>;
  data?: unknown;
}

// content-type's media type grammar (the parser @octokit/request uses, which throws on an invalid type).
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CHARSET = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;

/** @octokit/request's getResponseData over bytes, with JSON.parse for JSON. */
export function decodeSuccessBody(bytes: Buffer, contentType: string | undefined): unknown {
  if (!contentType) return utf8(bytes);
  const semi = contentType.indexOf(";");
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!MEDIA_TYPE.test(type)) throw new TypeError(`invalid media type: expected type/subtype in content-type ${JSON.stringify(contentType)}`);
  if (type === "application/json" || type === "application/scim+json") {
    const text = utf8(bytes);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text; // as @octokit/request: an answer that is not JSON is returned as its text
    }
  }
  const charset = semi < 0 ? undefined : CHARSET.exec(contentType.slice(semi));
  if (type.startsWith("text/") || ((charset?.[1] ?? charset?.[2])?.toLowerCase() === "utf-8" && type !== "application/octet-stream")) return utf8(bytes);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
}

/** The body of a successful answer fetched with parseSuccessResponseBody: false, decoded; a foreign stream is read whole. */
async function decodeData(data: unknown, contentType: string | undefined): Promise<unknown> {
  const bytes = bufferedBytes(data) ?? (data instanceof ReadableStream ? Buffer.from(await new Response(data).arrayBuffer()) : Buffer.alloc(0));
  return decodeSuccessBody(bytes, contentType);
}

/**
 * `send` with successful answers parsed natively, when the request's fetch is a lean one and the caller did not ask
 * for the raw body; otherwise `send` itself.
 */
export function withNativeJson<O extends RequestOptionsLike, R extends ResponseLike>(send: (options: O) => Promise<R>, options: O): (options: O) => Promise<R> {
  const request = options.request;
  if (!request || request.parseSuccessResponseBody === false || !isBufferedFetch(request.fetch)) return send;
  return async (o: O): Promise<R> => {
    // before-after-hook binds each inner hook of Octokit's request to the options object the chain started with (a
    // copy passed to `send` would reach the innermost request only if no plugin hooked in between), so the flag goes
    // on that object, in a request options object of its own (never a caller's or the defaults').
    o.request = { ...o.request, parseSuccessResponseBody: false };
    const response = await send(o);
    if (response.status === 204 || response.status === 205 || response.data === "") return response; // no body read (204, 205, HEAD)
    const contentType = response.headers["content-type"];
    response.data = await decodeData(response.data, typeof contentType === "string" ? contentType : undefined);
    return response;
  };
}
