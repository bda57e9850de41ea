// Every sigstore-conformance bundle-verify case (fixtures/sigstore-conformance), driven the way the suite drives a
// client: once with the artifact's path and once with its sha256 digest (70 cases x 2 = 140 checks), through the
// same calls as `agent-gate verify-bundle`. A case passes when it verifies; a `_fail` case when it fails with the
// code its reason names (a refused trusted root counts: the command exits 1 on it, as on any failure).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { loadPinnedRoot, loadRootFile } from "../../../src/adapters/sigstore/trusted-root.js";
import { createVerifier } from "../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, SubjectSpec } from "../../../src/adapters/sigstore/verifier.js";
import { AgentGateError } from "../../../src/core/errors.js";

const DIR = "fixtures/sigstore-conformance";
const DEFAULT_IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER = "https://token.actions.githubusercontent.com";

const cases = readdirSync(DIR)
  .filter((n) => statSync(join(DIR, n)).isDirectory())
  .sort();

const opt = (dir: string, name: string): string | undefined => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8").trim() : undefined);

// Why each `_fail` case fails, in our codes: a failure for another reason would be a pass by accident.
const EXPECTED_CODE: Readonly<Record<string, string>> = {
  "bundle-empty-certificate-chain_fail": "BUNDLE_MALFORMED",
  "bundle-from-wrong-instance_fail": "CERTIFICATE_CHAIN_INVALID",
  "bundle-invalid-base64-signature_fail": "SIGNATURE_INVALID", // the decoded bytes are no signature
  "bundle-malformed-json_fail": "BUNDLE_MALFORMED",
  "bundle-negative-log-index_fail": "BUNDLE_MALFORMED",
  "bundle-unknown-version_fail": "BUNDLE_MALFORMED",
  "bundle-with-root-cert_fail": "CERTIFICATE_CHAIN_INVALID", // a certificate after the leaf that the trusted root does not hold
  "checkpoint-bad-keyhint_fail": "TLOG_CHECKPOINT_INVALID",
  "checkpoint-wrong-roothash_fail": "TLOG_CHECKPOINT_INVALID",
  "dsse-invalid-sig_fail": "SIGNATURE_INVALID",
  "dsse-mismatch-envelope_fail": "TLOG_ENTRY_INCONSISTENT",
  "dsse-mismatch-sig_fail": "TLOG_ENTRY_INCONSISTENT",
  "inclusion-proof-corrupted-hash_fail": "TLOG_INCLUSION_PROOF_INVALID",
  "incorrect-public-key_fail": "TLOG_SET_INVALID", // the SET covers the original body
  "integrated-time-in-future_fail": "CERTIFICATE_NOT_VALID_AT_TIME",
  "intoto-expired-certificate_fail": "CERTIFICATE_NOT_VALID_AT_TIME",
  "intoto-log-entry-mismatch_fail": "TLOG_ENTRY_INCONSISTENT",
  "intoto-missing-inclusion-proof_fail": "BUNDLE_MALFORMED",
  "intoto-set-outside-signing-cert-validity_fail": "CERTIFICATE_NOT_VALID_AT_TIME",
  "intoto-tsa-timestamp-outside-cert-validity_fail": "CERTIFICATE_NOT_VALID_AT_TIME",
  "invalid-checkpoint-signature_fail": "TLOG_CHECKPOINT_INVALID",
  "invalid-ct-key_fail": "CERTIFICATE_CHAIN_INVALID", // the SCT does not verify under the root's CT key
  "invalid-inclusion-proof_fail": "TLOG_INCLUSION_PROOF_INVALID",
  "managed-key-no-key_fail": "IDENTITY_MISMATCH",
  "managed-key-wrong-key_fail": "POLICY_INVALID", // its key.pub is not a key at all (the base64 ends in 'wrongkey')
  "message-digest-mismatch_fail": "ARTIFACT_MISMATCH",
  "rekor2-checkpoint-missing-log-signature_fail": "TLOG_CHECKPOINT_INVALID",
  "rekor2-checkpoint-missing-origin_fail": "TLOG_CHECKPOINT_INVALID",
  "rekor2-checkpoint-missing-root-hash_fail": "TLOG_CHECKPOINT_INVALID",
  "rekor2-checkpoint-missing-size_fail": "TLOG_CHECKPOINT_INVALID",
  "rekor2-checkpoint-no-matching-signature_fail": "TLOG_CHECKPOINT_INVALID",
  "rekor2-dsse-invalid-sig_fail": "SIGNATURE_INVALID",
  "rekor2-dsse-mismatch-envelope_fail": "TLOG_ENTRY_INCONSISTENT",
  "rekor2-dsse-mismatch-sig_fail": "TLOG_ENTRY_INCONSISTENT",
  "rekor2-no-inclusion-proof_fail": "BUNDLE_MALFORMED",
  "rekor2-no-timestamp_fail": "NO_SIGNED_TIME",
  "rekor2-timestamp-outside-trust-root-tsa-validity_fail": "TIMESTAMP_INVALID",
  "rekor2-timestamp-outside-tsa-cert-validity_fail": "TIMESTAMP_INVALID",
  "rekor2-timestamp-payload-mismatch_fail": "TIMESTAMP_INVALID",
  "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": "TIMESTAMP_INVALID",
  "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": "TIMESTAMP_INVALID",
  "rekor2-timestamp-with-incorrect-time_fail": "CERTIFICATE_NOT_VALID_AT_TIME",
  "set-invalid-signature_fail": "TLOG_SET_INVALID",
  "signature-mismatch_fail": "SIGNATURE_INVALID",
  "trust-root-tlog-missing-validity-start_fail": "TRUSTED_ROOT_INVALID",
  "wrong-hashedrekord-artifact_fail": "TLOG_ENTRY_INCONSISTENT",
  "wrong-hashedrekord-cert-and-sig_fail": "TLOG_ENTRY_INCONSISTENT",
  "wrong-hashedrekord-entry_fail": "TLOG_ENTRY_INCONSISTENT",
  "wrong-material_fail": "ARTIFACT_MISMATCH", // the artifact's digest is not the signed one
};

type Verdict = { ok: true } | { ok: false; code: string; message: string };

function run(name: string, input: "path" | "digest"): Verdict {
  const dir = join(DIR, name);
  const artifact = readFileSync(existsSync(join(dir, "artifact")) ? join(dir, "artifact") : join(DIR, "a.txt"));
  const subject: SubjectSpec = input === "path" ? { kind: "artifact", bytes: artifact } : { kind: "digest", algorithm: "sha256", hex: createHash("sha256").update(artifact).digest("hex") };
  const keyPem = opt(dir, "key.pub");
  const signer: SignerPolicy = keyPem !== undefined ? { kind: "key", publicKeyPem: `${keyPem}\n` } : { kind: "certificate", identity: opt(dir, "identity") ?? DEFAULT_IDENTITY, issuer: opt(dir, "issuer") ?? DEFAULT_ISSUER };
  try {
    const root = existsSync(join(dir, "trusted_root.json")) ? loadRootFile(join(dir, "trusted_root.json")) : loadPinnedRoot();
    const outcome = createVerifier({ trustedRoot: root }).verify({ bundle: readFileSync(join(dir, "bundle.sigstore.json")), subject, signer });
    return outcome.ok ? { ok: true } : { ok: false, code: outcome.code, message: outcome.message };
  } catch (e) {
    if (e instanceof AgentGateError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

test("the fixture set is the suite's 70 bundle-verify cases, and every _fail case has an expected code", () => {
  assert.equal(cases.length, 70);
  assert.deepEqual(Object.keys(EXPECTED_CODE).sort(), cases.filter((n) => n.endsWith("_fail")));
});

for (const name of cases) {
  for (const input of ["path", "digest"] as const) {
    test(`conformance ${name} [${input}]`, () => {
      const v = run(name, input);
      if (name.endsWith("_fail")) {
        assert.ok(!v.ok, "expected a failure, but it verified");
        assert.equal(v.code, EXPECTED_CODE[name], v.message);
      } else {
        assert.ok(v.ok, `expected it to verify, got ${v.ok ? "" : `${v.code}: ${v.message}`}`);
      }
    });
  }
}
