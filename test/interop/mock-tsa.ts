// An RFC 3161 timestamp authority over HTTP on 127.0.0.1, signing with the test Sigstore's TSA keys: it stamps the
// message imprint of the request (whatever digest the client sends), echoes the nonce and includes the signing
// chain when asked, as Sigstore's timestamp-authority does. For cosign (`--signing-config` with a TSA) and for
// `agent-gate attest --tsa-url`.
import { Buffer } from "node:buffer";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as pkijs from "pkijs";
import type { Tsa } from "../support/sigstore/tsa.js";

const ab = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export interface MockTsa {
  readonly url: string; // .../api/v1/timestamp
  readonly requests: number;
  close(): Promise<void>;
}

/** The reply to a DER TimeStampReq: the request's imprint stamped by the test Sigstore's TSA, nonce echoed. */
export function respond(tsa: Tsa, reqDer: Uint8Array, at: Date): Promise<Buffer> {
  const req = pkijs.TimeStampReq.fromBER(ab(reqDer));
  return tsa.stamp(req.messageImprint, at, { ...(req.nonce ? { nonce: req.nonce } : {}), withChain: req.certReq === true });
}

export async function startMockTsa(tsa: Tsa, at: () => Date = () => new Date(Math.floor(Date.now() / 1000) * 1000)): Promise<MockTsa> {
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests++;
      if (req.method !== "POST" || !(req.url ?? "").startsWith("/api/v1/timestamp")) {
        res.writeHead(404).end();
        return;
      }
      respond(tsa, Buffer.concat(chunks), at()).then(
        (der) => res.writeHead(200, { "content-type": "application/timestamp-reply" }).end(der),
        (e: unknown) => res.writeHead(400, { "content-type": "text/plain" }).end(String(e)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/timestamp`,
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
