// Real gitsign-signed commits (fixtures/gitsign, a copy of the shared fixture set; its README says what each case is):
// every case gives its expected verdict offline, the header split gives git's bytes, and hostile inputs fail closed.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { commitTrustMaterial, parseCms, splitSignedCommit, verifyGitsignCommit } from "../../../src/adapters/sigstore/gitsign.js";
import type { CommitVerification } from "../../../src/adapters/sigstore/gitsign.js";
import { checkEmbeddedEntry, decodeEmbeddedEntry, hashedRekordBody } from "../../../src/adapters/sigstore/gitsign-rekor.js";
import { readDer } from "../../../src/adapters/sigstore/der.js";

const DIR = "fixtures/gitsign";
const trust = commitTrustMaterial(JSON.parse(readFileSync(join(DIR, "trusted_root.json"), "utf8")));

interface CaseJson {
  expected: "pass" | "needs-online-rekor" | "fail";
  failingCheck?: string;
  expectedIfSctRequired?: string;
  signer: { identity: string; issuer: string };
  rekor: { embedded: boolean; logIndex?: number; integratedTime?: number };
}
const CASES = readdirSync(DIR).filter((d) => /^\d\d-/.test(d));
const caseOf = (id: string): CaseJson => JSON.parse(readFileSync(join(DIR, id, "case.json"), "utf8")) as CaseJson;
const commitOf = (id: string): Buffer => readFileSync(join(DIR, id, "commit"));
const verify = (commit: Buffer, identity: string, issuer: string): CommitVerification => verifyGitsignCommit({ commit, signer: { kind: "certificate", identity, issuer }, trust });

// the check a negative case names, as the code the verifier reports it with
const FAILING: Readonly<Record<string, string>> = { contentBinding: "CONTENT_MISMATCH", rekorSignedEntryTimestamp: "TLOG_SET_INVALID" };

describe("every fixture case gives its expected verdict offline", () => {
  assert.equal(CASES.length, 11);
  for (const id of CASES) {
    test(id, () => {
      const c = caseOf(id);
      const r = verify(commitOf(id), c.signer.identity, c.signer.issuer);
      if (c.expected === "pass") {
        assert.ok(r.ok, r.ok ? "" : `${r.code}: ${r.message}`);
        assert.equal(r.signer.identity, c.signer.identity);
        assert.equal(r.tlogEntry.logIndex, String(c.rekor.logIndex));
        assert.equal(r.tlogEntry.integratedTime, new Date(c.rekor.integratedTime! * 1000).toISOString());
      } else if (c.expected === "needs-online-rekor") {
        assert.ok(!r.ok);
        // an SCT is required (docs/verify-commit.md): the root-issued 2022 leaf without one takes its README alternative
        if (c.expectedIfSctRequired === "fail") assert.equal(r.code, "SCT_INVALID", r.message);
        else assert.equal(r.code, "NO_SIGNED_TIME", r.message);
      } else {
        assert.ok(!r.ok);
        assert.equal(r.code, FAILING[c.failingCheck!], r.message);
      }
    });
  }
});

test("the header split gives exactly git's payload and signature for every case", () => {
  for (const id of CASES) {
    const s = splitSignedCommit(commitOf(id));
    assert.ok(!("error" in s), id);
    assert.ok(s.payload.equals(readFileSync(join(DIR, id, "payload"))), `${id}: payload`);
    assert.equal(s.signature, readFileSync(join(DIR, id, "signature.pem"), "latin1"), `${id}: signature`);
  }
});

test("the signer certificate is chosen by issuerAndSerialNumber when the intermediate comes first (07)", () => {
  const s = splitSignedCommit(commitOf("07-online-chain-in-cms-2022"));
  assert.ok(!("error" in s));
  const der = Buffer.from(s.signature.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
  const cms = parseCms(der);
  assert.equal(cms.certificates.length, 2);
  assert.ok(cms.certificates[0]!.cert.isCA, "the intermediate is first");
  // and the case still reaches the signed-time check, so the leaf (second) was the one verified
  const c = caseOf("07-online-chain-in-cms-2022");
  const r = verify(commitOf("07-online-chain-in-cms-2022"), c.signer.identity, c.signer.issuer);
  assert.ok(!r.ok && r.code === "NO_SIGNED_TIME", JSON.stringify(r));
});

describe("the signer policy", () => {
  const commit = commitOf("01-offline-google-2026");
  const GOOGLE = "https://accounts.google.com";
  test("another identity is refused", () => {
    const r = verify(commit, "adam.kaplan@chainguard.dev", GOOGLE);
    assert.ok(!r.ok && r.code === "IDENTITY_MISMATCH", JSON.stringify(r));
  });
  test("another issuer is refused", () => {
    const r = verify(commit, "billy@chainguard.dev", "https://github.com/login/oauth");
    assert.ok(!r.ok && r.code === "ISSUER_MISMATCH", JSON.stringify(r));
  });
  test("an anchored RE2 pattern matches the whole SAN only", () => {
    const ok = verifyGitsignCommit({ commit, signer: { kind: "certificate", identityPattern: "^[a-z.]+@chainguard\\.dev$", issuer: GOOGLE }, trust });
    assert.ok(ok.ok, JSON.stringify(ok));
    const partial = verifyGitsignCommit({ commit, signer: { kind: "certificate", identityPattern: "^billy$", issuer: GOOGLE }, trust });
    assert.ok(!partial.ok && partial.code === "IDENTITY_MISMATCH");
    const unanchored = verifyGitsignCommit({ commit, signer: { kind: "certificate", identityPattern: "billy", issuer: GOOGLE }, trust });
    assert.ok(!unanchored.ok && unanchored.code === "POLICY_INVALID");
  });
});

describe("hostile and malformed commits fail closed with a reason", () => {
  const good = commitOf("01-offline-google-2026");
  const id = "billy@chainguard.dev";
  const iss = "https://accounts.google.com";
  test("an unsigned commit", () => {
    const r = verify(readFileSync(join(DIR, "01-offline-google-2026", "payload")), id, iss);
    assert.ok(!r.ok && r.code === "COMMIT_UNSIGNED", JSON.stringify(r));
  });
  test("a PGP signature is not a gitsign signature", () => {
    const r = verify(Buffer.from("tree 0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n abc\n -----END PGP SIGNATURE-----\n\nmsg\n"), id, iss);
    assert.ok(!r.ok && r.code === "COMMIT_MALFORMED", JSON.stringify(r));
  });
  test("a CMS body that is not DER", () => {
    const r = verify(Buffer.from("tree 0000\ngpgsig -----BEGIN SIGNED MESSAGE-----\n AAAA\n -----END SIGNED MESSAGE-----\n\nmsg\n"), id, iss);
    assert.ok(!r.ok && r.code === "SIGNATURE_MALFORMED", JSON.stringify(r));
  });
  test("a second gpgsig header", () => {
    const text = good.toString("latin1");
    const sig = text.slice(text.indexOf("gpgsig "), text.indexOf("\n\n") + 1);
    const r = verify(Buffer.from(text.replace(sig, sig + sig), "latin1"), id, iss);
    assert.ok(!r.ok && r.code === "COMMIT_MALFORMED", JSON.stringify(r));
  });
  test("a message line starting with gpgsig stays in the payload (so the digest no longer matches)", () => {
    const r = verify(Buffer.concat([good, Buffer.from("gpgsig injected\n")]), id, iss);
    assert.ok(!r.ok && r.code === "CONTENT_MISMATCH", JSON.stringify(r));
  });
  test("a truncated or oversized embedded Rekor entry does not decode", () => {
    assert.throws(() => decodeEmbeddedEntry(Buffer.from([0x08, 0xff])), /truncated varint/);
    assert.throws(() => decodeEmbeddedEntry(Buffer.from([0x12, 0x7f, 0x00])), /longer than the entry/);
    assert.throws(() => decodeEmbeddedEntry(Buffer.from([0x0b])), /wire type 3/);
    assert.throws(() => decodeEmbeddedEntry(Buffer.alloc(20_000)), /at most/);
  });
  test("12,000 nested DER SEQUENCEs in the signature are refused by depth, not by blowing the stack", () => {
    let der = Buffer.alloc(0);
    for (let i = 0; i < 12_000; i++) {
      const l = der.length;
      der = Buffer.concat([Buffer.from([0x30]), Buffer.from(l < 128 ? [l] : l < 256 ? [0x81, l] : [0x82, l >> 8, l & 255]), der]);
    }
    const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n ").trimEnd();
    const r = verify(Buffer.from(`tree 0000\ngpgsig -----BEGIN SIGNED MESSAGE-----\n ${b64}\n -----END SIGNED MESSAGE-----\n\nmsg\n`), id, iss);
    assert.ok(!r.ok && r.code === "SIGNATURE_MALFORMED" && /nested deeper than 32/.test(r.message), JSON.stringify(r));
    assert.throws(() => readDer(Buffer.from([0x30, 0x05, 0x04, 0x09])), /overruns its parent/);
  });
  test("a commit over the size cap is refused before parsing", () => {
    const r = verify(Buffer.concat([good, Buffer.alloc(1024 * 1024)]), id, iss);
    assert.ok(!r.ok && r.code === "COMMIT_MALFORMED" && /at most/.test(r.message), JSON.stringify(r));
  });
});

describe("the embedded Rekor entry of 01, edited field by field, fails with the check that catches it", () => {
  const s = splitSignedCommit(commitOf("01-offline-google-2026"));
  assert.ok(!("error" in s));
  const cms = parseCms(Buffer.from(s.signature.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64"));
  const raw = cms.unsigned.find((a) => a.oid === "1.3.6.1.4.1.57264.3.1")!.values[0]!.value;
  const body = hashedRekordBody(cms.signedAttrsDer, cms.signature, cms.certificates[0]!.der);
  const fresh = () => decodeEmbeddedEntry(raw);
  const code = (e: ReturnType<typeof fresh>, b = body): string => {
    const r = checkEmbeddedEntry(e, b, trust);
    return "code" in r ? r.code : "ok";
  };
  test("unedited, it verifies", () => assert.equal(code(fresh()), "ok"));
  test("a body for another signature (the SET no longer covers it)", () => {
    assert.equal(code(fresh(), hashedRekordBody(cms.signedAttrsDer, Buffer.concat([cms.signature, Buffer.from([0])]), cms.certificates[0]!.der)), "TLOG_SET_INVALID");
  });
  test("a log the root does not trust", () => {
    const e = fresh();
    e.logId = Buffer.alloc(32, 7);
    assert.equal(code(e), "TLOG_UNTRUSTED_LOG");
  });
  test("no SET", () => {
    const e = fresh();
    delete e.signedEntryTimestamp;
    assert.equal(code(e), "TLOG_SET_INVALID");
  });
  test("no inclusion proof: the SET alone is accepted (Rekor's signed promise, as for bundles)", () => {
    const e = fresh();
    delete e.proof;
    assert.equal(code(e), "ok");
  });
  test("a proof hash changed", () => {
    const e = fresh();
    e.proof!.hashes[3] = Buffer.alloc(32, 1);
    assert.equal(code(e), "TLOG_INCLUSION_PROOF_INVALID");
  });
  test("a root hash that the checkpoint does not sign", () => {
    const e = fresh();
    e.proof!.rootHash = Buffer.alloc(32, 1);
    assert.equal(code(e), "TLOG_CHECKPOINT_INVALID");
  });
  test("a checkpoint with its tree size changed", () => {
    const e = fresh();
    e.proof!.checkpoint = e.proof!.checkpoint.replace(`\n${e.proof!.treeSize}\n`, `\n${BigInt(e.proof!.treeSize) + 1n}\n`);
    assert.equal(code(e), "TLOG_CHECKPOINT_INVALID");
  });
  test("another entry kind", () => {
    const e = fresh();
    e.kind = "intoto";
    assert.equal(code(e), "TLOG_ENTRY_INCONSISTENT");
  });
});
