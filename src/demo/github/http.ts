// The stand-in's HTTP vocabulary: a request and response as it sees them, faults that answer in its place, and
// GitHub's JSON answers, 404 and pagination (Link headers) that every route shares.

export interface StandInRequest {
  method: string;
  url: string; // path and query
  headers: Record<string, string>;
  body: unknown;
}
export interface StandInResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** Answer only after this many ms (a fault's latency); the wait ends early, unanswered, if the client aborts. */
  delayMs?: number;
}
export type FaultAnswer = StandInResponse | "drop" | undefined;
/**
 * Consulted in order before the stand-in answers: a response answers in its place, "drop" drops the connection,
 * undefined passes the request on. A fault may answer asynchronously (a Promise), e.g. to add latency and then pass
 * the request on, or to hang; `signal` aborts when the client gives up (or the stand-in closes).
 */
export type Fault = (req: StandInRequest, signal: AbortSignal) => FaultAnswer | Promise<FaultAnswer>;

export const API = "https://api.github.com";
export const clone = <T>(v: T): T => structuredClone(v);

export function bearer(req: StandInRequest): string | undefined {
  return /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): StandInResponse {
  return { status, headers: { "content-type": "application/json; charset=utf-8", "x-ratelimit-remaining": "4999", "x-ratelimit-limit": "5000", ...headers }, body };
}

export function notFound(): StandInResponse {
  return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
}

/** One page (`page`, `per_page` up to 100) of `items`, with GitHub's Link header; `wrap` builds an object body. */
export function paginated(items: unknown[], url: URL, linkBase: string, wrap?: (page: unknown[]) => unknown): StandInResponse {
  const page = Math.max(1, Math.floor(Number(url.searchParams.get("page") ?? 1)) || 1);
  const perPage = Math.min(100, Math.max(1, Math.floor(Number(url.searchParams.get("per_page") ?? 30)) || 30));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const headers: Record<string, string> = {};
  const link = (n: number): string => {
    const u = new URL(url.pathname + url.search, linkBase);
    u.searchParams.set("page", String(n));
    return u.toString();
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`<${link(page - 1)}>; rel="prev"`);
  if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
  if (page > 1) rels.push(`<${link(1)}>; rel="first"`);
  if (rels.length) headers.link = rels.join(", ");
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return json(200, wrap ? wrap(slice) : slice, headers);
}
