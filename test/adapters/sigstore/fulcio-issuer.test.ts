// The OIDC issuer of a Fulcio leaf: extension 1.3.6.1.4.1.57264.1.8 (a DER UTF8String), else the deprecated .1.1 (raw
// bytes). A .1.8 that is present but does not decode fails closed: it never falls back to the .1.1 value, which a
// certificate could otherwise carry to be read as another issuer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import "reflect-metadata"; // @peculiar/x509 needs the Reflect metadata polyfill before it loads
import * as x509 from "@peculiar/x509";
import { X509Certificate } from "@sigstore/core";
import { certificateIssuer, fulcioExtensions } from "../../../src/adapters/sigstore/extensions.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const GOOGLE = "https://accounts.google.com";
const utf8String = (s: string): Buffer => Buffer.concat([Buffer.from([0x0c, Buffer.byteLength(s)]), Buffer.from(s)]);

async function leaf(ext: { v2?: Buffer; v1?: Buffer }): Promise<X509Certificate> {
  const keys = (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]));
  const extensions = [
    ...(ext.v1 ? [new x509.Extension("1.3.6.1.4.1.57264.1.1", false, new Uint8Array(ext.v1))] : []),
    ...(ext.v2 ? [new x509.Extension("1.3.6.1.4.1.57264.1.8", false, new Uint8Array(ext.v2))] : []),
  ];
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: "01", name: "CN=leaf", notBefore: new Date(0), notAfter: new Date(4e12), keys, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" }, extensions });
  return X509Certificate.parse(Buffer.from(cert.rawData));
}

test("the v2 issuer wins over the deprecated v1 one; v1 alone is read; neither is no issuer", async () => {
  assert.deepEqual(certificateIssuer(await leaf({ v2: utf8String(GOOGLE), v1: Buffer.from("https://other.example") })), { issuer: GOOGLE });
  assert.deepEqual(certificateIssuer(await leaf({ v1: Buffer.from(GOOGLE) })), { issuer: GOOGLE });
  assert.deepEqual(certificateIssuer(await leaf({})), { issuer: undefined });
});

test("a present but malformed v2 issuer fails closed, never falling back to the v1 value", async () => {
  for (const bad of [Buffer.from([0x0c, 0x7f, 0x68]), Buffer.from(GOOGLE)]) {
    const cert = await leaf({ v2: bad, v1: Buffer.from(GOOGLE) });
    assert.equal(fulcioExtensions(cert).issuer, undefined, "the malformed value is not reported");
    assert.deepEqual(certificateIssuer(cert), { problem: "the certificate's OIDC issuer extension (1.3.6.1.4.1.57264.1.8) is malformed: expected a DER UTF8String" });
  }
});
