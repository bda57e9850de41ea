// cosign (v3.1.3) signing against the tests' own Sigstore served on 127.0.0.1 (test/support/sigstore/http.ts: Fulcio,
// Rekor v1 and v2, a TSA), and agent-gate's verifier on what cosign wrote, at the PR gate's default thresholds (one
// verified log entry) with the world's trusted_root.json, which names our Fulcio, logs and TSA:
//
//   cosign sign-blob --key --rekor-url URL, legacy `--bundle` JSON          -> carries a Rekor entry and its SET: verified
//   cosign sign-blob keyless (--fulcio-url, --identity-token, --rekor-url), legacy JSON with the certificate and SET: verified
//   cosign attest-blob --rekor-url (key and keyless), legacy JSON: the DSSE envelope and a dsse/0.0.1 entry: verified
//   cosign sign-blob / attest-blob keyless with a signing config: Fulcio + Rekor v1 + TSA, and Fulcio + Rekor v2 + TSA
//     (new bundle format): verified
//
// cosign itself verifies the legacy bundles (verify-blob reads the log, CT and Fulcio keys from SIGSTORE_REKOR_PUBLIC_KEY,
// SIGSTORE_CT_LOG_PUBLIC_KEY_FILE and SIGSTORE_ROOT_FILE: --trusted-root is for the new format only) and, given
// --trusted-root, verifies every keyless bundle it signs before writing it.
//
// The identity token is an unsigned JWT: our Fulcio reads its claims without verifying it (offline there are no
// issuer keys), as the real Fulcio does after verifying it. When cosign is missing the tests skip locally and FAIL
// under CI=true.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, SubjectSpec } from "../../src/adapters/sigstore/verifier.js";
import { generateSigningKey } from "../../src/adapters/sigstore/signing/index.js";
import { toPem } from "../support/sigstore/rekor-requests.js";
import { SLSA_PROVENANCE_V1 } from "../../src/core/provenance.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";
import type { SigstoreServices } from "../support/sigstore/http.js";
import { cosignCli, HAVE_COSIGN, skipWithoutCosign as skip } from "./cosign-cli.js";
import type { CosignCli } from "./cosign-cli.js";

let dir = "";
let world: TestSigstore;
let services: SigstoreServices;
let cli: CosignCli;

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
// what GitHub Actions hands a workflow for audience "sigstore"; Fulcio makes the SAN from job_workflow_ref
const ID_TOKEN = `${b64url({ alg: "RS256", typ: "JWT" })}.${b64url({
  iss: DEFAULT_ISSUER,
  sub: "repo:acme/widgets:ref:refs/heads/main",
  aud: "sigstore",
  job_workflow_ref: DEFAULT_IDENTITY.replace("https://github.com/", ""),
  repository: "acme/widgets",
  ref: "refs/heads/main",
})}.c2ln`;

// the legacy verification path takes the keys from files named in the environment, not from a trusted root
const LEGACY_KEYS = (): Record<string, string> => ({
  SIGSTORE_REKOR_PUBLIC_KEY: join(dir, "rekor.pub"),
  SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(dir, "ctlog.pub"),
  SIGSTORE_ROOT_FILE: join(dir, "fulcio-chain.pem"),
});

// --use-signing-config=false: the services come from the (deprecated) --rekor-url/--fulcio-url flags, which cosign
// refuses together with a signing config; --new-bundle-format=false: write the legacy `--bundle` JSON; --yes: skip
// the confirmation that the entry goes to a public log
const LEGACY_SIGN = ["--use-signing-config=false", "--new-bundle-format=false", "--yes"];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-cosign-services-"));
  cli = cosignCli(dir);
  cli.sh("mkdir", ["-p", join(dir, "home")]);
  world = await createTestSigstore();
  services = await startSigstoreServices(world);
  writeFileSync(join(dir, "trusted_root.json"), JSON.stringify(world.trustedRoot));
  writeFileSync(join(dir, "blob.txt"), "an artifact\n");
  writeFileSync(join(dir, "predicate.json"), JSON.stringify({ buildDefinition: { buildType: "https://example.test/cosign" }, runDetails: {} }));
  writeFileSync(join(dir, "rekor.pub"), toPem(world.rekorV1.spki, "PUBLIC KEY"));
  writeFileSync(join(dir, "ctlog.pub"), toPem(world.ctLog.key.spki, "PUBLIC KEY"));
  writeFileSync(join(dir, "fulcio-chain.pem"), toPem(world.fulcio.intermediate.der, "CERTIFICATE") + toPem(world.fulcio.root.der, "CERTIFICATE"));
  writeFileSync(join(dir, "other.pub"), generateSigningKey().publicKeyPem);
  if (!HAVE_COSIGN) return;
  assert.equal(cli.sync(["generate-key-pair"]).status, 0);
  const svc = (url: string, version: number): string => `url=${url},api-version=${version},start-time=2020-01-01T00:00:00Z,operator=agent-gate.test`;
  for (const [out, rekor] of [["rekor-v1.json", svc(services.rekorUrl, 1)], ["rekor-v2.json", svc(services.rekorV2Url, 2)]] as const) {
    const r = cli.sync(["signing-config", "create", `--fulcio=${svc(services.fulcioUrl, 1)}`, `--rekor=${rekor}`, "--rekor-config=ANY", `--tsa=${svc(services.tsaUrl, 1)}`, "--tsa-config=EXACT:1", "--out", out]);
    assert.equal(r.status, 0, r.stderr);
  }
});

after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

const blob = (): SubjectSpec => ({ kind: "artifact", bytes: readFileSync(join(dir, "blob.txt")) });
const keyed = (file = "cosign.pub"): SignerPolicy => ({ kind: "key", publicKeyPem: readFileSync(join(dir, file), "utf8") });
const workflow = (identity = DEFAULT_IDENTITY): SignerPolicy => ({ kind: "certificate", identity, issuer: DEFAULT_ISSUER });
// the PR gate's verifier: default thresholds, one verified tlog entry required
function verify(bundleFile: string, signer: SignerPolicy, subject: SubjectSpec = blob(), trustedRoot: unknown = world.trustedRoot) {
  return createVerifier({ trustedRoot }).verify({ bundle: readFileSync(join(dir, bundleFile)), subject, signer });
}
const read = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, f), "utf8")) as Record<string, unknown>;

interface LegacyJson {
  base64Signature: string;
  cert?: string;
  rekorBundle: { SignedEntryTimestamp: string; Payload: { body: string; integratedTime: number; logIndex: number; logID: string } };
}

test("cosign sign-blob --key --rekor-url: the legacy --bundle JSON carries our Rekor's entry and SET; agent-gate verifies it at the gate's thresholds", { skip }, async () => {
  services.requests.length = 0;
  const r = await cli.run(["sign-blob", "--key", "cosign.key", ...LEGACY_SIGN, "--rekor-url", services.rekorUrl, "--bundle", "legacy-key.json", "blob.txt"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(services.requests, ["POST /rekor/api/v1/log/entries"]);
  const legacy = read("legacy-key.json") as unknown as LegacyJson;
  assert.deepEqual(Object.keys(legacy).sort(), ["base64Signature", "rekorBundle"]);
  assert.equal(legacy.rekorBundle.Payload.logID, world.rekorV1.logId.toString("hex"));
  assert.equal((JSON.parse(Buffer.from(legacy.rekorBundle.Payload.body, "base64").toString("utf8")) as { kind: string }).kind, "hashedrekord");

  const ok = verify("legacy-key.json", keyed());
  assert.ok(ok.ok, ok.ok ? "" : `${ok.code}: ${ok.message}`);
  assert.equal(ok.mediaType, "application/vnd.dev.sigstore.bundle+json;version=0.1");
  assert.deepEqual(ok.timestamps.map((t) => t.source), ["tlog"]);
  assert.deepEqual(ok.tlogEntries.map((e) => [e.logId, e.kind, e.rekorVersion]), [[world.rekorV1.logId.toString("hex"), "hashedrekord", 1]]);

  // refused: another key, another artifact, a SET that no longer covers the entry, a root without our Rekor
  const code = (out: ReturnType<typeof verify>): string => (out.ok ? "ok" : out.code);
  assert.equal(code(verify("legacy-key.json", keyed("other.pub"))), "KEY_MISMATCH");
  assert.equal(code(verify("legacy-key.json", keyed(), { kind: "artifact", bytes: Buffer.from("another artifact\n") })), "ARTIFACT_MISMATCH");
  const shifted = { ...legacy, rekorBundle: { ...legacy.rekorBundle, Payload: { ...legacy.rekorBundle.Payload, integratedTime: legacy.rekorBundle.Payload.integratedTime - 3600 } } };
  writeFileSync(join(dir, "legacy-key-shifted.json"), JSON.stringify(shifted));
  assert.equal(code(verify("legacy-key-shifted.json", keyed())), "TLOG_SET_INVALID");
  const elsewhere = await createTestSigstore({ name: "elsewhere.test" });
  assert.equal(code(verify("legacy-key.json", keyed(), blob(), elsewhere.trustedRoot)), "TLOG_UNTRUSTED_LOG");

  // and cosign accepts the same bundle with our Rekor's key, and refuses it with another
  const cosignOk = cli.sync(["verify-blob", "--key", "cosign.pub", "--bundle", "legacy-key.json", "--new-bundle-format=false", "blob.txt"], LEGACY_KEYS());
  assert.equal(cosignOk.status, 0, cosignOk.stderr);
  assert.match(cosignOk.stderr, /Verified OK/);
  const otherLog = cli.sync(["verify-blob", "--key", "cosign.pub", "--bundle", "legacy-key.json", "--new-bundle-format=false", "blob.txt"], { ...LEGACY_KEYS(), SIGSTORE_REKOR_PUBLIC_KEY: join(dir, "other.pub") });
  assert.notEqual(otherLog.status, 0, "cosign checks the SET against the log key it is given");
});

test("cosign sign-blob keyless against our Fulcio (--fulcio-url, --identity-token) and Rekor: the legacy JSON (certificate + SET) verifies for the workflow identity", { skip }, async () => {
  services.requests.length = 0;
  const r = await cli.run([
    "sign-blob", ...LEGACY_SIGN, "--fulcio-url", services.fulcioUrl, "--rekor-url", services.rekorUrl, "--identity-token", ID_TOKEN,
    // cosign verifies what it signed against this root before writing it
    "--trusted-root", "trusted_root.json", "--bundle", "legacy-keyless.json", "blob.txt",
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(services.requests, ["POST /fulcio/api/v2/signingCert", "POST /rekor/api/v1/log/entries"]);
  const legacy = read("legacy-keyless.json") as unknown as LegacyJson;
  assert.deepEqual(Object.keys(legacy).sort(), ["base64Signature", "cert", "rekorBundle"]);

  const ok = verify("legacy-keyless.json", workflow());
  assert.ok(ok.ok, ok.ok ? "" : `${ok.code}: ${ok.message}`);
  assert.equal(ok.signer.identity, DEFAULT_IDENTITY);
  assert.equal(ok.signer.issuer, DEFAULT_ISSUER);
  assert.equal(ok.signer.extensions.sourceRepositoryURI, "https://github.com/acme/widgets");
  assert.deepEqual(ok.timestamps.map((t) => t.source), ["tlog"]);
  const other = verify("legacy-keyless.json", workflow("https://github.com/evil/widgets/.github/workflows/agent.yml@refs/heads/main"));
  assert.equal(other.ok ? "ok" : other.code, "IDENTITY_MISMATCH");

  const cosignOk = cli.sync(
    ["verify-blob", "--bundle", "legacy-keyless.json", "--new-bundle-format=false", "--certificate-identity", DEFAULT_IDENTITY, "--certificate-oidc-issuer", DEFAULT_ISSUER, "blob.txt"],
    LEGACY_KEYS(),
  );
  assert.equal(cosignOk.status, 0, cosignOk.stderr);
});

test("cosign attest-blob --rekor-url, legacy --bundle JSON (the DSSE envelope, a dsse/0.0.1 entry and its SET), with a key and keyless: agent-gate verifies both", { skip }, async () => {
  const attest = ["attest-blob", ...LEGACY_SIGN, "--rekor-url", services.rekorUrl, "--type", SLSA_PROVENANCE_V1, "--predicate", "predicate.json"];
  const withKey = await cli.run([...attest, "--key", "cosign.key", "--bundle", "legacy-attest-key.json", "blob.txt"]);
  assert.equal(withKey.status, 0, withKey.stderr);
  const keyless = await cli.run([...attest, "--fulcio-url", services.fulcioUrl, "--identity-token", ID_TOKEN, "--trusted-root", "trusted_root.json", "--bundle", "legacy-attest-keyless.json", "blob.txt"]);
  assert.equal(keyless.status, 0, keyless.stderr);
  for (const [file, signer, other] of [
    ["legacy-attest-key.json", keyed(), keyed("other.pub")],
    ["legacy-attest-keyless.json", workflow(), workflow("https://github.com/evil/widgets/.github/workflows/agent.yml@refs/heads/main")],
  ] as const) {
    const legacy = read(file) as unknown as LegacyJson;
    // base64Signature holds the whole envelope, not a signature
    assert.equal((JSON.parse(Buffer.from(legacy.base64Signature, "base64").toString("utf8")) as { payloadType: string }).payloadType, "application/vnd.in-toto+json");
    assert.equal((JSON.parse(Buffer.from(legacy.rekorBundle.Payload.body, "base64").toString("utf8")) as { kind: string }).kind, "dsse");
    const ok = verify(file, signer);
    assert.ok(ok.ok, ok.ok ? "" : `${file}: ${ok.code}: ${ok.message}`);
    assert.equal(ok.contentKind, "dsse");
    assert.deepEqual(ok.tlogEntries.map((e) => [e.kind, e.kindVersion]), [["dsse", "0.0.1"]]);
    assert.deepEqual(ok.timestamps.map((t) => t.source), ["tlog"]);
    assert.equal(verify(file, other).ok, false, `${file}: another signer`);
    assert.equal(verify(file, signer, { kind: "artifact", bytes: Buffer.from("another artifact\n") }).ok, false, `${file}: another artifact`);
  }
});

for (const [rekor, config, want] of [
  ["Rekor v1", "rekor-v1.json", { kinds: [["hashedrekord", "0.0.1"], ["dsse", "0.0.1"]], times: ["rfc3161", "tlog"], version: 1 }],
  // Rekor v2 has no DSSE type: sigstore-go logs the envelope as a hashedrekord over its PAE; v2 entries carry no SET
  ["Rekor v2", "rekor-v2.json", { kinds: [["hashedrekord", "0.0.2"], ["hashedrekord", "0.0.2"]], times: ["rfc3161"], version: 2 }],
] as const) {
  test(`cosign sign-blob and attest-blob keyless with a signing config (our Fulcio, ${rekor}, TSA; new bundle format): agent-gate verifies both`, { skip }, async () => {
    const common = ["--signing-config", config, "--trusted-root", "trusted_root.json", "--identity-token", ID_TOKEN, "--yes"];
    const suffix = rekor === "Rekor v1" ? "v1" : "v2";
    const signed = await cli.run(["sign-blob", ...common, "--bundle", `keyless-sign-${suffix}.json`, "blob.txt"]);
    assert.equal(signed.status, 0, signed.stderr);
    const attested = await cli.run(["attest-blob", ...common, "--bundle", `keyless-attest-${suffix}.json`, "--type", SLSA_PROVENANCE_V1, "--predicate", "predicate.json", "blob.txt"]);
    assert.equal(attested.status, 0, attested.stderr);
    for (const [i, file] of [`keyless-sign-${suffix}.json`, `keyless-attest-${suffix}.json`].entries()) {
      const ok = verify(file, workflow());
      assert.ok(ok.ok, ok.ok ? "" : `${file}: ${ok.code}: ${ok.message}`);
      assert.equal(ok.contentKind, i === 0 ? "message-signature" : "dsse");
      assert.deepEqual(ok.tlogEntries.map((e) => [e.kind, e.kindVersion]), [want.kinds[i]]);
      assert.equal(ok.tlogEntries[0]?.rekorVersion, want.version);
      assert.deepEqual(ok.timestamps.map((t) => t.source).sort(), want.times);
      assert.equal(verify(file, workflow(), { kind: "artifact", bytes: Buffer.from("another artifact\n") }).ok, false, `${file}: another artifact`);
    }
  });
}
