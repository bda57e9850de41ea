// A transparency log vouches for an entry only while its key is trusted (its validFor window): at the integrated time
// its SET signs, or, for an entry without a SET (Rekor v2, a v1 entry with a proof alone), at every signed time of the
// bundle (its RFC 3161 times). A log retired before the signing, or not yet trusted, vouches for nothing; the SET and
// the checkpoint are checked against the log valid then, not against another window of the same key.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createVerifier } from "../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, SubjectSpec } from "../../../src/adapters/sigstore/verifier.js";
import { commitTrustMaterial, parseCms, splitSignedCommit } from "../../../src/adapters/sigstore/gitsign.js";
import { checkEmbeddedEntry, decodeEmbeddedEntry, hashedRekordBody } from "../../../src/adapters/sigstore/gitsign-rekor.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../../support/sigstore/index.js";
import type { TrustedRootJson } from "../../support/sigstore/index.js";
import { expectFailure, expectVerified } from "../../support/sigstore/tamper.js";

const DAY = 86_400_000;
const world = await createTestSigstore();
const artifact = Buffer.from("hello");
const subject: SubjectSpec = { kind: "artifact", bytes: artifact };
const signer: SignerPolicy = { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
const iso = (ms: number): string => new Date(world.now.getTime() + ms).toISOString();
const RETIRED = { start: iso(-365 * DAY), end: iso(-30 * DAY) };
const NOT_YET = { start: iso(DAY) };

const v2 = (await world.sign({ payload: { kind: "message", artifact }, rekor: "v2" })).bundle;
const v1 = (await world.sign({ payload: { kind: "message", artifact }, rekor: "v1", tsa: true })).bundle;
// the same v1 entry without its SET: inclusion proof and checkpoint only, time from the TSA
const v1NoSet = structuredClone(v1) as { verificationMaterial: { tlogEntries: { inclusionPromise?: unknown }[] } };
delete v1NoSet.verificationMaterial.tlogEntries[0]!.inclusionPromise;

type Validity = { start: string; end?: string };
/** The world's root with every tlog's window replaced. */
function rootWith(validFor: Validity): TrustedRootJson {
  const root = structuredClone(world.trustedRoot);
  for (const t of root.tlogs) t.publicKey.validFor = { ...validFor };
  return root;
}
/** Each tlog listed twice under its one key and log id: first retired (at its own URL), then trusted now at another host. */
function rootWithRetiredTwin(): TrustedRootJson {
  const root = structuredClone(world.trustedRoot);
  root.tlogs = root.tlogs.flatMap((t) => [
    { ...structuredClone(t), publicKey: { ...t.publicKey, validFor: { ...RETIRED } } },
    { ...structuredClone(t), baseUrl: "https://rekor.elsewhere.example" },
  ]);
  return root;
}
const verify = (root: TrustedRootJson, bundle: unknown) => createVerifier({ trustedRoot: root }).verify({ bundle, subject, signer });
const refused = (out: ReturnType<typeof verify>, code: string, message: RegExp): void => {
  expectFailure(out, code as Parameters<typeof expectFailure>[1]);
  assert.ok(!out.ok);
  assert.match(out.message, message);
};

test("controls: with the world's own root, the v2, v1 and SET-less v1 bundles verify", () => {
  for (const b of [v2, v1, v1NoSet]) expectVerified(verify(world.trustedRoot, b));
});

describe("an entry without a SET is vouched for only by a log valid at every signed time", () => {
  test("a Rekor v2 entry from a log retired before the TSA time is refused (TLOG_UNTRUSTED_LOG), naming log, window and time", () => {
    const out = verify(rootWith(RETIRED), v2);
    refused(out, "TLOG_UNTRUSTED_LOG", new RegExp(`tlog entry 0 .*log [0-9a-f]{64} \\(https://\\S+ is trusted from ${RETIRED.start} to ${RETIRED.end}\\) is not valid at the rfc3161 signed time ${world.now.toISOString()}`));
  });
  test("a Rekor v1 entry with a proof but no SET, from a retired log, is refused (TLOG_UNTRUSTED_LOG)", () => {
    refused(verify(rootWith(RETIRED), v1NoSet), "TLOG_UNTRUSTED_LOG", /is not valid at the rfc3161 signed time/);
  });
  test("a log not yet trusted at the signing is refused too", () => {
    refused(verify(rootWith(NOT_YET), v2), "TLOG_UNTRUSTED_LOG", /is not valid at the rfc3161 signed time/);
    refused(verify(rootWith(NOT_YET), v1NoSet), "TLOG_UNTRUSTED_LOG", /is not valid at the rfc3161 signed time/);
  });
  test("a window that ends exactly at the signed time still covers it (inclusive, as for CAs)", () => {
    expectVerified(verify(rootWith({ start: RETIRED.start, end: world.now.toISOString() }), v2));
  });
  test("a retired twin of the same key does not vouch for the checkpoint: only the log trusted now does, and its host must be the origin", () => {
    refused(verify(rootWithRetiredTwin(), v2), "TLOG_CHECKPOINT_INVALID", /origin \S+ is not the log at https:\/\/rekor\.elsewhere\.example/);
  });
});

describe("an entry with a SET is vouched for only by a log valid at its integrated time", () => {
  test("a retired log's SET is refused (TLOG_SET_INVALID), naming the window and the integrated time", () => {
    refused(verify(rootWith(RETIRED), v1), "TLOG_SET_INVALID", new RegExp(`is trusted from ${RETIRED.start} to ${RETIRED.end}\\) is not valid at the tlog signed time ${world.now.toISOString()}`));
  });
  test("the checkpoint beside the SET is checked against the log valid at the integrated time, not a retired twin", () => {
    refused(verify(rootWithRetiredTwin(), v1), "TLOG_CHECKPOINT_INVALID", /origin \S+ is not the log at https:\/\/rekor\.elsewhere\.example/);
  });
});

describe("gitsign's embedded entry (fixture 01): the checkpoint is checked against the log valid at its integrated time", () => {
  const trust = commitTrustMaterial(JSON.parse(readFileSync("fixtures/gitsign/trusted_root.json", "utf8")));
  const s = splitSignedCommit(readFileSync("fixtures/gitsign/01-offline-google-2026/commit"));
  assert.ok(!("error" in s));
  const cms = parseCms(Buffer.from(s.signature.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64"));
  const raw = cms.unsigned.find((a) => a.oid === "1.3.6.1.4.1.57264.3.1")!.values[0]!.value;
  const body = hashedRekordBody(cms.signedAttrsDer, cms.signature, cms.certificates[0]!.der);
  const entry = decodeEmbeddedEntry(raw);
  const at = new Date(Number(entry.integratedTime) * 1000);
  const log = trust.tlogs.find((t) => t.logID.equals(entry.logId))!;
  const retired = { start: new Date(at.getTime() - 365 * DAY), end: new Date(at.getTime() - 30 * DAY) };
  const check = (tlogs: typeof trust.tlogs) => checkEmbeddedEntry(decodeEmbeddedEntry(raw), body, { ...trust, tlogs });

  test("control: with the fixture's root it verifies, and it carries an inclusion proof", () => {
    assert.ok(entry.proof);
    assert.deepEqual(check(trust.tlogs), { time: at });
  });
  test("a log retired before the integrated time is refused (TLOG_SET_INVALID)", () => {
    const r = check([{ ...log, validFor: retired }]);
    assert.ok("code" in r && r.code === "TLOG_SET_INVALID", JSON.stringify(r));
    assert.match(r.message, new RegExp(`is trusted from ${retired.start.toISOString()} to ${retired.end.toISOString()}\\) is not valid at the tlog signed time ${at.toISOString()}`));
  });
  test("a retired twin of the log does not vouch for the checkpoint (TLOG_CHECKPOINT_INVALID)", () => {
    const r = check([{ ...log, validFor: retired }, { ...log, baseURL: "https://rekor.elsewhere.example" }]);
    assert.ok("code" in r && r.code === "TLOG_CHECKPOINT_INVALID", JSON.stringify(r));
    assert.match(r.message, /is not the log at https:\/\/rekor\.elsewhere\.example/);
  });
});
