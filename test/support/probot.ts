// Runs the real App through Probot's HTTP middleware on loopback, with signed webhook deliveries (so the
// signature check runs as in production) and Octokit's fetch pointed at a GitHub stand-in.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { Probot, createNodeMiddleware, type ApplicationFunction } from "probot";
import pino from "pino";
import { unthrottled } from "../../src/demo/run.js";

export const WEBHOOK_SECRET = "test-webhook-secret";

export interface AppHarness {
  deliver(name: string, payload: unknown, opts?: { id?: string; secret?: string }): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

let privateKey: string | undefined;
function testPrivateKey(): string {
  privateKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return privateKey;
}

export async function startApp(appFn: ApplicationFunction, fetch: typeof globalThis.fetch): Promise<AppHarness> {
  const probot = new Probot({
    appId: 123456,
    privateKey: testPrivateKey(),
    secret: WEBHOOK_SECRET,
    log: pino({ level: process.env.LOG_LEVEL ?? "silent" }),
    Octokit: unthrottled(),
    request: { fetch },
  });
  const middleware = await createNodeMiddleware(appFn, { probot, webhooksPath: "/api/github/webhooks" });
  const server: Server = createServer((req, res) => {
    void Promise.resolve(middleware(req, res, () => {
      res.writeHead(404);
      res.end();
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async deliver(name, payload, opts = {}) {
      const body = JSON.stringify(payload);
      const signature = `sha256=${createHmac("sha256", opts.secret ?? WEBHOOK_SECRET).update(body).digest("hex")}`;
      const res = await globalThis.fetch(`${base}/api/github/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": name, "x-github-delivery": opts.id ?? randomUUID(), "x-hub-signature-256": signature },
        body,
      });
      return { status: res.status, body: await res.text() };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
