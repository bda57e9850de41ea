// Every real-bundle case in fixtures/sigstore/cases, driven by its case.json: the verdict must equal `expected`,
// and a failure must carry the code that its `expectedReason` names (table below), never an accidental crash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { createVerifier } from "../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, SubjectSpec } from "../../../src/adapters/sigstore/verifier.js";
import type { VerificationCode } from "../../../src/core/verification.js";

const CASES = "fixtures/sigstore/cases";

const Case = z.object({
  id: z.string(),
  expected: z.enum(["pass", "fail"]),
  expectedReason: z.string(),
  bundle: z.string(),
  trustedRoot: z.string(),
  mode: z.enum(["artifact", "digest", "dsse-subject"]),
  artifact: z.string().optional(),
  artifactDigest: z.string().optional(),
  subjectDigest: z.record(z.string(), z.string()).optional(),
  identity: z.string().optional(),
  issuer: z.string().optional(),
  publicKey: z.string().optional(),
  keyHintMode: z.enum(["any-hint", "exact-hint"]).optional(),
});
type Case = z.infer<typeof Case>;

// Why each failing case fails, in our codes (the case's expectedReason in brackets).
const EXPECTED_CODE: Readonly<Record<string, VerificationCode>> = {
  "f01-signature-mismatch": "SIGNATURE_INVALID", // [signature does not verify for the artifact under the certificate key]
  "f02-wrong-artifact": "ARTIFACT_MISMATCH", // [the supplied artifact is a different file]: its digest is not the signed one
  "f03-message-digest-mismatch": "ARTIFACT_MISMATCH", // [messageSignature.messageDigest does not match the artifact]
  "f04-invalid-inclusion-proof": "TLOG_INCLUSION_PROOF_INVALID", // [Merkle inclusion proof does not hash to the root]
  "f05-checkpoint-wrong-roothash": "TLOG_CHECKPOINT_INVALID", // [checkpoint root hash differs from the inclusion proof root]
  "f06-checkpoint-bad-signature": "TLOG_CHECKPOINT_INVALID", // [checkpoint (signed note) signature is invalid]
  "f07-set-invalid-signature": "TLOG_SET_INVALID", // [signedEntryTimestamp signature is invalid]
  "f08-intoto-expired-cert": "CERTIFICATE_NOT_VALID_AT_TIME", // [certificate not valid at the signed times]
  "f09-intoto-missing-inclusion-proof": "BUNDLE_MALFORMED", // [v0.2 bundle without inclusionProof: the media type requires one]
  "f10-dsse-invalid-sig": "SIGNATURE_INVALID", // [DSSE envelope signature does not verify]
  "g04-dsse-two-signatures": "DSSE_INVALID", // [Sigstore DSSE bundles must carry exactly one signature]
  "j03-expired-cert": "CERTIFICATE_NOT_VALID_AT_TIME", // [integratedTime outside the certificate validity]
  "j04-dsse-bad-signature": "SIGNATURE_INVALID", // [payload changed after signing: the signature no longer covers the PAE]
  "p01-wrong-identity": "IDENTITY_MISMATCH", // [SAN does not equal the expected identity]
  "p02-wrong-issuer": "ISSUER_MISMATCH", // [OIDC-issuer extension does not equal the expected issuer]
  "p03-key-valid-but-unrelated": "KEY_MISMATCH", // [a well-formed key that did not make the signature]
  "y02-cpython-release-digest-only-no-checkpoint": "BUNDLE_MALFORMED", // [malformed: its inclusionProof lacks a checkpoint]
  "y04-inconsistent-log-entry": "TLOG_ENTRY_INCONSISTENT", // [the log entry does not match the bundle signature/cert]
  "y05-no-signed-time": "NO_SIGNED_TIME", // [no inclusion promise, no RFC 3161 timestamp]
};

function loadCase(id: string): { c: Case; dir: string } {
  const dir = join(CASES, id);
  return { c: Case.parse(JSON.parse(readFileSync(join(dir, "case.json"), "utf8"))), dir };
}

type BundleJson = { dsseEnvelope?: { payloadType: string; payload: string }; verificationMaterial: { publicKey?: { hint?: string } } };

function subjectFor(c: Case, dir: string, bundle: BundleJson): SubjectSpec {
  if (c.mode === "artifact") return { kind: "artifact", bytes: readFileSync(join(dir, c.artifact ?? "artifact")) };
  if (c.mode === "digest") {
    const [algorithm, hex] = (c.artifactDigest ?? "").split(":");
    assert.equal(algorithm, "sha256");
    return { kind: "digest", algorithm: "sha256", hex: hex ?? "" };
  }
  if (c.subjectDigest) {
    const [algorithm, hex] = Object.entries(c.subjectDigest)[0]!;
    assert.ok(algorithm === "sha256" || algorithm === "sha384" || algorithm === "sha512");
    return { kind: "digest", algorithm, hex };
  }
  // dsse-subject without a digest: a plain-text DSSE is checked as a payload; an in-toto one against its first subject
  const env = bundle.dsseEnvelope!;
  if (env.payloadType !== "application/vnd.in-toto+json") return { kind: "dsse-payload", payloadType: env.payloadType };
  const st = JSON.parse(Buffer.from(env.payload, "base64").toString("utf8")) as { subject: { digest: Record<string, string> }[] };
  const [algorithm, hex] = Object.entries(st.subject[0]!.digest)[0]!;
  assert.ok(algorithm === "sha256" || algorithm === "sha384" || algorithm === "sha512");
  return { kind: "digest", algorithm, hex };
}

function signerFor(c: Case, dir: string, bundle: BundleJson): SignerPolicy {
  if (c.publicKey) {
    const publicKeyPem = readFileSync(join(dir, c.publicKey), "utf8");
    return c.keyHintMode === "exact-hint" ? { kind: "key", publicKeyPem, keyHint: bundle.verificationMaterial.publicKey?.hint ?? "" } : { kind: "key", publicKeyPem };
  }
  assert.ok(c.identity && c.issuer, "a keyless case names identity and issuer");
  return { kind: "certificate", identity: c.identity, issuer: c.issuer };
}

const ids = readdirSync(CASES).sort();

test("the fixture set is complete (35 cases, and every failing case has an expected code)", () => {
  assert.equal(ids.length, 35);
  const failing = ids.filter((id) => loadCase(id).c.expected === "fail");
  assert.deepEqual(failing.sort(), Object.keys(EXPECTED_CODE).sort());
});

for (const id of ids) {
  test(`case ${id}`, () => {
    const { c, dir } = loadCase(id);
    const text = readFileSync(join(dir, c.bundle), "utf8");
    const bundle = JSON.parse(text) as BundleJson;
    const verifier = createVerifier({ trustedRoot: JSON.parse(readFileSync(join(dir, c.trustedRoot), "utf8")) });
    const outcome = verifier.verify({ bundle: text, subject: subjectFor(c, dir, bundle), signer: signerFor(c, dir, bundle) });
    if (c.expected === "pass") {
      assert.ok(outcome.ok, `expected pass (${c.expectedReason}), got ${outcome.ok ? "" : `${outcome.code}: ${outcome.message}`}`);
    } else {
      assert.ok(!outcome.ok, `expected fail (${c.expectedReason}), but it verified`);
      assert.equal(outcome.code, EXPECTED_CODE[id], `${c.expectedReason} -> got ${outcome.code}: ${outcome.message}`);
    }
  });
}

test("a passing case verifies the same from a parsed object, a string and bytes, and reports what it checked", () => {
  const { c, dir } = loadCase("c05-dsse-intoto-slsa-v0.3");
  const text = readFileSync(join(dir, c.bundle), "utf8");
  const verifier = createVerifier({ trustedRoot: JSON.parse(readFileSync(join(dir, c.trustedRoot), "utf8")) });
  const req = { subject: { kind: "artifact", bytes: readFileSync(join(dir, "artifact")) } as const, signer: { kind: "certificate", identity: c.identity!, issuer: c.issuer! } as const };
  for (const b of [JSON.parse(text) as unknown, text, Buffer.from(text)]) {
    const o = verifier.verify({ bundle: b, ...req });
    assert.ok(o.ok);
    assert.equal(o.contentKind, "dsse");
    assert.equal(o.statement?._type, "https://in-toto.io/Statement/v1");
    assert.equal(o.statement?.predicateType, "https://slsa.dev/provenance/v1");
    assert.equal(o.signer.extensions.sourceRepositoryURI, "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon");
    assert.equal(o.signer.extensions.buildSignerURI, c.identity);
    assert.match(o.signer.extensions.runInvocationURI ?? "", /\/actions\/runs\/\d+/);
    assert.equal(o.tlogEntries[0]?.kind, "dsse");
    assert.equal(o.timestamps[0]?.source, "tlog");
  }
});
