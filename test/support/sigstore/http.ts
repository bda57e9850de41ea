// The tests' own Sigstore over HTTP on 127.0.0.1, in the wire formats real clients speak, so that cosign (through
// sigstore-go and Rekor's generated client) and `agent-gate attest` can sign against it offline:
//
//   POST /fulcio/api/v2/signingCert   Fulcio v2: JSON request with a proof of possession over the OIDC token's subject
//                                     (checked), the token in the body or as a bearer token; 200, PEM chain, SCT embedded
//   POST /rekor/api/v1/log/entries    Rekor v1: a proposed entry; 201 with {uuid: entry}, ETag (the uuid, which
//                                     Rekor's client uses to pick the entry out of the answer) and Location
//   POST /rekor2/api/v2/log/entries   Rekor v2 (rekor-tiles): a hashedRekordRequestV002 (dsseRequestV002 is refused, as
//                                     rekor-tiles refuses it); 201 with the TransparencyLogEntry
//   GET  /oidc/token?audience=A       the GitHub Actions OIDC token endpoint, when given a token to hand out
//   POST /tsa/api/v1/timestamp        RFC 3161: application/timestamp-query in, application/timestamp-reply out
//
// The OIDC token is not verified (no issuer keys offline): its claims are read, as Fulcio does after verifying it.
// Identity as Fulcio derives it: a token with `job_workflow_ref` (GitHub Actions) gets the workflow URI as its SAN,
// one with a verified `email` gets that address.
import { Buffer } from "node:buffer";
import { createPublicKey, verify } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as pkijs from "pkijs";
import { toPem } from "./rekor-requests.js";
import type { TlogEntryJson } from "./bundle.js";
import type { TestSigstore } from "./index.js";
import { leafHash } from "./merkle.js";

const b64ToHex = (b: string): string => Buffer.from(b, "base64").toString("hex");
const ab = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** The Rekor v1 API's LogEntryAnon for a logged entry (the inverse of agent-gate's tlogEntryFromRekorV1), and its uuid. */
export function rekorV1ApiEntry(e: TlogEntryJson): { uuid: string; entry: Record<string, unknown> } {
  const p = e.inclusionProof;
  const verification: Record<string, unknown> = {};
  if (e.inclusionPromise) verification.signedEntryTimestamp = e.inclusionPromise.signedEntryTimestamp;
  if (p) {
    verification.inclusionProof = {
      checkpoint: p.checkpoint.envelope,
      hashes: p.hashes.map(b64ToHex),
      logIndex: Number(p.logIndex),
      rootHash: b64ToHex(p.rootHash),
      treeSize: Number(p.treeSize),
    };
  }
  return {
    // Rekor names an entry by its Merkle leaf hash
    uuid: leafHash(Buffer.from(e.canonicalizedBody, "base64")).toString("hex"),
    entry: { body: e.canonicalizedBody, integratedTime: Number(e.integratedTime), logID: b64ToHex(e.logId.keyId), logIndex: Number(e.logIndex), verification },
  };
}

export interface SigstoreServices {
  readonly origin: string; // http://127.0.0.1:PORT
  readonly fulcioUrl: string;
  readonly rekorUrl: string;
  readonly rekorV2Url: string;
  readonly tsaUrl: string; // the full timestamp endpoint
  readonly oidcUrl: string; // the Actions token request URL (ACTIONS_ID_TOKEN_REQUEST_URL)
  /** "METHOD /path" of every request, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  type: string;
  body: string | Buffer;
}

const text = (status: number, body: string): Answer => ({ status, type: "text/plain", body });

interface TokenClaims {
  iss?: unknown;
  sub?: unknown;
  email?: unknown;
  email_verified?: unknown;
  job_workflow_ref?: unknown;
  repository?: unknown;
  ref?: unknown;
}

async function fulcio(world: TestSigstore, headers: IncomingHttpHeaders, body: Buffer, now: Date): Promise<Answer> {
  type Req = { credentials?: { oidcIdentityToken?: string }; publicKeyRequest?: { publicKey?: { content?: string }; proofOfPossession?: string } };
  const req = JSON.parse(body.toString("utf8")) as Req;
  // Fulcio takes the token from the request body (agent-gate, sigstore-js) or as a bearer token (sigstore-go, cosign)
  const bearer = /^Bearer (\S+)$/.exec(headers.authorization ?? "")?.[1];
  const token = req.credentials?.oidcIdentityToken ?? bearer ?? "";
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as TokenClaims;
  } catch {
    return text(401, "the identity token is not a JWT");
  }
  if (typeof claims.iss !== "string") return text(401, "the identity token names no issuer");
  const keyPem = req.publicKeyRequest?.publicKey?.content ?? "";
  const key = createPublicKey(keyPem);
  // the proof of possession is a signature over the token's subject: the email when there is one, else `sub`
  const subject = typeof claims.email === "string" ? claims.email : claims.sub;
  if (typeof subject !== "string" || !verify("sha256", Buffer.from(subject, "utf8"), key, Buffer.from(req.publicKeyRequest?.proofOfPossession ?? "", "base64"))) {
    return text(400, "the proof of possession does not verify over the token's subject");
  }
  let san: { uri: string } | { email: string };
  if (typeof claims.job_workflow_ref === "string") san = { uri: `https://github.com/${claims.job_workflow_ref}` };
  else if (typeof claims.email === "string" && claims.email_verified === true) san = { email: claims.email };
  else return text(400, "the token has neither job_workflow_ref nor a verified email");
  const extensions: Record<string, string> = {};
  if (typeof claims.repository === "string") extensions.sourceRepositoryURI = `https://github.com/${claims.repository}`;
  if (typeof claims.ref === "string") extensions.sourceRepositoryRef = claims.ref;
  if ("uri" in san) extensions.buildSignerURI = san.uri;
  const chain = await world.fulcio.issue({
    publicKeySpki: key.export({ format: "der", type: "spki" }),
    san,
    issuer: claims.iss,
    extensions,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 600_000),
  });
  const answer = { signedCertificateEmbeddedSct: { chain: { certificates: chain.map((c) => toPem(c, "CERTIFICATE")) } } };
  return { status: 200, type: "application/json", body: JSON.stringify(answer) };
}

async function tsa(world: TestSigstore, headers: IncomingHttpHeaders, body: Buffer, now: Date): Promise<Answer> {
  if (headers["content-type"] !== "application/timestamp-query") return text(415, "expected application/timestamp-query");
  const req = pkijs.TimeStampReq.fromBER(ab(body));
  const der = await world.tsa.stamp(req.messageImprint, now, { ...(req.nonce ? { nonce: req.nonce } : {}), withChain: req.certReq === true });
  return { status: 200, type: "application/timestamp-reply", body: der };
}

export interface SigstoreServicesOptions {
  /** Served at GET /oidc/token (the Actions token request: a bearer token and `audience=sigstore`), as {"value": token}. */
  readonly actionsIdToken?: string;
}

async function route(world: TestSigstore, opts: SigstoreServicesOptions, origin: string, method: string, url: URL, headers: IncomingHttpHeaders, body: Buffer): Promise<Answer> {
  // whole seconds, as Rekor's integrated time and certificate validity are
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const path = url.pathname;
  if (method === "GET" && path === "/oidc/token" && opts.actionsIdToken !== undefined) {
    if (!/^Bearer \S+$/.test(headers.authorization ?? "")) return text(401, "expected the request token as a bearer token");
    if (url.searchParams.get("audience") !== "sigstore") return text(400, "expected audience=sigstore");
    return { status: 200, type: "application/json", body: JSON.stringify({ value: opts.actionsIdToken }) };
  }
  if (method !== "POST") return text(405, "only POST is served");
  switch (path) {
    case "/fulcio/api/v2/signingCert":
      return fulcio(world, headers, body, now);
    case "/rekor/api/v1/log/entries": {
      const { uuid, entry } = rekorV1ApiEntry(world.rekorV1.log(JSON.parse(body.toString("utf8")) as Record<string, unknown>, now));
      return {
        status: 201,
        headers: { etag: uuid, location: `${origin}/rekor/api/v1/log/entries/${uuid}` },
        type: "application/json",
        body: JSON.stringify({ [uuid]: entry }),
      };
    }
    case "/rekor2/api/v2/log/entries": {
      const request = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      // as rekor-tiles (v2.3.0): hashedrekord only; DSSE is logged as a hashedrekord over its PAE
      if (!("hashedRekordRequestV002" in request)) return text(400, "invalid type, must be hashedrekord");
      return { status: 201, type: "application/json", body: JSON.stringify(world.rekorV2.log(request)) };
    }
    case "/tsa/api/v1/timestamp":
      return tsa(world, headers, body, now);
    default:
      return text(404, "not found");
  }
}

/** Serves `world`'s Fulcio, Rekor v1 and v2 and TSA on 127.0.0.1 (a free port). */
export async function startSigstoreServices(world: TestSigstore, opts: SigstoreServicesOptions = {}): Promise<SigstoreServices> {
  const requests: string[] = [];
  let origin = "";
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      requests.push(`${req.method ?? "GET"} ${url.pathname}`);
      route(world, opts, origin, req.method ?? "GET", url, req.headers, Buffer.concat(chunks)).then(
        (a) => res.writeHead(a.status, { "content-type": a.type, ...a.headers }).end(a.body),
        (e: unknown) => res.writeHead(400, { "content-type": "text/plain" }).end(e instanceof Error ? e.message : String(e)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    fulcioUrl: `${origin}/fulcio`,
    rekorUrl: `${origin}/rekor`,
    rekorV2Url: `${origin}/rekor2`,
    tsaUrl: `${origin}/tsa/api/v1/timestamp`,
    oidcUrl: `${origin}/oidc/token`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
