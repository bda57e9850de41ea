// Verification work an outsider can ask for is bounded: copies are refused before they are verified, cheap checks
// come before any cryptography, one bundle is checked once for all trusted signers, and input that would crash a
// recursive reader is a coded failure. Each test counts the work the verifier reports, never time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createVerifier, MAX_TIMESTAMPS_PER_BUNDLE } from "../../../src/adapters/sigstore/verifier.js";
import type { CachingBundleVerifier, SignerPolicy, SubjectSpec, VerifierWorkStats } from "../../../src/adapters/sigstore/verifier.js";
import { lintTrustedRoot } from "../../../src/adapters/sigstore/rootlint.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../../support/sigstore/index.js";
import type { BundleJson } from "../../support/sigstore/index.js";
import { copy, expectFailure, expectVerified } from "../../support/sigstore/tamper.js";

const world = await createTestSigstore();
const artifact = Buffer.from("the artifact the agent built\n");
const keyless: SignerPolicy = { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
const bySubject: SubjectSpec = { kind: "artifact", bytes: artifact };
// the verdict cache is off: every count below is work done, not a cache hit
const fresh = (): CachingBundleVerifier => createVerifier({ trustedRoot: world.trustedRoot, verdictCacheSize: 0 });
const delta = (v: CachingBundleVerifier, before: VerifierWorkStats) => {
  const now = v.workStats();
  return {
    timestamps: now.timestampVerifications - before.timestampVerifications,
    chains: now.chainVerifications - before.chainVerifications,
    signatures: now.signatureVerifications - before.signatureVerifications,
    tlogs: now.tlogVerifications - before.tlogVerifications,
  };
};
const withTsa = await world.sign({ payload: { kind: "message", artifact }, rekor: "v2" });
const tokens = (b: BundleJson) => b.verificationMaterial.timestampVerificationData.rfc3161Timestamps;

test("the unmodified bundle verifies with one timestamp, one chain, one signature checked", () => {
  const v = fresh();
  const before = v.workStats();
  expectVerified(v.verify({ bundle: withTsa.bundle, subject: bySubject, signer: keyless }));
  assert.deepEqual(delta(v, before), { timestamps: 1, chains: 1, signatures: 1, tlogs: 1 });
});

test("a bundle with 500 copies of one timestamp token is refused without verifying any copy (TIMESTAMP_INVALID)", () => {
  const b = copy(withTsa.bundle);
  const token = tokens(b)[0]!;
  for (let i = 1; i < 500; i++) tokens(b).push({ ...token });
  const v = fresh();
  const before = v.workStats();
  const out = v.verify({ bundle: b, subject: bySubject, signer: keyless });
  expectFailure(out, "TIMESTAMP_INVALID");
  assert.match(out.ok ? "" : out.message, /repeats/);
  assert.deepEqual(delta(v, before), { timestamps: 0, chains: 0, signatures: 0, tlogs: 0 });
});

test(`a bundle with more than ${MAX_TIMESTAMPS_PER_BUNDLE} distinct genuine timestamp tokens is refused before any is verified (VERIFICATION_BUDGET_EXCEEDED)`, async () => {
  const b = copy(withTsa.bundle);
  for (let i = 1; i <= MAX_TIMESTAMPS_PER_BUNDLE; i++) {
    const token = await world.tsa.timestamp(withTsa.content.signature, new Date(world.now.getTime() + i * 1000));
    tokens(b).push({ signedTimestamp: token.toString("base64") });
  }
  const v = fresh();
  const before = v.workStats();
  expectFailure(v.verify({ bundle: b, subject: bySubject, signer: keyless }), "VERIFICATION_BUDGET_EXCEEDED");
  assert.equal(delta(v, before).timestamps, 0);
});

test("a bundle that repeats its tlog entry 1,000 times is refused before any entry is verified (TLOG_ENTRY_INCONSISTENT)", () => {
  const b = copy(withTsa.bundle);
  const entry = b.verificationMaterial.tlogEntries[0]!;
  for (let i = 1; i < 1000; i++) b.verificationMaterial.tlogEntries.push(copy(entry));
  const v = fresh();
  const before = v.workStats();
  expectFailure(v.verify({ bundle: b, subject: bySubject, signer: keyless }), "TLOG_ENTRY_INCONSISTENT");
  assert.deepEqual(delta(v, before), { timestamps: 0, chains: 0, signatures: 0, tlogs: 0 });
});

test("a bundle whose leaf identity matches no trusted signer is refused before any signature, chain or timestamp check", () => {
  const v = fresh();
  const before = v.workStats();
  const stranger: SignerPolicy = { kind: "certificate", identity: "https://github.com/acme/agents/.github/workflows/other.yml@refs/heads/main", issuer: DEFAULT_ISSUER };
  expectFailure(v.verify({ bundle: withTsa.bundle, subject: bySubject, signer: stranger }), "IDENTITY_MISMATCH");
  expectFailure(v.verify({ bundle: withTsa.bundle, subject: bySubject, signer: { ...keyless, issuer: "https://issuer.example" } }), "ISSUER_MISMATCH");
  assert.deepEqual(delta(v, before), { timestamps: 0, chains: 0, signatures: 0, tlogs: 0 });
});

test("verifyAny checks a bundle once for all trusted signers: the leaf's identity picks the signer, the crypto runs once", () => {
  const v = fresh();
  const before = v.workStats();
  const others: SignerPolicy[] = Array.from({ length: 20 }, (_, i) => ({ kind: "certificate", identity: `https://github.com/acme/agents/.github/workflows/a${i}.yml@refs/heads/main`, issuer: DEFAULT_ISSUER }));
  const out = v.verifyAny({ bundle: withTsa.bundle, subject: bySubject, signers: [...others, keyless] });
  expectVerified(out);
  assert.equal(out.signer.identity, DEFAULT_IDENTITY);
  assert.deepEqual(delta(v, before), { timestamps: 1, chains: 1, signatures: 1, tlogs: 1 });
  const none = v.verifyAny({ bundle: withTsa.bundle, subject: bySubject, signers: others });
  expectFailure(none, "IDENTITY_MISMATCH");
  assert.match(none.ok ? "" : none.message, /none of the 20 trusted signers matched/);
});

test("verifyAny with several keys picks the key that signed, whatever its place in the list", async () => {
  const signers = [world.newKeySigner(), world.newKeySigner(), world.newKeySigner()];
  const { bundle } = await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "key", signer: signers[2]! } });
  const policies: SignerPolicy[] = signers.map((s) => ({ kind: "key", publicKeyPem: s.publicKeyPem }));
  const v = fresh();
  const before = v.workStats();
  expectVerified(v.verifyAny({ bundle, subject: bySubject, signers: policies }));
  assert.equal(delta(v, before).signatures, 1, "the log names the key: no other key is tried");
  expectFailure(v.verifyAny({ bundle, subject: bySubject, signers: policies.slice(0, 2) }), "KEY_MISMATCH");
  expectFailure(v.verifyAny({ bundle, subject: bySubject, signers: [keyless] }), "IDENTITY_MISMATCH");
});

for (const [what, nest] of [
  ["arrays", (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`],
  ["objects", (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`],
] as const) {
  test(`a mediaType of ${what} nested 5,000 and 100,000 deep is BUNDLE_MALFORMED, as text and as a parsed value, never INTERNAL_ERROR`, () => {
    const v = fresh();
    for (const depth of [5_000, 100_000]) {
      const text = `{"mediaType":${nest(depth)}}`;
      for (const bundle of [text, Buffer.from(text), JSON.parse(text) as unknown]) {
        const out = v.verify({ bundle, subject: bySubject, signer: keyless });
        expectFailure(out, "BUNDLE_MALFORMED");
        assert.match(out.ok ? "" : out.message, /nests deeper than/);
      }
    }
  });
}

test("a bundle value that refers to itself is BUNDLE_MALFORMED; one that shares a part in two places is read as JSON would be", () => {
  const b = copy(withTsa.bundle) as unknown as Record<string, unknown>;
  b.self = b;
  expectFailure(fresh().verify({ bundle: b, subject: bySubject, signer: keyless }), "BUNDLE_MALFORMED");
  const shared = copy(withTsa.bundle) as unknown as Record<string, unknown>;
  shared.annotations = { again: shared.verificationMaterial };
  expectVerified(fresh().verify({ bundle: shared, subject: bySubject, signer: keyless }));
});

test("a wrong mediaType is named in the message, shortened, never serialized whole", () => {
  const out = fresh().verify({ bundle: { mediaType: "x".repeat(10_000) }, subject: bySubject, signer: keyless });
  expectFailure(out, "BUNDLE_MALFORMED");
  assert.ok(!out.ok && out.message.length < 600, `message of ${out.ok ? 0 : out.message.length} characters`);
});

test("a certificate after the leaf that the trusted root does not hold is refused (CERTIFICATE_CHAIN_INVALID); a copy of a trusted CA certificate is tolerated", async () => {
  const signed = await world.sign({ payload: { kind: "message", artifact }, version: "0.1" });
  const chain = signed.chain!;
  const elsewhere = await createTestSigstore({ name: "elsewhere.test" });
  const foreign = (await elsewhere.sign({ payload: { kind: "message", artifact }, version: "0.1" })).chain!;
  const withExtras = (extras: readonly Buffer[]) => {
    const b = copy(signed.bundle) as unknown as { verificationMaterial: { x509CertificateChain: { certificates: { rawBytes: string }[] } } };
    b.verificationMaterial.x509CertificateChain.certificates = [chain[0]!, ...extras].map((c) => ({ rawBytes: c.toString("base64") }));
    return b;
  };
  const v = fresh();
  expectVerified(v.verify({ bundle: withExtras([]), subject: bySubject, signer: keyless }));
  expectVerified(v.verify({ bundle: withExtras([chain[1]!, chain[2]!]), subject: bySubject, signer: keyless }));
  expectFailure(v.verify({ bundle: withExtras([foreign[2]!]), subject: bySubject, signer: keyless }), "CERTIFICATE_CHAIN_INVALID");
  expectFailure(v.verify({ bundle: withExtras([chain[1]!, foreign[1]!]), subject: bySubject, signer: keyless }), "CERTIFICATE_CHAIN_INVALID");
});

test("a trusted root whose validFor.end is JSON null is an open end, not an invalid root", () => {
  const root = copy(world.trustedRoot) as unknown as { tlogs: { publicKey: { validFor: Record<string, unknown> } }[]; certificateAuthorities: { validFor: Record<string, unknown> }[] };
  root.tlogs[0]!.publicKey.validFor.end = null;
  root.certificateAuthorities[0]!.validFor.end = null;
  assert.deepEqual(lintTrustedRoot(root), []);
  expectVerified(createVerifier({ trustedRoot: root }).verify({ bundle: withTsa.bundle, subject: bySubject, signer: keyless }));
});
