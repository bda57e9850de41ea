// GitHub's own commit signatures are verified over the payload with GitHub's pinned keys, the key chosen by the
// issuer in the signature's hashed subpackets only: an issuer in the unhashed subpackets is covered by nothing, so a
// signature by Mallory's key naming GitHub's web-flow key there is Mallory's (fixtures/pgp/mallory-unhashed-web-flow).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GITHUB_SIGNING_KEYS, githubSignature, pgpSignatureIssuer, rsaKeyFingerprint, type GitHubSigningKey } from "../../src/core/github-signature.js";
import { DEMO_GITHUB_SIGNING_KEYS } from "../../src/demo/github/web-flow-key.js";
import { DEMO_WEB_FLOW, newPgpKey, pgpSign } from "../support/pgp-signature.js";

const MALLORY_DIR = "fixtures/pgp/mallory-unhashed-web-flow";
const forged = readFileSync(join(MALLORY_DIR, "forged.asc"), "utf8");
const forgedPayload = readFileSync(join(MALLORY_DIR, "payload"), "utf8");
const mallory = (JSON.parse(readFileSync(join(MALLORY_DIR, "case.json"), "utf8")) as { mallory: GitHubSigningKey }).mallory;
const WEB_FLOW = "968479a1aff927e37d1a566bb5690eeebb952194";
const PAYLOAD = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Copilot <198982749+Copilot@users.noreply.github.com> 1767312000 +0000\ncommitter GitHub <noreply@github.com> 1767312000 +0000\n\nValidate widget input\n";

describe("pinned keys", () => {
  test("every pinned key hashes to its fingerprint (GitHub's web-flow keys, and the demo stand-in's)", () => {
    assert.deepEqual(GITHUB_SIGNING_KEYS.map((k) => k.fingerprint), [WEB_FLOW, "5de3e0509c47ea3cf04a42d34aee18f83afdeb23"]);
    for (const k of [...GITHUB_SIGNING_KEYS, ...DEMO_GITHUB_SIGNING_KEYS, mallory]) assert.equal(rsaKeyFingerprint(k), k.fingerprint);
  });

  test("the web-flow key GitHub rotated on 2024-01-16 is pinned only to say why it is refused", () => {
    assert.deepEqual(GITHUB_SIGNING_KEYS.map((k) => k.rotated), [undefined, "2024-01-16"]);
    const rotated = [{ ...DEMO_WEB_FLOW.pinned, rotated: "2024-01-16" }];
    for (const at of [DEMO_WEB_FLOW.pinned.created + 1, DEMO_WEB_FLOW.pinned.created + 86_400 * 400]) {
      assert.deepEqual(githubSignature(PAYLOAD, pgpSign(PAYLOAD, DEMO_WEB_FLOW, { at }), rotated), { ok: false, reason: "signed with GitHub's key rotated on 2024-01-16: only GitHub's current key gives the platform tier", rotated: true });
    }
  });

  test("a key whose values do not hash to its fingerprint verifies nothing", () => {
    const lying = { ...DEMO_WEB_FLOW.pinned, fingerprint: WEB_FLOW };
    const v = githubSignature(PAYLOAD, pgpSign(PAYLOAD, DEMO_WEB_FLOW, { hashed: { fingerprint: WEB_FLOW } }), [lying]);
    assert.deepEqual(v, { ok: false, reason: `the pinned key ${WEB_FLOW} does not hash to its fingerprint` });
  });
});

/** The armoured v4 signature packet without its unhashed subpackets (old-format packet, two-byte length). */
function withoutUnhashed(armoured: string): string {
  const b = Buffer.from(armoured.split("\n\n")[1]!.split("\n=")[0]!.replace(/\s+/g, ""), "base64");
  assert.equal(b[0], 0x89);
  const body = b.subarray(3);
  const hashedEnd = 6 + body.readUInt16BE(4);
  const rest = body.subarray(hashedEnd + 2 + body.readUInt16BE(hashedEnd));
  const out = Buffer.concat([body.subarray(0, hashedEnd), Buffer.from([0, 0]), rest]);
  const packet = Buffer.concat([Buffer.from([0x89, out.length >> 8, out.length & 0xff]), out]);
  return `-----BEGIN PGP SIGNATURE-----\n\n${packet.toString("base64")}\n-----END PGP SIGNATURE-----\n`;
}

describe("a signature by Mallory's key that names GitHub's key outside its signed part", () => {
  test("gpg reads it as Mallory's (when gpg is installed)", (t) => {
    // gpg --dearmor and gpgv start no gpg-agent (an import would leave one running per test run)
    const home = mkdtempSync(join(tmpdir(), "gpgv-"));
    try {
      try {
        execFileSync("gpgv", ["--version"], { stdio: "ignore" });
        execFileSync("gpg", ["--homedir", home, "--batch", "--dearmor", "-o", join(home, "mallory.gpg"), join(MALLORY_DIR, "mallory-pub.asc")], { stdio: "ignore" });
      } catch {
        return t.skip("no gpg and gpgv on this machine");
      }
      const out = execFileSync("gpgv", ["--homedir", home, "--keyring", join(home, "mallory.gpg"), "--status-fd", "1", join(MALLORY_DIR, "forged.asc"), join(MALLORY_DIR, "payload")], { stdio: ["ignore", "pipe", "ignore"] }).toString();
      assert.match(out, /GOODSIG 5BE537E6445352C3 /);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("is refused as GitHub's: its hashed issuer is Mallory's key, and the unhashed one disagrees", () => {
    assert.equal(pgpSignatureIssuer(forged), undefined, "the issuers disagree: no issuer");
    assert.deepEqual(githubSignature(forgedPayload, forged), { ok: false, reason: "its unhashed issuer fingerprint names another key than its hashed issuer" });
  });

  test("gpg's signature verifies with Mallory's key once the unhashed issuer is gone: agent-gate's check agrees with gpg", () => {
    assert.equal(githubSignature(forgedPayload, forged, [mallory]).ok, false, "with it, refused whoever is trusted: the issuers disagree");
    const clean = withoutUnhashed(forged);
    assert.deepEqual(githubSignature(forgedPayload, clean, [mallory]), { ok: true, key: mallory.fingerprint, signedAt: 1796615471 });
    assert.deepEqual(githubSignature(forgedPayload, clean), { ok: false, reason: "the signature is not GitHub's own key (web-flow)" });
    assert.equal(githubSignature(`${forgedPayload} `, clean, [mallory]).ok, false);
    const honest = pgpSign(forgedPayload, DEMO_WEB_FLOW, { unhashed: { fingerprint: DEMO_WEB_FLOW.pinned.fingerprint } });
    assert.equal(githubSignature(forgedPayload, honest, DEMO_GITHUB_SIGNING_KEYS).ok, true, "an unhashed issuer repeating the hashed one is fine");
  });
});

describe("what GitHub's signature must be", () => {
  const keys = DEMO_GITHUB_SIGNING_KEYS;
  const good = pgpSign(PAYLOAD, DEMO_WEB_FLOW);

  test("the stand-in's web-flow key over the payload verifies; any other payload does not", () => {
    assert.deepEqual(githubSignature(PAYLOAD, good, keys), { ok: true, key: DEMO_WEB_FLOW.pinned.fingerprint, signedAt: DEMO_WEB_FLOW.pinned.created + 86_400 });
    assert.deepEqual(githubSignature(PAYLOAD.replace("Validate", "Disable"), good, keys), { ok: false, reason: "the signature does not verify over the commit's payload with GitHub's key" });
    assert.deepEqual(githubSignature(PAYLOAD, good), { ok: false, reason: "the signature is not GitHub's own key (web-flow)" }, "GitHub's real keys do not trust the demo's");
  });

  test("the key is chosen by the hashed issuer only: an unhashed GitHub issuer on another key's signature is refused", () => {
    const m = newPgpKey();
    const web = DEMO_WEB_FLOW.pinned.fingerprint;
    assert.deepEqual(githubSignature(PAYLOAD, pgpSign(PAYLOAD, m, { unhashed: { fingerprint: web } }), keys), { ok: false, reason: "its unhashed issuer fingerprint names another key than its hashed issuer" });
    assert.deepEqual(githubSignature(PAYLOAD, pgpSign(PAYLOAD, m, { unhashed: { keyId: web.slice(24) } }), keys), { ok: false, reason: "its unhashed issuer key id names another key than its hashed issuer" });
    assert.deepEqual(githubSignature(PAYLOAD, pgpSign(PAYLOAD, m, { hashed: {}, unhashed: { fingerprint: web } }), keys), { ok: false, reason: "the signature names no issuer in its hashed subpackets (an unhashed one is covered by nothing)" });
    // naming GitHub's key in the hashed area does not make another key's signature GitHub's
    assert.deepEqual(githubSignature(PAYLOAD, pgpSign(PAYLOAD, m, { hashed: { fingerprint: web } }), keys), { ok: false, reason: "the signature does not verify over the commit's payload with GitHub's key" });
    assert.deepEqual(githubSignature(PAYLOAD, pgpSign(PAYLOAD, m, { hashed: { fingerprint: m.pinned.fingerprint, keyId: web.slice(24) } }), keys), { ok: false, reason: "the signature's issuer fingerprint and key id name different keys" });
  });

  test("a signature made outside its key's validity is refused", () => {
    assert.match((githubSignature(PAYLOAD, pgpSign(PAYLOAD, DEMO_WEB_FLOW, { at: DEMO_WEB_FLOW.pinned.created - 1 }), keys) as { reason: string }).reason, /outside its key's validity/);
    const expired = [{ ...DEMO_WEB_FLOW.pinned, expires: DEMO_WEB_FLOW.pinned.created + 10 }];
    assert.match((githubSignature(PAYLOAD, good, expired) as { reason: string }).reason, /outside its key's validity/);
  });

  test("garbage, truncation, two packets and other armours are refused with a reason, never a throw", () => {
    const b64 = good.split("\n")[2]!;
    const body = good.split("\n\n")[1]!.split("\n=")[0]!.replace(/\n/g, "");
    const twice = good.replace(good.split("\n\n")[1]!.split("\n=")[0]!, Buffer.concat([Buffer.from(body, "base64"), Buffer.from(body, "base64")]).toString("base64"));
    const gitsign = readFileSync("fixtures/gitsign/01-offline-google-2026/signature.pem", "latin1");
    for (const s of ["", "-----BEGIN PGP SIGNATURE-----\n\n=abcd\n-----END PGP SIGNATURE-----\n", good.replace(b64, b64.slice(0, 20)), twice, gitsign, "x".repeat(100_000)]) {
      const v = githubSignature(PAYLOAD, s, keys);
      assert.equal(v.ok, false, s.slice(0, 80));
    }
    assert.equal(githubSignature(PAYLOAD, `${good}\n`, keys).ok, true, "a blank line after the armour (as GitHub's object headers end) is the same signature");
  });
});
