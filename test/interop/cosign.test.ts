// Interoperability with cosign (the pinned binary scripts/install-tools.sh installs at .tools/bin/cosign), offline:
// no Fulcio, no TUF; a timestamp authority and (for agent-gate attest, which refuses a key-signed bundle the PR gate
// would refuse: one with no log entry) a Rekor on 127.0.0.1 (test/support/sigstore/http.ts) that sign with the keys
// of the tests' own Sigstore (createTestSigstore), whose trusted root agent-gate is given.
//
//   agent-gate attest --key (PEM, or cosign's own key file)  ->  cosign verify-blob-attestation --key
//   cosign attest-blob --key / cosign sign-blob --key (new bundle format)  ->  agent-gate's verifier with the key
//   cosign sign-blob --key --new-bundle-format=false (legacy `--bundle` JSON)  ->  agent-gate refuses it (no log entry)
//
// cosign against our Fulcio and Rekor (legacy bundles with a SET, keyless, Rekor v2): cosign-services.test.ts.
// When cosign is missing the tests skip locally and FAIL under CI=true.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attestCommand } from "../../src/cli/attest.js";
import type { AttestIo } from "../../src/cli/attest.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { SLSA_PROVENANCE_V1 } from "../../src/core/provenance.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";
import type { SigstoreServices } from "../support/sigstore/http.js";
import { cosignCli, HAVE_COSIGN as HAVE, skipWithoutCosign as skip } from "./cosign-cli.js";
import type { CosignCli } from "./cosign-cli.js";

let dir = "";
let world: TestSigstore;
let services: SigstoreServices;
let cli: CosignCli;
let repo = "";
let commits: string[] = [];

const sh = (cmd: string, args: string[]): ReturnType<CosignCli["sh"]> => cli.sh(cmd, args);
const cosign = (...args: string[]): ReturnType<CosignCli["sync"]> => cli.sync(args);
/** cosign while this process keeps serving the TSA (spawnSync would block its event loop). */
const cosignAsync = (...args: string[]): ReturnType<CosignCli["run"]> => cli.run(args);
// --signing-config tsa.json: sign with the key, timestamp at the test TSA, no Fulcio and no Rekor; --trusted-root:
// the tests' own root, so cosign looks for no public-good trust material (it would otherwise try TUF)
const SIGN_OFFLINE = (config: string): string[] => ["--signing-config", config, "--trusted-root", "trusted_root.json", "--yes"];
const git = (...args: string[]): string => {
  const r = sh("git", ["-C", repo, "-c", "user.name=agent", "-c", "user.email=agent@example.test", ...args]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

function io(): AttestIo & { errors: string[] } {
  const errors: string[] = [];
  return { env: {}, cwd: repo, out: () => undefined, err: (l) => errors.push(l), fetch: globalThis.fetch, now: () => new Date(), errors };
}

async function attest(out: string, ...extra: string[]): Promise<void> {
  const i = io();
  const code = await attestCommand(
    [
      "--repo", "acme/widgets", "--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5",
      "--model-version", "20250929", "--prompt-file", join(dir, "prompt.txt"), "--base", "HEAD~2", "--actor", "alice", "--actor-id", "5001",
      "--key", join(dir, "agent.pem"), "--rekor-url", services.rekorUrl, "--trusted-root", join(dir, "trusted_root.json"), "--out", join(dir, out), ...extra,
    ],
    i,
  );
  assert.equal(code, 0, i.errors.join("\n"));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-cosign-"));
  cli = cosignCli(dir);
  repo = join(dir, "repo");
  sh("mkdir", ["-p", repo, join(dir, "home")]);
  git("init", "-q", "-b", "main");
  for (const m of ["base", "agent: parser", "agent: tests"]) git("commit", "-q", "--allow-empty", "-m", m);
  commits = git("rev-list", "--reverse", "HEAD~2..HEAD").split("\n");
  writeFileSync(join(dir, "prompt.txt"), "Validate widget input and add tests.\n");
  writeFileSync(join(dir, "blob.txt"), "an artifact\n");
  writeFileSync(join(dir, "predicate.json"), JSON.stringify({ buildDefinition: { buildType: "https://example.test/cosign" }, runDetails: {} }));
  world = await createTestSigstore();
  services = await startSigstoreServices(world);
  writeFileSync(join(dir, "trusted_root.json"), JSON.stringify(world.trustedRoot));
  if (!HAVE) return;
  // cosign's key pair (its encrypted key format) and a PEM EC key for agent-gate, imported into cosign too
  assert.equal(cosign("generate-key-pair").status, 0);
  const gen = sh("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "agent.pem"]);
  assert.equal(gen.status, 0, gen.stderr);
  assert.equal(sh("openssl", ["pkey", "-in", "agent.pem", "-pubout", "-out", "agent.pub"]).status, 0);
  // signing configs: no Fulcio, no Rekor; one with the mock TSA only, one with nothing at all
  assert.equal(cosign("signing-config", "create", "--out", "none.json").status, 0);
  const withTsa = cosign(
    "signing-config", "create", `--tsa=url=${services.tsaUrl},api-version=1,start-time=2020-01-01T00:00:00Z,operator=agent-gate.test`,
    "--tsa-config=EXACT:1", "--out", "tsa.json",
  );
  assert.equal(withTsa.status, 0, withTsa.stderr);
});

after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

// --insecure-ignore-tlog waives cosign's transparency-log check: attest logs in the tests' Rekor, whose key cosign is
// not given here (cosign's own bundles below are never logged). With --key, cosign needs no trusted root (no certificate chain, no log, no timestamp to check), so nothing is
// fetched. --digest/--digestAlg gitCommit names the subject (the commit) instead of a blob file, since
// agent-gate's subjects are commits; --check-claims (default true) makes cosign match it against the statement.
const verifyAttestation = (bundle: string, key: string, ...extra: string[]): ReturnType<typeof sh> =>
  cosign("verify-blob-attestation", "--key", key, "--bundle", bundle, "--type", SLSA_PROVENANCE_V1, "--insecure-ignore-tlog=true", ...extra);

test("agent-gate attest --key: cosign verify-blob-attestation --key accepts the bundle for each signed commit", { skip }, async () => {
  await attest("attest.json");
  for (const c of commits) {
    const r = verifyAttestation("attest.json", "agent.pub", "--check-claims=true", "--digest", c, "--digestAlg", "gitCommit");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /Verified OK/);
  }
});

test("agent-gate attest --key cosign.key (cosign's encrypted key file, COSIGN_PASSWORD): cosign verifies with cosign.pub", { skip }, async () => {
  const i = io();
  const code = await attestCommand(
    [
      "--repo", "acme/widgets", "--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5",
      "--model-version", "20250929", "--prompt-file", join(dir, "prompt.txt"), "--base", "HEAD~2", "--actor", "alice", "--actor-id", "5001",
      "--key", join(dir, "cosign.key"), "--rekor-url", services.rekorUrl, "--trusted-root", join(dir, "trusted_root.json"), "--out", join(dir, "attest-cosign-key.json"),
    ],
    { ...i, env: { COSIGN_PASSWORD: "" } },
  );
  assert.equal(code, 0, i.errors.join("\n"));
  const r = verifyAttestation("attest-cosign-key.json", "cosign.pub", "--digest", commits[0]!, "--digestAlg", "gitCommit");
  assert.equal(r.status, 0, r.stderr);
});

test("cosign refuses the agent-gate bundle for another commit, another key, another predicate type", { skip }, async () => {
  await attest("attest-neg.json");
  const other = createHash("sha1").update("another commit").digest("hex");
  assert.notEqual(verifyAttestation("attest-neg.json", "agent.pub", "--digest", other, "--digestAlg", "gitCommit").status, 0, "another commit");
  assert.notEqual(verifyAttestation("attest-neg.json", "cosign.pub", "--check-claims=false").status, 0, "another key");
  const wrongType = cosign("verify-blob-attestation", "--key", "agent.pub", "--bundle", "attest-neg.json", "--type", "https://example.test/other", "--insecure-ignore-tlog=true", "--check-claims=true", "--digest", commits[0]!, "--digestAlg", "gitCommit");
  assert.notEqual(wrongType.status, 0, "another predicate type");
});

test("agent-gate attest --key --tsa-url: cosign verifies it with the TSA timestamp too (--use-signed-timestamps, --trusted-root)", { skip }, async () => {
  await attest("attest-tsa.json", "--tsa-url", services.tsaUrl);
  const r = verifyAttestation("attest-tsa.json", "agent.pub", "--use-signed-timestamps=true", "--trusted-root", "trusted_root.json", "--digest", commits[1]!, "--digestAlg", "gitCommit");
  assert.equal(r.status, 0, r.stderr);
  // and agent-gate's own verifier accepts it with the same root
  const outcome = offlineVerifier().verify({
    bundle: readFileSync(join(dir, "attest-tsa.json")),
    subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" },
    signer: { kind: "key", publicKeyPem: readFileSync(join(dir, "agent.pub"), "utf8") },
  });
  assert.ok(outcome.ok, outcome.ok ? "" : `${outcome.code}: ${outcome.message}`);
});

// agent-gate's verifier requires a verified log entry by default (tlogThreshold 1, as the PR gate runs it); these
// bundles were never logged, so tlogThreshold 0 waives that, and the RFC 3161 timestamp is the signed time.
const offlineVerifier = (): ReturnType<typeof createVerifier> => createVerifier({ trustedRoot: world.trustedRoot, tlogThreshold: 0 });

function verifyInAgentGate(bundleFile: string, subject: Parameters<ReturnType<typeof createVerifier>["verify"]>[0]["subject"], keyFile = "cosign.pub") {
  return offlineVerifier().verify({
    bundle: readFileSync(join(dir, bundleFile)),
    subject,
    signer: { kind: "key", publicKeyPem: readFileSync(join(dir, keyFile), "utf8") },
  });
}
const blob = (): { kind: "artifact"; bytes: Buffer } => ({ kind: "artifact", bytes: readFileSync(join(dir, "blob.txt")) });

test("cosign sign-blob --key --bundle (new format, TSA timestamp): agent-gate verifies it with the key", { skip }, async () => {
  const r = await cosignAsync("sign-blob", "--key", "cosign.key", ...SIGN_OFFLINE("tsa.json"), "--bundle", "sign-blob.json", "blob.txt");
  assert.equal(r.status, 0, r.stderr);
  const ok = verifyInAgentGate("sign-blob.json", blob());
  assert.ok(ok.ok, ok.ok ? "" : `${ok.code}: ${ok.message}`);
  assert.deepEqual(ok.timestamps.map((t) => t.source), ["rfc3161"]);
  // the wrong key and the wrong artifact are refused
  assert.equal(verifyInAgentGate("sign-blob.json", blob(), "agent.pub").ok, false);
  assert.equal(verifyInAgentGate("sign-blob.json", { kind: "artifact", bytes: Buffer.from("another artifact\n") }).ok, false);
});

test("cosign attest-blob --key --bundle (new format, TSA timestamp): agent-gate verifies the DSSE statement with the key", { skip }, async () => {
  const r = await cosignAsync("attest-blob", "--key", "cosign.key", ...SIGN_OFFLINE("tsa.json"), "--bundle", "attest-blob.json", "--type", SLSA_PROVENANCE_V1, "--predicate", "predicate.json", "blob.txt");
  assert.equal(r.status, 0, r.stderr);
  const ok = verifyInAgentGate("attest-blob.json", blob());
  assert.ok(ok.ok, ok.ok ? "" : `${ok.code}: ${ok.message}`);
  assert.equal(ok.contentKind, "dsse");
  assert.equal(verifyInAgentGate("attest-blob.json", { kind: "artifact", bytes: Buffer.from("another artifact\n") }).ok, false);
});

test("cosign bundles with neither a log entry nor a timestamp are refused: NO_SIGNED_TIME (fail closed)", { skip }, () => {
  assert.equal(cosign("sign-blob", "--key", "cosign.key", ...SIGN_OFFLINE("none.json"), "--bundle", "bare-sign.json", "blob.txt").status, 0);
  assert.equal(cosign("attest-blob", "--key", "cosign.key", ...SIGN_OFFLINE("none.json"), "--bundle", "bare-attest.json", "--type", SLSA_PROVENANCE_V1, "--predicate", "predicate.json", "blob.txt").status, 0);
  for (const f of ["bare-sign.json", "bare-attest.json"]) {
    const out = verifyInAgentGate(f, blob());
    assert.equal(out.ok, false, f);
    if (!out.ok) assert.equal(out.code, "NO_SIGNED_TIME", `${f}: ${out.message}`);
  }
});

test("cosign's legacy sign-blob --bundle JSON without a Rekor entry is refused, naming what is missing", { skip }, () => {
  const r = cosign("sign-blob", "--key", "cosign.key", "--tlog-upload=false", "--use-signing-config=false", "--new-bundle-format=false", "--bundle", "legacy.json", "--yes", "blob.txt");
  assert.equal(r.status, 0, r.stderr);
  const legacy = JSON.parse(readFileSync(join(dir, "legacy.json"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(legacy), ["base64Signature"], "cosign wrote only the signature: no rekorBundle, no certificate");
  const out = verifyInAgentGate("legacy.json", blob());
  assert.equal(out.ok, false);
  if (!out.ok) assert.match(`${out.code} ${out.message}`, /rekor|log|bundle/i);
});
