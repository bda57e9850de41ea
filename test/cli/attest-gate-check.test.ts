// `agent-gate attest` reports "signed" (exit 0) only for a bundle the PR gate accepts: it is checked with the gate's
// verifier and binding before it is written or published, and flags that have no effect or can give no verifiable
// bundle are usage errors. Services: the tests' own Fulcio, Rekor v1/v2, TSA and Actions OIDC on 127.0.0.1.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attestCommand } from "../../src/cli/attest.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { createKeySigner, generateSigningKey } from "../../src/adapters/sigstore/signing/index.js";
import { bindProvenance, PROMPT_TEXT_MAX } from "../../src/core/binding.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";
import type { SigstoreServices } from "../support/sigstore/http.js";

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
const ID_TOKEN = `${b64url({ alg: "none" })}.${b64url({ iss: DEFAULT_ISSUER, sub: "repo:acme/widgets:ref:refs/heads/main", aud: "sigstore", job_workflow_ref: DEFAULT_IDENTITY.replace("https://github.com/", ""), repository: "acme/widgets", ref: "refs/heads/main" })}.c2ln`;

let dir = "";
let world: TestSigstore;
let services: SigstoreServices;
let head = "";
let tree = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-attest-check-"));
  const git = (...a: string[]): string => execFileSync("git", ["-c", "user.name=a", "-c", "user.email=a@example.test", ...a], { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  for (const m of ["base", "agent"]) git("commit", "-q", "--allow-empty", "-m", m);
  head = git("rev-parse", "HEAD");
  tree = git("rev-parse", "HEAD^{tree}");
  writeFileSync(join(dir, "prompt.txt"), "Add tests.\n");
  writeFileSync(join(dir, "key.pem"), generateSigningKey().privateKeyPem);
  world = await createTestSigstore();
  services = await startSigstoreServices(world, { actionsIdToken: ID_TOKEN });
  writeFileSync(join(dir, "root.json"), JSON.stringify(world.trustedRoot));
});
after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

const KEYLESS_ENV = (): Record<string, string> => ({ ACTIONS_ID_TOKEN_REQUEST_URL: `${services.oidcUrl}?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" });

async function attest(args: string[], env: Record<string, string> = {}): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const code = await attestCommand(
    ["--repo", "acme/widgets", "--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5", "--model-version", "20250929",
      "--prompt-file", join(dir, "prompt.txt"), "--base", "HEAD~1", "--actor", "alice", "--actor-id", "5001", ...args],
    { env, cwd: dir, out: (l) => out.push(l), err: (l) => err.push(l), fetch: globalThis.fetch, now: () => new Date() },
  );
  return { code, err: err.join("\n"), out: out.join("\n") };
}

const key = (): string[] => ["--key", join(dir, "key.pem")];
const root = (): string[] => ["--trusted-root", join(dir, "root.json")];

/** The gate's view of a written bundle: verified by its verifier (any identity, or the key) and bound to HEAD. */
function gateVerdict(file: string): string {
  const signer = createKeySigner(readFileSync(join(dir, "key.pem"), "utf8"));
  const o = createVerifier({ trustedRoot: world.trustedRoot }).verifyAny({
    bundle: readFileSync(join(dir, file)),
    subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" },
    signers: [{ kind: "any-certificate" }, { kind: "key", publicKeyPem: signer.publicKeyPem, keyHint: signer.keyHint }],
  });
  if (!o.ok) return o.code;
  const b = bindProvenance({ repository: { owner: "acme", name: "widgets", id: 1 }, commits: [{ sha: head, treeSha: tree }], bundles: [o] });
  return b.commits[0]!.covered ? "covered" : `not covered: ${b.commits[0]!.rejected.map((r) => r.code).join(", ")}`;
}

test("a key-signed bundle with nothing logged is refused (exit 1) naming --rekor-url, and nothing is written", async () => {
  for (const extra of [[], ["--tsa-url", services.tsaUrl]]) {
    const r = await attest([...key(), ...root(), "--out", join(dir, "unlogged.json"), ...extra]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /ATTESTATION_UNVERIFIABLE: the PR gate would refuse this bundle, so it is neither written nor published: a key-signed bundle needs --rekor-url: nothing was logged/);
    assert.equal(existsSync(join(dir, "unlogged.json")), false);
  }
});

test("exit 0 only for bundles the gate verifies and binds: key with Rekor v1, key with Rekor v2 and a TSA, keyless", async () => {
  const cases: [string, string[], Record<string, string>][] = [
    ["key, Rekor v1", [...key(), "--rekor-url", services.rekorUrl], {}],
    ["key, Rekor v2 + TSA", [...key(), "--rekor-url", services.rekorV2Url, "--rekor-version", "2", "--tsa-url", services.tsaUrl], {}],
    ["keyless, Rekor v1", ["--fulcio-url", services.fulcioUrl, "--rekor-url", services.rekorUrl], KEYLESS_ENV()],
  ];
  for (const [what, args, env] of cases) {
    const file = `ok-${what.replace(/\W+/g, "-")}.json`;
    const r = await attest([...args, ...root(), "--out", join(dir, file)], env);
    assert.equal(r.code, 0, `${what}: ${r.err}`);
    assert.match(r.err, /checked as the PR gate checks it \(trusted root custom\)/);
    assert.equal(gateVerdict(file), "covered", what);
  }
});

test("a private deployment's bundle checked against the public-good root is refused, naming --trusted-root", async () => {
  const r = await attest([...key(), "--rekor-url", services.rekorUrl, "--out", join(dir, "pg.json")]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /ATTESTATION_UNVERIFIABLE: .*it was checked against the pinned public-good trusted root; for a private Sigstore deployment give its --trusted-root .*\(TLOG_/);
  const keyless = await attest(["--fulcio-url", services.fulcioUrl, "--rekor-url", services.rekorUrl, "--out", join(dir, "pg2.json")], KEYLESS_ENV());
  assert.equal(keyless.code, 1, keyless.err);
  assert.match(keyless.err, /ATTESTATION_UNVERIFIABLE: .*give its --trusted-root .*\(CERTIFICATE_CHAIN_INVALID/);
  assert.equal(existsSync(join(dir, "pg.json")) || existsSync(join(dir, "pg2.json")), false);
});

test("flags with no effect or no verifiable result are usage errors (exit 2), before anything is signed", async () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ["key, Rekor v2 without a TSA", [...key(), "--rekor-url", services.rekorV2Url, "--rekor-version", "2"], {}, /a Rekor v2 entry carries no signed time: give --tsa-url with --rekor-version 2/],
    ["keyless, Rekor v2 without a TSA", ["--fulcio-url", services.fulcioUrl, "--rekor-url", services.rekorV2Url, "--rekor-version", "2"], KEYLESS_ENV(), /a Rekor v2 entry carries no signed time/],
    ["key, --rekor-version without --rekor-url", [...key(), "--rekor-version", "2", "--tsa-url", services.tsaUrl], {}, /--rekor-version has no effect without --rekor-url/],
    ["key, --rekor-version 1 without --rekor-url", [...key(), "--rekor-version", "1"], {}, /--rekor-version has no effect without --rekor-url/],
    ["keyless, --rekor-version without --rekor-url", ["--rekor-version", "1"], KEYLESS_ENV(), /--rekor-version needs --rekor-url/],
    ["key, --fulcio-url", [...key(), "--rekor-url", services.rekorUrl, "--fulcio-url", services.fulcioUrl], {}, /--fulcio-url has no effect with --key/],
    ["--pr without --publish", [...key(), "--rekor-url", services.rekorUrl, "--pr", "7"], {}, /--pr has no effect without --publish pr/],
    ["--repo with a ref", [...key(), "--rekor-url", services.rekorUrl, "--repo", "acme/widgets@main"], {}, /expected --repo OWNER\/REPO .*got "acme\/widgets@main"/],
    ["--repo as a URL", [...key(), "--rekor-url", services.rekorUrl, "--repo", "https://github.com/acme/widgets"], {}, /expected --repo OWNER\/REPO/],
    ["--repo with .git", [...key(), "--rekor-url", services.rekorUrl, "--repo", "acme/widgets.git"], {}, /expected --repo OWNER\/REPO/],
    ["--repo with a bad owner", [...key(), "--rekor-url", services.rekorUrl, "--repo", "ac_me/widgets"], {}, /expected --repo OWNER\/REPO/],
    ["an unusable --trusted-root", [...key(), "--rekor-url", services.rekorUrl, "--trusted-root", join(dir, "prompt.txt")], {}, /TRUSTED_ROOT_INVALID: cannot read trusted root/],
  ];
  for (const [what, args, env, message] of cases) {
    services.requests.length = 0;
    const r = await attest([...args, ...(args.includes("--trusted-root") ? [] : root())], env);
    assert.equal(r.code, 2, `${what}: ${r.err}`);
    assert.match(r.err, message, what);
    assert.deepEqual(services.requests, [], `${what}: nothing is asked of any service`);
  }
});

test("an included prompt over the gate's cap is a usage error; recorded by digest it is signed", async () => {
  writeFileSync(join(dir, "big.txt"), "Refactor the widget parser.\n".repeat(Math.ceil((PROMPT_TEXT_MAX + 1) / 28)));
  const r = await attest([...key(), "--rekor-url", services.rekorUrl, ...root(), "--prompt-file", join(dir, "big.txt"), "--include-prompt"]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, new RegExp(`--include-prompt: .*big\\.txt has \\d+ characters; an included prompt is at most ${PROMPT_TEXT_MAX} .*PROMPT_TOO_LARGE.*Drop --include-prompt`));
  const digest = await attest([...key(), "--rekor-url", services.rekorUrl, ...root(), "--prompt-file", join(dir, "big.txt"), "--out", join(dir, "big.json")]);
  assert.equal(digest.code, 0, digest.err);
  assert.equal(gateVerdict("big.json"), "covered");
});

test("--commit-trailers refuses every signing flag, --trusted-root and --rekor-version included", async () => {
  for (const flag of [["--trusted-root", "x"], ["--rekor-version", "1"], ["--pr", "7"], ["--repo", "acme/widgets"]]) {
    const err: string[] = [];
    const code = await attestCommand(["--commit-trailers", "--agent", "a", "--model", "p/m", "--prompt-file", join(dir, "prompt.txt"), ...flag], { env: {}, cwd: dir, out: () => undefined, err: (l) => err.push(l) });
    assert.equal(code, 2, flag[0]);
    assert.match(err.join("\n"), new RegExp(`--commit-trailers signs nothing: drop ${flag[0]}`));
  }
});
