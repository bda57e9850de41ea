// Bundles found on a pull request are verified once per distinct bundle, once for all trusted signers, and at most
// MAX_BUNDLES_PER_EVALUATION of them: a stranger's comment repeating a bundle costs one verification, and bundles past
// the bound are failures with their own code, never dropped and never a pass. Work is counted, never timed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import type { BundleVerifier, SignerPolicy } from "../../src/adapters/sigstore/verifier.js";
import { EvidenceVerifier, MAX_BUNDLES_PER_EVALUATION, evidenceSigners } from "../../src/app/evidence.js";
import { defaultRepoConfig, type RepoConfig } from "../../src/config/repo-config.js";
import type { FoundBundle } from "../../src/core/facts.js";
import { failure } from "../../src/core/verification.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../support/sigstore/index.js";

const world = await createTestSigstore();
const keyless: SignerPolicy = { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
const strangers: SignerPolicy[] = Array.from({ length: 5 }, (_, i) => ({ kind: "certificate", identity: `https://github.com/acme/other/.github/workflows/w${i}.yml@refs/heads/main`, issuer: DEFAULT_ISSUER }));
const commit = (i: number): string => createHash("sha1").update(`commit ${i}`).digest("hex");

async function bundleFor(i: number): Promise<string> {
  const statement = { subjects: [{ name: "commit", digest: { gitCommit: commit(i) } }], predicateType: "https://agent-gate.dev/provenance/v1", predicate: { agent: "test" } };
  return JSON.stringify((await world.sign({ payload: { kind: "dsse", statement } })).bundle);
}
const found = (jsons: readonly string[]): FoundBundle[] => jsons.map((json, index) => ({ json, location: { kind: "pr-comment", commentId: 1 }, index }));
const fresh = () => createVerifier({ trustedRoot: world.trustedRoot, verdictCacheSize: 0 });
const digest = (s: string): string => createHash("sha256").update(s).digest("hex");

const genuine = await bundleFor(0);

test("the genuine bundle verifies through the evidence verifier", () => {
  const ev = new EvidenceVerifier(fresh()).verifyAll(found([genuine]), [keyless]);
  assert.equal(ev.verified.length, 1);
  assert.deepEqual(ev.failed, []);
  assert.equal(ev.verified[0]!.statement?.subject[0]?.digest.gitCommit, commit(0));
});

test("3,000 copies of one bundle in the found bundles cost one verification", () => {
  const v = fresh();
  const ev = new EvidenceVerifier(v).verifyAll(found(Array.from({ length: 3000 }, () => genuine)), [keyless]);
  assert.equal(v.workStats().bundles, 1);
  assert.equal(v.workStats().signatureVerifications, 1);
  assert.equal(ev.verified.length, 1, "one entry per distinct bundle");
  assert.equal(ev.failed.length, 0);
});

test("3,000 copies of a bundle no trusted signer made cost one parse and no cryptography, and fail once", () => {
  const v = fresh();
  const ev = new EvidenceVerifier(v).verifyAll(found(Array.from({ length: 3000 }, () => genuine)), strangers);
  const w = v.workStats();
  assert.deepEqual([w.bundles, w.signatureVerifications, w.chainVerifications, w.timestampVerifications, w.tlogVerifications], [1, 0, 0, 0, 0]);
  assert.equal(ev.failed.length, 1);
  assert.equal(ev.failed[0]!.failure.code, "IDENTITY_MISMATCH");
  assert.match(ev.failed[0]!.failure.message, /none of the 5 trusted signers matched/);
  assert.deepEqual(ev.failed[0]!.claimedCommits, [commit(0)]);
});

test("a bundle is verified once for all trusted signers, whichever place its signer has in the list", () => {
  const v = fresh();
  const ev = new EvidenceVerifier(v).verifyAll(found([genuine]), [...strangers, keyless]);
  assert.equal(ev.verified.length, 1);
  assert.deepEqual([v.workStats().bundles, v.workStats().signatureVerifications], [1, 1]);
});

test("distinct bundles over the cap fail with VERIFICATION_BUDGET_EXCEEDED: none dropped, none verified, none passed", async () => {
  const jsons = [genuine, await bundleFor(1), await bundleFor(2), await bundleFor(3)];
  const v = fresh();
  const ev = new EvidenceVerifier(v, { maxBundles: 2 }).verifyAll(found([...jsons, ...jsons, ...jsons]), [keyless]);
  assert.equal(v.workStats().bundles, 2);
  assert.deepEqual(ev.verified.map((b) => b.bundleDigest), jsons.slice(0, 2).map(digest));
  assert.deepEqual(ev.failed.map((f) => [f.bundleDigest, f.failure.code]), jsons.slice(2).map((j) => [digest(j), "VERIFICATION_BUDGET_EXCEEDED"]));
  assert.match(ev.failed[0]!.failure.message, /carries 4 distinct provenance bundles and at most 2 are verified/);
  assert.deepEqual(ev.failed.map((f) => f.claimedCommits), [[commit(2)], [commit(3)]]);
});

test(`the default cap is ${MAX_BUNDLES_PER_EVALUATION} distinct bundles: more than a pull request's 250 listed commits`, () => {
  assert.ok(MAX_BUNDLES_PER_EVALUATION >= 250);
  const calls: number[] = [];
  const counting: BundleVerifier = { verify: () => (calls.push(1), failure("BUNDLE_MALFORMED", "stand-in")) };
  const ev = new EvidenceVerifier(counting).verifyAll(found(Array.from({ length: 300 }, (_, i) => `{"n":${i}}`)), [keyless]);
  assert.equal(calls.length, MAX_BUNDLES_PER_EVALUATION);
  assert.equal(ev.failed.length, 300);
  assert.equal(ev.failed.filter((f) => f.failure.code === "VERIFICATION_BUDGET_EXCEEDED").length, 300 - MAX_BUNDLES_PER_EVALUATION);
});

test("a stand-in verifier without verifyAny is asked once per signer and the most specific failure is kept", () => {
  const seen: string[] = [];
  const standIn: BundleVerifier = {
    verify: (req) => {
      const id = req.signer.kind === "certificate" && "identity" in req.signer ? req.signer.identity : "";
      seen.push(id);
      return id === DEFAULT_IDENTITY ? failure("SIGNATURE_INVALID", "bad signature") : failure("IDENTITY_MISMATCH", `not ${id}`);
    },
  };
  const ev = new EvidenceVerifier(standIn).verifyAll(found([genuine, genuine]), [strangers[0]!, keyless]);
  assert.equal(seen.length, 2, "copies once, each signer once");
  assert.equal(ev.failed[0]!.failure.code, "SIGNATURE_INVALID");
});

test("the App's signers: any certified identity plus the keys the repository's entries name; a named key missing from the key ring is a config problem", () => {
  const config = defaultRepoConfig();
  const withKeys = { ...config, rules: { ...config.rules, signers: { ...config.rules.signers, allowed: [{ key: "k1" }, { owner: "acme" }, { key: "gone" }] } } } as RepoConfig;
  const ring = new Map([["k1", "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----"]]);
  const { signers, problems } = evidenceSigners(withKeys, "acme/web", ring);
  assert.deepEqual(signers.map((s) => s.kind), ["any-certificate", "key"]);
  assert.deepEqual(problems, ['rules.signers: key "gone" is not in the App\'s trusted key ring']);
  assert.deepEqual(evidenceSigners(config, "acme/web", ring).signers, [{ kind: "any-certificate" }], "no entries: still any identity (the policy refuses it)");
});

test("a bundle signed by an identity no config lists verifies for any certified identity, with its signer's facts for the policy", () => {
  const ev = new EvidenceVerifier(fresh()).verifyAll(found([genuine]), [{ kind: "any-certificate" }]);
  assert.equal(ev.verified.length, 1);
  assert.equal(ev.verified[0]!.signer.identity, DEFAULT_IDENTITY);
  assert.equal(ev.verified[0]!.signer.issuer, DEFAULT_ISSUER);
  assert.match(ev.verified[0]!.signer.certificateFingerprint ?? "", /^[0-9a-f]{64}$/);
});

test("a bundle found only in strangers' comments is marked so (it never makes a commit an agent's); one copy elsewhere clears the mark", () => {
  const other = found([genuine]).map((b) => ({ ...b, fromStranger: true as const }));
  const v = fresh();
  const ev = new EvidenceVerifier(v).verifyAll([...other, ...other], [{ kind: "any-certificate" }]);
  assert.deepEqual([...(ev.fromStrangers ?? [])], [digest(genuine)]);
  assert.equal(v.workStats().bundles, 1);
  const mixed = new EvidenceVerifier(fresh()).verifyAll([...other, ...found([genuine])], [{ kind: "any-certificate" }]);
  assert.deepEqual([...(mixed.fromStrangers ?? [])], []);
});

test("distinct bundles found only in strangers' comments are verified up to their own cap; past it, failures (the agent's are not counted)", async () => {
  const jsons = [await bundleFor(11), await bundleFor(12), await bundleFor(13)];
  const strangers = jsons.map((json, index) => ({ json, location: { kind: "pr-comment" as const, commentId: 9 }, index, fromStranger: true as const }));
  const v = fresh();
  const ev = new EvidenceVerifier(v, { maxStrangerBundles: 2 }).verifyAll([...found([genuine]), ...strangers], [{ kind: "any-certificate" }]);
  assert.equal(v.workStats().bundles, 3, "the agent's bundle and two of the strangers'");
  assert.equal(ev.verified.length, 3);
  assert.deepEqual(ev.failed.map((f) => [f.bundleDigest, f.failure.code]), [[digest(jsons[2]!), "VERIFICATION_BUDGET_EXCEEDED"]]);
  assert.match(ev.failed[0]!.failure.message, /at most 2 of theirs are verified/);
});
