// The unverified-body budget against one unauthenticated client trying to hold it: a declared content-length holds
// nothing until its bytes arrive, one client address holds at most its share, a body that stops arriving is cut off
// long before the whole-body deadline, and whatever way a body ends, its bytes go back (no leak on any path).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { connect } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createHmac, randomUUID } from "node:crypto";
import { MIN_CHUNK_CHARGE_BYTES, UnverifiedBudget, clientKey, webhookIntake } from "../../src/observability/limits.js";
import type { IntakeLog, WebhookIntakeOptions } from "../../src/observability/limits.js";

const SECRET = "intake-budget-test-secret";
const sign = (body: Buffer, secret = SECRET) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
const WRONG = `sha256=${"0".repeat(64)}`;
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

interface Answer {
  status: number;
  body: string;
}

/** An open POST from `from` (a loopback address); `answer` settles when the response is complete. */
function open(port: number, opts: { length?: number; signature?: string; from?: string }): { req: ClientRequest; answer: Promise<Answer> } {
  const headers: Record<string, string> = { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": randomUUID(), "x-hub-signature-256": opts.signature ?? WRONG };
  if (opts.length !== undefined) headers["content-length"] = String(opts.length);
  let req!: ClientRequest;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = request({ host: "127.0.0.1", port, method: "POST", path: "/hook", headers, localAddress: opts.from ?? "127.0.0.1", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => (e.code === "EPIPE" || e.code === "ECONNRESET" ? undefined : reject(e)));
  });
  return { req, answer };
}

/** A genuine delivery: signed, whole, sent at once. */
function deliver(port: number, body: Buffer, from?: string): Promise<Answer> {
  const { req, answer } = open(port, { length: body.length, signature: sign(body), ...(from ? { from } : {}) });
  req.end(body);
  return answer;
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

const accept: Handler = (_req, res) => res.writeHead(200).end("ok");

/** The collector, however the test runner started node. */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** A request the intake reads from a stream the test writes, as a socket's parser would feed it. */
function fakeRequest(headers: Record<string, string>, remoteAddress = "10.0.0.9") {
  return Object.assign(new PassThrough(), {
    method: "POST",
    url: "/hook",
    headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "d-chunks", "x-hub-signature-256": WRONG, ...headers },
    socket: { remoteAddress },
  });
}
const intake = (handler: Handler, opts: Partial<WebhookIntakeOptions>) => webhookIntake(handler, { secret: SECRET, path: "/hook", ...opts });

describe("unverified budget: one client cannot hold it", () => {
  it("idle connections declaring large lengths hold nothing: a genuine delivery is taken while they stay open (the reviewer's scenario, scaled down)", async () => {
    // As in production, but small: two connections declare a whole body each, a third the rest of the budget, and
    // then send nothing. Deadlines are far away, so only the accounting decides.
    const budget = new UnverifiedBudget(3000);
    const srv = await serve(intake(accept, { maxBytes: 1200, budget, readTimeoutMs: 60_000, rateWindowMs: 60_000 }));
    const idle = [1200, 1200, 600].map((length) => open(srv.port, { length }));
    try {
      for (const h of idle) h.req.flushHeaders();
      let answered = 0;
      for (const h of idle) void h.answer.then(() => answered++);
      await new Promise((r) => setTimeout(r, 100)); // the intake has seen their headers
      for (let i = 0; i < 5; i++) assert.equal((await deliver(srv.port, Buffer.from(JSON.stringify({ zen: "hi", i })))).status, 200);
      assert.equal(answered, 0, "the idle connections are still open");
      assert.equal(budget.held, 0);
    } finally {
      for (const h of idle) h.req.destroy();
      await srv.close();
    }
  });

  it("one address holds at most its share of the budget: its next chunk is 429, while a delivery from another address is taken", async () => {
    const log: IntakeLog & { lines: Record<string, unknown>[] } = { lines: [], warn: (f) => log.lines.push(f) };
    const budget = new UnverifiedBudget(12_000, 6000); // what a budget given as a size gets: half each, one whole body at least
    const srv = await serve(intake(accept, { maxBytes: 4800, budget, readTimeoutMs: 60_000, rateWindowMs: 60_000, log }));
    const held = [0, 1].map(() => open(srv.port, { length: 4800, from: "127.0.0.1" }));
    try {
      for (const h of held) h.req.write(Buffer.alloc(2800, 0x20)); // 5600 bytes that really arrived, then nothing
      await until(() => budget.held === 5600);
      const third = open(srv.port, { length: 4800, from: "127.0.0.1" });
      third.req.write(Buffer.alloc(200, 0x20)); // charged the 1 KiB a chunk costs at least: past the share
      const refused = await third.answer;
      third.req.destroy();
      assert.equal(refused.status, 429);
      assert.deepEqual(JSON.parse(refused.body), { error: "too many unverified webhook bytes in flight from this address; retry later" });
      assert.equal(log.lines[0]?.client, "127.0.0.1");
      const genuine = Buffer.from(JSON.stringify({ zen: "x".repeat(1000) }));
      assert.equal((await deliver(srv.port, genuine, "127.0.0.2")).status, 200, "another address still has room");
      assert.equal(budget.heldBy("127.0.0.1"), 5600);
    } finally {
      for (const h of held) h.req.destroy();
      await srv.close();
    }
  });

  it("a body that stops arriving is 408 at the minimum-rate check, long before the whole-body deadline, and gives its bytes back", { timeout: 20_000 }, async () => {
    const budget = new UnverifiedBudget(1 << 20);
    const srv = await serve(intake(() => assert.fail("handler ran"), { budget, readTimeoutMs: 120_000, rateWindowMs: 100, minBytesPerSecond: 10_000 }));
    try {
      const declared = open(srv.port, { length: 5000 });
      declared.req.write(Buffer.alloc(10, 0x20)); // then nothing
      const streamed = open(srv.port, {});
      streamed.req.write(Buffer.alloc(10, 0x20));
      const drip = setInterval(() => streamed.req.write(Buffer.alloc(1, 0x20)), 20); // 50 bytes/s: far below 10,000
      try {
        const answers = await Promise.all([declared.answer, streamed.answer]);
        assert.deepEqual(answers.map((a) => a.status), [408, 408]);
        for (const a of answers) assert.match(a.body, /arriving slower than 10000 bytes\/s/);
      } finally {
        clearInterval(drip);
      }
      await until(() => budget.held === 0);
      assert.equal(budget.held, 0);
      assert.equal(budget.clients, 0);
    } finally {
      await srv.close();
    }
  });

  it("bytes go back on every ending: 200, 401, 413, 429, abort, 408", async () => {
    const budget = new UnverifiedBudget(4000);
    const srv = await serve(intake(accept, { maxBytes: 3200, budget, readTimeoutMs: 60_000, rateWindowMs: 60_000 }));
    const slow = await serve(intake(accept, { maxBytes: 3200, budget, readTimeoutMs: 100, rateWindowMs: 60_000 }));
    const settle = async () => {
      await until(() => budget.held === 0);
      assert.equal(budget.held, 0);
      assert.equal(budget.clients, 0, "no address is remembered once it holds nothing");
    };
    try {
      assert.equal((await deliver(srv.port, Buffer.from("{}"))).status, 200);
      await settle();
      const wrong = open(srv.port, { length: 2 });
      wrong.req.end("{}");
      assert.equal((await wrong.answer).status, 401);
      await settle();
      const big = open(srv.port, {});
      big.req.write(Buffer.alloc(2000, 0x20));
      big.req.write(Buffer.alloc(2000, 0x20));
      assert.equal((await big.answer).status, 413);
      big.req.destroy();
      await settle();
      const first = open(srv.port, { length: 3200 });
      first.req.write(Buffer.alloc(2400, 0x20));
      await until(() => budget.held === 2400);
      const second = open(srv.port, { length: 3200, from: "127.0.0.3" });
      second.req.write(Buffer.alloc(2400, 0x20));
      assert.equal((await second.answer).status, 429);
      second.req.destroy();
      assert.equal(budget.held, 2400);
      first.req.destroy(); // the client goes away mid-body
      await settle();
      const stalled = open(slow.port, { length: 3200 });
      stalled.req.write(Buffer.alloc(1200, 0x20));
      assert.equal((await stalled.answer).status, 408, "the whole-body deadline");
      await settle();
    } finally {
      await srv.close();
      await slow.close();
    }
  });

  it("bytes go back when the request stream errs mid-body", async () => {
    const budget = new UnverifiedBudget(4000);
    const guarded = intake(() => assert.fail("handler ran"), { budget, readTimeoutMs: 60_000, rateWindowMs: 60_000 });
    const req = Object.assign(new PassThrough(), {
      method: "POST",
      url: "/hook",
      headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": "d-err", "x-hub-signature-256": WRONG, "content-length": "2000" },
      socket: { remoteAddress: "::ffff:10.0.0.7" },
    });
    const res = { headersSent: false, writeHead: () => assert.fail("answered"), destroy: () => undefined };
    const done = guarded(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    req.write(Buffer.alloc(1200, 0x20));
    await until(() => budget.held === 1200);
    assert.equal(budget.heldBy("10.0.0.7"), 1200);
    req.emit("error", new Error("socket hang up"));
    assert.equal(await done, true);
    assert.equal(budget.held, 0);
    assert.equal(budget.clients, 0);
  });

  it("a body of one-byte chunks holds no chunk object and no more memory than the budget charges for it (the reviewer's amplification, in process)", async () => {
    // As node's parser gives them: each one-byte chunk a view into a larger read buffer (here 4 KiB each, node's are
    // 64 KiB). Kept as they came, 4,000 one-byte chunks would hold 16 MiB while the budget counted 4,000 bytes.
    const gc = collector();
    const budget = new UnverifiedBudget(64 << 20, 32 << 20);
    const guarded = intake(() => assert.fail("handler ran"), { budget, readTimeoutMs: 60_000, rateWindowMs: 60_000 });
    const req = fakeRequest({});
    const res = { headersSent: false, writeHead: () => assert.fail("answered"), destroy: () => undefined };
    const done = guarded(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const refs: WeakRef<Buffer>[] = [];
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const chunk = Buffer.alloc(4096, 0x20).subarray(0, 1);
      refs.push(new WeakRef(chunk));
      req.write(chunk);
    }
    await until(() => budget.held >= n * MIN_CHUNK_CHARGE_BYTES);
    await new Promise((r) => setImmediate(r)); // WeakRefs read in an earlier turn no longer pin their targets
    gc();
    const retainedChunks = refs.filter((r) => r.deref() !== undefined).length;
    const retainedBytes = process.memoryUsage().arrayBuffers - before;
    const charged = budget.held;
    req.emit("error", new Error("socket hang up"));
    assert.equal(await done, true);
    assert.ok(retainedChunks <= 1, `${retainedChunks} of ${n} chunk objects kept until the body ends (the stream may keep its last)`);
    assert.equal(charged, n * MIN_CHUNK_CHARGE_BYTES, "each chunk is charged at least the floor");
    assert.ok(retainedBytes <= 4 * charged + (1 << 20), `held ${retainedBytes} bytes of memory for ${charged} bytes charged`);
    assert.deepEqual([budget.held, budget.clients], [0, 0]);
  });

  it("a stream of one-byte chunks runs out of its address's share after share / floor chunks: 429, bytes back", { timeout: 20_000 }, async () => {
    const log: IntakeLog & { lines: Record<string, unknown>[] } = { lines: [], warn: (f) => log.lines.push(f) };
    const budget = new UnverifiedBudget(1 << 20, 256 << 10); // a 256 KiB share: 256 chunks at the 1 KiB floor
    const srv = await serve(intake(() => assert.fail("handler ran"), { budget, readTimeoutMs: 60_000, rateWindowMs: 60_000, log }));
    const socket = connect(srv.port, "127.0.0.1");
    socket.on("error", () => undefined);
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString("latin1")));
    const closed = new Promise((r) => socket.on("close", r));
    try {
      socket.write(`POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: d1\r\nX-Hub-Signature-256: ${WRONG}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      socket.write(Buffer.from("1\r\nX\r\n".repeat(2000))); // 2,000 chunks, 2,000 bytes: far below any byte limit
      await closed;
      assert.match(answer, /^HTTP\/1\.1 429 /);
      assert.equal(log.lines.length, 1);
      assert.equal(log.lines[0]?.reason, "too many unverified webhook bytes in flight from this address; retry later");
      assert.ok((log.lines[0]?.readBytes as number) <= 257, `read ${String(log.lines[0]?.readBytes)} one-byte chunks before the refusal`);
      await until(() => budget.held === 0);
      assert.deepEqual([budget.held, budget.clients], [0, 0]);
    } finally {
      socket.destroy();
      await srv.close();
    }
  });

  it("accounts per client: both the budget and the share must hold a chunk; giving back forgets an idle address", () => {
    const budget = new UnverifiedBudget(100, 60);
    assert.equal(budget.take(50, "a"), "taken");
    assert.equal(budget.take(11, "a"), "client-full");
    assert.equal(budget.take(51, "b"), "full");
    assert.equal(budget.take(61, "c"), "full", "the whole budget is judged first");
    assert.equal(budget.held, 50, "a refusal takes nothing");
    assert.equal(budget.take(40, "b"), "taken");
    assert.deepEqual([budget.held, budget.heldBy("a"), budget.heldBy("b"), budget.clients], [90, 50, 40, 2]);
    budget.give(50, "a");
    budget.give(40, "b");
    assert.deepEqual([budget.held, budget.clients], [0, 0]);
    assert.throws(() => new UnverifiedBudget(10, -1), RangeError);
  });

  it("keys a client by its IPv4 address (mapped or not) or its IPv6 /64", () => {
    assert.equal(clientKey("192.30.252.1"), "192.30.252.1");
    assert.equal(clientKey("::ffff:192.30.252.1"), "192.30.252.1");
    assert.equal(clientKey("2606:50c0:8000::153"), "2606:50c0:8000:0::/64");
    assert.equal(clientKey("2606:50c0:8000:0:1:2:3:4"), clientKey("2606:50c0:8000::ffff"));
    assert.equal(clientKey("::1"), "0:0:0:0::/64");
    assert.equal(clientKey(undefined), "unknown");
  });
});
