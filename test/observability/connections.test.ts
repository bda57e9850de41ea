// The App's HTTP server against one client opening connections: at most so many open at once from one address
// (refused at once, logged once per burst), while another address still connects; and the header deadline, set
// after the server was built (as Probot builds it), closes a connection that never sends its request.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { connect } from "node:net";
import { CONNECTION_REFUSAL_LOG_INTERVAL_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, boundConnections } from "../../src/observability/connections.js";
import type { IntakeLog } from "../../src/observability/limits.js";

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A connection from `from`; `closed` settles when the server (or the test) closes it. */
function dial(port: number, from = "127.0.0.1"): { socket: Socket; connected: Promise<void>; closed: Promise<void> } {
  const socket = connect({ port, host: "127.0.0.1", localAddress: from });
  socket.on("error", () => undefined);
  socket.resume(); // read what comes, so the server's end is seen
  return { socket, connected: new Promise((r) => socket.once("connect", () => r())), closed: new Promise((r) => socket.once("close", () => r())) };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe("boundConnections", () => {
  it("one address holds at most its cap of open connections: the rest are closed at once and logged once per burst; another address still connects", async () => {
    const lines: Record<string, unknown>[] = [];
    const log: IntakeLog = { warn: (f, msg) => lines.push({ ...f, msg }) };
    let clock = 0;
    const server = createServer((_req, res) => res.end("ok"));
    const counts = boundConnections(server, { maxConnectionsPerClient: 3, log, now: () => clock });
    const port = await listen(server);
    const sockets: ReturnType<typeof dial>[] = [];
    try {
      for (let i = 0; i < 3; i++) sockets.push(dial(port));
      await Promise.all(sockets.map((s) => s.connected));
      await until(() => counts.heldBy("127.0.0.1") === 3);
      assert.equal(counts.heldBy("127.0.0.1"), 3);
      const over = Array.from({ length: 5 }, () => dial(port));
      await Promise.all(over.map((s) => s.closed)); // closed by the server, nothing answered
      assert.equal(counts.refused, 5);
      assert.deepEqual(lines, [{ client: "127.0.0.1", maxConnectionsPerClient: 3, refused: 1, msg: "connections refused: too many open from one client address" }]);
      const other = dial(port, "127.0.0.2");
      sockets.push(other);
      await other.connected;
      await until(() => counts.heldBy("127.0.0.2") === 1);
      assert.equal(counts.heldBy("127.0.0.2"), 1, "another address has its own cap");
      // One closes: its place is free again. The next burst, a log interval later, is one more line with the count.
      sockets[0]!.socket.destroy();
      await until(() => counts.heldBy("127.0.0.1") === 2);
      const again = dial(port);
      sockets.push(again);
      await again.connected;
      await until(() => counts.heldBy("127.0.0.1") === 3);
      assert.equal(counts.heldBy("127.0.0.1"), 3);
      clock += CONNECTION_REFUSAL_LOG_INTERVAL_MS;
      await dial(port).closed;
      assert.equal(lines.length, 2);
      assert.equal(lines[1]?.refused, 5, "the four refused without a line, and this one");
    } finally {
      for (const s of sockets) s.socket.destroy();
      await close(server);
    }
    await until(() => counts.clients === 0);
    assert.equal(counts.clients, 0, "an address holding no connection is forgotten");
  });

  it("sets the header and request deadlines, and a connection that never sends its request is closed by them", { timeout: 10_000 }, async () => {
    const defaults = createServer();
    boundConnections(defaults);
    assert.deepEqual([defaults.headersTimeout, defaults.requestTimeout], [DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS]);
    assert.ok(DEFAULT_HEADERS_TIMEOUT_MS < 60_000, "tighter than node's 60 s");
    // Deadlines set after the server was built, as on Probot's server; the check runs every 50 ms here, not 30 s.
    const server = createServer({ connectionsCheckingInterval: 50 }, (_req, res) => res.end("ok"));
    boundConnections(server, { headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const port = await listen(server);
    try {
      const idle = dial(port);
      await idle.connected;
      idle.socket.write("POST /api/github/webhooks HTTP/1.1\r\nHost: x\r\n"); // and the headers never end
      const started = performance.now();
      await idle.closed;
      assert.ok(performance.now() - started < 5_000);
    } finally {
      await close(server);
    }
  });

  it("refuses nonsensical bounds", () => {
    assert.throws(() => boundConnections(createServer(), { maxConnectionsPerClient: 0 }), RangeError);
    assert.throws(() => boundConnections(createServer(), { headersTimeoutMs: 2000, requestTimeoutMs: 1000 }), RangeError);
  });
});
