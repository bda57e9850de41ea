// Signed commits as evidence (core part): GitHub's payload + signature rebuild exactly the commit's sha, the agent
// trailers read one way or not at all, and only GitHub's own key (verified here, chosen by the signature's hashed
// issuer; not a person's verified key) makes a platform commit.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_WEB_FLOW, newPgpKey, pgpSign } from "../support/pgp-signature.js";
import { agentTrailers, commitMessage, commitObjectId, payloadIsCommit, platformAgent, rebuildSignedCommit, signatureKind, splitSignedCommit } from "../../src/core/signed-commits.js";
import { pgpSignatureIssuer } from "../../src/core/github-signature.js";
import { DEMO_GITHUB_SIGNING_KEYS } from "../../src/demo/github/web-flow-key.js";

const DIR = "fixtures/gitsign";
const read = (id: string, file: string): string => readFileSync(join(DIR, id, file), "latin1");

describe("payload and signature rebuild the commit", () => {
  for (const id of ["01-offline-google-2026", "02-offline-google-2026-other-signer", "07-online-chain-in-cms-2022"]) {
    test(`${id}: the rebuilt object is the raw commit and hashes to its sha`, () => {
      const c = JSON.parse(read(id, "case.json")) as { sha: string };
      assert.equal(rebuildSignedCommit(read(id, "payload"), read(id, "signature.pem")), read(id, "commit"));
      assert.equal(payloadIsCommit(c.sha, read(id, "payload"), read(id, "signature.pem")), true);
    });
  }
  test("a signature without its final newline rebuilds the same object", () => {
    const sig = read("01-offline-google-2026", "signature.pem").trimEnd();
    assert.equal(payloadIsCommit("dc68e8ce155fe12ab8fd7c55de6ef336ce716ee8", read("01-offline-google-2026", "payload"), sig), true);
  });
  test("an edited message, another commit's sha or a short sha does not", () => {
    const payload = read("01-offline-google-2026", "payload");
    const sig = read("01-offline-google-2026", "signature.pem");
    assert.equal(payloadIsCommit("dc68e8ce155fe12ab8fd7c55de6ef336ce716ee8", payload.replace("\n\n", "\n\nx"), sig), false);
    assert.equal(payloadIsCommit("a283a6f3a15bb0f4544c36f1a6329c78f1403d45", payload, sig), false);
    assert.equal(payloadIsCommit("dc68e8c", payload, sig), false);
  });
  test("a payload holding another gpgsig* header is not what git signs: the rebuilt object has that id, yet not that payload", () => {
    const sig = read("01-offline-google-2026", "signature.pem");
    for (const extra of ["gpgsig-sha256 bogus\n continued\n", "gpgsigx whatever\n", "gpgsig\n"]) {
      const payload = `tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.test> 1767312000 +0000\ncommitter A <a@example.test> 1767312000 +0000\n${extra}\nmsg\n`;
      const id = commitObjectId(rebuildSignedCommit(payload, sig), 40);
      assert.equal(payloadIsCommit(id, payload, sig), false, JSON.stringify(extra));
    }
  });
  test("the message is what follows the headers", () => {
    assert.equal(commitMessage("tree 1\nauthor a\n\nsubject\n\nbody\n"), "subject\n\nbody\n");
    assert.equal(commitMessage("tree 1\n"), "");
  });
});

describe("agent trailers", () => {
  const msg = (...trailers: string[]): string => `Fix the parser\n\nLonger text.\n\n${trailers.join("\n")}\n`;
  test("every field, the digest normalised", () => {
    const r = agentTrailers(msg("Agent: claude-code", "Agent-Version: 2.1.0", "Agent-Model: anthropic/claude-opus-4-5", "Agent-Model-Version: 20251101", `agent-prompt-sha256: ${"AB".repeat(32)}`));
    assert.deepEqual(r, {
      ok: true,
      facts: { agent: { name: "claude-code", version: "2.1.0" }, model: { id: "anthropic/claude-opus-4-5", version: "20251101" }, promptDigest: `sha256:${"ab".repeat(32)}` },
    });
  });
  test("none: no facts, and lines outside the trailer block are not trailers", () => {
    assert.deepEqual(agentTrailers("Agent-Model: x/y\n\nbody only\n"), { ok: true, facts: {} });
  });
  test("a key twice with different values, a bad model, a bad digest, a version alone: refused with what was expected", () => {
    const cases: [string, RegExp][] = [
      [msg("Agent-Model: a/b", "Agent-Model: a/c"), /Agent-Model is given twice/],
      [msg("Agent-Model: gpt"), /"provider\/model"/],
      [msg("Agent-Prompt-SHA256: sha256:1234"), /sha256:<64 hex>/],
      [msg("Agent-Model-Version: 1"), /needs Agent-Model/],
      [msg(`Agent: ${"x".repeat(201)}`), /1 to 200 characters/],
    ];
    for (const [m, want] of cases) {
      const r = agentTrailers(m);
      assert.equal(r.ok, false);
      assert.match((r as { message: string }).message, want);
    }
    assert.deepEqual(agentTrailers(msg("Agent-Model: a/b", "Agent-Model: a/b")), { ok: true, facts: { model: { id: "a/b" } } });
  });
});

// A real gpg signature (ed25519, made once with gpg 2.2): issuer fingerprint subpacket 33 (hashed) and key id 16 (unhashed).
const GPG_SIG = `-----BEGIN PGP SIGNATURE-----

iHUEABYIAB0WIQQNWtQpWhF2nkWEM5G/st5LhvQiPAUCaxTo4wAKCRC/st5LhvQi
PHHfAQCJ9EOfitP+D9+iNjACu3AMQA8P/B6KTmyuCh02emNDtgEA9GkyXE7SkpSm
+2fpSkBXgQD5o+UlMN0Nfdy4ZyUi7QM=
=jMTZ
-----END PGP SIGNATURE-----
`;

test("the issuer of a real gpg signature is read from its hashed subpackets (its unhashed key id agrees)", () => {
  assert.deepEqual(pgpSignatureIssuer(GPG_SIG), { fingerprint: "0d5ad4295a11769e45843391bfb2de4b86f4223c" });
  assert.equal(signatureKind(GPG_SIG), "pgp");
});

describe("the signed bytes of a commit object, split as git's parse_buffer_signed_by_header() does", () => {
  const head = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.test> 1767312000 +0000\n";
  const split = (raw: string) => splitSignedCommit(Buffer.from(raw, "utf8"));
  test("the gpgsig header and its continuation lines are the signature; every other gpgsig* header is dropped with its continuation lines", () => {
    const s = split(`${head}gpgsig-sha256 other\n other 2\ngpgsig SIG\n LINE 2\ngpgsigx whatever\n more\nmergetag object 1\n kept\n\ngpgsig in the message\n`);
    assert.ok(!("error" in s), JSON.stringify(s));
    assert.equal(s.payload.toString("utf8"), `${head}mergetag object 1\n kept\n\ngpgsig in the message\n`);
    assert.equal(s.signature, "SIG\nLINE 2\n");
  });
  test("two gpgsig headers, no gpgsig header, or no tree header: refused with what was expected", () => {
    assert.match((split(`${head}gpgsig A\ngpgsig B\n\nmsg\n`) as { error: string }).error, /more than one gpgsig header/);
    assert.deepEqual(split(`${head}\nmsg\n`), { error: "the commit has no gpgsig header: it is not signed", unsigned: true });
    assert.match((split(`author A\ngpgsig A\n\nmsg\n`) as { error: string }).error, /starting with a tree header/);
  });
});

describe("platform tier", () => {
  const copilot = { login: "Copilot", id: 198982749, agent: "copilot" };
  const author = { login: "Copilot", id: 198982749 };
  const payload = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Copilot <198982749+Copilot@users.noreply.github.com> 1767312000 +0000\ncommitter GitHub <noreply@github.com> 1767312000 +0000\n\nValidate widget input\n";
  const signed = (signature: string, body = payload) => ({ sha: commitObjectId(rebuildSignedCommit(body, signature), 40), gitSignature: { verified: true, reason: "valid", signature, payload: body } });
  const githubSig = pgpSign(payload, DEMO_WEB_FLOW);
  const keys = DEMO_GITHUB_SIGNING_KEYS;

  test("GitHub-signed (verified here with its key), verified by GitHub, by a known agent account: the agent", () => {
    assert.deepEqual(platformAgent({ author, ...signed(githubSig) }, [copilot], keys), { account: { login: "Copilot", id: 198982749 }, agent: "copilot" });
  });

  test("GitHub's object ends its signature header with a blank line its API's signature lacks: the same commit", () => {
    const c = signed(`${githubSig}\n`);
    assert.deepEqual(platformAgent({ author, sha: c.sha, gitSignature: { ...c.gitSignature, signature: githubSig } }, [copilot], keys), { account: author, agent: "copilot" });
  });

  test("a person's verified key with the agent as author, GitHub unverified, another account, an id that differs, another commit: not platform", () => {
    assert.match((platformAgent({ author, ...signed(pgpSign(payload, newPgpKey())) }, [copilot], keys) as { reason: string }).reason, /not GitHub's own key/);
    const unverified = signed(githubSig);
    assert.match((platformAgent({ author, sha: unverified.sha, gitSignature: { ...unverified.gitSignature, verified: false, reason: "unknown_key" } }, [copilot], keys) as { reason: string }).reason, /does not verify/);
    assert.match((platformAgent({ author: { login: "alice", id: 5 }, ...signed(githubSig) }, [copilot], keys) as { reason: string }).reason, /not a known agent account/);
    assert.ok("reason" in platformAgent({ author: { login: "Copilot", id: 1 }, ...signed(githubSig) }, [copilot], keys));
    assert.match((platformAgent({ author, sha: signed(githubSig).sha, gitSignature: { verified: true, reason: "valid", signature: githubSig } }, [copilot], keys) as { reason: string }).reason, /no signed payload/);
    assert.match((platformAgent({ author, ...signed(githubSig), sha: "1".repeat(40) }, [copilot], keys) as { reason: string }).reason, /are not commit 1111111/);
    assert.ok("reason" in platformAgent({ author, sha: "1".repeat(40) }, [copilot], keys));
    assert.match((platformAgent({ author, ...signed(githubSig) }, [copilot]) as { reason: string }).reason, /not GitHub's own key/, "GitHub's real keys do not trust the stand-in's");
  });

  test("GitHub's key on a commit whose committer is not GitHub (a writer's commit with the agent as author): not platform, the committer named", () => {
    for (const committer of ["Mallory <1234+mallory@users.noreply.github.com>", "GitHub <noreply@github.com.evil>", "github <noreply@github.com>"]) {
      const body = payload.replace("committer GitHub <noreply@github.com>", `committer ${committer}`);
      const r = platformAgent({ author, ...signed(pgpSign(body, DEMO_WEB_FLOW), body) }, [copilot], keys);
      assert.deepEqual(r, { reason: `GitHub signed it, but its committer is ${committer}, not GitHub <noreply@github.com>: GitHub signs as committer only the commits it makes itself`, byGitHub: true }, committer);
    }
    const none = payload.replace(/committer [^\n]*\n/, "");
    assert.match((platformAgent({ author, ...signed(pgpSign(none, DEMO_WEB_FLOW), none) }, [copilot], keys) as { reason: string }).reason, /does not hold exactly one committer header; expected one: committer NAME <EMAIL> TIME ZONE/);
    const twice = payload.replace(/(committer [^\n]*\n)/, "$1$1");
    assert.match((platformAgent({ author, ...signed(pgpSign(twice, DEMO_WEB_FLOW), twice) }, [copilot], keys) as { reason: string }).reason, /does not hold exactly one committer header; expected one: committer NAME <EMAIL> TIME ZONE/);
  });

  test("GitHub's key rotated on 2024-01-16 never gives the tier, whenever its signature says it was made", () => {
    const rotated = [{ ...DEMO_WEB_FLOW.pinned, rotated: "2024-01-16" }];
    assert.deepEqual(platformAgent({ author, ...signed(githubSig) }, [copilot], rotated), { reason: "signed with GitHub's key rotated on 2024-01-16: only GitHub's current key gives the platform tier", byGitHub: true });
  });

  test("Mallory's signature naming GitHub's web-flow key only in its unhashed subpackets is not GitHub's", () => {
    // fixtures/pgp/mallory-unhashed-web-flow: gpg says GOODSIG Mallory; GitHub says valid (for Mallory's uploaded key)
    const dir = "fixtures/pgp/mallory-unhashed-web-flow";
    const forged = readFileSync(join(dir, "forged.asc"), "utf8");
    const r = platformAgent({ author, ...signed(forged, readFileSync(join(dir, "payload"), "utf8")) }, [copilot]);
    assert.deepEqual(r, { reason: "its unhashed issuer fingerprint names another key than its hashed issuer" });
  });
});
