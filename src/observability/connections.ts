// Connection bounds for the App's HTTP server, where anyone may connect: how long a connection may take to send its
// request, and how many connections one client address may hold open at once. The body of a webhook delivery is
// bounded separately, as it streams (limits.ts); these bound what a client holds before and around it.
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { clientKey } from "./limits.js";
import type { IntakeLog } from "./limits.js";

/** Milliseconds for a request's headers to arrive (GitHub sends them at once); node's default is 60 s. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Milliseconds for a whole request to arrive; node's default is 300 s. A webhook body has its own 10 s (limits.ts). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/**
 * Connections one client address (IPv6 by /64) may hold open at once. GitHub's deliveries come from many addresses
 * and are answered in milliseconds; behind a reverse proxy every connection is the proxy's, so it needs this many.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 64;
/** At most one log line per this many milliseconds about refused connections, whatever their number. */
export const CONNECTION_REFUSAL_LOG_INTERVAL_MS = 10_000;

export interface ConnectionBoundsOptions {
  /** Default DEFAULT_HEADERS_TIMEOUT_MS. */
  readonly headersTimeoutMs?: number;
  /** Default DEFAULT_REQUEST_TIMEOUT_MS; at least headersTimeoutMs. */
  readonly requestTimeoutMs?: number;
  /** Default DEFAULT_MAX_CONNECTIONS_PER_CLIENT. */
  readonly maxConnectionsPerClient?: number;
  readonly log?: IntakeLog;
  /** The clock for the log's pacing (tests). */
  readonly now?: () => number;
}

/** Open connections, per client address, of a server bounded by boundConnections. */
export interface ConnectionCounts {
  /** Connections `client` (a clientKey) holds open now. */
  heldBy(client: string): number;
  /** Client addresses holding a connection now (an address holding none is forgotten). */
  readonly clients: number;
  /** Connections refused since the server was bounded. */
  readonly refused: number;
}

/**
 * Sets the server's header and request deadlines (node checks them every `connectionsCheckingInterval`, 30 s by
 * default, so a connection may outlive its deadline by that much) and refuses, by closing it at once, a connection
 * from an address that already holds `maxConnectionsPerClient`. A refusal costs no parsing and no answer; the log
 * gets one line per CONNECTION_REFUSAL_LOG_INTERVAL_MS at most, with the number refused since the previous one.
 */
export function boundConnections(server: Server, options: ConnectionBoundsOptions = {}): ConnectionCounts {
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const max = options.maxConnectionsPerClient ?? DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
  if (!(headersTimeoutMs > 0) || !(requestTimeoutMs >= headersTimeoutMs)) throw new RangeError(`expected a positive headers timeout no longer than the request timeout, got ${headersTimeoutMs} ms and ${requestTimeoutMs} ms`);
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`expected at least one connection per client address, got ${max}`);
  const now = options.now ?? (() => performance.now());
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = requestTimeoutMs;
  const open = new Map<string, number>();
  let refused = 0;
  let unreported = 0;
  let lastLine = -Infinity;
  const onConnection = (socket: Socket): void => {
    const client = clientKey(socket.remoteAddress);
    const mine = open.get(client) ?? 0;
    if (mine >= max) {
      refused++;
      unreported++;
      socket.destroy();
      if (now() - lastLine >= CONNECTION_REFUSAL_LOG_INTERVAL_MS) {
        options.log?.warn({ client, maxConnectionsPerClient: max, refused: unreported }, "connections refused: too many open from one client address");
        lastLine = now();
        unreported = 0;
      }
      return;
    }
    open.set(client, mine + 1);
    socket.once("close", () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
    });
  };
  // Before node's own listener, so a refused connection is closed before a parser is set up for it.
  server.prependListener("connection", onConnection);
  return {
    heldBy: (client) => open.get(client) ?? 0,
    get clients() {
      return open.size;
    },
    get refused() {
      return refused;
    },
  };
}
