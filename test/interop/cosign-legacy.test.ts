// cosign's legacy `--bundle` JSON, without cosign: the shapes cosign v3.1.3 writes with --new-bundle-format=false
// (cosign-services.test.ts has cosign write them), rebuilt here from the tests' own Sigstore so that the conversion
// in src/adapters/sigstore/legacy.ts is checked wherever cosign is not installed:
//   sign-blob:   {base64Signature: <signature>, cert?: base64(PEM), rekorBundle: {SignedEntryTimestamp, Payload}}, hashedrekord
//   attest-blob: the same with base64Signature = base64(JSON of the DSSE envelope), logged as dsse/0.0.1
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, SubjectSpec } from "../../src/adapters/sigstore/verifier.js";
import { toPem } from "../support/sigstore/rekor-requests.js";
import type { BundleJson } from "../support/sigstore/bundle.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";

let world: TestSigstore;
const artifact = Buffer.from("an artifact\n");
const statement = {
  subjects: [{ name: "blob.txt", digest: { sha256: createHash("sha256").update(artifact).digest("hex") } }],
  predicateType: "https://slsa.dev/provenance/v1",
  predicate: { buildDefinition: {}, runDetails: {} },
};

before(async () => {
  world = await createTestSigstore();
});

/** The legacy JSON cosign writes for a bundle with one Rekor v1 entry (cosign's NewLegacyBundleFromProtoBundleComponents). */
function legacyOf(bundle: BundleJson): Record<string, unknown> {
  const entry = bundle.verificationMaterial.tlogEntries[0]!;
  const leaf = bundle.verificationMaterial.certificate?.rawBytes ?? bundle.verificationMaterial.x509CertificateChain?.certificates[0]?.rawBytes;
  const signature = bundle.dsseEnvelope ? Buffer.from(JSON.stringify(bundle.dsseEnvelope)).toString("base64") : bundle.messageSignature!.signature;
  return {
    base64Signature: signature,
    ...(leaf ? { cert: Buffer.from(toPem(Buffer.from(leaf, "base64"), "CERTIFICATE")).toString("base64") } : {}),
    rekorBundle: {
      SignedEntryTimestamp: entry.inclusionPromise!.signedEntryTimestamp,
      Payload: { body: entry.canonicalizedBody, integratedTime: Number(entry.integratedTime), logIndex: Number(entry.logIndex), logID: Buffer.from(entry.logId.keyId, "base64").toString("hex") },
    },
  };
}

const verify = (bundle: unknown, signer: SignerPolicy, subject: SubjectSpec = { kind: "artifact", bytes: artifact }) =>
  createVerifier({ trustedRoot: world.trustedRoot }).verify({ bundle, subject, signer });
const keyless: SignerPolicy = { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
const code = (o: ReturnType<typeof verify>): string => (o.ok ? "ok" : o.code);

test("legacy sign-blob JSON (hashedrekord, keyless and with a key) verifies at the gate's thresholds", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact } });
  assert.equal(code(verify(legacyOf(bundle), keyless)), "ok");
  const signer = world.newKeySigner();
  const keyed = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "key", signer } });
  assert.equal(code(verify(legacyOf(keyed.bundle), { kind: "key", publicKeyPem: signer.publicKeyPem })), "ok");
});

test("legacy attest-blob JSON (the DSSE envelope as base64Signature, dsse/0.0.1): verifies; a changed envelope or a mismatched entry is refused", async () => {
  const { bundle } = await world.sign({ payload: { kind: "dsse", statement } });
  const legacy = legacyOf(bundle);
  const ok = verify(legacy, keyless);
  assert.ok(ok.ok, ok.ok ? "" : `${ok.code}: ${ok.message}`);
  assert.equal(ok.contentKind, "dsse");
  assert.equal(ok.mediaType, "application/vnd.dev.sigstore.bundle+json;version=0.1");

  // the envelope's payload swapped for another statement: the signature no longer covers it
  const env = JSON.parse(Buffer.from(legacy.base64Signature as string, "base64").toString("utf8")) as { payload: string };
  const otherPayload = Buffer.from(JSON.stringify({ ...statement, _type: "https://in-toto.io/Statement/v1", subject: [{ name: "x", digest: { sha256: "00".repeat(32) } }] })).toString("base64");
  const swapped = { ...legacy, base64Signature: Buffer.from(JSON.stringify({ ...env, payload: otherPayload })).toString("base64") };
  assert.notEqual(code(verify(swapped, keyless, { kind: "in-toto-statement", subjectsBoundBy: "caller" })), "ok");

  // the SET and entry of another envelope: the log entry does not describe this one
  const other = await world.sign({ payload: { kind: "dsse", statement: { ...statement, predicate: { buildDefinition: { other: true }, runDetails: {} } } } });
  const mixed = { ...legacy, rekorBundle: legacyOf(other.bundle).rekorBundle };
  assert.notEqual(code(verify(mixed, keyless)), "ok");

  // a base64Signature that is not an envelope, with a dsse entry: malformed
  assert.equal(code(verify({ ...legacy, base64Signature: Buffer.from("not json").toString("base64") }, keyless)), "BUNDLE_MALFORMED");
});

test("legacy JSON with a log entry of another kind (intoto) is refused as malformed, naming the kind", async () => {
  const { bundle } = await world.sign({ payload: { kind: "dsse", statement }, dsseKindV1: "intoto" });
  const out = verify(legacyOf(bundle), keyless);
  assert.equal(code(out), "BUNDLE_MALFORMED");
  if (!out.ok) assert.match(out.message, /expected a hashedrekord or dsse log entry, got intoto/);
});
