// Signed commits as evidence (app part): GitHub's verification fields of each commit become a signed-commit
// attestation (any identity the trusted root certifies; the trailers under the signature), a platform attestation
// (GitHub's own key on a known agent account's commit), or a failure with its reason; never a pass by default.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sha256Hex } from "../../src/core/digest.js";
import { MAX_COMMIT_SIGNATURE_BYTES, commitSignatures, type CommitSignatureCheck } from "../../src/app/commit-evidence.js";
import { commitTrustMaterial, verifyGitsignCommit, verifyGitsignPayload } from "../../src/adapters/sigstore/gitsign.js";
import { DEFAULT_AGENT_ACCOUNTS } from "../../src/core/agents.js";
import type { CommitFacts } from "../../src/core/facts.js";
import { createTestSigstore, type TestSigstore } from "../support/sigstore/index.js";
import { gitsignCommit, rawCommit } from "../support/gitsign-signer.js";
import { cmsPem, octetBomb } from "../support/der-bombs.js";
import { DEMO_WEB_FLOW, newPgpKey, pgpSign } from "../support/pgp-signature.js";
import { DEMO_GITHUB_SIGNING_KEYS } from "../../src/demo/github/web-flow-key.js";
import { commitObjectId, rebuildSignedCommit } from "../../src/core/signed-commits.js";

let world: TestSigstore;
let check: CommitSignatureCheck;
before(async () => {
  world = await createTestSigstore();
  const trust = commitTrustMaterial(world.trustedRoot);
  check = ({ payload, signature }) => verifyGitsignPayload({ payload, signature, trust });
});

const DIGEST = "ab".repeat(32);
const MESSAGE = `Add the widget\n\nAgent: claude-code\nAgent-Model: anthropic/claude-opus-4-5\nAgent-Model-Version: 20251101\nAgent-Prompt-SHA256: sha256:${DIGEST}\n`;

function commitFacts(sha: string, gitSignature: CommitFacts["gitSignature"], user?: { login: string; id: number }): CommitFacts {
  const who = { name: "Agent", email: "agent@example.test", ...(user ? { user } : {}) };
  return { sha, treeSha: "0".repeat(40), parents: [], message: "", author: who, committer: who, claims: [], detection: { isAgent: true, reasons: [] }, ...(gitSignature ? { gitSignature } : {}) };
}

async function signed(message = MESSAGE, opts: Parameters<typeof gitsignCommit>[2] = {}): Promise<{ sha: string; payload: string; signature: string; body?: string }> {
  const commit = rawCommit({ when: world.now, message });
  const s = await gitsignCommit(world, commit, opts);
  return { sha: s.sha, payload: commit.toString("utf8"), signature: s.pem, ...(s.tlogEntry?.canonicalizedBody ? { body: s.tlogEntry.canonicalizedBody } : {}) };
}

describe("tier signed-commit", () => {
  test("a gitsign commit verifies for its own signer, with the trailers under the signature as facts", async () => {
    const s = await signed(MESSAGE, { san: { uri: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main" } });
    const [out] = commitSignatures([commitFacts(s.sha, { verified: false, reason: "unknown_signature_type", payload: s.payload, signature: s.signature })], check, DEFAULT_AGENT_ACCOUNTS);
    assert.ok(out?.ok, JSON.stringify(out));
    const a = out.attestation;
    assert.equal(a.tier, "signed-commit");
    assert.equal(a.signer.identity, "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main");
    assert.equal((a.signer as { workflow?: { path: string } }).workflow?.path, ".github/workflows/agent.yml");
    assert.deepEqual(a.agent, { name: "claude-code" });
    assert.deepEqual(a.model, { id: "anthropic/claude-opus-4-5", version: "20251101" });
    assert.deepEqual(a.prompt, { digest: `sha256:${DIGEST}`, contains_secrets: false, text_present: false });
    assert.match(a.integrated_time ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The entry's Rekor UUID (its leaf hash), so that a revocation {uuid} names it.
    assert.equal(a.rekor_entry_uuid, sha256Hex(Buffer.concat([Buffer.from([0]), Buffer.from(s.body!, "base64")])));
  });

  test("failures carry their reason: edited payload, another sha, no Rekor entry, unreadable trailers, oversize, no verifier", async () => {
    const s = await signed();
    const online = await signed(MESSAGE, { rekor: "none" });
    const twice = await signed(`${MESSAGE}Agent-Model: openai/gpt-5\n`);
    const sig = (payload: string, signature: string) => ({ verified: false, reason: "unknown_signature_type", payload, signature });
    const cases: [CommitFacts, CommitSignatureCheck | undefined, string][] = [
      [commitFacts(s.sha, sig(s.payload.replace("Add the widget", "Add the gadget"), s.signature)), check, "CONTENT_MISMATCH"],
      [commitFacts("1".repeat(40), sig(s.payload, s.signature)), check, "CONTENT_MISMATCH"],
      [commitFacts(online.sha, sig(online.payload, online.signature)), check, "NO_SIGNED_TIME"],
      [commitFacts(twice.sha, sig(twice.payload, twice.signature)), check, "TRAILERS_INVALID"],
      [commitFacts(s.sha, { verified: false, reason: "unknown_signature_type", oversize: "payload of 2000000 characters (at most 1048576)" }), check, "SIGNATURE_TOO_LARGE"],
      [commitFacts(s.sha, { verified: false, reason: "unknown_signature_type", signature: s.signature }), check, "COMMIT_MALFORMED"],
      [commitFacts(s.sha, sig(s.payload, s.signature)), undefined, "INTERNAL_ERROR"],
    ];
    for (const [facts, withCheck, code] of cases) {
      const [out] = commitSignatures([facts], withCheck, DEFAULT_AGENT_ACCOUNTS);
      assert.ok(out && !out.ok, JSON.stringify(out));
      assert.equal(out.code, code, out.message);
      assert.equal(out.tier, "signed-commit");
    }
  });
});

describe("the gate and verify-commit agree on what a commit's signature covers", () => {
  test("a gitsign signature over a payload holding another gpgsig* header (gpgsig-sha256, gpgsigx): CONTENT_MISMATCH in both, as git drops those headers", async () => {
    const trust = commitTrustMaterial(world.trustedRoot);
    const when = Math.floor(world.now.getTime() / 1000);
    for (const extra of ["gpgsig-sha256 bogus\n continued\n", "gpgsigx whatever\n"]) {
      const payload = `tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Agent <agent@example.test> ${when} +0000\ncommitter Agent <agent@example.test> ${when} +0000\n${extra}\n${MESSAGE}`;
      const s = await gitsignCommit(world, Buffer.from(payload, "utf8"));
      assert.equal(commitObjectId(rebuildSignedCommit(payload, s.pem), 40), s.sha, "GitHub's payload and signature rebuild the commit's id");
      const [gate] = commitSignatures([commitFacts(s.sha, { verified: false, reason: "unknown_signature_type", payload, signature: s.pem })], check, DEFAULT_AGENT_ACCOUNTS);
      assert.ok(gate && !gate.ok, JSON.stringify(gate));
      assert.equal(gate.code, "CONTENT_MISMATCH", gate.message);
      const cli = verifyGitsignCommit({ commit: s.signedCommit, trust, signer: { kind: "certificate", identity: "agent@example.test", issuer: "https://accounts.google.com" } });
      assert.ok(!cli.ok && cli.code === "CONTENT_MISMATCH", JSON.stringify(cli));
    }
  });
});

describe("tier platform", () => {
  const payload = "tree x\nauthor Copilot <198982749+Copilot@users.noreply.github.com> 1767312000 +0000\ncommitter GitHub <noreply@github.com> 1767312000 +0000\n\nmsg\n";
  // a writer's commit made with the agent as author, signed by GitHub's key, but committed by the writer
  const byWriter = payload.replace("committer GitHub <noreply@github.com>", "committer Mallory <1234+mallory@users.noreply.github.com>");
  const writerSig = pgpSign(byWriter, DEMO_WEB_FLOW);
  const github = pgpSign(payload, DEMO_WEB_FLOW);
  const person = pgpSign(payload, newPgpKey());
  const idOf = (signature: string): string => commitObjectId(rebuildSignedCommit(payload, signature), 40);
  const copilot = { login: "Copilot", id: 198982749 };
  test("Copilot's commit signed by GitHub: a platform attestation naming the account, no model or prompt", () => {
    const [out] = commitSignatures([commitFacts(idOf(github), { verified: true, reason: "valid", signature: github, payload }, copilot)], check, DEFAULT_AGENT_ACCOUNTS, DEMO_GITHUB_SIGNING_KEYS);
    assert.deepEqual(out, {
      sha: idOf(github),
      ok: true,
      attestation: { tier: "platform", signer: { type: "platform", identity: "Copilot", issuer: "https://github.com", account: copilot, agent: "copilot", extensions: {} } },
    });
  });
  test("a person's verified key, GitHub's key on a person's commit or on another commit, GitHub's real keys, or no signature: no attestation and no failure", () => {
    const out = commitSignatures(
      [
        commitFacts(idOf(person), { verified: true, reason: "valid", signature: person, payload }, copilot),
        commitFacts(idOf(github), { verified: true, reason: "valid", signature: github, payload }, { login: "alice", id: 7 }),
        commitFacts("4".repeat(40), { verified: true, reason: "valid", signature: github, payload }, copilot),
        commitFacts("5".repeat(40), undefined, copilot),
        commitFacts("6".repeat(40), { verified: false, reason: "unsigned" }, copilot),
      ],
      check,
      DEFAULT_AGENT_ACCOUNTS,
      DEMO_GITHUB_SIGNING_KEYS,
    );
    assert.deepEqual(out, []);
    assert.deepEqual(commitSignatures([commitFacts(idOf(github), { verified: true, reason: "valid", signature: github, payload }, copilot)], check, DEFAULT_AGENT_ACCOUNTS), [], "by default only GitHub's pinned keys count");
  });
  test("GitHub's key on a commit a writer committed with Copilot as author: no attestation, a platform failure naming the committer", () => {
    const sha = commitObjectId(rebuildSignedCommit(byWriter, writerSig), 40);
    const out = commitSignatures([commitFacts(sha, { verified: true, reason: "valid", signature: writerSig, payload: byWriter }, copilot)], check, DEFAULT_AGENT_ACCOUNTS, DEMO_GITHUB_SIGNING_KEYS);
    assert.deepEqual(out, [
      {
        sha,
        ok: false,
        tier: "platform",
        code: "PLATFORM_REFUSED",
        message: "GitHub signed it, but its committer is Mallory <1234+mallory@users.noreply.github.com>, not GitHub <noreply@github.com>: GitHub signs as committer only the commits it makes itself",
      },
    ]);
  });
});

describe("through the App's verifier", () => {
  test("verifyCommit gives the same verdict again (kept by the bytes' digest), and other bytes their own", async () => {
    const { createVerifier } = await import("../../src/adapters/sigstore/verifier.js");
    const v = createVerifier({ trustedRoot: world.trustedRoot });
    const s = await signed();
    const req = { payload: Buffer.from(s.payload), signature: s.signature };
    const first = v.verifyCommit!(req);
    assert.ok(first.ok, JSON.stringify(first));
    assert.deepEqual(v.verifyCommit!(req), first);
    const edited = v.verifyCommit!({ payload: Buffer.from(s.payload.replace("widget", "gadget")), signature: s.signature });
    assert.ok(!edited.ok && edited.code === "CONTENT_MISMATCH", JSON.stringify(edited));
    const [out] = commitSignatures([commitFacts(s.sha, { verified: false, reason: "unknown_signature_type", payload: s.payload, signature: s.signature })], (r) => v.verifyCommit!(r), DEFAULT_AGENT_ACCOUNTS);
    assert.ok(out?.ok);
  });
});

describe("the per-evaluation budget for commit signatures", () => {
  test(`past ${MAX_COMMIT_SIGNATURE_BYTES} bytes of gitsign payloads and signatures, the commit that does not fit and every later one are VERIFICATION_BUDGET_EXCEEDED, never checked`, async () => {
    const good = await signed();
    const sig = (payload: string, signature: string) => ({ verified: false, reason: "unknown_signature_type", payload, signature });
    const commits: CommitFacts[] = [commitFacts(good.sha, sig(good.payload, good.signature))];
    let bytes = Buffer.byteLength(good.payload) + good.signature.length;
    let fit = 1;
    for (let k = 0; k < 70; k++) {
      // a 62 KB signature, under the 64 KiB cap of one signature: 70 of them are 4.3 MB
      const payload = `tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nc${k}\n`;
      const signature = cmsPem(octetBomb(10_000, 6_000, k));
      commits.push(commitFacts(commitObjectId(rebuildSignedCommit(payload, signature), 40), sig(payload, signature)));
      bytes += payload.length + signature.length;
      if (bytes <= MAX_COMMIT_SIGNATURE_BYTES) fit++;
    }
    commits.push(commitFacts(good.sha, sig(good.payload, good.signature))); // small, but after the budget ran out
    let checked = 0;
    const out = commitSignatures(commits, (req) => {
      checked++;
      return check(req);
    }, DEFAULT_AGENT_ACCOUNTS);
    assert.equal(out.length, commits.length);
    assert.ok(fit > 1 && fit < 71, `${fit} commits fit`);
    assert.equal(checked, fit);
    assert.ok(out[0]?.ok, JSON.stringify(out[0]));
    assert.deepEqual(new Set(out.slice(1, fit).map((o) => (o.ok ? "ok" : o.code))), new Set(["SIGNATURE_MALFORMED"]));
    for (const o of out.slice(fit)) {
      assert.ok(!o.ok && o.code === "VERIFICATION_BUDGET_EXCEEDED", JSON.stringify(o));
      assert.match(o.message, new RegExp(`at most ${MAX_COMMIT_SIGNATURE_BYTES} are verified per evaluation`));
    }
  });
});
