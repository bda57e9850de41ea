// ca-path.ts joins a leaf to issuer-to-root links built once per CA and checks SCTs over a spliced precertificate;
// der-view.ts slices certificates without re-encoding. Each must decide exactly as @sigstore/verify's own
// CertificateChainVerifier and verifySCTs do (the reference here), on real public-good leaves, the tests' own
// Sigstore and hand-made edge cases: same path, same SCT logs, or both refuse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, webcrypto } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { X509Certificate as CoreCertificate, EXTENSION_OID_SCT } from "@sigstore/core";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import type { TrustMaterial } from "@sigstore/verify";
import { leafBytes, leafPath, verifiedSctLogs } from "../../../src/adapters/sigstore/ca-path.js";
import { certificateBytes, publicKeyFromSpki } from "../../../src/adapters/sigstore/der-view.js";
import { fulcioExtensions } from "../../../src/adapters/sigstore/extensions.js";
import { certificatePath, verifySCTs } from "../../../src/adapters/sigstore/verify-internals.js";
import { createTestSigstore } from "../../support/sigstore/index.js";
import type { TrustedRootJson } from "../../support/sigstore/index.js";
import { selfSignedCa, subordinateCa } from "../../support/sigstore/fulcio.js";
import type { CaCert } from "../../support/sigstore/fulcio.js";
import { ecKeyPair } from "../../support/sigstore/keys.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const CASES = "fixtures/sigstore/cases";
type CaEntry = TrustMaterial["certificateAuthorities"][number];

const hex = (certs: readonly CoreCertificate[]): string[] => certs.map((c) => Buffer.from(c.root.toDER()).toString("hex"));
function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: fn() };
  } catch {
    return { ok: false };
  }
}
const parse = (der: Buffer): CoreCertificate => CoreCertificate.parse(Buffer.from(der));
const trust = (root: unknown): TrustMaterial => toTrustMaterial(TrustedRoot.fromJSON(root));
const ca = (chain: readonly Buffer[]): CaEntry => ({ certChain: chain.map((d) => parse(d)) }) as unknown as CaEntry;

/** Our path and SCT logs against the library's, for every CA of the trust material; returns how many CAs issued the leaf. */
function sameAsLibrary(tm: Pick<TrustMaterial, "certificateAuthorities" | "ctlogs">, der: Buffer, what: string): number {
  let issued = 0;
  for (const [i, entry] of tm.certificateAuthorities.entries()) {
    const lib = outcome(() => certificatePath(entry.certChain, parse(der)));
    const leaf = { cert: parse(der), der, bytes: leafBytes(der) };
    const ours = outcome(() => leafPath(entry, leaf));
    assert.equal(ours.ok, lib.ok, `${what}, CA ${i}: the library ${lib.ok ? "builds" : "refuses"} a path, ours ${ours.ok ? "builds" : "refuses"} one`);
    if (!ours.ok || !lib.ok) continue;
    issued++;
    assert.deepEqual(hex(ours.value), hex(lib.value), `${what}, CA ${i}: another path`);
    if (lib.value.length < 2) continue;
    const libScts = outcome(() => verifySCTs(lib.value[0]!, lib.value[1]!, tm.ctlogs).map((id) => id.toString("hex")));
    const ourScts = outcome(() => verifiedSctLogs(leaf, ours.value[1]!, tm.ctlogs).map((id) => id.toString("hex")));
    assert.deepEqual(ourScts, libScts, `${what}, CA ${i}: other SCT results`);
  }
  return issued;
}

const leafOf = (bundle: { verificationMaterial: { certificate?: { rawBytes: string }; x509CertificateChain?: { certificates: { rawBytes: string }[] } } }): Buffer | undefined => {
  const b64 = bundle.verificationMaterial.certificate?.rawBytes ?? bundle.verificationMaterial.x509CertificateChain?.certificates[0]?.rawBytes;
  return b64 === undefined ? undefined : Buffer.from(b64, "base64");
};

test("every certificate of the real bundles gets the library's path and SCT verdict under every CA of its root", () => {
  let leaves = 0;
  for (const id of readdirSync(CASES).sort()) {
    const c = JSON.parse(readFileSync(join(CASES, id, "case.json"), "utf8")) as { bundle: string; trustedRoot: string };
    const bundle = JSON.parse(readFileSync(join(CASES, id, c.bundle), "utf8")) as Parameters<typeof leafOf>[0];
    const der = leafOf(bundle);
    if (der === undefined) continue;
    const tm = trust(JSON.parse(readFileSync(join(CASES, id, c.trustedRoot), "utf8")));
    sameAsLibrary(tm, der, id);
    // and against the production root, whose several CAs mostly did not issue it
    sameAsLibrary(trust(JSON.parse(readFileSync("trust/sigstore-production.json", "utf8"))), der, `${id} (production root)`);
    leaves++;
  }
  assert.ok(leaves >= 25, `expected the keyless cases, got ${leaves}`);
});

test("the tests' own Sigstore: leaves, the CA certificates as leaves, another world's leaf, a bad signature, a bad SCT", async () => {
  const world = await createTestSigstore();
  const other = await createTestSigstore(); // same CA names, other keys
  const tm = trust(world.trustedRoot);
  const signed = await world.sign({ payload: { kind: "message", artifact: Buffer.from("x") } });
  const [leaf, intermediate, root] = signed.chain!;
  assert.equal(sameAsLibrary(tm, leaf!, "a leaf"), 1);
  sameAsLibrary(tm, intermediate!, "the intermediate as a leaf");
  sameAsLibrary(tm, root!, "the root as a leaf");
  const stranger = (await other.sign({ payload: { kind: "message", artifact: Buffer.from("x") } })).chain![0]!;
  assert.equal(sameAsLibrary(tm, stranger, "another world's leaf"), 0);
  const badSig = Buffer.from(leaf!);
  badSig[badSig.length - 2]! ^= 1;
  assert.equal(sameAsLibrary(tm, badSig, "a leaf with a broken signature"), 0);
  const noSct = (await world.sign({ payload: { kind: "message", artifact: Buffer.from("x") }, signWith: { kind: "keyless", withSct: false } })).chain![0]!;
  assert.equal(sameAsLibrary(tm, noSct, "a leaf without SCTs"), 1);
  // the CT log's key swapped for another under the same log id, and its window moved past the SCT: both refuse the SCT
  const swapped = structuredClone(world.trustedRoot) as TrustedRootJson & { ctlogs: { publicKey: { rawBytes: string; validFor: { start: string; end?: string } } }[] };
  swapped.ctlogs[0]!.publicKey.rawBytes = (await ecKeyPair("P-256")).spki.toString("base64");
  assert.equal(sameAsLibrary(trust(swapped), leaf!, "an SCT under a swapped CT key"), 1);
  assert.throws(() => verifiedSctLogs({ cert: parse(leaf!), der: leaf!, bytes: leafBytes(leaf!) }, parse(intermediate!), trust(swapped).ctlogs), /SCT verification failed/);
  const moved = structuredClone(world.trustedRoot) as typeof swapped;
  moved.ctlogs[0]!.publicKey.validFor = { start: new Date(Date.now() + 86_400_000).toISOString() };
  assert.equal(sameAsLibrary(trust(moved), leaf!, "an SCT outside its log's window"), 1);
});

async function leafUnder(issuer: CaCert, opts: { aki?: boolean; selfSigned?: boolean; extensions?: x509.Extension[] } = {}): Promise<Buffer> {
  const key = await ecKeyPair("P-256");
  const extensions: x509.Extension[] = [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), new x509.SubjectAlternativeNameExtension([{ type: "url", value: "https://example.test/leaf" }]), ...(opts.extensions ?? [])];
  if (opts.aki !== false) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.key.crypto.publicKey));
  const now = Date.now();
  const cert = opts.selfSigned
    ? await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: "01", name: issuer.subject, notBefore: new Date(now - 60_000), notAfter: new Date(now + 600_000), signingAlgorithm: { name: "ECDSA", hash: "SHA-256" }, keys: key.crypto, extensions })
    : await x509.X509CertificateGenerator.create({ serialNumber: "02", subject: "CN=leaf", issuer: issuer.subject, notBefore: new Date(now - 60_000), notAfter: new Date(now + 600_000), signingAlgorithm: { name: "ECDSA", hash: "SHA-384" }, publicKey: key.crypto.publicKey, signingKey: issuer.key.crypto.privateKey, extensions });
  return Buffer.from(cert.rawData);
}

test("hand-made chains: no key identifier, a self-signed leaf, a path too long, a CA without its root, two CAs by the same name", async () => {
  const now = Date.now();
  const root = await selfSignedCa("CN=root,O=edge", new Date(now - 86_400_000), new Date(now + 86_400_000));
  const mid = await subordinateCa("CN=mid,O=edge", root, new Date(now - 86_400_000), new Date(now + 86_400_000)); // path length 0
  const deep = await subordinateCa("CN=deep,O=edge", mid, new Date(now - 86_400_000), new Date(now + 86_400_000));
  const twin = await subordinateCa("CN=mid,O=edge", root, new Date(now - 86_400_000), new Date(now + 86_400_000)); // same name, other key
  const tm = { ctlogs: [], certificateAuthorities: [ca([mid.der, root.der]), ca([deep.der, mid.der, root.der]), ca([mid.der]), ca([twin.der, mid.der, root.der])] };
  assert.ok(sameAsLibrary(tm, await leafUnder(mid), "a leaf of mid") >= 2);
  assert.ok(sameAsLibrary(tm, await leafUnder(mid, { aki: false }), "a leaf of mid without an authority key id (matched by name)") >= 2);
  assert.equal(sameAsLibrary(tm, await leafUnder(deep), "a leaf below a CA of path length 0"), 0);
  assert.equal(sameAsLibrary(tm, await leafUnder(mid, { selfSigned: true }), "a self-signed leaf named like its CA"), 0);
  assert.ok(sameAsLibrary(tm, await leafUnder(twin), "a leaf of the twin CA") >= 1);
  assert.ok(sameAsLibrary(tm, await leafUnder(twin, { aki: false }), "a leaf of the twin CA without an authority key id") >= 1);
});

test("der-view: the precertificate TBS is the library's re-encoded one; the TBS and key are the signed bytes; non-DER is refused", async () => {
  const world = await createTestSigstore();
  const der = (await world.sign({ payload: { kind: "message", artifact: Buffer.from("x") } })).chain![0]!;
  const real = leafOf(JSON.parse(readFileSync(join(CASES, "c04-msg-v0.3-happy", "bundle.sigstore.json"), "utf8")) as Parameters<typeof leafOf>[0])!;
  for (const d of [der, real]) {
    const clone = parse(d);
    clone.extensions.splice(clone.extensions.findIndex((e) => e.subs[0]!.toOID() === EXTENSION_OID_SCT), 1);
    const bytes = certificateBytes(d);
    assert.deepEqual(bytes.precertTbs(), clone.tbsCertificate.toDER());
    assert.deepEqual(bytes.tbs, parse(d).tbsCertificate.toDER());
    assert.deepEqual(bytes.spki, parse(d).publicKey);
  }
  const noSct = (await world.sign({ payload: { kind: "message", artifact: Buffer.from("x") }, signWith: { kind: "keyless", withSct: false } })).chain![0]!;
  assert.equal(certificateBytes(noSct).precertTbs(), undefined);
  // a long-form length where the short form fits, a truncated certificate, trailing bytes
  const longForm = Buffer.concat([Buffer.from([0x30, 0x81, 0x03]), Buffer.from([0x02, 0x01, 0x01])]);
  assert.throws(() => certificateBytes(longForm), /minimally/);
  assert.throws(() => certificateBytes(der.subarray(0, der.length - 1)), /overruns|truncated/);
  assert.throws(() => certificateBytes(Buffer.concat([der, Buffer.from([0])])), /one SEQUENCE/);
  assert.equal(leafBytes(longForm), undefined);
});

test("publicKeyFromSpki imports the very key the DER names: EC as JWK, anything else as it is; an off-curve point is refused", () => {
  for (const namedCurve of ["P-256", "P-384", "P-521"]) {
    const spki = generateKeyPairSync("ec", { namedCurve }).publicKey.export({ format: "der", type: "spki" });
    assert.deepEqual(publicKeyFromSpki(spki).export({ format: "der", type: "spki" }), spki, namedCurve);
  }
  for (const k of [generateKeyPairSync("ed25519").publicKey, generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey]) {
    const spki = k.export({ format: "der", type: "spki" });
    assert.deepEqual(publicKeyFromSpki(spki).export({ format: "der", type: "spki" }), spki);
  }
  // a compressed point goes the DER way and names the same key
  const full = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
  const jwk = full.export({ format: "jwk" });
  const y = Buffer.from(jwk.y!, "base64url");
  const compressed = Buffer.concat([Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex"), Buffer.from([2 + (y[31]! & 1)]), Buffer.from(jwk.x!, "base64url")]);
  assert.deepEqual(publicKeyFromSpki(compressed).export({ format: "jwk" }), jwk);
  // a point off the curve: refused by either import
  const spki = full.export({ format: "der", type: "spki" });
  const off = Buffer.from(spki);
  off[off.length - 1]! ^= 1;
  assert.throws(() => publicKeyFromSpki(off));
  assert.throws(() => createPublicKey({ key: off, format: "der", type: "spki" }));
});

test("Fulcio extensions: the exact OID only (1.3.6.1.4.1.57264.1.1.0 is not the issuer), the first of repeats, in number order", async () => {
  const now = Date.now();
  const root = await selfSignedCa("CN=root,O=ext", new Date(now - 86_400_000), new Date(now + 86_400_000));
  const raw = (v: string): ArrayBuffer => new Uint8Array(Buffer.from(v)).buffer;
  const der = await leafUnder(root, { extensions: [new x509.Extension("1.3.6.1.4.1.57264.1.1.0", false, raw("https://evil.test")), new x509.Extension("1.3.6.1.4.1.57264.1.2", false, raw("push")), new x509.Extension("1.3.6.1.4.1.57264.1.2", false, raw("pull_request"))] });
  assert.deepEqual(fulcioExtensions(parse(der)), { githubWorkflowTrigger: "push" });
  // named in the order of their numbers, whatever the certificate's order (check runs and snapshots show them so)
  const shuffled = await leafUnder(root, { extensions: [new x509.Extension("1.3.6.1.4.1.57264.1.6", false, raw("refs/heads/main")), new x509.Extension("1.3.6.1.4.1.57264.1.2", false, raw("push"))] });
  assert.deepEqual(Object.keys(fulcioExtensions(parse(shuffled))), ["githubWorkflowTrigger", "githubWorkflowRef"]);
});
