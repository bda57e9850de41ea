// Keyless `agent-gate attest` (src/app/attest.ts: Actions OIDC token -> Fulcio -> Rekor -> TSA) against
// @sigstore/mock 0.12.1, sigstore-js's own mocks of Fulcio, Rekor v1 and v2 and the timestamp authority, each with
// keys of its own; the bundle is checked by agent-gate's verifier at the PR gate's default thresholds with a trusted
// root built from the mocks' keys and certificates.
//
// How the mocks are served: the package's mockFulcio()/mockRekor()/mockTSA() register interceptors with its own
// nock 13, which patches node:http but not fetch (undici), and agent-gate talks to Sigstore with fetch. So the
// package's exported handlers (fulcioHandler, rekorHandler, rekorV2Handler, tsaHandler over initializeCA,
// initializeCTLog, initializeTLog, initializeTSA) are served on 127.0.0.1 by a plain HTTP server; the mocks have no
// OIDC token endpoint, so the server hands out an unsigned JWT there (the mock Fulcio decodes it without verifying).
//
// What the mocks do differently from the services they stand for, and what each test therefore shows:
// - Fulcio: the SAN is the value of one claim (`subjectClaim`), verbatim; the real Fulcio derives it from
//   job_workflow_ref for the Actions issuer. The token carries the workflow URI under a claim of its own.
// - TSA: the handler parses only the JSON form of Sigstore's TSA API; agent-gate sends RFC 3161 DER
//   (application/timestamp-query, which sigstore/timestamp-authority and any RFC 3161 TSA take), so the server hands
//   the handler the DER request's imprint and certReq as JSON. The mock's nonce is a JS number and cannot carry
//   agent-gate's 64-bit nonce: its reply carries its default nonce (agent-gate does not check the reply's nonce).
// - Rekor v1: the proposed entry is logged as proposed. Real Rekor reduces dsse/0.0.1 to hashes and signatures, so a
//   dsse entry from the mock never describes its envelope; an intoto/0.0.2 entry keeps its shape (the mock also keeps
//   the payload, which Rekor drops) and verifies, so the positive tests log intoto/0.0.2 (`rekorV1Kind`).
// - Rekor v2: the answer cannot verify at all (see the last test); Rekor v2 keyless signing is tested against the
//   tests' own Rekor v2 in attest-keyless.test.ts.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, rekorHandler, rekorV2Handler, tsaHandler } from "@sigstore/mock";
import type { HandlerFn } from "@sigstore/mock";
import * as pkijs from "pkijs";
import { actionsIdToken, attestStatement, checkLeafKey, checkTimestampAnswer, fulcioSigner, requestTimestamp, signKeyless } from "../../src/app/attest.js";
import type { Attestation, KeylessOptions } from "../../src/app/attest.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { AgentGateError } from "../../src/core/errors.js";
import type { VerificationOutcome } from "../../src/core/verification.js";
import { DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../support/sigstore/index.js";

const b64 = (b: ArrayBufferView): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
const ecKeys = (): ReturnType<typeof generateKeyPairSync> => generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const SAN_CLAIM = "workflow_uri";
const ID_TOKEN = `${b64url({ alg: "none" })}.${b64url({
  iss: DEFAULT_ISSUER,
  sub: "repo:acme/widgets:ref:refs/heads/main",
  aud: "sigstore",
  [SAN_CLAIM]: DEFAULT_IDENTITY,
  job_workflow_ref: DEFAULT_IDENTITY.replace("https://github.com/", ""),
  repository: "acme/widgets",
  ref: "refs/heads/main",
})}.c2ln`;

let server: Server;
let origin = "";
const requests: string[] = [];
let trustedRoot: Record<string, unknown>;
const routes = new Map<string, (body: Buffer) => ReturnType<HandlerFn>>();

/** The mock TSA's JSON request for a DER TimeStampReq: the same imprint, and the certificates when asked. */
function tsaJson(der: Buffer): string {
  const req = pkijs.TimeStampReq.fromBER(der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength));
  assert.equal(req.messageImprint.hashAlgorithm.algorithmId, "2.16.840.1.101.3.4.2.1", "agent-gate asks for a SHA-256 imprint");
  return JSON.stringify({ artifactHash: b64(req.messageImprint.hashedMessage.valueBlock.valueHexView), hashAlgorithm: "sha256", certificates: req.certReq === true });
}

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      requests.push(`${req.method ?? "GET"} ${url.pathname}`);
      if (req.method === "GET" && url.pathname === "/oidc/token" && url.searchParams.get("audience") === "sigstore") {
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ value: ID_TOKEN }));
      }
      const handler = req.method === "POST" ? routes.get(url.pathname) : undefined;
      if (!handler) return void res.writeHead(404).end();
      handler(Buffer.concat(chunks)).then(
        (r) => res.writeHead(r.statusCode, { "content-type": r.contentType ?? "text/plain" }).end(r.response),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // one key per service, as a real deployment has (the package's mock*() helpers would share one)
  const ctlog = await initializeCTLog(ecKeys());
  const ca = await initializeCA(ecKeys(), ctlog);
  const rekorV1 = await initializeTLog(`${origin}/rekor`, ecKeys()); // the URL's host is the checkpoint origin
  const rekorV2 = await initializeTLog(`${origin}/rekor2`, ecKeys());
  const tsa = await initializeTSA(ecKeys());
  // The mock stamps new Date() and pkijs writes GeneralizedTime in DER, without trailing zeros in the fraction
  // (".5Z"); @sigstore/core's parser wants exactly three digits or none, so one stamp in ten came back "invalid
  // time". Whole seconds (no fraction) parse everywhere, and stay within the certificate (its notBefore is whole
  // seconds too, and the stamp is taken after it).
  (tsa as unknown as { getCurrentTime: () => Date }).getCurrentTime = () => new Date(Math.floor(Date.now() / 1000) * 1000);
  const text = (fn: HandlerFn) => (body: Buffer): ReturnType<HandlerFn> => fn(body.toString("utf8"));
  routes.set("/fulcio/api/v2/signingCert", text(fulcioHandler(ca, { subjectClaim: SAN_CLAIM }).fn));
  routes.set("/rekor/api/v1/log/entries", text(rekorHandler(rekorV1).fn));
  routes.set("/rekor2/api/v2/log/entries", text(rekorV2Handler(rekorV2).fn));
  const stamp = tsaHandler(tsa).fn;
  routes.set("/tsa/api/v1/timestamp", (body) => stamp(tsaJson(body)));

  // the trusted root, from the mocks' keys and certificates (trust-root.ts in the package builds one but is not exported)
  const start = new Date(Date.now() - 86_400_000).toISOString();
  const log = (spki: Buffer, baseUrl: string, logId: ArrayBufferView = createHash("sha256").update(spki).digest()): Record<string, unknown> => ({
    baseUrl,
    hashAlgorithm: "SHA2_256",
    publicKey: { rawBytes: b64(spki), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start } },
    logId: { keyId: b64(logId) },
  });
  const authority = (commonName: string, uri: string, chain: ArrayBufferView[]): Record<string, unknown> => ({
    subject: { organization: "sigstore.mock", commonName },
    uri,
    certChain: { certificates: chain.map((c) => ({ rawBytes: b64(c) })) },
    validFor: { start },
  });
  trustedRoot = {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [log(rekorV1.publicKey, `${origin}/rekor`), log(rekorV2.publicKey, `${origin}/rekor2`)],
    certificateAuthorities: [authority("sigstore", `${origin}/fulcio`, [ca.rootCertificate])],
    ctlogs: [log(ctlog.publicKey, `${origin}/ctlog`, ctlog.logID)],
    timestampAuthorities: [authority("tsa", `${origin}/tsa`, [tsa.intCertificate, tsa.rootCertificate])],
  };
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const COMMIT = "3f2faea1c0ffee00000000000000000000000001";
const statement = (): ReturnType<typeof attestStatement> =>
  attestStatement({
    repository: "acme/widgets",
    commits: [{ sha: COMMIT, ref: "refs/heads/claude/feature" }],
    runtime: { name: "claude-code", version: "2.0.14" },
    model: { id: "anthropic/claude-sonnet-4-5", version: "20250929" },
    prompt: { path: "prompt.txt", text: "Add tests.\n" },
    target: { repository: "acme/widgets", baseRef: "main", baseCommit: "3f2faea1c0ffee00000000000000000000000000" },
    delegation: { principal: { login: "alice", id: 5001 }, trigger: { event: "issue_comment", at: "2026-01-01T00:00:00Z" } },
    builderId: DEFAULT_IDENTITY,
    invocation: { invocationId: "https://github.com/acme/widgets/actions/runs/1/attempts/1", startedOn: "2026-01-01T00:00:00Z", finishedOn: "2026-01-01T00:00:00Z" },
  });

/** What `agent-gate attest` does keyless: the Actions token, then signKeyless against the mocks. */
async function attestKeyless(opts: Omit<KeylessOptions, "idToken" | "fulcioUrl" | "fetch">): Promise<Attestation> {
  requests.length = 0;
  const idToken = await actionsIdToken({ ACTIONS_ID_TOKEN_REQUEST_URL: `${origin}/oidc/token`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token" });
  return signKeyless(statement(), { idToken, fulcioUrl: `${origin}/fulcio`, fetch: globalThis.fetch, ...opts });
}

// the PR gate's verifier: default thresholds (one verified log entry), the workflow identity and issuer
const verify = (a: Attestation): VerificationOutcome =>
  createVerifier({ trustedRoot }).verify({
    bundle: a.bundleJson,
    subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" },
    signer: { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER },
  });
const loggedBody = (a: Attestation): Record<string, unknown> =>
  JSON.parse(Buffer.from(a.bundle.verificationMaterial.tlogEntries[0]?.canonicalizedBody ?? "", "base64").toString("utf8")) as Record<string, unknown>;

test("keyless attest against @sigstore/mock's Fulcio, Rekor v1 (intoto/0.0.2) and TSA: verifies at the gate's thresholds with a root of the mocks' keys", async () => {
  const a = await attestKeyless({ rekorUrl: `${origin}/rekor`, rekorV1Kind: "intoto", tsaUrl: `${origin}/tsa/api/v1/timestamp` });
  // the token, then the certificate; the timestamp and the log entry side by side once the envelope is signed
  assert.deepEqual(requests.slice(0, 2), ["GET /oidc/token", "POST /fulcio/api/v2/signingCert"]);
  assert.deepEqual(requests.slice(2).sort(), ["POST /rekor/api/v1/log/entries", "POST /tsa/api/v1/timestamp"]);
  const out = verify(a);
  assert.ok(out.ok, out.ok ? "" : `${out.code}: ${out.message}`);
  assert.equal(out.signer.identity, DEFAULT_IDENTITY);
  assert.equal(out.signer.issuer, DEFAULT_ISSUER);
  // the mock Fulcio's extensions from the token's claims
  assert.equal(out.signer.extensions.buildSignerURI, DEFAULT_IDENTITY);
  assert.equal(out.signer.extensions.sourceRepositoryURI, "https://github.com/acme/widgets");
  assert.deepEqual(out.tlogEntries.map((e) => [e.kind, e.kindVersion, e.rekorVersion]), [["intoto", "0.0.2", 1]]);
  assert.deepEqual(out.timestamps.map((t) => t.source).sort(), ["rfc3161", "tlog"]);
  assert.deepEqual(out.statement?.subject.map((s) => s.digest.gitCommit), [COMMIT]);

  // the same bundle for another workflow, or under a root without the mocks' keys, is refused
  const other = createVerifier({ trustedRoot }).verify({
    bundle: a.bundleJson,
    subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" },
    signer: { kind: "certificate", identity: "https://github.com/evil/widgets/.github/workflows/agent.yml@refs/heads/main", issuer: DEFAULT_ISSUER },
  });
  assert.equal(other.ok ? "ok" : other.code, "IDENTITY_MISMATCH");
  const withoutTsa = createVerifier({ trustedRoot: { ...trustedRoot, timestampAuthorities: [] } }).verify({
    bundle: a.bundleJson,
    subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" },
    signer: { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER },
  });
  assert.equal(withoutTsa.ok ? "ok" : withoutTsa.code, "TIMESTAMP_INVALID");
});

test("keyless attest against @sigstore/mock with Rekor v1 alone (no TSA): the mock's SET is the signed time", async () => {
  const a = await attestKeyless({ rekorUrl: `${origin}/rekor`, rekorV1Kind: "intoto" });
  const out = verify(a);
  assert.ok(out.ok, out.ok ? "" : `${out.code}: ${out.message}`);
  assert.deepEqual(out.timestamps.map((t) => t.source), ["tlog"]);
});

test("signKeyless itself refuses Rekor v2 without a TSA (TSA_REQUIRED), before asking Fulcio (the CLI refuses it earlier as a usage error)", async () => {
  requests.length = 0;
  await assert.rejects(signKeyless(statement(), { idToken: "x.y.z", fulcioUrl: `${origin}/fulcio`, rekorUrl: `${origin}/rekor2`, rekorVersion: 2, fetch: globalThis.fetch }), { code: "TSA_REQUIRED" });
  assert.deepEqual(requests, []);
});

test("@sigstore/mock's Rekor v1 logs dsse/0.0.1 unreduced (as proposed, not as Rekor stores it): agent-gate's default dsse entry is refused, TLOG_ENTRY_INCONSISTENT", async () => {
  const a = await attestKeyless({ rekorUrl: `${origin}/rekor`, tsaUrl: `${origin}/tsa/api/v1/timestamp` });
  const body = loggedBody(a) as { kind: string; spec: Record<string, unknown> };
  assert.equal(body.kind, "dsse");
  // real Rekor stores {envelopeHash, payloadHash, signatures}; the mock keeps {proposedContent: {envelope, verifiers}}
  assert.deepEqual(Object.keys(body.spec), ["proposedContent"]);
  const out = verify(a);
  assert.equal(out.ok ? "ok" : out.code, "TLOG_ENTRY_INCONSISTENT", out.ok ? "" : out.message);
});

test("@sigstore/mock's Rekor v2 answers with an entry that cannot verify: refused, TLOG_CHECKPOINT_INVALID (Rekor v2 is tested against the tests' own log)", async () => {
  const a = await attestKeyless({ rekorUrl: `${origin}/rekor2`, rekorVersion: 2, tsaUrl: `${origin}/tsa/api/v1/timestamp` });
  assert.ok(requests.includes("POST /rekor2/api/v2/log/entries"));
  const entry = a.bundle.verificationMaterial.tlogEntries[0]!;
  assert.deepEqual(entry.kindVersion, { kind: "hashedrekord", version: "0.0.2" });
  // three defects in @sigstore/mock 0.12.1's logV2, any one of which fails verification:
  // 1. the inclusion proof's rootHash is the hex root hash decoded as base64, so it is not the checkpoint's root
  const note = entry.inclusionProof!.checkpoint.envelope.split("\n");
  assert.notEqual(entry.inclusionProof!.rootHash, note[2], "the proof's root differs from the signed checkpoint's");
  // 2. a proof for the entry's (random) index in a tree of size 1, with no hashes
  assert.equal(entry.inclusionProof!.treeSize, "1");
  assert.notEqual(entry.inclusionProof!.logIndex, "0");
  // 3. the canonicalized body is the create-entry request as the mock parsed it (a protobuf-ts `$case` union, bytes as
  //    Node Buffer JSON), not a hashedrekord/0.0.2 log entry {apiVersion, kind, spec: {hashedRekordV002}}
  const body = loggedBody(a) as { kind?: unknown; spec?: { $case?: unknown } };
  assert.equal(body.kind, undefined);
  assert.equal(body.spec?.$case, "hashedRekordRequestV002");
  const out = verify(a);
  assert.equal(out.ok ? "ok" : out.code, "TLOG_CHECKPOINT_INVALID");
});

test("attest checks what the services answer: a stamp of another message and a certificate for another key are refused", async () => {
  const tsaUrl = `${origin}/tsa/api/v1/timestamp`;
  const signature = Buffer.from("the signature that was stamped");
  const answer = await requestTimestamp(tsaUrl, signature);
  checkTimestampAnswer(tsaUrl, answer, signature); // the answer for this signature passes
  const refused = (code: string, pattern: RegExp) => (e: unknown) => e instanceof AgentGateError && e.code === code && pattern.test(e.message);
  assert.throws(() => checkTimestampAnswer(tsaUrl, answer, Buffer.from("another signature")), refused("TSA_FAILED", /stamped another message/));
  assert.throws(() => checkTimestampAnswer(tsaUrl, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x02]), signature), refused("TSA_FAILED", /not an RFC 3161 timestamp response/));
  // TimeStampResp { PKIStatusInfo { status 2 (rejection) } }
  assert.throws(() => checkTimestampAnswer(tsaUrl, new Uint8Array([0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02]), signature), refused("TSA_FAILED", /refused the request \(PKIStatus 2\)/));

  const { privateKey, publicKey } = ecKeys();
  const pem = (k: typeof publicKey): string => k.export({ format: "pem", type: "spki" }).toString();
  const { sign } = await import("node:crypto");
  const holder = { publicKeyPem: pem(publicKey), sign: (d: Uint8Array) => sign("sha256", d, privateKey) };
  const signed = await fulcioSigner(`${origin}/fulcio`, ID_TOKEN, holder).sign(Buffer.from("an envelope's PAE"));
  assert.equal(signed.key.$case, "x509Certificate");
  const leaf = signed.key.$case === "x509Certificate" ? signed.key.certificate : "";
  checkLeafKey(`${origin}/fulcio`, leaf, pem(publicKey));
  assert.throws(() => checkLeafKey(`${origin}/fulcio`, leaf, pem(ecKeys().publicKey)), refused("FULCIO_FAILED", /certified another public key/));
  assert.throws(() => checkLeafKey(`${origin}/fulcio`, Buffer.from("not a certificate"), pem(publicKey)), refused("FULCIO_FAILED", /not an X\.509 certificate/));
});

test("Fulcio failures are coded, and an unreadable OIDC token is never quoted (@sigstore/sign's own message quotes it)", async () => {
  const { privateKey, publicKey } = ecKeys();
  const { sign } = await import("node:crypto");
  const holder = { publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(), sign: (d: Uint8Array) => sign("sha256", d, privateKey) };
  const token = `${b64url({ alg: "none" })}.bm90IGpzb24.c2VjcmV0LXNpZ25hdHVyZQ`;
  await assert.rejects(fulcioSigner(`${origin}/fulcio`, token, holder).sign(Buffer.from("x")), (e: unknown) => {
    assert.ok(e instanceof AgentGateError && e.code === "OIDC_FAILED", String(e));
    assert.ok(!e.message.includes(token) && !e.message.includes("c2VjcmV0LXNpZ25hdHVyZQ"), e.message);
    return true;
  });
  // a closed port: nothing answers
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(fulcioSigner(`http://127.0.0.1:${port}`, ID_TOKEN, holder).sign(Buffer.from("x")), (e: unknown) => e instanceof AgentGateError && e.code === "FULCIO_UNREACHABLE");
});
