// limitBody on real HTTP servers: declared and streamed bodies over the cap are 413 before the handler runs, a
// stalled body is 408, bodies within the cap reach the handler (and Probot's webhook middleware) intact.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import pino from "pino";
import { Probot, Server as ProbotServer, createNodeMiddleware } from "probot";
import { MAX_WEBHOOK_PAYLOAD_BYTES, limitBody, limitServerBodies } from "../../src/observability/limits.js";
import type { BufferedRequest } from "../../src/observability/limits.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

async function serve(handler: Handler): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => void Promise.resolve(handler(req, res)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends `chunks` (optionally chunked, without content-length), pausing `gapMs` between them; resolves with the answer. */
function send(port: number, chunks: Buffer[], opts: { chunked?: boolean; gapMs?: number; method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const req = request(
      { host: "127.0.0.1", port, method: opts.method ?? "POST", path: "/hook", headers: { "content-type": "application/json", ...(opts.chunked ? {} : { "content-length": String(total) }), ...opts.headers } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    let i = 0;
    const next = (): void => {
      if (i >= chunks.length) {
        req.end();
        return;
      }
      const c = chunks[i++]!;
      req.write(c, () => (opts.gapMs ? setTimeout(next, opts.gapMs) : next()));
    };
    next();
  });
}

describe("limitBody", () => {
  it("GitHub's 25 MB cap is the default ceiling", () => assert.equal(MAX_WEBHOOK_PAYLOAD_BYTES, 25 * 1024 * 1024));

  it("a declared content-length over the cap is 413 at once; the handler never runs", async () => {
    let calls = 0;
    const srv = await serve(limitBody(1024, () => calls++));
    try {
      const r = await send(srv.port, [Buffer.alloc(2048, 0x61)]);
      assert.equal(r.status, 413);
      assert.deepEqual(JSON.parse(r.body), { error: "request body is 2048 bytes; expected at most 1024 bytes" });
      assert.equal(calls, 0);
    } finally {
      await srv.close();
    }
  });

  it("a streamed body without content-length is cut off with 413 once it passes the cap", async () => {
    let calls = 0;
    const srv = await serve(limitBody(1024, () => calls++));
    try {
      const r = await send(srv.port, [Buffer.alloc(600, 0x61), Buffer.alloc(600, 0x61), Buffer.alloc(600, 0x61)], { chunked: true, gapMs: 20 });
      assert.equal(r.status, 413);
      assert.deepEqual(JSON.parse(r.body), { error: "request body is more than 1024 bytes; expected at most 1024 bytes" });
      assert.equal(calls, 0);
    } finally {
      await srv.close();
    }
  });

  it("a body within the cap reaches the handler as req.body and req.rawBody, streamed or declared", async () => {
    const seen: { body?: string; raw?: number }[] = [];
    const srv = await serve(
      limitBody(1024, (req, res) => {
        const b = req as BufferedRequest;
        seen.push({ ...(b.body !== undefined ? { body: b.body } : {}), ...(b.rawBody ? { raw: b.rawBody.length } : {}) });
        res.writeHead(200).end("ok");
        return true;
      }),
    );
    try {
      const payload = Buffer.from(JSON.stringify({ a: "é".repeat(100) }));
      assert.equal((await send(srv.port, [payload])).status, 200);
      assert.equal((await send(srv.port, [payload.subarray(0, 10), payload.subarray(10)], { chunked: true })).status, 200);
      assert.equal((await send(srv.port, [Buffer.alloc(1024, 0x61)])).status, 200, "exactly the cap is allowed");
      assert.deepEqual(seen[0], { body: payload.toString("utf8"), raw: payload.length });
      assert.deepEqual(seen[1], seen[0]);
      assert.equal(seen[2]?.raw, 1024);
    } finally {
      await srv.close();
    }
  });

  it("a request without a body passes straight through", async () => {
    const srv = await serve(limitBody(0, (req, res) => res.writeHead(200).end(`${req.method} ${(req as BufferedRequest).body === undefined}`)));
    try {
      const r = await send(srv.port, [], { method: "GET", headers: {} }); // content-length: 0
      assert.deepEqual(r, { status: 200, body: "GET true" });
      const f = await fetch(`http://127.0.0.1:${srv.port}/healthz`); // no content-length at all
      assert.equal(await f.text(), "GET true");
    } finally {
      await srv.close();
    }
  });

  it("a body that stalls is 408 after the read deadline", async () => {
    let calls = 0;
    const srv = await serve(limitBody(1024, () => calls++, { readTimeoutMs: 100 }));
    try {
      const r = await new Promise<number>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: srv.port, method: "POST", path: "/", headers: { "content-length": "500" } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.write(Buffer.alloc(100, 0x61)); // then nothing more
      });
      assert.equal(r, 408);
      assert.equal(calls, 0);
    } finally {
      await srv.close();
    }
  });

  it("wrapping Probot's webhook middleware: a signed delivery within the cap is received, an oversized one is 413", async () => {
    const secret = "limit-test-secret";
    const received: string[] = [];
    const probot = new Probot({
      appId: 1,
      privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      secret,
      log: pino({ level: "silent" }),
    });
    const middleware = await createNodeMiddleware(
      (app) => {
        app.on("issues", (context) => {
          received.push(context.id);
          return Promise.resolve();
        });
      },
      { probot, webhooksPath: "/hook" },
    );
    const limited = limitBody(4096, middleware);
    const srv = await serve((req, res) => limited(req, res, () => res.writeHead(404).end()));
    try {
      const deliver = (payload: unknown) => {
        const body = Buffer.from(JSON.stringify(payload));
        const id = randomUUID();
        const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
        return send(srv.port, [body], { headers: { "x-github-event": "issues", "x-github-delivery": id, "x-hub-signature-256": signature } }).then((r) => ({ ...r, id }));
      };
      const small = await deliver({ action: "opened", issue: { number: 1, title: "é ok" }, repository: { id: 1 }, installation: { id: 2 } });
      assert.equal(small.status, 200, small.body);
      assert.deepEqual(received, [small.id]);
      const big = await deliver({ action: "opened", issue: { number: 2, body: "x".repeat(5000) }, repository: { id: 1 } });
      assert.equal(big.status, 413);
      assert.deepEqual(received, [small.id], "the oversized delivery never reached the app");
    } finally {
      await srv.close();
    }
  });

  it("limitServerBodies guards Probot 14's own Server, whose webhook middleware cannot be wrapped from outside", async () => {
    const secret = "server-limit-secret";
    const received: string[] = [];
    const log = pino({ level: "silent" });
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const server = new ProbotServer({
      host: "127.0.0.1",
      port,
      log,
      webhookPath: "/hook",
      Probot: Probot.defaults({ appId: 1, privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(), secret, log }),
    });
    await server.load((app) => {
      app.on("issues", (context) => {
        received.push(context.id);
        return Promise.resolve();
      });
    });
    const http = await server.start();
    limitServerBodies(http, 4096);
    try {
      const deliver = (payload: unknown) => {
        const body = Buffer.from(JSON.stringify(payload));
        const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
        return send(port, [body], { headers: { "x-github-event": "issues", "x-github-delivery": randomUUID(), "x-hub-signature-256": signature } });
      };
      assert.equal((await deliver({ action: "opened", issue: { number: 1 }, repository: { id: 1 } })).status, 200);
      assert.equal(received.length, 1);
      assert.equal((await deliver({ action: "opened", issue: { number: 2, body: "x".repeat(5000) }, repository: { id: 1 } })).status, 413);
      assert.equal(received.length, 1);
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/ping`)).text(), "PONG");
    } finally {
      await server.stop();
    }
  });

  it("refuses a nonsensical cap", () => {
    assert.throws(() => limitBody(-1, () => true), RangeError);
    assert.throws(() => limitBody(1.5, () => true), RangeError);
  });
});
