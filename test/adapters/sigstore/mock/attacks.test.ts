// Attacks on bundles we sign ourselves, each refused by the agent-gate verifier with the exact reason code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVerifier } from "../../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, SubjectSpec } from "../../../../src/adapters/sigstore/verifier.js";
import { inTotoStatement } from "../../../support/sigstore/dsse.js";
import { sha256 } from "../../../support/sigstore/content.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../../../support/sigstore/index.js";
import type { BundleJson } from "../../../support/sigstore/index.js";
import { copy, expectFailure, expectVerified, flipBase64, tlogEntry } from "../../../support/sigstore/tamper.js";

const world = await createTestSigstore();
const verifier = createVerifier({ trustedRoot: world.trustedRoot });
const artifact = Buffer.from("the artifact the agent built\n");
const otherArtifact = Buffer.from("an artifact the agent never built\n");
const hex = (b: Uint8Array): string => sha256(b).toString("hex");
const statementFor = (a: Uint8Array, predicate: unknown = { buildDefinition: { buildType: "https://agent-gate.dev/agent-run/v1" } }) => ({
  subjects: [{ name: "artifact.txt", digest: { sha256: hex(a) } }],
  predicateType: "https://slsa.dev/provenance/v1",
  predicate,
});
const keyless: SignerPolicy = { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
const bySubject: SubjectSpec = { kind: "artifact", bytes: artifact };
const verify = (bundle: unknown, signer: SignerPolicy = keyless, subject: SubjectSpec = bySubject) => verifier.verify({ bundle, subject, signer });

const msgV1 = (await world.sign({ payload: { kind: "message", artifact } })).bundle;
const dsseV1 = (await world.sign({ payload: { kind: "dsse", statement: statementFor(artifact) } })).bundle;
const msgV2 = (await world.sign({ payload: { kind: "message", artifact }, rekor: "v2" })).bundle;
const dsseV2 = (await world.sign({ payload: { kind: "dsse", statement: statementFor(artifact) }, rekor: "v2" })).bundle;

test("the unmodified bundles verify (so each refusal below is caused by its one change)", () => {
  for (const b of [msgV1, dsseV1, msgV2, dsseV2]) expectVerified(verify(b));
});

// --- who signed ---

test("wrong identity: another workflow of the same repository is refused (IDENTITY_MISMATCH)", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "keyless", san: { uri: "https://github.com/acme/agents/.github/workflows/other.yml@refs/heads/main" } } });
  expectFailure(verify(bundle), "IDENTITY_MISMATCH");
});

test("an identity that merely contains the trusted one is refused by an exact policy (IDENTITY_MISMATCH)", async () => {
  for (const san of [`${DEFAULT_IDENTITY}-evil`, `https://evil.example/?${DEFAULT_IDENTITY}`]) {
    const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "keyless", san: { uri: san } } });
    expectFailure(verify(bundle), "IDENTITY_MISMATCH");
  }
});

test("an identity that merely contains the trusted one is refused by an anchored pattern (IDENTITY_MISMATCH)", async () => {
  const pattern: SignerPolicy = { kind: "certificate", identityPattern: "^https://github\\.com/acme/agents/\\.github/workflows/agent\\.yml@refs/heads/main$", issuer: DEFAULT_ISSUER };
  for (const san of [`${DEFAULT_IDENTITY}-evil`, `https://evil.example/${DEFAULT_IDENTITY}`, `${DEFAULT_IDENTITY}\nx`]) {
    const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "keyless", san: { uri: san } } });
    expectFailure(verify(bundle, pattern), "IDENTITY_MISMATCH");
  }
  // an alternation inside the anchors must not let either half match a prefix or suffix alone
  const alternation: SignerPolicy = { kind: "certificate", identityPattern: `^https://github\\.com/acme/agents/x|${DEFAULT_IDENTITY.replace(/[./]/g, "\\$&")}$`, issuer: DEFAULT_ISSUER };
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "keyless", san: { uri: "https://github.com/acme/agents/xyz" } } });
  expectFailure(verify(bundle, alternation), "IDENTITY_MISMATCH");
});

test("an unanchored identity pattern is refused before any verification (POLICY_INVALID)", () => {
  expectFailure(verify(msgV1, { kind: "certificate", identityPattern: "acme/agents", issuer: DEFAULT_ISSUER }), "POLICY_INVALID");
});

test("wrong issuer: the right identity from another OIDC issuer is refused (ISSUER_MISMATCH)", async () => {
  for (const issuer of ["https://token.actions.githubusercontent.com.evil.example", "https://accounts.google.com"]) {
    const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "keyless", issuer } });
    expectFailure(verify(bundle), "ISSUER_MISMATCH");
  }
});

test("wrong issuer: a v2 issuer extension (1.8) wins over a legacy one (1.1) that names the trusted issuer (ISSUER_MISMATCH)", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "keyless", issuer: "https://evil.example", legacyIssuer: DEFAULT_ISSUER } });
  expectFailure(verify(bundle), "ISSUER_MISMATCH");
});

test("key-based bundle checked against another key is refused (KEY_MISMATCH)", async () => {
  const signer = world.newKeySigner();
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "key", signer } });
  expectFailure(verify(bundle, { kind: "key", publicKeyPem: world.newKeySigner().publicKeyPem }), "KEY_MISMATCH");
});

test("a keyless bundle is refused where a key was expected, and a key-signed one where an identity was (KEY_MISMATCH / IDENTITY_MISMATCH)", async () => {
  expectFailure(verify(msgV1, { kind: "key", publicKeyPem: world.newKeySigner().publicKeyPem }), "KEY_MISMATCH");
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "key", signer: world.newKeySigner() } });
  expectFailure(verify(bundle), "IDENTITY_MISMATCH");
});

// --- what was signed ---

test("swapped payload: a DSSE envelope carrying another statement for the same artifact is refused (SIGNATURE_INVALID)", () => {
  for (const original of [dsseV1, dsseV2]) {
    const b = copy(original);
    b.dsseEnvelope!.payload = inTotoStatement(statementFor(artifact, { buildDefinition: { buildType: "https://evil.example/forged" } })).toString("base64");
    expectFailure(verify(b), "SIGNATURE_INVALID");
  }
});

test("swapped payload: a message signature whose digest is swapped for another artifact's is refused (SIGNATURE_INVALID)", () => {
  const b = copy(msgV1);
  b.messageSignature!.messageDigest.digest = sha256(otherArtifact).toString("base64");
  expectFailure(verify(b, keyless, { kind: "artifact", bytes: otherArtifact }), "SIGNATURE_INVALID");
});

test("subject of another artifact: a DSSE statement about artifact A does not vouch for artifact B (SUBJECT_MISMATCH)", () => {
  for (const b of [dsseV1, dsseV2]) {
    expectFailure(verify(b, keyless, { kind: "artifact", bytes: otherArtifact }), "SUBJECT_MISMATCH");
    expectFailure(verify(b, keyless, { kind: "digest", algorithm: "sha256", hex: hex(otherArtifact) }), "SUBJECT_MISMATCH");
  }
});

test("subject of another artifact: a message signature over A does not vouch for B (ARTIFACT_MISMATCH)", () => {
  for (const b of [msgV1, msgV2]) {
    expectFailure(verify(b, keyless, { kind: "artifact", bytes: otherArtifact }), "ARTIFACT_MISMATCH");
    expectFailure(verify(b, keyless, { kind: "digest", algorithm: "sha256", hex: hex(otherArtifact) }), "ARTIFACT_MISMATCH");
  }
});

test("a DSSE envelope with a second signature is refused (DSSE_INVALID)", () => {
  const b = copy(dsseV1);
  b.dsseEnvelope!.signatures.push({ ...b.dsseEnvelope!.signatures[0]! });
  expectFailure(verify(b), "DSSE_INVALID");
});

test("a DSSE envelope of another payload type is refused (DSSE_INVALID)", async () => {
  const { bundle } = await world.sign({ payload: { kind: "dsse-raw", payloadType: "text/plain", payload: inTotoStatement(statementFor(artifact)) } });
  expectFailure(verify(bundle), "DSSE_INVALID");
});

test("a DSSE payload that is not an in-toto statement is refused (STATEMENT_INVALID)", async () => {
  const { bundle } = await world.sign({ payload: { kind: "dsse-raw", payloadType: "application/vnd.in-toto+json", payload: Buffer.from(JSON.stringify({ _type: "https://example.com/NotAStatement", subject: [] })) } });
  expectFailure(verify(bundle), "STATEMENT_INVALID");
});

// --- transparency log ---

test("tampered SET: one bit of the signed entry timestamp flipped is refused (TLOG_SET_INVALID)", () => {
  for (const original of [msgV1, dsseV1]) {
    const b = copy(original);
    const e = tlogEntry(b);
    e.inclusionPromise!.signedEntryTimestamp = flipBase64(e.inclusionPromise!.signedEntryTimestamp, 10);
    expectFailure(verify(b), "TLOG_SET_INVALID");
  }
});

test("tampered SET: a moved integrated time no longer matches the SET (TLOG_SET_INVALID)", () => {
  const b = copy(msgV1);
  tlogEntry(b).integratedTime = String(Number(tlogEntry(b).integratedTime) + 60);
  expectFailure(verify(b), "TLOG_SET_INVALID");
});

test("tampered inclusion proof: one audit-path hash changed is refused (TLOG_INCLUSION_PROOF_INVALID)", () => {
  for (const original of [msgV1, dsseV1, msgV2, dsseV2]) {
    const b = copy(original);
    const proof = tlogEntry(b).inclusionProof!;
    assert.ok(proof.hashes.length > 0, "the fake log should produce non-trivial proofs");
    proof.hashes[0] = flipBase64(proof.hashes[0]!, 0);
    expectFailure(verify(b), "TLOG_INCLUSION_PROOF_INVALID");
  }
});

test("tampered inclusion proof: another log index is refused (TLOG_INCLUSION_PROOF_INVALID)", () => {
  const b = copy(msgV2);
  const e = tlogEntry(b);
  e.inclusionProof!.logIndex = String(Number(e.inclusionProof!.logIndex) + 1);
  e.logIndex = e.inclusionProof!.logIndex;
  expectFailure(verify(b), "TLOG_INCLUSION_PROOF_INVALID");
});

test("tampered checkpoint: a changed root hash in the signed note is refused (TLOG_CHECKPOINT_INVALID)", () => {
  for (const original of [msgV1, msgV2]) {
    const b = copy(original);
    const proof = tlogEntry(b).inclusionProof!;
    const lines = proof.checkpoint.envelope.split("\n");
    lines[2] = flipBase64(lines[2]!, 0);
    proof.checkpoint.envelope = lines.join("\n");
    proof.rootHash = lines[2]!;
    expectFailure(verify(b), "TLOG_CHECKPOINT_INVALID");
  }
});

test("tampered checkpoint: a flipped checkpoint signature is refused (TLOG_CHECKPOINT_INVALID)", () => {
  for (const original of [msgV1, dsseV2]) {
    const b = copy(original);
    const proof = tlogEntry(b).inclusionProof!;
    proof.checkpoint.envelope = proof.checkpoint.envelope.replace(/ (\S+)\n$/, (_m, sig: string) => ` ${flipBase64(sig)}\n`);
    expectFailure(verify(b), "TLOG_CHECKPOINT_INVALID");
  }
});

test("tampered checkpoint: an inclusion proof root that differs from the signed checkpoint is refused (TLOG_CHECKPOINT_INVALID)", () => {
  const b = copy(msgV2);
  const proof = tlogEntry(b).inclusionProof!;
  proof.rootHash = flipBase64(proof.rootHash, 0);
  expectFailure(verify(b), "TLOG_CHECKPOINT_INVALID");
});

const withSignerName = (original: BundleJson, name: string): BundleJson => {
  const b = copy(original);
  const cp = tlogEntry(b).inclusionProof!.checkpoint;
  cp.envelope = cp.envelope.replace(/\u2014 \S+ /u, `\u2014 ${name} `);
  return b;
};

test("tampered checkpoint: a signature line under another name than the log's is refused (TLOG_CHECKPOINT_INVALID)", () => {
  for (const name of ["rekor", ".", "evil.example"]) {
    expectFailure(verify(withSignerName(msgV1, name)), "TLOG_CHECKPOINT_INVALID");
    expectFailure(verify(withSignerName(msgV2, name)), "TLOG_CHECKPOINT_INVALID");
  }
});

test("tampered checkpoint: a signer name that is a catastrophic regular expression cannot hang the verifier (TLOG_CHECKPOINT_INVALID)", () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-redos-"));
  const file = join(dir, "input.json");
  const bundle = withSignerName(msgV2, "(.*.*)*(.*.*)*(.*.*)*(.*.*)*!");
  writeFileSync(file, JSON.stringify({ trustedRoot: world.trustedRoot, bundle, artifactBase64: artifact.toString("base64"), signer: keyless }));
  const child = join(import.meta.dirname, "../../../support/sigstore/verify-child.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", child, file], { timeout: 8000, encoding: "utf8" });
  assert.equal(r.signal, null, "verify() was still running after 8 s");
  expectFailure(JSON.parse(r.stdout) as ReturnType<typeof verify>, "TLOG_CHECKPOINT_INVALID");
});

test("a log entry taken from another bundle is refused (TLOG_ENTRY_INCONSISTENT)", async () => {
  const other = await world.sign({ payload: { kind: "message", artifact } });
  const b = copy(msgV1);
  b.verificationMaterial.tlogEntries = copy(other.bundle.verificationMaterial.tlogEntries);
  expectFailure(verify(b), "TLOG_ENTRY_INCONSISTENT");
});

test("a bundle that repeats its tlog entry is refused (TLOG_ENTRY_INCONSISTENT)", () => {
  const b = copy(msgV2);
  b.verificationMaterial.tlogEntries.push(copy(tlogEntry(b)));
  expectFailure(verify(b), "TLOG_ENTRY_INCONSISTENT");
});

// --- time and trust ---

test("untrusted root: a bundle made by another generated Sigstore is refused (CERTIFICATE_CHAIN_INVALID)", async () => {
  const elsewhere = await createTestSigstore({ name: "elsewhere.test" });
  const { bundle } = await elsewhere.sign({ payload: { kind: "message", artifact } });
  expectVerified(createVerifier({ trustedRoot: elsewhere.trustedRoot }).verify({ bundle, subject: bySubject, signer: keyless }));
  expectFailure(verify(bundle), "CERTIFICATE_CHAIN_INVALID");
});

test("untrusted root: only the CA is foreign (CERTIFICATE_CHAIN_INVALID), only the log (TLOG_UNTRUSTED_LOG), only the TSA (TIMESTAMP_INVALID)", async () => {
  const elsewhere = await createTestSigstore({ name: "elsewhere.test" });
  const mixed = (part: "certificateAuthorities" | "tlogs" | "timestampAuthorities") => createVerifier({ trustedRoot: { ...elsewhere.trustedRoot, [part]: world.trustedRoot[part] } });
  const v1 = (await elsewhere.sign({ payload: { kind: "message", artifact } })).bundle;
  const v2 = (await elsewhere.sign({ payload: { kind: "message", artifact }, rekor: "v2" })).bundle;
  expectFailure(mixed("certificateAuthorities").verify({ bundle: v1, subject: bySubject, signer: keyless }), "CERTIFICATE_CHAIN_INVALID");
  expectFailure(mixed("tlogs").verify({ bundle: v1, subject: bySubject, signer: keyless }), "TLOG_UNTRUSTED_LOG");
  expectFailure(mixed("timestampAuthorities").verify({ bundle: v2, subject: bySubject, signer: keyless }), "TIMESTAMP_INVALID");
});

test("expired certificate: a leaf that expired before the log's signed time is refused (CERTIFICATE_NOT_VALID_AT_TIME)", async () => {
  const notBefore = new Date(world.now.getTime() - 30 * 60_000);
  const expired = { kind: "keyless" as const, notBefore, notAfter: new Date(world.now.getTime() - 20 * 60_000) };
  for (const rekor of ["v1", "v2"] as const) {
    const { bundle } = await world.sign({ payload: { kind: "dsse", statement: statementFor(artifact) }, signWith: expired, rekor });
    expectFailure(verify(bundle), "CERTIFICATE_NOT_VALID_AT_TIME");
  }
});

test("a certificate not yet valid at the signed time is refused (CERTIFICATE_NOT_VALID_AT_TIME)", async () => {
  const early = { kind: "keyless" as const, notBefore: new Date(world.now.getTime() + 60_000) };
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: early });
  expectFailure(verify(bundle), "CERTIFICATE_NOT_VALID_AT_TIME");
});

test("tampered RFC 3161 timestamp: one flipped bit in the token is refused (TIMESTAMP_INVALID)", () => {
  const b = copy(msgV2);
  const ts = b.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0]!;
  ts.signedTimestamp = flipBase64(ts.signedTimestamp);
  expectFailure(verify(b), "TIMESTAMP_INVALID");
});

test("a bit flip anywhere in the RFC 3161 timestamp token is refused (TIMESTAMP_INVALID or BUNDLE_MALFORMED)", () => {
  const token = Buffer.from(msgV2.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0]!.signedTimestamp, "base64");
  const accepted: string[] = [];
  // one bit per byte, rotating, keeps this to a few seconds
  for (let i = 0; i < token.length; i++) {
    const bit = i % 8;
    const flipped = Buffer.from(token);
    flipped[i] = flipped[i]! ^ (1 << bit);
    const b = copy(msgV2);
    b.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0]!.signedTimestamp = flipped.toString("base64");
    const out = verify(b);
    if (out.ok || (out.code !== "TIMESTAMP_INVALID" && out.code !== "BUNDLE_MALFORMED")) accepted.push(`byte ${i} bit ${bit}: ${out.ok ? "verified" : out.code}`);
  }
  assert.deepEqual(accepted.slice(0, 20), [], `${accepted.length} of ${token.length} flips were not refused as a bad timestamp`);
});

test("a bit flip anywhere in the signing certificate's DER is refused", () => {
  const der = Buffer.from(msgV1.verificationMaterial.certificate!.rawBytes, "base64");
  const accepted: string[] = [];
  for (let i = 0; i < der.length; i++) {
    const bit = i % 8;
    const flipped = Buffer.from(der);
    flipped[i] = flipped[i]! ^ (1 << bit);
    const b = copy(msgV1);
    b.verificationMaterial.certificate!.rawBytes = flipped.toString("base64");
    if (verify(b).ok) accepted.push(`byte ${i} bit ${bit}`);
  }
  assert.deepEqual(accepted.slice(0, 20), [], `${accepted.length} of ${der.length} flips verified`);
});

test("a timestamp over another signature is refused (TIMESTAMP_INVALID)", async () => {
  const other = await world.sign({ payload: { kind: "message", artifact }, rekor: "v2" });
  const b = copy(msgV2);
  b.verificationMaterial.timestampVerificationData = copy(other.bundle.verificationMaterial.timestampVerificationData);
  expectFailure(verify(b), "TIMESTAMP_INVALID");
});

test("a Rekor v2 bundle without a timestamp has no signed time (NO_SIGNED_TIME)", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, rekor: "v2", tsa: false });
  expectFailure(verify(bundle), "NO_SIGNED_TIME");
});

test("a certificate without an SCT misses the CT threshold (CERTIFICATE_CHAIN_INVALID)", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "keyless", withSct: false } });
  expectFailure(verify(bundle), "CERTIFICATE_CHAIN_INVALID");
});

test("a bundle without any tlog entry misses the tlog threshold (TLOG_THRESHOLD_NOT_MET)", async () => {
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, rekor: "none", tsa: true });
  expectFailure(verify(bundle), "TLOG_THRESHOLD_NOT_MET");
});

test("a message digest whose algorithm is left out (HASH_ALGORITHM_UNSPECIFIED) is refused (BUNDLE_MALFORMED)", () => {
  const b = copy(msgV1);
  delete (b.messageSignature!.messageDigest as { algorithm?: string }).algorithm;
  expectFailure(verify(b), "BUNDLE_MALFORMED");
});

test("a non-numeric integratedTime is refused as malformed, not as an internal error (BUNDLE_MALFORMED)", () => {
  const b = copy(msgV1);
  tlogEntry(b).integratedTime = "EECF5oA=";
  expectFailure(verify(b), "BUNDLE_MALFORMED");
});

test("a bundle with an unknown media type is refused (BUNDLE_MALFORMED)", () => {
  const b: BundleJson = { ...copy(msgV1), mediaType: "application/vnd.dev.sigstore.bundle.v9+json" };
  expectFailure(verify(b), "BUNDLE_MALFORMED");
});

// --- Rekor v2 entries carry no SET: every field the audit record reports must be bound by the proof ---

test("a Rekor v2 entry whose logId names another trusted log than the one that signed its checkpoint is refused (TLOG_CHECKPOINT_INVALID)", () => {
  for (const original of [msgV2, dsseV2]) {
    const b = copy(original);
    tlogEntry(b).logId = { keyId: world.rekorV1.logId.toString("base64") };
    expectFailure(verify(b), "TLOG_CHECKPOINT_INVALID");
  }
});

test("a Rekor v2 entry whose logIndex differs from its inclusion proof's is refused (TLOG_INCLUSION_PROOF_INVALID)", () => {
  const b = copy(msgV2);
  const e = tlogEntry(b);
  e.logIndex = String(Number(e.logIndex) + 1000);
  expectFailure(verify(b), "TLOG_INCLUSION_PROOF_INVALID");
});

test("a made-up integratedTime on a Rekor v2 entry (no SET) is neither a signed time nor reported as one", () => {
  const b = copy(msgV2);
  tlogEntry(b).integratedTime = String(Math.floor(world.now.getTime() / 1000) - 86_400);
  const out = verify(b);
  expectVerified(out);
  assert.equal(out.tlogEntries[0]?.integratedTime, undefined);
  assert.deepEqual(out.timestamps.map((t) => t.source), ["rfc3161"]);
});
