// Happy paths of the agent-gate verifier on bundles we sign ourselves: message and DSSE, Rekor v1 and v2 with a
// TSA, keyless and with a key, every bundle version; each outcome reports what was verified.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createVerifier } from "../../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy } from "../../../../src/adapters/sigstore/verifier.js";
import { sha256 } from "../../../support/sigstore/content.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../../../support/sigstore/index.js";
import { makeBenchBundles } from "../../../support/sigstore/bench.js";
import { expectVerified } from "../../../support/sigstore/tamper.js";

const world = await createTestSigstore();
const verifier = createVerifier({ trustedRoot: world.trustedRoot });
const artifact = Buffer.from("agent-gate artifact under test\n");
const artifactHex = sha256(artifact).toString("hex");
const statement = {
  subjects: [
    { name: "other.txt", digest: { sha256: "ab".repeat(32) } },
    { name: "artifact.txt", digest: { sha256: artifactHex } },
  ],
  predicateType: "https://slsa.dev/provenance/v1",
  predicate: { buildDefinition: { buildType: "https://agent-gate.dev/agent-run/v1" } },
};
const keyless: SignerPolicy = { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };

for (const version of ["0.1", "0.2", "0.3"] as const) {
  test(`keyless message signature, bundle v${version}, Rekor v1: verified with the signer's identity, extensions and log time`, async () => {
    const { bundle, chain } = await world.sign({ payload: { kind: "message", artifact }, version });
    const out = verifier.verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer: keyless });
    expectVerified(out);
    assert.equal(out.contentKind, "message-signature");
    assert.equal(out.mediaType, bundle.mediaType);
    assert.equal(out.signer.type, "certificate");
    assert.equal(out.signer.identity, DEFAULT_IDENTITY);
    assert.equal(out.signer.issuer, DEFAULT_ISSUER);
    assert.equal(out.signer.extensions.sourceRepositoryURI, "https://github.com/acme/widgets");
    assert.equal(out.signer.certificateFingerprint, sha256(chain![0]!).toString("hex"));
    assert.equal(out.tlogEntries.length, 1);
    assert.equal(out.tlogEntries[0]?.rekorVersion, 1);
    assert.equal(out.tlogEntries[0]?.kind, "hashedrekord");
    assert.equal(out.tlogEntries[0]?.integratedTime, world.now.toISOString());
    assert.deepEqual(out.timestamps, [{ source: "tlog", time: world.now.toISOString() }]);
  });
}

test("keyless message signature verified by digest alone", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact } });
  expectVerified(verifier.verify({ bundle, subject: { kind: "digest", algorithm: "sha256", hex: artifactHex }, signer: keyless }));
});

for (const kind of ["dsse", "intoto"] as const) {
  test(`keyless DSSE in-toto statement, Rekor v1 ${kind} entry: verified by artifact and by digest, statement returned`, async () => {
    const { bundle } = await world.sign({ payload: { kind: "dsse", statement }, dsseKindV1: kind });
    const byArtifact = verifier.verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer: keyless });
    expectVerified(byArtifact);
    assert.equal(byArtifact.contentKind, "dsse");
    assert.equal(byArtifact.statement?.predicateType, "https://slsa.dev/provenance/v1");
    assert.deepEqual(byArtifact.statement?.subject.map((s) => s.name), ["other.txt", "artifact.txt"]);
    assert.equal(byArtifact.tlogEntries[0]?.kind, kind);
    expectVerified(verifier.verify({ bundle, subject: { kind: "digest", algorithm: "sha256", hex: artifactHex }, signer: keyless }));
  });
}

test("keyless message signature, Rekor v2 hashedrekord/0.0.2: no SET, signed time from the RFC 3161 timestamp", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, rekor: "v2" });
  const out = verifier.verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer: keyless });
  expectVerified(out);
  assert.equal(out.tlogEntries[0]?.rekorVersion, 2);
  assert.equal(out.tlogEntries[0]?.kind, "hashedrekord");
  assert.equal(out.tlogEntries[0]?.kindVersion, "0.0.2");
  assert.equal(out.tlogEntries[0]?.integratedTime, undefined);
  assert.equal(out.tlogEntries[0]?.logId, world.rekorV2.logId.toString("hex"));
  assert.deepEqual(out.timestamps, [{ source: "rfc3161", time: world.now.toISOString() }]);
});

test("keyless DSSE, Rekor v2 dsse/0.0.2 (as rekor-tiles logs it) + RFC 3161 timestamp: verified", async () => {
  const { bundle } = await world.sign({ payload: { kind: "dsse", statement }, rekor: "v2" });
  const out = verifier.verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer: keyless });
  expectVerified(out);
  assert.equal(out.tlogEntries[0]?.kind, "dsse");
  assert.equal(out.tlogEntries[0]?.rekorVersion, 2);
  assert.deepEqual(out.timestamps, [{ source: "rfc3161", time: world.now.toISOString() }]);
});

test("keyless DSSE, Rekor v2 hashedrekord/0.0.2 over the DSSE PAE + RFC 3161 timestamp: verified", async () => {
  const { bundle } = await world.sign({ payload: { kind: "dsse", statement }, rekor: "v2", rekorV2Dsse: "hashedrekord-pae" });
  expectVerified(verifier.verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer: keyless }));
});

test("Rekor v1 entry plus a TSA timestamp: both signed times are reported", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, tsa: true });
  const out = verifier.verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer: keyless });
  expectVerified(out);
  assert.deepEqual(out.timestamps.map((t) => t.source).sort(), ["rfc3161", "tlog"]);
});

test("Rekor v2 with an ECDSA checkpoint key, trusted root v0.2 with checkpointKeyId: verified", async () => {
  const other = await createTestSigstore({ rekorV2KeyType: "ecdsa", checkpointKeyIds: true });
  const { bundle } = await other.sign({ payload: { kind: "dsse", statement }, rekor: "v2" });
  expectVerified(createVerifier({ trustedRoot: other.trustedRoot }).verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer: keyless }));
});

for (const rekor of ["v1", "v2"] as const) {
  test(`key-based message signature and DSSE, Rekor ${rekor}: verified against the caller's PEM key (with and without hint)`, async () => {
    const signer = world.newKeySigner();
    const policy: SignerPolicy = { kind: "key", publicKeyPem: signer.publicKeyPem };
    const msg = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "key", signer }, rekor });
    const out = verifier.verify({ bundle: msg.bundle, subject: { kind: "artifact", bytes: artifact }, signer: policy });
    expectVerified(out);
    assert.equal(out.signer.type, "key");
    assert.equal(out.signer.keyHint, signer.keyHint);
    const dsse = await world.sign({ payload: { kind: "dsse", statement }, signWith: { kind: "key", signer }, rekor });
    expectVerified(verifier.verify({ bundle: dsse.bundle, subject: { kind: "digest", algorithm: "sha256", hex: artifactHex }, signer: { ...policy, keyHint: signer.keyHint } }));
  });
}

test("an anchored identity pattern matches the workflow at any ref", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "keyless", san: { uri: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/tags/v1.2.0" } } });
  const signer: SignerPolicy = { kind: "certificate", identityPattern: "^https://github\\.com/acme/agents/\\.github/workflows/agent\\.yml@refs/(heads|tags)/[^/]+$", issuer: DEFAULT_ISSUER };
  expectVerified(verifier.verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer }));
});

test("an email identity and only the legacy issuer extension (1.1) verify", async () => {
  const { bundle } = await world.sign({
    payload: { kind: "message", artifact },
    signWith: { kind: "keyless", san: { email: "agent@acme.example" }, issuer: "https://accounts.google.com", legacyIssuer: "https://accounts.google.com" },
  });
  expectVerified(verifier.verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer: { kind: "certificate", identity: "agent@acme.example", issuer: "https://accounts.google.com" } }));
});

test("the bundle is accepted as JSON text and as bytes too", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact } });
  const text = JSON.stringify(bundle);
  expectVerified(verifier.verify({ bundle: text, subject: { kind: "artifact", bytes: artifact }, signer: keyless }));
  expectVerified(verifier.verify({ bundle: Buffer.from(text), subject: { kind: "artifact", bytes: artifact }, signer: keyless }));
});

test("makeBenchBundles gives bundles that verify with its own root and signer (Rekor v1 and v2)", async () => {
  for (const rekor of ["v1", "v2"] as const) {
    const b = await makeBenchBundles({ rekor });
    const v = createVerifier({ trustedRoot: b.trustedRoot });
    expectVerified(v.verify({ bundle: b.messageBundle, subject: { kind: "artifact", bytes: b.artifact }, signer: b.signer }));
    expectVerified(v.verify({ bundle: b.dsseBundle, subject: { kind: "artifact", bytes: b.artifact }, signer: b.signer }));
  }
});
