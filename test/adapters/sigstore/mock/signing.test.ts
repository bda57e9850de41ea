// The tests' own signing (test/support/sigstore: DSSE PAE, statements, bundle shapes, log requests) and the product's
// key signing: the tests' Sigstore must produce what real clients do, or the verifier tests prove nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { bundleFromJSON, isBundleWithCertificateChain, isBundleWithPublicKey } from "@sigstore/bundle";
import { dsse } from "@sigstore/core";
import { createKeySigner, generateSigningKey, keyHintOf } from "../../../../src/adapters/sigstore/signing/index.js";
import { BUNDLE_MEDIA_TYPES, assembleBundle } from "../../../support/sigstore/bundle.js";
import { signDsse, signMessage } from "../../../support/sigstore/content.js";
import { inTotoStatement, preAuthEncoding } from "../../../support/sigstore/dsse.js";
import { canonicalJson, rekorV1ProposedEntry, rekorV2Request, toPem } from "../../../support/sigstore/rekor-requests.js";

test("DSSE PAE matches the DSSE specification's example and @sigstore/core", () => {
  const pae = preAuthEncoding("http://example.com/HelloWorld", Buffer.from("hello world"));
  assert.equal(pae.toString(), "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  const payload = Buffer.from("ünïcode payload ✓");
  assert.deepEqual(preAuthEncoding("application/vnd.in-toto+json", payload), dsse.preAuthEncoding("application/vnd.in-toto+json", payload));
});

test("an in-toto statement carries the subjects, predicate type and predicate given, and refuses no subjects", () => {
  const st = JSON.parse(inTotoStatement({ subjects: [{ name: "a", digest: { sha256: "00".repeat(32) } }], predicateType: "https://example.com/p", predicate: { k: 1 } }).toString()) as Record<string, unknown>;
  assert.deepEqual(st, { _type: "https://in-toto.io/Statement/v1", subject: [{ name: "a", digest: { sha256: "00".repeat(32) } }], predicateType: "https://example.com/p", predicate: { k: 1 } });
  assert.throws(() => inTotoStatement({ subjects: [], predicateType: "p", predicate: {} }), /at least one statement subject/);
});

test("a key signer signs with ECDSA P-256 / SHA-256, hints by SPKI digest, and refuses other keys", () => {
  const { privateKeyPem, publicKeyPem } = generateSigningKey();
  const signer = createKeySigner(privateKeyPem);
  assert.equal(signer.publicKeyPem, publicKeyPem);
  assert.equal(signer.keyHint, keyHintOf(publicKeyPem));
  assert.match(signer.keyHint, /^[0-9a-f]{64}$/);
  const sig = signer.sign(Buffer.from("data"));
  assert.ok(verify("sha256", Buffer.from("data"), createPublicKey(publicKeyPem), sig));
  assert.equal(createKeySigner(privateKeyPem, { keyHint: "mine" }).keyHint, "mine");
  const ed = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  assert.throws(() => createKeySigner(ed), { name: "AgentGateError", code: "KEY_INVALID", message: /the private key is a key of type ed25519; expected an ECDSA P-256 \(prime256v1\) private key/ });
  const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  assert.throws(() => createKeySigner(p384, { source: "p384.pem" }), { name: "AgentGateError", code: "KEY_INVALID", message: /^the private key p384\.pem is a key of type ec on curve secp384r1; expected an ECDSA P-256/ });
  const corrupt = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
  assert.throws(() => createKeySigner(corrupt, { source: "bad.pem" }), { name: "AgentGateError", code: "KEY_INVALID", message: /^the private key bad\.pem does not parse \(.+\); expected a PEM EC P-256 private key/ });
});

test("bundles assemble in each version's shape and parse with @sigstore/bundle", () => {
  const signer = createKeySigner(generateSigningKey().privateKeyPem);
  const msg = signMessage(signer, Buffer.from("artifact"));
  const env = signDsse(signer, "application/vnd.in-toto+json", Buffer.from("{}"));
  const chain = [Buffer.from("leaf"), Buffer.from("intermediate")];
  const v03 = assembleBundle({ content: msg, key: { kind: "certificate", chain } });
  assert.equal(v03.mediaType, BUNDLE_MEDIA_TYPES["0.3"]);
  assert.deepEqual(v03.verificationMaterial.certificate, { rawBytes: Buffer.from("leaf").toString("base64") });
  const v01 = assembleBundle({ version: "0.1", content: env, key: { kind: "certificate", chain } });
  assert.equal(v01.verificationMaterial.x509CertificateChain?.certificates.length, 2);
  assert.ok(isBundleWithCertificateChain(bundleFromJSON(v01)));
  const keyed = assembleBundle({ content: env, key: { kind: "key", hint: signer.keyHint }, rfc3161Timestamps: [Buffer.from("ts")] });
  assert.ok(isBundleWithPublicKey(bundleFromJSON(keyed)));
  assert.equal(keyed.dsseEnvelope?.payloadType, "application/vnd.in-toto+json");
  assert.equal(keyed.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0]?.signedTimestamp, Buffer.from("ts").toString("base64"));
  assert.throws(() => assembleBundle({ content: msg, key: { kind: "certificate", chain: [] } }), /at least the leaf/);
});

test("log requests: hashedrekord/0.0.1 and dsse/0.0.1 for Rekor v1, hashedRekordRequestV002 and dsseRequestV002 for Rekor v2", () => {
  const signer = createKeySigner(generateSigningKey().privateKeyPem);
  const verifier = { kind: "key" as const, publicKeyPem: signer.publicKeyPem };
  const msg = signMessage(signer, Buffer.from("artifact"));
  const env = signDsse(signer, "application/vnd.in-toto+json", Buffer.from("{}"));
  const hr = rekorV1ProposedEntry(msg, verifier) as { kind: string; spec: { data: { hash: { value: string } }; signature: { publicKey: { content: string } } } };
  assert.equal(hr.kind, "hashedrekord");
  assert.equal(hr.spec.data.hash.value, msg.digest.toString("hex"));
  assert.equal(Buffer.from(hr.spec.signature.publicKey.content, "base64").toString(), signer.publicKeyPem);
  assert.equal(rekorV1ProposedEntry(env, verifier).kind, "dsse");
  assert.equal(rekorV1ProposedEntry(env, verifier, "intoto").apiVersion, "0.0.2");
  assert.deepEqual(Object.keys(rekorV2Request(msg, verifier)), ["hashedRekordRequestV002"]);
  assert.deepEqual(Object.keys(rekorV2Request(env, verifier)), ["dsseRequestV002"]);
  assert.match(toPem(Buffer.from("x"), "CERTIFICATE"), /^-----BEGIN CERTIFICATE-----\neA==\n-----END CERTIFICATE-----\n$/);
});

test("canonical JSON sorts keys, drops undefined and escapes like JSON", () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, "x\"y"], c: undefined, "é": { z: 1, y: 2 } }), '{"a":[true,null,"x\\"y"],"b":1,"é":{"y":2,"z":1}}');
});
