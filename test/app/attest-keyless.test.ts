// Keyless `agent-gate attest` offline: the Actions OIDC endpoint, Fulcio (v2 signingCert), Rekor v1 and v2 and a TSA are
// served on 127.0.0.1 by the tests' own Sigstore (test/support/sigstore/http.ts). The mock OIDC token is an unsigned JWT:
// the mock Fulcio reads its claims (it does not verify the token's signature, which the real Fulcio does) and
// checks the proof of possession. The bundle verifies with agent-gate's verifier at its default thresholds against
// the workflow identity; when cosign is installed, also with cosign verify-blob-attestation and the test root.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attestCommand } from "../../src/cli/attest.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { SLSA_PROVENANCE_V1 } from "../../src/core/provenance.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";
import type { SigstoreServices } from "../support/sigstore/http.js";
import { cosignCli, skipWithoutCosign } from "../interop/cosign-cli.js";

let dir = "";
let world: TestSigstore;
let services: SigstoreServices;
let base = "";

const WORKFLOW_REF = DEFAULT_IDENTITY.replace("https://github.com/", "");
const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
const ID_TOKEN = `${b64url({ alg: "none" })}.${b64url({ iss: DEFAULT_ISSUER, sub: "repo:acme/widgets:ref:refs/heads/main", aud: "sigstore", job_workflow_ref: WORKFLOW_REF, repository: "acme/widgets", ref: "refs/heads/main" })}.c2ln`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-keyless-"));
  const git = (...a: string[]): string => execFileSync("git", ["-c", "user.name=a", "-c", "user.email=a@example.test", ...a], { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  git("commit", "-q", "--allow-empty", "-m", "base");
  base = git("rev-parse", "HEAD");
  git("commit", "-q", "--allow-empty", "-m", "agent");
  writeFileSync(join(dir, "prompt.txt"), "Add tests.\n");
  world = await createTestSigstore();
  services = await startSigstoreServices(world, { actionsIdToken: ID_TOKEN });
  writeFileSync(join(dir, "root.json"), JSON.stringify(world.trustedRoot));
});

after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

async function attestKeyless(out: string, ...extra: string[]): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  const code = await attestCommand(
    [
      "--repo", "acme/widgets", "--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5", "--model-version", "20250929",
      "--prompt-file", join(dir, "prompt.txt"), "--base", base, "--actor", "alice", "--actor-id", "5001",
      "--fulcio-url", services.fulcioUrl, "--rekor-url", services.rekorUrl, "--trusted-root", join(dir, "root.json"), "--out", join(dir, out), ...extra,
    ],
    {
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${services.oidcUrl}?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token" },
      cwd: dir, out: () => undefined, err: (l) => err.push(l), fetch: globalThis.fetch, now: () => new Date(),
    },
  );
  return { code, err };
}

test("keyless attest: OIDC token -> Fulcio certificate -> Rekor v1 -> TSA; verifies against the workflow identity", async () => {
  services.requests.length = 0;
  const r = await attestKeyless("keyless.json", "--tsa-url", services.tsaUrl);
  assert.equal(r.code, 0, r.err.join("\n"));
  // the token, then the certificate; the timestamp and the log entry side by side once the envelope is signed
  assert.deepEqual(services.requests.slice(0, 2), ["GET /oidc/token", "POST /fulcio/api/v2/signingCert"]);
  assert.deepEqual(services.requests.slice(2).sort(), ["POST /rekor/api/v1/log/entries", "POST /tsa/api/v1/timestamp"]);
  const bundle = readFileSync(join(dir, "keyless.json"));
  const verifier = createVerifier({ trustedRoot: world.trustedRoot });
  const ok = verifier.verify({ bundle, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signer: { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER } });
  assert.ok(ok.ok, ok.ok ? "" : `${ok.code}: ${ok.message}`);
  assert.equal(ok.signer.identity, DEFAULT_IDENTITY);
  const other = verifier.verify({ bundle, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signer: { kind: "certificate", identity: "https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main", issuer: DEFAULT_ISSUER } });
  assert.equal(other.ok, false);
});

for (const [log, extra] of [
  ["Rekor v1", []],
  ["Rekor v2 and a TSA", ["--rekor-version", "2", "--tsa-url"]],
] as const) {
  test(`keyless attest bundles (${log}) verify with cosign verify-blob-attestation against the tests' trusted root`, { skip: skipWithoutCosign }, async () => {
    const file = `keyless-cosign-${extra.length === 0 ? "v1" : "v2"}.json`;
    const more = extra.length === 0 ? [] : ["--rekor-url", services.rekorV2Url, "--rekor-version", "2", "--tsa-url", services.tsaUrl];
    const r = await attestKeyless(file, ...more);
    assert.equal(r.code, 0, r.err.join("\n"));
    writeFileSync(join(dir, "trusted_root.json"), JSON.stringify(world.trustedRoot));
    const subject = JSON.parse(Buffer.from((JSON.parse(readFileSync(join(dir, file), "utf8")) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, "base64").toString("utf8")) as { subject: { digest: { gitCommit: string } }[] };
    // no waivers: the log entry (v1: SET + inclusion proof; v2: inclusion proof), the timestamp, the SCT and the chain
    // are all checked against trusted_root.json
    const res = await cosignCli(dir).run([
      "verify-blob-attestation", "--bundle", file, "--type", SLSA_PROVENANCE_V1, "--certificate-identity", DEFAULT_IDENTITY, "--certificate-oidc-issuer", DEFAULT_ISSUER,
      "--trusted-root", "trusted_root.json", "--digest", subject.subject[0]!.digest.gitCommit, "--digestAlg", "gitCommit",
    ]);
    assert.equal(res.status, 0, res.stderr);
  });
}

test("keyless attest with Rekor v2 (hashedrekord/0.0.2 over the DSSE PAE, no SET): the TSA timestamp is the signed time; refused without --tsa-url", async () => {
  services.requests.length = 0;
  const r = await attestKeyless("keyless-v2.json", "--rekor-url", services.rekorV2Url, "--rekor-version", "2", "--tsa-url", services.tsaUrl);
  assert.equal(r.code, 0, r.err.join("\n"));
  assert.ok(services.requests.includes("POST /rekor2/api/v2/log/entries"));
  const bundle = JSON.parse(readFileSync(join(dir, "keyless-v2.json"), "utf8")) as { verificationMaterial: { tlogEntries: { kindVersion: { kind: string; version: string } }[] } };
  // Rekor v2 has no DSSE entry type (rekor-tiles refuses dsseRequestV002, and so does the tests' Rekor v2 over HTTP)
  assert.deepEqual(bundle.verificationMaterial.tlogEntries[0]?.kindVersion, { kind: "hashedrekord", version: "0.0.2" });
  const ok = createVerifier({ trustedRoot: world.trustedRoot }).verify({ bundle, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signer: { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER } });
  assert.ok(ok.ok, ok.ok ? "" : `${ok.code}: ${ok.message}`);
  assert.deepEqual(ok.timestamps.map((t) => t.source), ["rfc3161"]);
  assert.equal(ok.tlogEntries[0]?.rekorVersion, 2);
  const noTsa = await attestKeyless("keyless-v2-bare.json", "--rekor-url", services.rekorV2Url, "--rekor-version", "2");
  assert.equal(noTsa.code, 2, "a usage error, before anything is signed");
  assert.match(noTsa.err.join("\n"), /a Rekor v2 entry carries no signed time: give --tsa-url with --rekor-version 2/);
});

test("keyless attest without the OIDC variables names the missing permission", async () => {
  const err: string[] = [];
  const code = await attestCommand(
    ["--repo", "acme/widgets", "--agent", "a", "--agent-version", "1", "--model", "a/b", "--model-version", "1", "--prompt-file", join(dir, "prompt.txt"), "--base", base, "--actor", "a", "--actor-id", "1"],
    { env: { ACTIONS_ID_TOKEN_REQUEST_URL: services.oidcUrl }, cwd: dir, out: () => undefined, err: (l) => err.push(l), fetch: globalThis.fetch, now: () => new Date() },
  );
  assert.equal(code, 1);
  assert.match(err.join("\n"), /no OIDC permission: add `permissions: id-token: write`/);
});
