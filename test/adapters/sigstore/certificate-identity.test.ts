// A certificate's identity is what its CA signed (the TBSCertificate), not its DER: on a root without a transparency
// log (GitHub's own Sigstore instance: an RFC 3161 timestamp over the artifact signature only), nothing pins the leaf's
// bytes, and its CA's ECDSA signature (r, s) re-encoded as (r, n - s) still verifies. The same certificate then has
// another DER fingerprint, and the same TBS fingerprint, which a revocation list names (docs/revocation.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVerifier } from "../../../src/adapters/sigstore/verifier.js";
import { commitTrustMaterial, parseCms, verifyGitsignCommit } from "../../../src/adapters/sigstore/gitsign.js";
import { sha256Hex } from "../../../src/core/digest.js";
import { P384_N, withReencodedLeaf } from "../../support/reencoded-certificate.js";

const DIR = "fixtures/sigstore-github/01-gh-private-attest-demo-wheel";
const read = (f: string): unknown => JSON.parse(readFileSync(join(DIR, f), "utf8"));
const c = read("case.json") as { artifact: string; identity: string; issuer: string };
const bundle = read("bundle.sigstore.json") as { verificationMaterial: { certificate: { rawBytes: string } } };
const leaf = Buffer.from(bundle.verificationMaterial.certificate.rawBytes, "base64");

/** sha256 of the TBSCertificate, the first element of the certificate (header of 4 bytes, length 2 bytes). */
const tbsOf = (der: Buffer): Buffer => der.subarray(4, 8 + der.readUInt16BE(6));

test("a re-encoded leaf verifies on a log-less root under another DER fingerprint and the same TBS fingerprint", () => {
  const v = createVerifier({ trustedRoot: read("trusted_root.json"), trustedRootName: "github" });
  const req = { subject: { kind: "artifact" as const, bytes: readFileSync(join(DIR, c.artifact)) }, signer: { kind: "certificate" as const, identity: c.identity, issuer: c.issuer } };
  const original = v.verify({ ...req, bundle: JSON.stringify(bundle) });
  const forged = v.verify({ ...req, bundle: JSON.stringify(withReencodedLeaf(bundle, P384_N)) });
  assert.ok(original.ok && forged.ok, "both encodings verify (nothing but the CA's signature covers the leaf)");
  assert.equal(original.signer.certificateFingerprint, sha256Hex(leaf));
  assert.notEqual(forged.signer.certificateFingerprint, original.signer.certificateFingerprint);
  assert.equal(original.signer.certificateTbsFingerprint, sha256Hex(tbsOf(leaf)));
  assert.equal(forged.signer.certificateTbsFingerprint, original.signer.certificateTbsFingerprint);
});

test("the TBS fingerprint is what docs/revocation.md's openssl command prints", (t) => {
  let openssl = true;
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
  } catch {
    openssl = false;
  }
  if (!openssl) return t.skip("no openssl on this machine");
  const dir = mkdtempSync(join(tmpdir(), "tbs-"));
  writeFileSync(join(dir, "leaf.der"), leaf);
  execFileSync("openssl", ["asn1parse", "-inform", "DER", "-in", join(dir, "leaf.der"), "-strparse", "4", "-noout", "-out", join(dir, "tbs.der")]);
  assert.equal(sha256Hex(readFileSync(join(dir, "tbs.der"))), sha256Hex(tbsOf(leaf)));
});

test("a signed commit's certificate carries its TBS fingerprint too", () => {
  const trust = commitTrustMaterial(JSON.parse(readFileSync("fixtures/gitsign/trusted_root.json", "utf8")));
  const g = JSON.parse(readFileSync("fixtures/gitsign/01-offline-google-2026/case.json", "utf8")) as { signer: { identity: string; issuer: string } };
  const r = verifyGitsignCommit({ commit: readFileSync("fixtures/gitsign/01-offline-google-2026/commit"), signer: { kind: "certificate", ...g.signer }, trust });
  assert.ok(r.ok, r.ok ? "" : r.message);
  const pem = readFileSync("fixtures/gitsign/01-offline-google-2026/signature.pem", "latin1");
  const cms = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  const der = parseCms(cms).certificates.map((x) => x.der).find((d) => sha256Hex(d) === r.signer.certificateFingerprint);
  assert.ok(der, "the leaf is in the CMS");
  assert.equal(r.signer.certificateTbsFingerprint, sha256Hex(tbsOf(der)));
});
