// fetchWithTimeout against a local server that hangs: before the headers, in the middle of the body, and through
// Octokit; a caller's own abort keeps its reason; URLs in errors carry no query string or credentials.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import { DEFAULT_HTTP_TIMEOUT_MS, HttpTimeoutError, describeUrl, fetchWithTimeout } from "../../../src/adapters/github/http.js";
import { AgentGateError } from "../../../src/core/errors.js";

describe("fetchWithTimeout", () => {
  let server: Server;
  let base = "";
  before(async () => {
    server = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0];
      if (path === "/ok" || path === "/repos/acme/web") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
      } else if (path === "/slow-body") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"partial":'); // and never the rest
      } else if (path === "/late") {
        setTimeout(() => res.writeHead(200).end("late"), 150).unref();
      }
      // anything else: hang without answering
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("passes a timely answer through unchanged", async () => {
    const res = await fetchWithTimeout(2000)(`${base}/ok`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
  });

  it("aborts a request whose server never answers, naming the URL without its query string, and the timeout", async () => {
    const started = Date.now();
    await assert.rejects(fetchWithTimeout(100)(`${base}/hang?access_token=ghs_secret123&x=1`, { method: "post", body: "{}" }), (err: unknown) => {
      assert.ok(err instanceof HttpTimeoutError);
      assert.ok(err instanceof AgentGateError);
      assert.equal(err.code, "HTTP_TIMEOUT");
      assert.equal(err.kind, "transient");
      assert.equal(err.message, `POST ${base}/hang did not complete within 100 ms; expected an answer sooner (outbound request timeout)`);
      assert.doesNotMatch(err.message, /ghs_secret|access_token/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
  });

  it("aborts a body that stalls after the headers: reading it rejects with the same error", async () => {
    // the headers come at once; a deadline well above that leaves the body as the part that stalls, even on a busy machine
    const res = await fetchWithTimeout(1000)(`${base}/slow-body`);
    assert.equal(res.status, 200);
    await assert.rejects(res.text(), (err: unknown) => err instanceof HttpTimeoutError && err.url === `${base}/slow-body` && err.timeoutMs === 1000);
  });

  it("a caller's abort keeps the caller's reason, and does not claim a timeout", async () => {
    const controller = new AbortController();
    const pending = fetchWithTimeout(5000)(`${base}/hang`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("shutting down")), 50);
    await assert.rejects(pending, (err: unknown) => !(err instanceof HttpTimeoutError) && (err as Error).message === "shutting down");
  });

  it("a caller's signal that is already aborted rejects at once", async () => {
    await assert.rejects(fetchWithTimeout(5000)(`${base}/ok`, { signal: AbortSignal.abort(new Error("no")) }), /no/);
  });

  it("an answer that comes before the deadline is not aborted later", async () => {
    const res = await fetchWithTimeout(5000)(`${base}/late`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await res.text(), "late");
  });

  it("works as Octokit's fetch: the RequestError carries the timeout's message", async () => {
    const octokit = new Octokit({ baseUrl: base, request: { fetch: fetchWithTimeout(2000), retries: 0 } }); // roomy: the first request must answer in time on a busy machine
    assert.deepEqual((await octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "web" })).data, { ok: true });
    await assert.rejects(octokit.request("GET /repos/{owner}/{repo}/check-runs", { owner: "acme", repo: "web" }), (err: unknown) => {
      const e = err as Error & { status?: number; cause?: unknown };
      assert.equal(e.status, 500, "Octokit reports a fetch failure as status 500 without a response");
      assert.equal(e.message, `GET ${base}/repos/acme/web/check-runs did not complete within 2000 ms; expected an answer sooner (outbound request timeout)`);
      assert.ok(e.cause instanceof HttpTimeoutError);
      return true;
    });
  });

  it("wraps any base fetch, and refuses a nonsensical timeout", async () => {
    const seen: (AbortSignal | null | undefined)[] = [];
    const base: typeof fetch = (_input, init) => {
      seen.push(init?.signal);
      return Promise.resolve(new Response("x"));
    };
    assert.equal(await (await fetchWithTimeout(1000, base)("https://example.invalid/a")).text(), "x");
    assert.ok(seen[0] instanceof AbortSignal);
    assert.throws(() => fetchWithTimeout(0), RangeError);
    assert.throws(() => fetchWithTimeout(Number.NaN), RangeError);
    assert.equal(DEFAULT_HTTP_TIMEOUT_MS, 10_000);
  });
});

describe("describeUrl", () => {
  it("drops user info, query string and fragment", () => {
    assert.equal(describeUrl("https://user:pw@api.github.com:8443/repos/a/b?token=x#frag"), "https://api.github.com:8443/repos/a/b");
    assert.equal(describeUrl(new URL("https://h/p?q=1")), "https://h/p");
    assert.equal(describeUrl(new Request("https://h/r?sig=abc")), "https://h/r");
    assert.equal(describeUrl("/relative/path?secret=1"), "/relative/path");
  });
});

describe("fetchWithTimeout over the App's lean fetch", () => {
  // A server that answers /whole at once, and sends /stall's headers and then nothing.
  let server: Server;
  let base = "";
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === "/stall") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write("{");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("ends the deadline once an answer read whole is in: the request's signal is never aborted afterwards", async () => {
    const { leanFetch } = await import("../../../src/adapters/github/http-transport.js");
    const lean = leanFetch();
    const signals: AbortSignal[] = [];
    const spy = Object.assign((input: string | URL | Request, init?: RequestInit) => (signals.push(init!.signal!), lean(input, init)), lean);
    const timed = fetchWithTimeout(100, spy);
    assert.equal((await timed(`${base}/whole`)).status, 200);
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(signals[0]!.aborted, false, "an answer read whole kept its deadline armed");
  });

  it("an input the lean fetch hands to Node's fetch (a Request) keeps its deadline over the body", async () => {
    const { leanFetch } = await import("../../../src/adapters/github/http-transport.js");
    const timed = fetchWithTimeout(100, leanFetch());
    const res = await timed(new Request(`${base}/stall`));
    await assert.rejects(res.text(), HttpTimeoutError);
  });
});
