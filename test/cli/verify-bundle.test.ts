// `agent-gate verify-bundle` as users and the sigstore-conformance harness run it: the built bin in a child process.
// `npm test` builds first; run alone, this file builds dist/ itself when it is missing.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CASES = "fixtures/sigstore/cases";
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";

before(() => {
  if (!existsSync("dist/cli/verify-bundle.js")) spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "ignore" });
  assert.ok(existsSync("dist/cli/verify-bundle.js"), "the build did not produce dist/cli/verify-bundle.js");
});

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/agent-gate.js", "verify-bundle", ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const keyless = (id: string, ...extra: string[]): string[] => ["--bundle", `${CASES}/${id}/bundle.sigstore.json`, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, ...extra];

test("a good bundle and artifact exit 0 with the pinned production root by default", () => {
  const r = run(...keyless("c04-msg-v0.3-happy"), `${CASES}/c04-msg-v0.3-happy/artifact`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
});

test("a digest stands in for the artifact when it is not a path (sha256:<hex>)", () => {
  const hex = createHash("sha256").update(readFileSync(`${CASES}/c04-msg-v0.3-happy/artifact`)).digest("hex");
  assert.equal(run(...keyless("c04-msg-v0.3-happy"), `sha256:${hex}`).status, 0);
  const wrong = run(...keyless("c04-msg-v0.3-happy"), `sha256:${"0".repeat(64)}`);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /^agent-gate verify-bundle: ARTIFACT_MISMATCH: .*\n$/);
});

test("a failing bundle exits non-zero with a one-line coded reason on stderr", () => {
  const r = run(...keyless("f07-set-invalid-signature"), `${CASES}/f07-set-invalid-signature/artifact`);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^agent-gate verify-bundle: TLOG_SET_INVALID: [^\n]+\n$/);
  const who = run("--bundle", `${CASES}/c04-msg-v0.3-happy/bundle.sigstore.json`, "--certificate-identity", "https://example.com/other", "--certificate-oidc-issuer", ISSUER, `${CASES}/c04-msg-v0.3-happy/artifact`);
  assert.equal(who.status, 1);
  assert.match(who.stderr, /IDENTITY_MISMATCH: expected signer identity https:\/\/example\.com\/other, got https:\/\/github\.com\/sigstore-conformance/);
});

test("--certificate-identity-regexp must be anchored; an anchored one verifies", () => {
  const loose = run("--bundle", `${CASES}/c04-msg-v0.3-happy/bundle.sigstore.json`, "--certificate-identity-regexp", "conformance", "--certificate-oidc-issuer", ISSUER, `${CASES}/c04-msg-v0.3-happy/artifact`);
  assert.equal(loose.status, 1);
  assert.match(loose.stderr, /POLICY_INVALID: expected an identity pattern anchored with \^\.\.\.\$/);
  const anchored = run("--bundle", `${CASES}/c04-msg-v0.3-happy/bundle.sigstore.json`, "--certificate-identity-regexp", "^https://github\\.com/sigstore-conformance/.*$", "--certificate-oidc-issuer", ISSUER, `${CASES}/c04-msg-v0.3-happy/artifact`);
  assert.equal(anchored.status, 0, anchored.stderr);
});

test("--key with a custom --trusted-root verifies a key-based bundle", () => {
  const d = `${CASES}/c08-key-managed-custom-root`;
  const r = run("--bundle", `${d}/bundle.sigstore.json`, "--key", `${d}/key.pub`, "--trusted-root", `${d}/trusted_root.json`, `${d}/artifact`);
  assert.equal(r.status, 0, r.stderr);
  const wrong = run("--bundle", `${CASES}/p03-key-valid-but-unrelated/bundle.sigstore.json`, "--key", `${CASES}/p03-key-valid-but-unrelated/key.pub`, `${CASES}/p03-key-valid-but-unrelated/artifact`);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /KEY_MISMATCH/);
});

test("--json reports signer, extensions, tlog entries, timestamps and the DSSE statement", () => {
  const r = run(...keyless("c05-dsse-intoto-slsa-v0.3", "--json"), `${CASES}/c05-dsse-intoto-slsa-v0.3/artifact`);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    verified: boolean;
    signer: { identity: string; extensions: Record<string, string> };
    tlogEntries: { logId: string; logIndex: string; integratedTime: string }[];
    timestamps: { source: string }[];
    statement: { _type: string; subject: unknown[] };
  };
  assert.equal(out.verified, true);
  assert.equal(out.signer.identity, IDENTITY);
  assert.equal(out.signer.extensions.githubWorkflowRef, "refs/heads/main");
  assert.equal(out.tlogEntries[0]?.logIndex, "155690850");
  assert.match(out.tlogEntries[0]?.logId ?? "", /^[0-9a-f]{64}$/);
  assert.equal(out.timestamps[0]?.source, "tlog");
  assert.equal(out.statement._type, "https://in-toto.io/Statement/v1");
});

test("a refused trusted root is named with its reason (exit 2: an input that cannot be used, not a failed verification)", () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-cli-"));
  try {
    const root = JSON.parse(readFileSync("trust/sigstore-production.json", "utf8")) as { tlogs: { publicKey: { validFor: { start?: string } } }[] };
    delete root.tlogs[0]!.publicKey.validFor.start;
    writeFileSync(join(dir, "root.json"), JSON.stringify(root));
    const r = run(...keyless("c04-msg-v0.3-happy", "--trusted-root", join(dir, "root.json")), `${CASES}/c04-msg-v0.3-happy/artifact`);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /TRUSTED_ROOT_INVALID: trusted root .*root\.json is refused: tlogs\[0\]\.publicKey\.validFor\.start is missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const usage: [string, string[], RegExp][] = [
  ["no --bundle", ["--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, "sha256:" + "0".repeat(64)], /expected --bundle FILE/],
  ["no signer", ["--bundle", "x.json", "sha256:" + "0".repeat(64)], /expected the signer: --certificate-identity ID .* or --key PEM/],
  ["an identity without an issuer", ["--bundle", "x.json", "--certificate-identity", IDENTITY, "sha256:" + "0".repeat(64)], /expected --certificate-oidc-issuer URL/],
  ["both --key and an identity", ["--bundle", "x.json", "--key", "k.pem", "--certificate-identity", IDENTITY, "sha256:" + "0".repeat(64)], /either --key or --certificate-identity/],
  ["neither a file nor a digest", ["--bundle", "x.json", "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, "no-such-file"], /expected an existing artifact file, sha256:HEX, sha384:HEX, sha512:HEX or gitCommit:HEX, got "no-such-file"/],
  ["an unknown option", ["--bundel", "x.json"], /Unknown option '--bundel'/],
  ["a missing bundle file", ["--bundle", "no-such.json", "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, "sha256:" + "0".repeat(64)], /cannot read bundle no-such\.json/],
];
for (const [what, args, reason] of usage) {
  test(`bad arguments: ${what} exits 2 and says what was expected`, () => {
    const r = run(...args);
    assert.equal(r.status, 2);
    assert.match(r.stderr, reason);
  });
}
