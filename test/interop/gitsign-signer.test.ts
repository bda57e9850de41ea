// The tests' gitsign-compatible signer (test/support/gitsign-signer.ts) against agent-gate's commit verifier: what it
// signs is laid out as gitsign lays it out (checked against a real offline-mode gitsign commit of fixtures/gitsign),
// verifies against the world's trusted root, and an edited message, a moved signature or a missing Rekor entry fail.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ASN1Obj } from "@sigstore/core";
import { commitTrustMaterial, parseCms, splitSignedCommit, verifyGitsignCommit } from "../../src/adapters/sigstore/gitsign.js";
import type { CommitVerification } from "../../src/adapters/sigstore/gitsign.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { commitSha, gitsignCommit, rawCommit, withGpgsigHeader } from "../support/gitsign-signer.js";

let world: TestSigstore;
const ISSUER = "https://accounts.google.com";
const IDENTITY = "agent@example.test";
const verify = (commit: Buffer, identity = IDENTITY, issuer = ISSUER): CommitVerification =>
  verifyGitsignCommit({ commit, signer: { kind: "certificate", identity, issuer }, trust: commitTrustMaterial(world.trustedRoot) });

before(async () => {
  world = await createTestSigstore();
});

const unsigned = (message = "Add the widget\n\nAgent: claude-code\n"): Buffer => rawCommit({ parents: ["a283a6f3a15bb0f4544c36f1a6329c78f1403d45"], when: world.now, message });

test("a commit signed like gitsign's offline mode verifies, bound to its payload and Rekor entry", async () => {
  const commit = unsigned();
  const s = await gitsignCommit(world, commit);
  const r = verify(s.signedCommit);
  assert.ok(r.ok, r.ok ? "" : `${r.code}: ${r.message}`);
  assert.equal(r.signer.identity, IDENTITY);
  assert.equal(r.tlogEntry.logIndex, s.tlogEntry!.logIndex);
  assert.equal(r.tlogEntry.integratedTime, world.now.toISOString().replace(/\.\d{3}Z$/, ".000Z"));
  // git's split gives back exactly the bytes that were signed
  const split = splitSignedCommit(s.signedCommit);
  assert.ok(!("error" in split));
  assert.ok(split.payload.equals(commit));
  assert.equal(split.signature, s.pem);
  assert.equal(s.sha, commitSha(s.signedCommit));
});

test("an e-mail or a workflow identity, with its issuer, is what the certificate says", async () => {
  const uri = "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main";
  const s = await gitsignCommit(world, unsigned(), { san: { uri } });
  const r = verify(s.signedCommit, uri, "https://token.actions.githubusercontent.com");
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(verify(s.signedCommit).ok, false);
});

test("the message edited after signing fails with CONTENT_MISMATCH", async () => {
  const s = await gitsignCommit(world, unsigned());
  const edited = Buffer.from(s.signedCommit.toString("utf8").replace("Add the widget", "Add the gadget"));
  const r = verify(edited);
  assert.ok(!r.ok && r.code === "CONTENT_MISMATCH", JSON.stringify(r));
});

test("the signature moved onto another commit fails with CONTENT_MISMATCH", async () => {
  const s = await gitsignCommit(world, unsigned());
  const moved = withGpgsigHeader(unsigned("Another change by the same signer\n"), s.pem);
  const r = verify(moved);
  assert.ok(!r.ok && r.code === "CONTENT_MISMATCH", JSON.stringify(r));
});

test("online mode (no embedded Rekor entry) fails offline with NO_SIGNED_TIME", async () => {
  const s = await gitsignCommit(world, unsigned(), { rekor: "none" });
  const r = verify(s.signedCommit);
  assert.ok(!r.ok && r.code === "NO_SIGNED_TIME", JSON.stringify(r));
});

test("another world's trusted root does not accept it", async () => {
  const s = await gitsignCommit(world, unsigned());
  const other = await createTestSigstore({ name: "elsewhere.test" });
  const r = verifyGitsignCommit({ commit: s.signedCommit, signer: { kind: "certificate", identity: IDENTITY, issuer: ISSUER }, trust: commitTrustMaterial(other.trustedRoot) });
  assert.ok(!r.ok && r.code === "CERTIFICATE_CHAIN_INVALID", JSON.stringify(r));
});

test("the CMS has the layout of a real offline-mode gitsign signature (fixtures/gitsign case 01)", async () => {
  // tags and OIDs of the whole structure, except inside the certificates (/1/0/3), which differ per signer
  const shape = (der: Buffer): string[] => {
    const out: string[] = [];
    const walk = (o: ASN1Obj, path: string): void => {
      out.push(`${path} tag=${o.tag.number}${o.tag.isOID() ? ` ${o.toOID()}` : ""}`);
      if (path !== "/1/0/3" && !o.tag.isOctetString()) o.subs.forEach((s, i) => walk(s, `${path}/${i}`));
    };
    walk(ASN1Obj.parseBuffer(der as Buffer<ArrayBuffer>), "");
    return out;
  };
  const real = splitSignedCommit(readFileSync("fixtures/gitsign/01-offline-google-2026/commit"));
  assert.ok(!("error" in real));
  const realDer = Buffer.from(real.signature.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
  const ours = await gitsignCommit(world, unsigned());
  // the SignerInfo's issuer name (/1/0/4/0/1/0) is the test CA's, with other attributes than Fulcio's
  const comparable = (lines: string[]): string[] => lines.filter((l) => !l.startsWith("/1/0/4/0/1/0/"));
  assert.deepEqual(comparable(shape(ours.cms)), comparable(shape(realDer)));
  const [a, b] = [parseCms(ours.cms), parseCms(realDer)];
  assert.deepEqual(
    a.unsigned.map((u) => u.oid),
    b.unsigned.map((u) => u.oid),
  );
  assert.equal(a.certificates.length, b.certificates.length);
});
