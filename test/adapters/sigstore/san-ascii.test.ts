// @sigstore/core reads a SAN with Buffer.toString('ascii'), which drops each byte's top bit: a URI holding 0xE1 reads
// as 'a', so a leaf for "https://github.com/\xE1cme/..." would equal the identity "https://github.com/acme/..." exactly.
// Fulcio issues no such SAN; a custom or compromised CA could. Every path that reads a signer identity (bundles, and so
// GitHub attestations; gitsign commits) refuses a leaf whose SAN names hold bytes outside printable 7-bit ASCII.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import "reflect-metadata"; // @peculiar/x509 needs the Reflect metadata polyfill before it loads
import * as x509 from "@peculiar/x509";
import { X509Certificate } from "@sigstore/core";
import { certificateIdentity } from "../../../src/adapters/sigstore/extensions.js";
import { createVerifier } from "../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy } from "../../../src/adapters/sigstore/verifier.js";
import { commitTrustMaterial, verifyGitsignCommit } from "../../../src/adapters/sigstore/gitsign.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../../support/sigstore/index.js";
import type { TestSigstore } from "../../support/sigstore/index.js";
import { expectFailure, expectVerified } from "../../support/sigstore/tamper.js";
import { gitsignCommit, rawCommit } from "../../support/gitsign-signer.js";

let world: TestSigstore;
before(async () => {
  world = await createTestSigstore();
});
const artifact = Buffer.from("the artifact\n");
const SPOOFED_URI = DEFAULT_IDENTITY.replace("acme", "\u00e1cme"); // 0xE1 in the certificate, 'a' once its top bit is dropped
const REFUSED = /SAN (URI|rfc822Name|otherName) .*\\xe1.* holds bytes outside printable 7-bit ASCII \(0x20-0x7e\)/;

async function bundleFor(san: { uri: string } | { email: string }): Promise<unknown> {
  return (await world.sign({ payload: { kind: "message", artifact }, signWith: { kind: "keyless", san } })).bundle;
}
const verify = (bundle: unknown, signer: SignerPolicy) => createVerifier({ trustedRoot: world.trustedRoot }).verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer });
function refused(out: ReturnType<typeof verify>): void {
  expectFailure(out, "IDENTITY_MISMATCH");
  assert.ok(!out.ok);
  assert.match(out.message, REFUSED);
}

test("the library would read the spoofed URI as the ASCII identity (why the raw bytes are checked)", async () => {
  const b = (await bundleFor({ uri: SPOOFED_URI })) as { verificationMaterial: { certificate: { rawBytes: string } } };
  assert.equal(X509Certificate.parse(Buffer.from(b.verificationMaterial.certificate.rawBytes, "base64")).subjectAltName, DEFAULT_IDENTITY);
});

test("a bundle whose leaf URI holds a non-ASCII byte does not match the ASCII identity it reads as (IDENTITY_MISMATCH)", async () => {
  const b = await bundleFor({ uri: SPOOFED_URI });
  refused(verify(b, { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER }));
  // nor any pattern: the leaf is refused before any policy is consulted
  refused(verify(b, { kind: "certificate", identityPattern: "^https://github\\.com/.*$", issuer: DEFAULT_ISSUER }));
});

test("a bundle whose leaf e-mail holds a non-ASCII byte is refused too", async () => {
  refused(verify(await bundleFor({ email: "\u00e1gent@example.test" }), { kind: "certificate", identity: "agent@example.test", issuer: DEFAULT_ISSUER }));
});

test("control: the same identity in plain ASCII verifies", async () => {
  expectVerified(verify(await bundleFor({ uri: DEFAULT_IDENTITY }), { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER }));
});

test("a gitsign commit whose leaf e-mail holds a non-ASCII byte is refused (IDENTITY_MISMATCH)", async () => {
  const commit = rawCommit({ parents: ["a283a6f3a15bb0f4544c36f1a6329c78f1403d45"], when: world.now, message: "Add the widget\n" });
  const trust = commitTrustMaterial(world.trustedRoot);
  const issuer = "https://accounts.google.com";
  const ok = await gitsignCommit(world, commit, { san: { email: "agent@example.test" } });
  const r0 = verifyGitsignCommit({ commit: ok.signedCommit, signer: { kind: "certificate", identity: "agent@example.test", issuer }, trust });
  assert.ok(r0.ok, JSON.stringify(r0));
  const spoofed = await gitsignCommit(world, commit, { san: { email: "\u00e1gent@example.test" } });
  const r = verifyGitsignCommit({ commit: spoofed.signedCommit, signer: { kind: "certificate", identity: "agent@example.test", issuer }, trust });
  assert.ok(!r.ok && r.code === "IDENTITY_MISMATCH" && REFUSED.test(r.message), JSON.stringify(r));
});

// certificateIdentity itself, on self-signed certificates with other SAN shapes
async function selfSigned(names: x509.JsonGeneralName[]): Promise<X509Certificate> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(alg, false, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: "CN=t", keys, signingAlgorithm: alg, extensions: [new x509.SubjectAlternativeNameExtension(names)] });
  return X509Certificate.parse(Buffer.from(cert.rawData));
}

test("certificateIdentity: otherName values, control characters and DEL are refused; printable ASCII passes", async () => {
  const problem = async (names: x509.JsonGeneralName[]): Promise<string | undefined> => {
    const r = certificateIdentity(await selfSigned(names));
    return "problem" in r ? r.problem : undefined;
  };
  // an otherName's value (a UTF8String here: \u00e1 as UTF-8) is checked byte by byte
  assert.match((await problem([{ type: "upn", value: "\u00e1gent" }])) ?? "accepted", /SAN otherName "\\xc3\\xa1gent" holds bytes outside printable 7-bit ASCII/);
  assert.match((await problem([{ type: "url", value: "https://a.example/x\ny" }])) ?? "accepted", /SAN URI "https:\/\/a\.example\/x\\x0ay" holds bytes outside/);
  assert.match((await problem([{ type: "email", value: "a\u007f@b.example" }])) ?? "accepted", /SAN rfc822Name "a\\x7f@b\.example"/);
  // a later name is checked too, not only the one the library reports
  assert.match((await problem([{ type: "url", value: "https://ok.example" }, { type: "dns", value: "\u00e1.example" }])) ?? "accepted", /SAN dNSName/);
  assert.deepEqual(certificateIdentity(await selfSigned([{ type: "url", value: "https://ok.example/a b" }, { type: "upn", value: "agent" }])), { san: "https://ok.example/a b" });
  assert.deepEqual(certificateIdentity(await selfSigned([])), { san: undefined });
});
