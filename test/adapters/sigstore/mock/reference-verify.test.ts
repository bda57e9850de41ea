// The fakes' bundles are real Sigstore bundles: plain @sigstore/verify 3.x accepts each one it supports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../../../support/sigstore/index.js";
import { referenceVerify } from "../../../support/sigstore/reference-verify.js";
import { sha256 } from "../../../support/sigstore/content.js";

const world = await createTestSigstore();
const artifact = Buffer.from("agent-gate reference artifact\n");
const statement = {
  subjects: [{ name: "artifact.txt", digest: { sha256: sha256(artifact).toString("hex") } }],
  predicateType: "https://slsa.dev/provenance/v1",
  predicate: { buildDefinition: { buildType: "https://agent-gate.dev/agent-run/v1" } },
};
const identity = { san: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };

for (const version of ["0.1", "0.2", "0.3"] as const) {
  test(`keyless message signature, bundle v${version}, Rekor v1: @sigstore/verify accepts it`, async () => {
    const { bundle } = await world.sign({ payload: { kind: "message", artifact }, version });
    const signer = referenceVerify({ trustedRoot: world.trustedRoot, bundle, artifact, identity });
    assert.equal(signer.identity?.subjectAlternativeName, DEFAULT_IDENTITY);
    assert.equal(signer.identity?.extensions?.issuer, DEFAULT_ISSUER);
  });
}

for (const kind of ["dsse", "intoto"] as const) {
  test(`keyless DSSE in-toto statement, Rekor v1 ${kind} entry: @sigstore/verify accepts it`, async () => {
    const { bundle } = await world.sign({ payload: { kind: "dsse", statement }, dsseKindV1: kind });
    referenceVerify({ trustedRoot: world.trustedRoot, bundle, identity });
  });
}

test("keyless message signature, Rekor v2 hashedrekord/0.0.2 + RFC 3161 timestamp: @sigstore/verify accepts it", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, rekor: "v2" });
  assert.equal(bundle.verificationMaterial.tlogEntries[0]?.inclusionPromise, undefined);
  referenceVerify({ trustedRoot: world.trustedRoot, bundle, artifact, identity });
});

test("keyless DSSE, Rekor v2 dsse/0.0.2 + RFC 3161 timestamp: @sigstore/verify accepts it", async () => {
  const { bundle } = await world.sign({ payload: { kind: "dsse", statement }, rekor: "v2" });
  referenceVerify({ trustedRoot: world.trustedRoot, bundle, identity });
});

test("@sigstore/verify 3.x refuses a Rekor v2 DSSE entry logged as hashedrekord over the PAE (it compares the payload digest)", async () => {
  const { bundle } = await world.sign({ payload: { kind: "dsse", statement }, rekor: "v2", rekorV2Dsse: "hashedrekord-pae" });
  assert.throws(() => referenceVerify({ trustedRoot: world.trustedRoot, bundle, identity }), /digest mismatch/);
});

test("keyless message signature with Rekor v1 and a TSA timestamp: @sigstore/verify accepts it", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, tsa: true });
  referenceVerify({ trustedRoot: world.trustedRoot, bundle, artifact, identity });
});

test("key-based message signature and DSSE (Rekor v1 and v2): @sigstore/verify accepts them", async () => {
  const signer = world.newKeySigner();
  const key = { hint: signer.keyHint, publicKeyPem: signer.publicKeyPem };
  for (const rekor of ["v1", "v2"] as const) {
    const msg = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "key", signer }, rekor });
    referenceVerify({ trustedRoot: world.trustedRoot, bundle: msg.bundle, artifact, key });
    const dsse = await world.sign({ payload: { kind: "dsse", statement }, signWith: { kind: "key", signer }, rekor });
    referenceVerify({ trustedRoot: world.trustedRoot, bundle: dsse.bundle, key });
  }
});

test("Rekor v2 with an ECDSA checkpoint key and a v0.2 trusted root with checkpointKeyId: @sigstore/verify accepts it", async () => {
  const other = await createTestSigstore({ rekorV2KeyType: "ecdsa", checkpointKeyIds: true });
  const { bundle } = await other.sign({ payload: { kind: "message", artifact }, rekor: "v2" });
  referenceVerify({ trustedRoot: other.trustedRoot, bundle, artifact, identity });
});

test("the reference check is not vacuous: a bundle from another root, a wrong identity and a wrong artifact are refused", async () => {
  const other = await createTestSigstore({ name: "elsewhere.test" });
  const { bundle } = await other.sign({ payload: { kind: "message", artifact } });
  assert.throws(() => referenceVerify({ trustedRoot: world.trustedRoot, bundle, artifact, identity }));
  const own = await world.sign({ payload: { kind: "message", artifact } });
  assert.throws(() => referenceVerify({ trustedRoot: world.trustedRoot, bundle: own.bundle, artifact, identity: { ...identity, san: `${DEFAULT_IDENTITY}x` } }));
  assert.throws(() => referenceVerify({ trustedRoot: world.trustedRoot, bundle: own.bundle, artifact: Buffer.from("other"), identity }));
  // without the TSA a Rekor v2 bundle has no signed time at all
  const untimed = await world.sign({ payload: { kind: "message", artifact }, rekor: "v2", tsa: false });
  assert.throws(() => referenceVerify({ trustedRoot: world.trustedRoot, bundle: untimed.bundle, artifact, identity }), /timestamp/i);
  // without the SCT the default CT threshold of one is not met
  const noSct = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "keyless", withSct: false } });
  assert.throws(() => referenceVerify({ trustedRoot: world.trustedRoot, bundle: noSct.bundle, artifact, identity }), /SCT/);
});
