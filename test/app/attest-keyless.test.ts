// Keyless `agent-gate attest` offline: the Actions OIDC endpoint, Fulcio (v2 signingCert), Rekor v1 and v2 and a TSA are
// served on 127.0.0.1 by the tests' own Sigstore (test/support/sigstore). The mock OIDC token is an unsigned JWT:
// the mock Fulcio reads its claims (it does not verify the token's signature, which the real Fulcio does) and
// checks the proof of possession. The bundle verifies with agent-gate's verifier at its default thresholds against
// the workflow identity; when cosign is installed, also with cosign verify-blob-attestation and the test root.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createPublicKey, verify } from "node:crypto";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { attestCommand } from "../../src/cli/attest.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { toPem } from "../../src/adapters/sigstore/signing/index.js";
import type { TlogEntryJson } from "../../src/adapters/sigstore/signing/index.js";
import { SLSA_PROVENANCE_V1 } from "../../src/core/provenance.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { respond } from "../interop/mock-tsa.js";

let dir = "";
let world: TestSigstore;
let server: Server;
let base = "";
const seen: string[] = [];

const WORKFLOW_REF = DEFAULT_IDENTITY.replace("https://github.com/", "");
const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
const ID_TOKEN = `${b64url({ alg: "none" })}.${b64url({ iss: DEFAULT_ISSUER, sub: "repo:acme/widgets:ref:refs/heads/main", aud: "sigstore", job_workflow_ref: WORKFLOW_REF })}.c2ln`;
const b64ToHex = (b: string): string => Buffer.from(b, "base64").toString("hex");

function rekorAnswer(e: TlogEntryJson): Record<string, unknown> {
  const p = e.inclusionProof!;
  return {
    [`uuid${e.logIndex}`]: {
      body: e.canonicalizedBody,
      integratedTime: Number(e.integratedTime),
      logID: b64ToHex(e.logId.keyId),
      logIndex: Number(e.logIndex),
      verification: {
        signedEntryTimestamp: e.inclusionPromise?.signedEntryTimestamp,
        inclusionProof: { checkpoint: p.checkpoint.envelope, hashes: p.hashes.map(b64ToHex), logIndex: Number(p.logIndex), rootHash: b64ToHex(p.rootHash), treeSize: Number(p.treeSize) },
      },
    },
  };
}

async function handle(method: string, url: URL, headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<{ status: number; type: string; body: string | Buffer }> {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  if (method === "GET" && url.pathname === "/oidc/token") {
    assert.equal(headers.authorization, "Bearer request-token");
    assert.equal(url.searchParams.get("audience"), "sigstore");
    return { status: 200, type: "application/json", body: JSON.stringify({ value: ID_TOKEN }) };
  }
  if (method === "POST" && url.pathname === "/fulcio/api/v2/signingCert") {
    const req = JSON.parse(body.toString("utf8")) as { credentials: { oidcIdentityToken: string }; publicKeyRequest: { publicKey: { content: string }; proofOfPossession: string } };
    const claims = JSON.parse(Buffer.from(req.credentials.oidcIdentityToken.split(".")[1]!, "base64url").toString("utf8")) as { iss: string; sub: string; job_workflow_ref: string };
    const key = createPublicKey(req.publicKeyRequest.publicKey.content);
    if (!verify("sha256", Buffer.from(claims.sub), key, Buffer.from(req.publicKeyRequest.proofOfPossession, "base64"))) return { status: 400, type: "text/plain", body: "bad proof of possession" };
    const chain = await world.fulcio.issue({
      publicKeySpki: key.export({ format: "der", type: "spki" }),
      san: { uri: `https://github.com/${claims.job_workflow_ref}` },
      issuer: claims.iss,
      extensions: { sourceRepositoryURI: "https://github.com/acme/widgets", buildSignerURI: `https://github.com/${claims.job_workflow_ref}` },
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 600_000),
    });
    return { status: 201, type: "application/json", body: JSON.stringify({ signedCertificateEmbeddedSct: { chain: { certificates: chain.map((c) => toPem(c, "CERTIFICATE")) } } }) };
  }
  if (method === "POST" && url.pathname === "/rekor/api/v1/log/entries") {
    return { status: 201, type: "application/json", body: JSON.stringify(rekorAnswer(world.rekorV1.log(JSON.parse(body.toString("utf8")) as never, now))) };
  }
  if (method === "POST" && url.pathname === "/rekor2/api/v2/log/entries") {
    return { status: 201, type: "application/json", body: JSON.stringify(world.rekorV2.log(JSON.parse(body.toString("utf8")) as never)) };
  }
  if (method === "POST" && url.pathname === "/tsa/api/v1/timestamp") {
    return { status: 200, type: "application/timestamp-reply", body: await respond(world.tsa, body, now) };
  }
  return { status: 404, type: "text/plain", body: "not found" };
}

let origin = "";
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-keyless-"));
  const git = (...a: string[]): string => execFileSync("git", ["-c", "user.name=a", "-c", "user.email=a@example.test", ...a], { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  git("commit", "-q", "--allow-empty", "-m", "base");
  base = git("rev-parse", "HEAD");
  git("commit", "-q", "--allow-empty", "-m", "agent");
  writeFileSync(join(dir, "prompt.txt"), "Add tests.\n");
  world = await createTestSigstore();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      seen.push(`${req.method} ${url.pathname}`);
      handle(req.method ?? "GET", url, req.headers, Buffer.concat(chunks)).then(
        (r) => res.writeHead(r.status, { "content-type": r.type }).end(r.body),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

async function attestKeyless(out: string, ...extra: string[]): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  const code = await attestCommand(
    [
      "--repo", "acme/widgets", "--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5", "--model-version", "20250929",
      "--prompt-file", join(dir, "prompt.txt"), "--base", base, "--actor", "alice", "--actor-id", "5001",
      "--fulcio-url", `${origin}/fulcio`, "--rekor-url", `${origin}/rekor`, "--out", join(dir, out), ...extra,
    ],
    {
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${origin}/oidc/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token" },
      cwd: dir, out: () => undefined, err: (l) => err.push(l), fetch: globalThis.fetch, now: () => new Date(),
    },
  );
  return { code, err };
}

test("keyless attest: OIDC token -> Fulcio certificate -> Rekor v1 -> TSA; verifies against the workflow identity", async () => {
  const r = await attestKeyless("keyless.json", "--tsa-url", `${origin}/tsa/api/v1/timestamp`);
  assert.equal(r.code, 0, r.err.join("\n"));
  assert.deepEqual(seen, ["GET /oidc/token", "POST /fulcio/api/v2/signingCert", "POST /tsa/api/v1/timestamp", "POST /rekor/api/v1/log/entries"]);
  const bundle = readFileSync(join(dir, "keyless.json"));
  const verifier = createVerifier({ trustedRoot: world.trustedRoot });
  const ok = verifier.verify({ bundle, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signer: { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER } });
  assert.ok(ok.ok, ok.ok ? "" : `${ok.code}: ${ok.message}`);
  assert.equal(ok.signer.identity, DEFAULT_IDENTITY);
  const other = verifier.verify({ bundle, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signer: { kind: "certificate", identity: "https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main", issuer: DEFAULT_ISSUER } });
  assert.equal(other.ok, false);
});

test("keyless attest bundles verify with cosign verify-blob-attestation against the tests' trusted root", async (t) => {
  const COSIGN = resolve(".tools/bin/cosign");
  if (!existsSync(COSIGN)) {
    if (process.env.CI === "true") assert.fail(`cosign is missing at ${COSIGN}: run bash scripts/install-tools.sh`);
    t.skip("cosign is not installed");
    return;
  }
  const r = await attestKeyless("keyless-cosign.json");
  assert.equal(r.code, 0, r.err.join("\n"));
  writeFileSync(join(dir, "trusted_root.json"), JSON.stringify(world.trustedRoot));
  const subject = JSON.parse(Buffer.from((JSON.parse(readFileSync(join(dir, "keyless-cosign.json"), "utf8")) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, "base64").toString("utf8")) as { subject: { digest: { gitCommit: string } }[] };
  // no waivers: the log entry (SET + inclusion proof), the SCT and the chain are all checked against trusted_root.json
  const args = ["verify-blob-attestation", "--bundle", "keyless-cosign.json", "--type", SLSA_PROVENANCE_V1, "--certificate-identity", DEFAULT_IDENTITY,
    "--certificate-oidc-issuer", DEFAULT_ISSUER, "--trusted-root", "trusted_root.json", "--digest", subject.subject[0]!.digest.gitCommit, "--digestAlg", "gitCommit"];
  const res = await new Promise<{ status: number | null; stderr: string }>((done, fail) => {
    const child = spawn(COSIGN, args, { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: join(dir, "home"), TUF_ROOT: join(dir, "home", "tuf") }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", fail);
    child.on("close", (status) => done({ status, stderr }));
  });
  assert.equal(res.status, 0, res.stderr);
});

test("keyless attest with Rekor v2 (dsse/0.0.2, no SET): the TSA timestamp is the signed time; refused without --tsa-url", async () => {
  seen.length = 0;
  const r = await attestKeyless("keyless-v2.json", "--rekor-url", `${origin}/rekor2`, "--rekor-version", "2", "--tsa-url", `${origin}/tsa/api/v1/timestamp`);
  assert.equal(r.code, 0, r.err.join("\n"));
  assert.ok(seen.includes("POST /rekor2/api/v2/log/entries"));
  const bundle = JSON.parse(readFileSync(join(dir, "keyless-v2.json"), "utf8")) as { verificationMaterial: { tlogEntries: { kindVersion: { kind: string; version: string } }[] } };
  assert.deepEqual(bundle.verificationMaterial.tlogEntries[0]?.kindVersion, { kind: "dsse", version: "0.0.2" });
  const ok = createVerifier({ trustedRoot: world.trustedRoot }).verify({ bundle, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signer: { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER } });
  assert.ok(ok.ok, ok.ok ? "" : `${ok.code}: ${ok.message}`);
  assert.deepEqual(ok.timestamps.map((t) => t.source), ["rfc3161"]);
  const noTsa = await attestKeyless("keyless-v2-bare.json", "--rekor-url", `${origin}/rekor2`, "--rekor-version", "2");
  assert.equal(noTsa.code, 1);
  assert.match(noTsa.err.join("\n"), /TSA_REQUIRED/);
});

test("keyless attest without the OIDC variables names the missing permission", async () => {
  const err: string[] = [];
  const code = await attestCommand(
    ["--repo", "acme/widgets", "--agent", "a", "--agent-version", "1", "--model", "a/b", "--model-version", "1", "--prompt-file", join(dir, "prompt.txt"), "--base", base, "--actor", "a", "--actor-id", "1"],
    { env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${origin}/oidc/token` }, cwd: dir, out: () => undefined, err: (l) => err.push(l), fetch: globalThis.fetch, now: () => new Date() },
  );
  assert.equal(code, 1);
  assert.match(err.join("\n"), /no OIDC permission: add `permissions: id-token: write`/);
});
