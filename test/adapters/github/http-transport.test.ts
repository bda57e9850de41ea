// The lean fetch (http-transport.ts) and native JSON parsing (native-json.ts), against loopback servers: answers
// through budgetedOctokit read the same as over Node's fetch (JSON, text, binary, no content type, bad JSON, 204,
// 304, 404, HEAD, a caller's raw body stream); redirects (same method for 307/308, GET for 303 and a POST's 301/302,
// Authorization never sent to another origin, https -> http refused, a bounded number of hops); abort; network
// errors retried by the budget; gzip answers decoded; the body cap.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { MockAgent } from "undici";
import { budgetedOctokit } from "../../../src/adapters/github/octokit.js";
import { bufferedBytes, isBufferedFetch, leanFetch } from "../../../src/adapters/github/http-transport.js";
import { decodeSuccessBody } from "../../../src/adapters/github/native-json.js";
import { fetchWithTimeout, HttpTimeoutError } from "../../../src/adapters/github/http.js";

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ server: Server; base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const authStrategy = () =>
  Object.assign(() => Promise.resolve({ type: "token", token: "ghs_secret" }), {
    hook: (request: (o: object) => unknown, options: { headers: Record<string, string> }) => request({ ...options, headers: { ...options.headers, authorization: "token ghs_secret" } }),
  });

function client(base: string, fetch: unknown, retries = 0) {
  const Octokit = budgetedOctokit({ retries, retryBaseMs: 1, maxRetryAfterSeconds: 1, writeIntervalMs: 0 });
  return new Octokit({ baseUrl: base, authStrategy, auth: { installationId: 7 }, request: { fetch }, log: silent });
}

const JSON_BODY = { id: 123456789, name: "widgets", nested: { list: [1, 2.5, "x", null, true], "é": "ü" } };

function routes(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "").split("?")[0];
  const send = (status: number, headers: Record<string, string>, body?: string | Buffer) => res.writeHead(status, headers).end(body);
  if (path === "/json") send(200, { "content-type": "application/json; charset=utf-8", "x-ratelimit-remaining": "4999", link: '<http://x/?page=2>; rel="next"' }, JSON.stringify(JSON_BODY));
  else if (path === "/bom") send(200, { "content-type": "application/json" }, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]));
  else if (path === "/bad-json") send(200, { "content-type": "application/json" }, "{not json");
  else if (path === "/text") send(200, { "content-type": "text/plain" }, "plain text");
  else if (path === "/raw") send(200, { "content-type": "application/vnd.github.raw+json; charset=utf-8" }, "name: x\n");
  else if (path === "/binary") send(200, { "content-type": "application/octet-stream" }, Buffer.from([0, 1, 2, 255]));
  else if (path === "/untyped") send(200, {}, "no type");
  else if (path === "/empty-json") send(200, { "content-type": "application/json" }, "");
  else if (path === "/no-content") send(204, {});
  else if (path === "/not-modified") send(304, { etag: '"abc"' });
  else if (path === "/missing") send(404, { "content-type": "application/json" }, JSON.stringify({ message: "Not Found", documentation_url: "https://docs.github.com" }));
  else if (path === "/gzip") {
    send(200, { "content-type": "application/json", "content-encoding": "gzip" }, gzipSync(JSON.stringify(JSON_BODY)));
  } else send(500, { "content-type": "application/json" }, JSON.stringify({ message: `no route ${path}` }));
}

describe("lean fetch answers through budgetedOctokit read as over Node's fetch", () => {
  let s: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    s = await listen((req, res) => routes(req, res));
  });
  after(() => s.server.close());

  const outcome = async (fetch: unknown, method: string, path: string, extra: Record<string, unknown> = {}) => {
    try {
      const r = await client(s.base, fetch).request(`${method} ${path}`, extra);
      const { date: _d, connection: _c, "keep-alive": _k, ...headers } = r.headers as Record<string, unknown>;
      const data: unknown = r.data;
      return { status: r.status, url: r.url, headers, data: data instanceof ArrayBuffer ? [...new Uint8Array(data)] : data };
    } catch (err) {
      const e = err as { status?: number; message?: string; response?: { data?: unknown; headers?: Record<string, unknown> } };
      return { error: e.status, message: e.message, data: e.response?.data, etag: e.response?.headers?.["etag"] };
    }
  };

  for (const path of ["/json", "/bom", "/bad-json", "/text", "/raw", "/binary", "/untyped", "/empty-json", "/no-content", "/not-modified", "/missing"]) {
    it(`GET ${path}`, async () => {
      const lean = await outcome(leanFetch(), "GET", path);
      const native = await outcome(globalThis.fetch, "GET", path);
      assert.deepEqual(lean, native);
    });
  }

  it("parses JSON with JSON.parse into the same data, and HEAD answers with no data", async () => {
    assert.deepEqual((await outcome(leanFetch(), "GET", "/json")).data, JSON_BODY);
    assert.deepEqual(await outcome(leanFetch(), "HEAD", "/json"), await outcome(globalThis.fetch, "HEAD", "/json"));
  });

  it("hands a caller who asks for the raw body a stream of the answer's bytes", async () => {
    const r = await client(s.base, leanFetch()).request("GET /json", { request: { parseSuccessResponseBody: false } });
    assert.ok(r.data instanceof ReadableStream);
    assert.deepEqual(JSON.parse(await new Response(r.data).text()), JSON_BODY);
  });

  it("decodes a gzip answer (and sends no Accept-Encoding of its own)", async () => {
    const before = s.seen.length;
    assert.deepEqual((await outcome(leanFetch(), "GET", "/gzip")).data, JSON_BODY);
    assert.equal(s.seen[before]?.headers["accept-encoding"], undefined);
  });

  it("keeps its bodies registered through fetchWithTimeout, and only lean fetches are marked", async () => {
    const timed = fetchWithTimeout(5_000, leanFetch());
    assert.ok(isBufferedFetch(timed));
    assert.ok(!isBufferedFetch(fetchWithTimeout(5_000)));
    const r = await timed(`${s.base}/json`);
    assert.deepEqual(JSON.parse(bufferedBytes(r.body)!.toString("utf8")), JSON_BODY);
    assert.deepEqual(await outcome(timed, "GET", "/json"), await outcome(globalThis.fetch, "GET", "/json"));
  });

  it("caps the body: a larger answer is a network error naming the cap", async () => {
    await assert.rejects(leanFetch({ maxBodyBytes: 10 })(`${s.base}/json`), (err: TypeError) => err instanceof TypeError && /exceeds 10 bytes/.test((err.cause as Error).message));
  });
});

describe("decodeSuccessBody", () => {
  it("refuses an invalid media type as @octokit/request does", () => {
    assert.throws(() => decodeSuccessBody(Buffer.from("{}"), "json"), /invalid media type/);
    assert.equal(decodeSuccessBody(Buffer.from("x"), 'application/x; charset="UTF-8"'), "x");
  });
});

describe("lean fetch redirects", () => {
  let a: Awaited<ReturnType<typeof listen>>;
  let b: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    b = await listen((_req, res, body) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ at: "b", body })));
    a = await listen((req, res, body) => {
      const m = /^\/(\d{3})(\/other)?$/.exec((req.url ?? "").split("?")[0]!);
      if (m) res.writeHead(Number(m[1]), { location: m[2] ? `${b.base}/landed` : "/landed" }).end();
      else if (req.url === "/loop") res.writeHead(302, { location: "/loop" }).end();
      else if (req.url === "/two-locations") res.writeHead(302, [["location", "/landed"], ["location", `${b.base}/landed`]]).end();
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ at: "a", body }));
    });
  });
  after(() => {
    a.server.close();
    b.server.close();
  });

  it("follows a 301 of a renamed repository within the origin, Authorization kept", async () => {
    const r = await client(a.base, leanFetch()).request("GET /301");
    assert.deepEqual(r.data, { at: "a", body: "" });
    assert.equal(r.url, `${a.base}/landed`);
    assert.equal(a.seen.at(-1)?.headers.authorization, "token ghs_secret");
  });

  it("never sends Authorization to another origin", async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const r = await client(a.base, leanFetch()).request(`GET /${status}/other`);
      assert.equal((r.data as { at: string }).at, "b");
      assert.equal(b.seen.at(-1)?.headers.authorization, undefined, `${status}`);
      assert.equal(a.seen.at(-1)?.headers.authorization, "token ghs_secret");
    }
  });

  it("keeps method and body for 307/308, turns 303 and a POST's 301/302 into a GET without body", async () => {
    const expected: Record<number, string> = { 301: "GET", 302: "GET", 303: "GET", 307: "POST", 308: "POST" };
    for (const status of [301, 302, 303, 307, 308]) {
      await client(a.base, leanFetch()).request(`POST /${status}`, { name: "x" });
      const last = a.seen.at(-1)!;
      assert.equal(last.method, expected[status], `${status}`);
      assert.equal(last.body, expected[status] === "POST" ? '{"name":"x"}' : "", `${status}`);
      if (expected[status] === "GET") assert.equal(last.headers["content-type"], undefined);
    }
  });

  it("stops after a few hops: a 500 to Octokit, retried by the budget, then failed", async () => {
    const before = a.seen.length;
    await assert.rejects(client(a.base, leanFetch({ maxRedirects: 3 }), 1).request("GET /loop"), (err: { status?: number; message?: string }) => err.status === 500 && /more than 3 redirects/.test(err.message ?? ""));
    assert.equal(a.seen.length - before, 8); // two attempts of 1 + 3 hops
  });

  it("fails a redirect with several Location headers (as fetch does) instead of handing it back as the answer", async () => {
    await assert.rejects(leanFetch()(`${a.base}/two-locations`), (err: Error) => err instanceof TypeError && /2 Location headers/.test(String((err.cause as Error | undefined)?.message)));
  });

  it("returns the 3xx itself with redirect: manual, fails with redirect: error", async () => {
    const manual = await leanFetch()(`${a.base}/302`, { redirect: "manual" });
    assert.equal(manual.status, 302);
    assert.equal(manual.headers.get("location"), "/landed");
    await assert.rejects(leanFetch()(`${a.base}/302`, { redirect: "error" }), TypeError);
  });

  it("refuses a redirect from https to http", async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    mock.get("https://api.github.test").intercept({ path: "/repos/a/b" }).reply(301, "", { headers: { location: "http://api.github.test/repos/a/c" } });
    await assert.rejects(leanFetch({ dispatcher: mock })("https://api.github.test/repos/a/b"), (err: TypeError) => err instanceof TypeError && /https to http/.test((err.cause as Error).message));
    await mock.close();
  });
});

describe("lean fetch failures", () => {
  it("an aborted signal rejects with its reason, before or during the request", async () => {
    const s = await listen(() => undefined); // never answers
    try {
      const pre = new AbortController();
      pre.abort(new Error("stopped before"));
      await assert.rejects(leanFetch()(`${s.base}/x`, { signal: pre.signal }), /stopped before/);
      const mid = new AbortController();
      setTimeout(() => mid.abort(new Error("attempt deadline")), 20);
      await assert.rejects(leanFetch()(`${s.base}/x`, { signal: mid.signal }), /attempt deadline/);
      await assert.rejects(fetchWithTimeout(30, leanFetch())(`${s.base}/x`), HttpTimeoutError);
    } finally {
      s.server.closeAllConnections();
      s.server.close();
    }
  });

  it("a dropped connection is a TypeError with a cause, which the budget retries as a 500", async () => {
    let n = 0;
    const s = await listen((req, res) => {
      if (++n <= 2) req.socket.destroy();
      else res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
    try {
      await assert.rejects(leanFetch()(`${s.base}/x`), (err: TypeError) => err instanceof TypeError && err.message === "fetch failed" && err.cause instanceof Error);
      n = 0;
      const r = await client(s.base, leanFetch(), 2).request("GET /x");
      assert.deepEqual(r.data, { ok: true });
      assert.equal(n, 3);
    } finally {
      s.server.close();
    }
  });

  it("a refused connection fails as Node's fetch does", async () => {
    const err = (await leanFetch()("http://127.0.0.1:9/x").catch((e: unknown) => e)) as TypeError;
    assert.ok(err instanceof TypeError && err.cause instanceof Error);
    await assert.rejects(client("http://127.0.0.1:9", leanFetch()).request("GET /x"), (e: { status?: number }) => e.status === 500);
  });
});

describe("budgetedOctokit's fetch", () => {
  it("is the fetch of every client given none (Probot's Server builds its Probot without Probot.defaults' request); a client's own fetch wins", async () => {
    const seen: string[] = [];
    const fetchOf = (name: string) => (input: string | URL | Request): Promise<Response> => {
      seen.push(`${name} ${new URL(input instanceof Request ? input.url : input).pathname}`);
      return Promise.resolve(new Response('{"ok":true}', { headers: { "content-type": "application/json" } }));
    };
    const Octokit = budgetedOctokit({ retries: 0, retryBaseMs: 1, maxRetryAfterSeconds: 1, writeIntervalMs: 0, fetch: fetchOf("budget") });
    await new Octokit({ log: silent }).request("GET /meta");
    await new Octokit({ log: silent, request: { fetch: fetchOf("own") } }).request("GET /meta");
    assert.deepEqual(seen, ["budget /meta", "own /meta"]);
  });
});
