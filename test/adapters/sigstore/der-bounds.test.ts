// DER an outsider controls (a gitsign CMS, a bundle's leaf certificate, an RFC 3161 token) is read by der.ts's one
// linear reader, never by @sigstore/core's ASN1Obj.parseBuffer, which guesses inside every OCTET STRING (exponential
// on 138 crafted bytes), recurses per level (a stack overflow near 10,000) and re-encodes per level (quadratic).
// Each test counts work (elements read, library parses, bytes the library re-encodes), never time: the timings are
// rows of `npm run bench -- hostile`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { ASN1Obj } from "@sigstore/core";
import { MAX_DER_DEPTH, MAX_DER_ELEMENTS, readDer } from "../../../src/adapters/sigstore/der.js";
import type { DerNode } from "../../../src/adapters/sigstore/der.js";
import { commitTrustMaterial, parseCms, verifyGitsignPayload } from "../../../src/adapters/sigstore/gitsign.js";
import { checkTimestampToken } from "../../../src/adapters/sigstore/tsa-strict.js";
import { createVerifier } from "../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy } from "../../../src/adapters/sigstore/verifier.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../../support/sigstore/index.js";
import { copy, expectFailure, expectVerified } from "../../support/sigstore/tamper.js";
import { cmsPem, expBomb, nested, octetBomb, tlv } from "../../support/der-bombs.js";

/** Runs `fn` counting the library's DER work: parseBuffer calls and the bytes its toDER() produces (each level counts). */
function libraryWork<T>(fn: () => T): { result: T; parses: number; reencoded: number } {
  const lib = ASN1Obj as unknown as { parseBuffer: (b: Buffer) => ASN1Obj };
  const parse = lib.parseBuffer;
  const proto = ASN1Obj.prototype as unknown as { toDER: (this: ASN1Obj) => Buffer };
  const toDER = proto.toDER;
  const count = { parses: 0, reencoded: 0 };
  lib.parseBuffer = (b) => {
    count.parses++;
    return parse.call(ASN1Obj, b);
  };
  proto.toDER = function (this: ASN1Obj): Buffer {
    const out = toDER.call(this);
    count.reencoded += out.length;
    return out;
  };
  try {
    return { result: fn(), ...count };
  } finally {
    lib.parseBuffer = parse;
    proto.toDER = toDER;
  }
}
const size = (n: DerNode): number => 1 + n.subs.reduce((s, c) => s + size(c), 0);
const depth = (n: DerNode): number => 1 + Math.max(0, ...n.subs.map(depth));

const trust = commitTrustMaterial(JSON.parse(readFileSync("fixtures/gitsign/trusted_root.json", "utf8")));
const payload = Buffer.from("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nc\n");

test("a gitsign signature whose certificate is 10,000 nested OCTET STRINGs (62 KB) is SIGNATURE_MALFORMED, read once, never by the library's parser", () => {
  const bomb = octetBomb(10_000, 6_000);
  const signature = cmsPem(bomb);
  assert.ok(signature.length < 64 * 1024);
  const { result: r, parses, reencoded } = libraryWork(() => verifyGitsignPayload({ payload, signature, trust }));
  assert.ok(!r.ok && r.code === "SIGNATURE_MALFORMED", JSON.stringify(r));
  assert.match(r.message, /a certificate in the CMS does not parse: DER: a certificate is not SEQUENCE/);
  assert.deepEqual({ parses, reencoded }, { parses: 0, reencoded: 0 });
  // opened as a certificate's OCTET STRINGs are: read to the depth cap and no further, then left opaque
  const opened = readDer(bomb, { openOctetStrings: true });
  assert.equal(opened.elements, MAX_DER_DEPTH + 1);
  assert.equal(depth(opened.root), MAX_DER_DEPTH);
  // as the CMS reads it: one opaque element
  assert.equal(readDer(bomb).elements, 1);
});

test("OCTET STRINGs whose guessed content runs past them (the library's exponential case) are read once each", () => {
  for (const k of [16, 22, 200]) {
    const bomb = expBomb(k);
    assert.equal(readDer(bomb).elements, k + 2); // the SEQUENCE, k OCTET STRINGs, the NULL
    const opened = readDer(bomb, { openOctetStrings: true });
    assert.equal(opened.elements, k + 2); // each guess fails at its first header: the OCTET STRING stays opaque
    assert.equal(size(opened.root), k + 2);
  }
});

test("the RFC 3161 canonical check re-encodes nothing and reads each element once; a wide token stops at the element cap", async () => {
  const world = await createTestSigstore();
  const signed = await world.sign({ payload: { kind: "message", artifact: Buffer.from("a\n") }, rekor: "v2" });
  const token = Buffer.from(signed.bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0]!.signedTimestamp, "base64");
  const genuine = libraryWork(() => checkTimestampToken(token));
  assert.deepEqual(genuine, { result: undefined, parses: 0, reencoded: 0 });
  const tree = readDer(token);
  assert.equal(tree.elements, size(tree.root), "each element read once");
  // opened, a guess inside an OCTET STRING (its signature's random bytes) may read a few headers and give up: still
  // no byte is read twice, and every element takes at least 2 bytes
  const opened = readDer(token, { openOctetStrings: true });
  assert.ok(opened.elements >= size(opened.root) && opened.elements <= token.length / 2, `${opened.elements} elements read`);

  // 400 KB of NULLs in one SEQUENCE: refused after MAX_DER_ELEMENTS, whatever the size
  const flat = (n: number): Buffer => tlv(0x30, Buffer.from("0500".repeat(n), "hex"));
  const wide = libraryWork(() => checkTimestampToken(flat(200_000)));
  assert.match(wide.result ?? "", /more than 10000 elements/);
  assert.deepEqual([wide.parses, wide.reencoded], [0, 0]);
  assert.throws(() => readDer(flat(1_600_000)), new RegExp(`more than ${MAX_DER_ELEMENTS} elements`));
  // 3 MB under the cap: the work is its 5,001 elements, not its bytes times its depth
  const big = tlv(0x30, Buffer.concat(Array.from({ length: 5_000 }, () => tlv(0x04, Buffer.alloc(600, 0xff)))));
  assert.equal(readDer(big, { openOctetStrings: true }).elements, 5_001);
  assert.deepEqual(libraryWork(() => checkTimestampToken(big)).reencoded, 0);
  // still canonical DER only: a long-form length that fits the short form is refused
  assert.match(checkTimestampToken(Buffer.from([0x30, 0x81, 0x03, 0x02, 0x01, 0x00])) ?? "", /not canonical DER: .*not minimally encoded/);
  assert.match(checkTimestampToken(Buffer.concat([token, Buffer.from([0x05, 0x00])])) ?? "", /2 bytes after the element/);
});

test("100,000 levels of nesting are refused by depth or left opaque, never a stack overflow", () => {
  const seqs = nested(0x30, 100_000);
  assert.throws(() => parseCms(seqs), /nested deeper than 32 levels/);
  assert.match(checkTimestampToken(seqs) ?? "", /nested deeper than 32 levels/);
  const octets = octetBomb(100_000, 4);
  assert.equal(readDer(octets).elements, 1);
  assert.equal(readDer(octets, { openOctetStrings: true }).elements, MAX_DER_DEPTH + 1);
  assert.match(checkTimestampToken(tlv(0x30, octets)) ?? "", /TimeStampResp/);
  assert.throws(() => parseCms(Buffer.from(cmsPem(octets).split("\n").slice(1, -2).join(""), "base64")), /a certificate in the CMS does not parse/);
});

test("a bundle's leaf certificate or timestamp token built to sink the library's parser is a coded failure, never parsed by it", async () => {
  const world = await createTestSigstore();
  const artifact = Buffer.from("the artifact\n");
  const keyless: SignerPolicy = { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
  const signed = await world.sign({ payload: { kind: "message", artifact }, rekor: "v2" });
  const v = createVerifier({ trustedRoot: world.trustedRoot, verdictCacheSize: 0 });
  const verify = (b: unknown) => libraryWork(() => v.verify({ bundle: b, subject: { kind: "artifact", bytes: artifact }, signer: keyless }));
  const genuine = verify(signed.bundle);
  expectVerified(genuine.result);
  assert.equal(genuine.parses, 0);

  type Material = { certificate: { rawBytes: string }; timestampVerificationData: { rfc3161Timestamps: { signedTimestamp: string }[] } };
  const withLeaf = (der: Buffer) => {
    const b = copy(signed.bundle);
    (b.verificationMaterial as unknown as Material).certificate.rawBytes = der.toString("base64");
    return b;
  };
  for (const [leaf, why] of [
    [expBomb(16), /a certificate is not SEQUENCE/],
    [nested(0x30, 15_000), /nested deeper than 32 levels/],
    [octetBomb(100_000, 4), /a certificate of \d+ bytes; expected at most 65536/],
  ] as const) {
    const out = verify(withLeaf(leaf));
    expectFailure(out.result, "BUNDLE_MALFORMED");
    assert.match(out.result.ok ? "" : out.result.message, why);
    assert.equal(out.parses, 0);
  }
  const b = copy(signed.bundle);
  (b.verificationMaterial as unknown as Material).timestampVerificationData.rfc3161Timestamps[0]!.signedTimestamp = tlv(0x30, octetBomb(100_000, 4)).toString("base64");
  const out = verify(b);
  expectFailure(out.result, "TIMESTAMP_INVALID");
  assert.deepEqual([out.parses, out.reencoded], [0, 0]);
});
