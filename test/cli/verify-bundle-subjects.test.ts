// `agent-gate verify-bundle` in-process: every subject the verifier supports can be named on the command line
// (sha256/sha384/sha512 digests, and gitCommit for agent-gate's own provenance), --type pins the predicate type,
// --no-oidc-issuer asks for a certificate without an issuer extension, and a bare --trusted-root FILE is named as the
// gate names it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyBundleCommand } from "../../src/cli/verify-bundle.js";
import { attestStatement, httpRekorV1Uploader, signStatement } from "../../src/app/attest.js";
import { createKeySigner, generateSigningKey } from "../../src/adapters/sigstore/signing/index.js";
import { SLSA_PROVENANCE_V1 } from "../../src/core/provenance.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";
import type { SigstoreServices } from "../support/sigstore/http.js";

const GH = "fixtures/sigstore-github";
let dir = "";
let services: SigstoreServices;
let commits: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-verify-subjects-"));
  const git = (...a: string[]): string => execFileSync("git", ["-c", "user.name=a", "-c", "user.email=a@example.test", ...a], { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  for (const m of ["base", "agent: one", "agent: two"]) git("commit", "-q", "--allow-empty", "-m", m);
  commits = git("rev-list", "--reverse", "HEAD~2..HEAD").split("\n");
  const world = await createTestSigstore();
  services = await startSigstoreServices(world);
  writeFileSync(join(dir, "root.json"), JSON.stringify(world.trustedRoot));
  const key = generateSigningKey();
  const signer = createKeySigner(key.privateKeyPem);
  writeFileSync(join(dir, "key.pub"), signer.publicKeyPem);
  // the statement `agent-gate attest` signs for the last commit, logged in the tests' Rekor
  const statement = attestStatement({
    repository: "acme/widgets",
    commits: [{ sha: commits[1]!, tree: git("rev-parse", `${commits[1]}^{tree}`) }],
    runtime: { name: "claude-code", version: "2.0.14" },
    model: { id: "anthropic/claude-sonnet-4-5", version: "20250929" },
    prompt: { path: "prompt.txt", text: "Add tests.\n" },
    target: { repository: "acme/widgets", baseRef: "main", baseCommit: commits[0]! },
    delegation: { principal: { login: "alice", id: 5001 }, trigger: { event: "manual", at: "2026-11-26T08:00:00Z" } },
    builderId: "https://agent-gate.dev/attest/cli",
    invocation: { invocationId: "run-1", startedOn: "2026-11-26T08:00:00Z", finishedOn: "2026-11-26T08:00:00Z" },
  });
  const a = await signStatement(statement, { signer, tlog: httpRekorV1Uploader(services.rekorUrl, globalThis.fetch) });
  writeFileSync(join(dir, "attest.json"), a.bundleJson);
});
after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await verifyBundleCommand(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const own = (...extra: string[]): string[] => ["--bundle", join(dir, "attest.json"), "--key", join(dir, "key.pub"), "--trusted-root", join(dir, "root.json"), ...extra];

test("gitCommit:HEX verifies agent-gate's own provenance against the commit it names, and no other", async () => {
  const ok = await cli(...own(`gitCommit:${commits[1]!.toUpperCase()}`));
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^OK: gitCommit:[0-9a-f]{40} signed by key [0-9a-f]{64} \(trusted root custom\)$/);
  const other = await cli(...own("--json", `gitCommit:${commits[0]}`));
  assert.equal(other.code, 1, other.err);
  const doc = JSON.parse(other.out) as { verified: boolean; error: { code: string; message: string } };
  assert.equal(doc.verified, false);
  assert.equal(doc.error.code, "SUBJECT_MISMATCH");
  assert.match(doc.error.message, new RegExp(`expected a statement subject with gitCommit:${commits[0]}; the statement names git\\+https://github\\.com/acme/widgets@${commits[1]}`));
  // a message signature names no commit
  const c = "fixtures/sigstore/cases/c07-key-managed-happy";
  const msg = await cli("--bundle", `${c}/bundle.sigstore.json`, "--key", `${c}/key.pub`, `gitCommit:${commits[1]}`);
  assert.equal(msg.code, 1);
  assert.match(msg.err, /STATEMENT_INVALID: expected a DSSE in-toto statement/);
});

test("--type: the exact predicate type passes, any other is refused (exit 1)", async () => {
  assert.equal((await cli(...own("--type", SLSA_PROVENANCE_V1, `gitCommit:${commits[1]}`))).code, 0);
  const other = await cli(...own("--type", "https://slsa.dev/provenance/v0.2", `gitCommit:${commits[1]}`));
  assert.equal(other.code, 1);
  assert.match(other.err, /PREDICATE_TYPE_MISMATCH: expected predicate type https:\/\/slsa\.dev\/provenance\/v0\.2, got "https:\/\/slsa\.dev\/provenance\/v1"/);
  const c = "fixtures/sigstore/cases/c04-msg-v0.3-happy";
  const msg = await cli("--bundle", `${c}/bundle.sigstore.json`, "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "--type", SLSA_PROVENANCE_V1, `${c}/artifact`);
  assert.equal(msg.code, 1);
  assert.match(msg.err, /PREDICATE_TYPE_MISMATCH: expected predicate type https:\/\/slsa\.dev\/provenance\/v1, got a message signature/);
});

test("sha512:HEX verifies npm provenance by its only subject; a bare public-good --trusted-root is named public-good", async () => {
  const d = `${GH}/08-pg-npm-provenance-sigstore-js`;
  const c = JSON.parse(readFileSync(`${d}/case.json`, "utf8")) as { identity: string; issuer: string };
  const hex = createHash("sha512").update(readFileSync(`${d}/sigstore-js-2.1.0.tgz`)).digest("hex");
  const r = await cli("--bundle", `${d}/bundle.sigstore.json`, "--trusted-root", `${d}/trusted_root.json`, "--certificate-identity", c.identity, "--certificate-oidc-issuer", c.issuer, `sha512:${hex}`);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\(trusted root public-good\)$/);
  const wrong = await cli("--bundle", `${d}/bundle.sigstore.json`, "--trusted-root", `${d}/trusted_root.json`, "--certificate-identity", c.identity, "--certificate-oidc-issuer", c.issuer, `sha512:${"0".repeat(128)}`);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /SUBJECT_MISMATCH/);
});

test("--no-oidc-issuer verifies GitHub's release attestation (no issuer extension); a bare GitHub root is named github", async () => {
  const d = `${GH}/04-gh-release-attestation-communique`;
  const hex = readFileSync(`${d}/artifact.sha256`, "utf8").split(/\s+/)[0]!;
  const base = ["--bundle", `${d}/bundle.sigstore.json`, "--trusted-root", `${d}/trusted_root.json`, "--certificate-identity", "https://dotcom.releases.github.com"];
  const r = await cli(...base, "--no-oidc-issuer", `sha256:${hex}`);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `OK: sha256:${hex} signed by https://dotcom.releases.github.com (trusted root github)`);
  const issuer = await cli(...base, "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", `sha256:${hex}`);
  assert.equal(issuer.code, 1);
  assert.match(issuer.err, /ISSUER_MISMATCH/);
  const both = await cli(...base, "--no-oidc-issuer", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", `sha256:${hex}`);
  assert.equal(both.code, 2);
  assert.match(both.err, /expected one of --certificate-oidc-issuer and --no-oidc-issuer, not both/);
  const pattern = await cli("--bundle", `${d}/bundle.sigstore.json`, "--certificate-identity-regexp", "^https://dotcom\\.releases\\.github\\.com$", "--no-oidc-issuer", `sha256:${hex}`);
  assert.equal(pattern.code, 2);
  assert.match(pattern.err, /--no-oidc-issuer needs an exact --certificate-identity/);
  const none = await cli(...base, `sha256:${hex}`);
  assert.equal(none.code, 2);
  assert.match(none.err, /--certificate-oidc-issuer URL .*or --no-oidc-issuer/);
});

test("a subject that is neither a file nor ALG:HEX of a supported algorithm is a usage error naming what is accepted", async () => {
  const cases: [string, RegExp][] = [
    [`sha1:${"a".repeat(40)}`, /sha1 is not accepted as an artifact digest; for a git commit give gitCommit:HEX/],
    [`md5:${"a".repeat(32)}`, /the digest algorithm "md5" is not one of sha256, sha384, sha512, gitCommit/],
    [`sha384:${"a".repeat(64)}`, /expected 96 hex digits after sha384:, got 64/],
    [`gitCommit:${"a".repeat(39)}`, /expected 40 \(SHA-1\) or 64 \(SHA-256\) hex digits after gitCommit:, got 39/],
    ["no-such-file", /expected an existing artifact file, sha256:HEX, sha384:HEX, sha512:HEX or gitCommit:HEX, got "no-such-file"/],
  ];
  for (const [subject, message] of cases) {
    const r = await cli(...own(subject));
    assert.equal(r.code, 2, subject);
    assert.match(r.err, message);
  }
  const hint = await cli("--bundle", join(dir, "attest.json"), "--certificate-identity", "x", "--certificate-oidc-issuer", "https://i", "--key-hint", "h", `gitCommit:${commits[1]}`);
  assert.equal(hint.code, 2);
  assert.match(hint.err, /--key-hint names a key: give it with --key/);
});

test("ALG:HEX always names a digest or commit, never a file of that name (a checkout may hold one); the output names the subject", async () => {
  const c = join(process.cwd(), "fixtures/sigstore/cases/c04-msg-v0.3-happy");
  const msg = (...extra: string[]): string[] => ["--bundle", join(c, "bundle.sigstore.json"), "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", ...extra];
  const zero = `sha256:${"0".repeat(64)}`;
  const commit = `gitCommit:${"1234".repeat(10)}`;
  const artifact = readFileSync(`${c}/artifact`);
  const hex = createHash("sha256").update(artifact).digest("hex");
  const here = process.cwd();
  const work = mkdtempSync(join(tmpdir(), "agent-gate-verify-checkout-"));
  try {
    // files named like the subjects, each holding the artifact the signer signed
    writeFileSync(join(work, zero), artifact);
    writeFileSync(join(work, commit), artifact);
    process.chdir(work);
    const digest = await cli(...msg(zero));
    assert.equal(digest.code, 1, digest.err);
    assert.match(digest.err, /ARTIFACT_MISMATCH/);
    const named = await cli(...msg("--json", commit));
    assert.equal(named.code, 1, named.out);
    assert.equal((JSON.parse(named.out) as { verified: boolean }).verified, false);
    // the file itself, given as a path
    const file = await cli(...msg(`./${zero}`));
    assert.equal(file.code, 0, file.err);
    assert.match(file.out, new RegExp(`^OK: file \\./${zero} \\(sha256:${hex}\\) signed by https://github\\.com/sigstore-conformance/`));
    const json = await cli(...msg("--json", `./${zero}`));
    assert.deepEqual((JSON.parse(json.out) as { subject: unknown }).subject, { kind: "file", subject: `sha256:${hex}`, file: `./${zero}` });
    const bad = await cli(...msg(`sha256:${"0".repeat(63)}`));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /expected 64 hex digits after sha256:, got 63/);
  } finally {
    process.chdir(here);
    rmSync(work, { recursive: true, force: true });
  }
  const byDigest = await cli(...msg("--json", `sha256:${hex}`));
  assert.equal(byDigest.code, 0, byDigest.err);
  assert.deepEqual((JSON.parse(byDigest.out) as { subject: unknown }).subject, { kind: "digest", subject: `sha256:${hex}` });
  const byCommit = await cli(...own(`gitCommit:${commits[1]}`));
  assert.match(byCommit.out, new RegExp(`^OK: gitCommit:${commits[1]} signed by key [0-9a-f]{64} \\(trusted root custom\\)$`));
});

test("a bundle or key file past its cap is refused after reading at most one byte beyond it, naming the cap", async () => {
  const big = join(dir, "big.json");
  writeFileSync(big, Buffer.alloc(8 * 1024 * 1024 + 10, 0x20));
  const r = await cli("--bundle", big, "--key", join(dir, "key.pub"), "--json", `gitCommit:${commits[1]}`);
  assert.equal(r.code, 1, r.err);
  const doc = JSON.parse(r.out) as { verified: boolean; error: { code: string; message: string } };
  assert.equal(doc.verified, false);
  assert.equal(doc.error.code, "BUNDLE_MALFORMED");
  assert.match(doc.error.message, /big\.json is \d+ bytes or more; expected at most 8388608 bytes \(8 MiB\)/);
  const key = await cli("--bundle", join(dir, "attest.json"), "--key", big, `gitCommit:${commits[1]}`);
  assert.equal(key.code, 2);
  assert.match(key.err, /public key .*big\.json is \d+ bytes or more; expected a PEM public key of at most 65536 bytes/);
});
