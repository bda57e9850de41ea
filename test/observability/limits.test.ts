// webhookIntake on real HTTP servers, against an outsider who knows no webhook secret: headers are judged before a
// byte of body is read, the HMAC is checked as the body streams, unverified bytes are held within one budget for
// all connections, a refusal is one log line without the payload, and only verified bodies reach Probot.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import pino from "pino";
import { Probot, Server as ProbotServer, createNodeMiddleware } from "probot";
import { MAX_WEBHOOK_PAYLOAD_BYTES, RETRY_AFTER_SECONDS, UnverifiedBudget, guardWebhookIntake, webhookIntake } from "../../src/observability/limits.js";
import type { BufferedRequest, IntakeLog, WebhookIntakeOptions } from "../../src/observability/limits.js";
import { freePort } from "../support/net.js";

const SECRET = "limits-test-webhook-secret";
const sign = (body: Buffer, secret = SECRET) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
const privateKey = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

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

/** Log lines the intake wrote, as objects. */
function recorder(): IntakeLog & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, warn: (fields, msg) => lines.push({ ...fields, msg }) };
}

interface Answer {
  status: number;
  body: string;
  headers: IncomingMessage["headers"];
}

/** An open request: write chunks when you like; `answer` settles when the response is complete. */
function open(port: number, headers: Record<string, string>, path = "/hook", method = "POST"): { req: ClientRequest; answer: Promise<Answer> } {
  let req!: ClientRequest;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => (e.code === "EPIPE" || e.code === "ECONNRESET" ? undefined : reject(e))); // refused: the server closes while we still send
  });
  return { req, answer };
}

/** A delivery's headers; `signature: null` leaves it out. */
function hookHeaders(body: Buffer | undefined, opts: { signature?: string | null; chunked?: boolean; length?: number; event?: string; id?: string } = {}): Record<string, string> {
  const h: Record<string, string> = { "content-type": "application/json", "x-github-event": opts.event ?? "issues", "x-github-delivery": opts.id ?? randomUUID() };
  const signature = opts.signature === undefined ? sign(body ?? Buffer.alloc(0)) : opts.signature;
  if (signature !== null) h["x-hub-signature-256"] = signature;
  if (!opts.chunked) h["content-length"] = String(opts.length ?? body?.length ?? 0);
  return h;
}

/** Sends a whole body at once. */
function deliver(port: number, body: Buffer, opts: Parameters<typeof hookHeaders>[1] & { path?: string } = {}): Promise<Answer> {
  const { req, answer } = open(port, hookHeaders(body, opts), opts.path);
  req.end(body);
  return answer;
}

/** A handler that records what it was handed and answers 200. */
function accepting(seen: { body?: string; raw?: number; url?: string }[]): Handler {
  return (req, res) => {
    const b = req as BufferedRequest;
    seen.push({ ...(b.body !== undefined ? { body: b.body } : {}), ...(b.rawBody ? { raw: b.rawBody.length } : {}), ...(req.url ? { url: req.url } : {}) });
    res.writeHead(200).end("ok");
    return true;
  };
}

function intake(handler: Handler, opts: Partial<WebhookIntakeOptions> = {}) {
  return webhookIntake(handler, { secret: SECRET, path: "/hook", ...opts });
}

describe("webhookIntake", () => {
  it("GitHub's 25 MB cap is the default ceiling", () => assert.equal(MAX_WEBHOOK_PAYLOAD_BYTES, 25 * 1024 * 1024));

  it("a signed delivery reaches the handler as req.body and req.rawBody, declared or streamed, up to exactly the cap", async () => {
    const seen: { body?: string; raw?: number }[] = [];
    const budget = new UnverifiedBudget(4096);
    const srv = await serve(intake(accepting(seen), { maxBytes: 1024, budget }));
    try {
      const payload = Buffer.from(JSON.stringify({ a: "é".repeat(100) }));
      assert.equal((await deliver(srv.port, payload)).status, 200);
      const streamed = open(srv.port, hookHeaders(payload, { chunked: true }));
      streamed.req.write(payload.subarray(0, 11)); // splits the two bytes of an é
      streamed.req.end(payload.subarray(11));
      assert.equal((await streamed.answer).status, 200);
      assert.equal((await deliver(srv.port, Buffer.alloc(1024, 0x61))).status, 200, "exactly the cap is allowed");
      assert.deepEqual(seen[0], { body: payload.toString("utf8"), raw: payload.length, url: "/hook" });
      assert.deepEqual(seen[1], seen[0]);
      assert.equal(seen[2]?.raw, 1024);
      assert.equal(budget.held, 0, "verified bodies leave the unverified budget");
    } finally {
      await srv.close();
    }
  });

  it("a missing signature is 400 before the body is read: the answer comes while the sender still holds most of it back", async () => {
    const log = recorder();
    let calls = 0;
    const srv = await serve(intake(() => calls++, { log }));
    try {
      const { req, answer } = open(srv.port, hookHeaders(undefined, { signature: null, length: 1_000_000, id: "d-missing" }));
      req.write(Buffer.alloc(1000, 0x61)); // 1 KB of a declared 1 MB, then nothing until the answer
      const r = await answer;
      req.destroy();
      assert.equal(r.status, 400);
      assert.deepEqual(JSON.parse(r.body), { error: "required headers missing: x-hub-signature-256" });
      assert.equal(calls, 0);
      assert.deepEqual(log.lines, [{ delivery: "d-missing", event: "issues", status: 400, reason: "required headers missing: x-hub-signature-256", declaredBytes: "1000000", readBytes: 0, client: "127.0.0.1", msg: "webhook delivery refused" }]);
    } finally {
      await srv.close();
    }
  });

  it("a malformed signature (no sha256=, sha1, upper-case hex, two headers) is 400 before the body is read", async () => {
    let calls = 0;
    const srv = await serve(intake(() => calls++));
    try {
      const body = Buffer.from("{}");
      const good = sign(body);
      for (const signature of [good.slice(7), `sha1=${"a".repeat(40)}`, good.toUpperCase().replace("SHA256", "sha256"), `${good}, ${good}`]) {
        const { req, answer } = open(srv.port, hookHeaders(body, { signature, length: 100_000 }));
        req.write(body);
        const r = await answer;
        req.destroy();
        assert.equal(r.status, 400, signature);
        assert.match((JSON.parse(r.body) as { error: string }).error, /x-hub-signature-256: expected sha256= followed by 64 lowercase hex digits/);
      }
      assert.equal(calls, 0);
    } finally {
      await srv.close();
    }
  });

  it("a content type other than JSON is 415 before the body is read", async () => {
    const srv = await serve(intake(() => assert.fail("handler ran")));
    try {
      const { req, answer } = open(srv.port, { ...hookHeaders(Buffer.from("{}"), { length: 100_000 }), "content-type": "application/x-www-form-urlencoded" });
      req.write("payload=");
      const r = await answer;
      req.destroy();
      assert.equal(r.status, 415);
    } finally {
      await srv.close();
    }
  });

  it("a declared content-length over the cap is 413 before the body is read", async () => {
    const log = recorder();
    const srv = await serve(intake(() => assert.fail("handler ran"), { maxBytes: 1024, log }));
    try {
      const { req, answer } = open(srv.port, hookHeaders(undefined, { signature: `sha256=${"0".repeat(64)}`, length: 2048 }));
      req.write(Buffer.alloc(100, 0x61));
      const r = await answer;
      req.destroy();
      assert.equal(r.status, 413);
      assert.deepEqual(JSON.parse(r.body), { error: "request body is 2048 bytes; expected at most 1024 bytes" });
      assert.equal(log.lines[0]?.readBytes, 0);
    } finally {
      await srv.close();
    }
  });

  it("a streamed body is cut off with 413 once it passes the cap, without waiting for the rest", async () => {
    const log = recorder();
    const budget = new UnverifiedBudget(1 << 20);
    const srv = await serve(intake(() => assert.fail("handler ran"), { maxBytes: 1024, log, budget }));
    try {
      const { req, answer } = open(srv.port, hookHeaders(undefined, { signature: `sha256=${"0".repeat(64)}`, chunked: true }));
      req.write(Buffer.alloc(600, 0x61));
      req.write(Buffer.alloc(600, 0x61)); // over the cap; the rest never comes, yet the answer does
      const r = await answer;
      req.destroy();
      assert.equal(r.status, 413);
      assert.deepEqual(JSON.parse(r.body), { error: "request body is more than 1024 bytes; expected at most 1024 bytes" });
      assert.ok((log.lines[0]?.readBytes as number) <= 1200, `read ${String(log.lines[0]?.readBytes)} bytes`);
      assert.equal(budget.held, 0);
    } finally {
      await srv.close();
    }
  });

  it("a wrong signature is 401 after the body streamed through the HMAC; its bytes leave the budget and never reach the handler", async () => {
    const log = recorder();
    const budget = new UnverifiedBudget(1 << 20);
    let calls = 0;
    const srv = await serve(intake(() => calls++, { log, budget }));
    try {
      const body = Buffer.from(JSON.stringify({ action: "opened", secretish: "PAYLOAD-MARKER" }));
      const r = await deliver(srv.port, body, { signature: sign(body, "not-the-webhook-secret"), id: "d-wrong" });
      assert.equal(r.status, 401);
      assert.deepEqual(JSON.parse(r.body), { error: "x-hub-signature-256 does not match the body and the webhook secret" });
      assert.equal(calls, 0);
      assert.equal(budget.held, 0);
      assert.deepEqual(log.lines, [{ delivery: "d-wrong", event: "issues", status: 401, reason: "x-hub-signature-256 does not match the body and the webhook secret", declaredBytes: String(body.length), readBytes: body.length, client: "127.0.0.1", msg: "webhook delivery refused" }]);
      assert.doesNotMatch(JSON.stringify(log.lines), /PAYLOAD-MARKER/);
    } finally {
      await srv.close();
    }
  });

  it("the budget holds the bytes that arrived, not those declared: the chunk that does not fit is 429 with Retry-After, and room comes back", async () => {
    const log = recorder();
    const budget = new UnverifiedBudget(12_000);
    const seen: { body?: string }[] = [];
    const srv = await serve(intake(accepting(seen), { log, budget, rateWindowMs: 60_000 }));
    try {
      const body = Buffer.alloc(4000, 0x20);
      const wrong = sign(body, "not-the-webhook-secret");
      // Three senders declare 4000 bytes each and send half: 6000 bytes nobody has verified.
      const held = [0, 1, 2].map(() => open(srv.port, hookHeaders(body, { signature: wrong })));
      for (const h of held) h.req.write(body.subarray(0, 2000));
      for (let i = 0; i < 100 && budget.held < 6000; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(budget.held, 6000);
      const fourth = open(srv.port, hookHeaders(undefined, { signature: wrong, length: 8000 }));
      fourth.req.write(Buffer.alloc(6400, 0x20)); // past the budget: refused without the rest of the body
      const refused = await fourth.answer;
      fourth.req.destroy();
      assert.equal(refused.status, 429);
      assert.equal(refused.headers["retry-after"], String(RETRY_AFTER_SECONDS));
      assert.deepEqual(JSON.parse(refused.body), { error: "too many unverified webhook bodies in flight; retry later" });
      assert.equal(log.lines.filter((l) => l.status === 429).length, 1);
      for (const h of held) h.req.end(body.subarray(2000));
      assert.deepEqual((await Promise.all(held.map((h) => h.answer))).map((a) => a.status), [401, 401, 401]);
      assert.equal(budget.held, 0);
      assert.equal((await deliver(srv.port, body)).status, 200, "a signed delivery is taken once there is room");
      assert.equal(seen.length, 1);
    } finally {
      await srv.close();
    }
  });

  it("a streamed body takes the budget chunk by chunk and is 429 when the next chunk does not fit", async () => {
    const budget = new UnverifiedBudget(1500);
    const srv = await serve(intake(() => assert.fail("handler ran"), { budget }));
    try {
      const { req, answer } = open(srv.port, hookHeaders(undefined, { signature: `sha256=${"0".repeat(64)}`, chunked: true }));
      for (let i = 0; i < 3; i++) req.write(Buffer.alloc(600, 0x61));
      const r = await answer;
      req.destroy();
      assert.equal(r.status, 429);
      assert.equal(budget.held, 0);
    } finally {
      await srv.close();
    }
  });

  it("a sender who goes away mid-body gives its share of the budget back", async () => {
    const budget = new UnverifiedBudget(1 << 20);
    const srv = await serve(intake(() => assert.fail("handler ran"), { budget, rateWindowMs: 60_000 }));
    try {
      const { req } = open(srv.port, hookHeaders(undefined, { signature: `sha256=${"0".repeat(64)}`, length: 10_000 }));
      req.write(Buffer.alloc(2000, 0x61));
      for (let i = 0; i < 100 && budget.held === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(budget.held, 2000, "only the bytes that arrived are held");
      req.destroy();
      const held = (): number => budget.held; // read afresh each turn
      for (let i = 0; i < 100 && held() !== 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(budget.held, 0);
    } finally {
      await srv.close();
    }
  });

  it("a body that stalls is 408 after the read deadline and gives its budget back", async () => {
    const budget = new UnverifiedBudget(1 << 20);
    const srv = await serve(intake(() => assert.fail("handler ran"), { readTimeoutMs: 100, rateWindowMs: 60_000, budget }));
    try {
      const { req, answer } = open(srv.port, hookHeaders(undefined, { signature: `sha256=${"0".repeat(64)}`, length: 500 }));
      req.write(Buffer.alloc(100, 0x61)); // then nothing more
      assert.equal((await answer).status, 408);
      assert.equal(budget.held, 0);
    } finally {
      await srv.close();
    }
  });

  it("a signed body that is not UTF-8 is 400 (decoding it would change what was signed)", async () => {
    const srv = await serve(intake(() => assert.fail("handler ran")));
    try {
      assert.equal((await deliver(srv.port, Buffer.from([0x7b, 0xff, 0x7d]))).status, 400);
    } finally {
      await srv.close();
    }
  });

  it("the webhook path is guarded as @octokit/webhooks matches it (trailing slashes); other requests pass with their body unread", async () => {
    const seen: { body?: string; url?: string }[] = [];
    const srv = await serve(intake(accepting(seen)));
    try {
      const body = Buffer.from("{}");
      assert.equal((await deliver(srv.port, body, { path: "/hook//", signature: sign(Buffer.from("other")) })).status, 401);
      assert.equal((await deliver(srv.port, body, { path: "/other", signature: null })).status, 200);
      assert.deepEqual(seen, [{ url: "/other" }], "not the webhook path: handed on, body not read");
      const get = await fetch(`http://127.0.0.1:${srv.port}/hook`);
      assert.equal(get.status, 200, "not a POST: Probot answers it without reading a body");
    } finally {
      await srv.close();
    }
  });

  it("in front of Probot's webhook middleware: a signed delivery is received, a wrong one is 401 and never reaches the app", async () => {
    const received: string[] = [];
    const probot = new Probot({ appId: 1, privateKey: privateKey(), secret: SECRET, log: pino({ level: "silent" }) });
    const middleware = await createNodeMiddleware(
      (app) => {
        app.on("issues", (context) => {
          received.push(context.id);
          return Promise.resolve();
        });
      },
      { probot, webhooksPath: "/hook" },
    );
    const guarded = webhookIntake(middleware, { secret: SECRET, path: "/hook", maxBytes: 4096 });
    const srv = await serve((req, res) => guarded(req, res, () => res.writeHead(404).end()));
    try {
      const payload = Buffer.from(JSON.stringify({ action: "opened", issue: { number: 1, title: "é ok" }, repository: { id: 1 }, installation: { id: 2 } }));
      const ok = await deliver(srv.port, payload, { id: "d-ok" });
      assert.equal(ok.status, 200, ok.body);
      assert.deepEqual(received, ["d-ok"]);
      assert.equal((await deliver(srv.port, payload, { signature: sign(payload, "x".repeat(30)) })).status, 401);
      assert.equal((await deliver(srv.port, Buffer.alloc(5000, 0x20))).status, 413);
      assert.deepEqual(received, ["d-ok"]);
    } finally {
      await srv.close();
    }
  });

  it("on Probot 14's own Server: no refused payload appears in any log line (one line per refusal), a signed delivery still arrives", async () => {
    const out: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk.toString("utf8"));
        cb();
      },
    });
    const log = pino({ level: "trace" }, sink); // everything Probot and the intake would say
    const received: string[] = [];
    const port = await freePort();
    const server = new ProbotServer({ host: "127.0.0.1", port, log, webhookPath: "/hook", Probot: Probot.defaults({ appId: 1, privateKey: privateKey(), secret: SECRET, log }) });
    await server.load((app) => {
      app.on("issues", (context) => {
        received.push(context.id);
        return Promise.resolve();
      });
    });
    const http = await server.start();
    guardWebhookIntake(http, { secret: SECRET, path: "/hook", maxBytes: 64 * 1024, log });
    try {
      const marker = "PAYLOAD-MARKER-7f3a";
      const hostile = Buffer.from(JSON.stringify({ action: "opened", issue: { number: 1, body: marker.repeat(100) }, repository: { id: 1 } }));
      const refusals = [
        await deliver(port, hostile, { signature: sign(hostile, "not-the-webhook-secret"), id: "d-401" }),
        await deliver(port, hostile, { signature: null, id: "d-400" }),
        await deliver(port, Buffer.concat([hostile, Buffer.alloc(64 * 1024, 0x20)]), { signature: sign(hostile, "not-the-webhook-secret"), id: "d-413", chunked: true }),
      ];
      assert.deepEqual(refusals.map((r) => r.status), [401, 400, 413]);
      const signed = Buffer.from(JSON.stringify({ action: "opened", issue: { number: 2 }, repository: { id: 1 } }));
      assert.equal((await deliver(port, signed, { id: "d-ok" })).status, 200);
      assert.deepEqual(received, ["d-ok"]);
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/ping`)).text(), "PONG");
      const text = out.join("");
      assert.doesNotMatch(text, new RegExp(marker), "a refused payload was logged");
      const refusedLines = text.split("\n").filter((l) => l.includes("webhook delivery refused")).map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(refusedLines.map((l) => [l.delivery, l.event, l.status]), [["d-401", "issues", 401], ["d-400", "issues", 400], ["d-413", "issues", 413]]);
      assert.equal(refusedLines[0]!.readBytes, hostile.length);
      assert.ok(!/d-401|d-400|d-413/.test(text.split("\n").filter((l) => !l.includes("webhook delivery refused")).join("\n")), "a refused delivery reached Probot's own logging");
    } finally {
      await server.stop();
    }
  });

  it("refuses a nonsensical cap, budget or secret", () => {
    assert.throws(() => intake(() => true, { maxBytes: -1 }), RangeError);
    assert.throws(() => intake(() => true, { maxBytes: 1.5 }), RangeError);
    assert.throws(() => new UnverifiedBudget(-1), RangeError);
    assert.throws(() => intake(() => true, { minChunkChargeBytes: -1 }), RangeError);
    assert.throws(() => webhookIntake(() => true, { secret: "" }), TypeError);
  });
});
