// `agent-gate attest --key --rekor-url --tsa-url` against a Rekor v1 or v2 and a TSA served on 127.0.0.1 by the tests'
// own Sigstore (test/support/sigstore/http.ts): the bundle carries a log entry (v1: SET + inclusion proof; v2:
// inclusion proof) and an RFC 3161 timestamp, and verifies with agent-gate's verifier at its default thresholds (one
// verified log entry), as the PR gate runs it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attestCommand } from "../../src/cli/attest.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { createKeySigner, generateSigningKey } from "../../src/adapters/sigstore/signing/index.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";
import type { SigstoreServices } from "../support/sigstore/http.js";

let dir = "";
let world: TestSigstore;
let services: SigstoreServices;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-attest-http-"));
  const git = (...a: string[]): string => execFileSync("git", ["-c", "user.name=a", "-c", "user.email=a@example.test", ...a], { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  for (const m of ["base", "agent"]) git("commit", "-q", "--allow-empty", "-m", m);
  writeFileSync(join(dir, "prompt.txt"), "Add tests.\n");
  writeFileSync(join(dir, "key.pem"), generateSigningKey().privateKeyPem);
  world = await createTestSigstore();
  services = await startSigstoreServices(world);
  writeFileSync(join(dir, "root.json"), JSON.stringify(world.trustedRoot));
});

after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

async function attestWithKey(out: string, ...extra: string[]): Promise<void> {
  const err: string[] = [];
  const code = await attestCommand(
    [
      "--repo", "acme/widgets", "--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5", "--model-version", "20250929",
      "--prompt-file", join(dir, "prompt.txt"), "--base", "HEAD~1", "--actor", "alice", "--actor-id", "5001",
      "--key", join(dir, "key.pem"), "--trusted-root", join(dir, "root.json"), "--out", join(dir, out), ...extra,
    ],
    { env: {}, cwd: dir, out: () => undefined, err: (l) => err.push(l), fetch: globalThis.fetch, now: () => new Date() },
  );
  assert.equal(code, 0, err.join("\n"));
}

function verifyWithKey(out: string): ReturnType<ReturnType<typeof createVerifier>["verify"]> {
  const signer = createKeySigner(readFileSync(join(dir, "key.pem"), "utf8"));
  return createVerifier({ trustedRoot: world.trustedRoot }).verify({
    bundle: readFileSync(join(dir, out)),
    subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" },
    signer: { kind: "key", publicKeyPem: signer.publicKeyPem, keyHint: signer.keyHint },
  });
}

test("attest --key --rekor-url --tsa-url: logged and timestamped; verifies at the gate's default thresholds", async () => {
  services.requests.length = 0;
  await attestWithKey("b.json", "--rekor-url", services.rekorUrl, "--tsa-url", services.tsaUrl);
  // the timestamp and the log entry are asked for side by side, once the envelope is signed
  assert.deepEqual([...services.requests].sort(), ["POST /rekor/api/v1/log/entries", "POST /tsa/api/v1/timestamp"]);
  const outcome = verifyWithKey("b.json");
  assert.ok(outcome.ok, outcome.ok ? "" : `${outcome.code}: ${outcome.message}`);
  assert.equal(outcome.tlogEntries.length, 1);
  assert.deepEqual(outcome.timestamps.map((t) => t.source).sort(), ["rfc3161", "tlog"]);
});

test("attest --key --rekor-version 2 --tsa-url: a hashedrekord/0.0.2 entry over the DSSE PAE (Rekor v2 has no DSSE type); verifies", async () => {
  await attestWithKey("b-v2.json", "--rekor-url", services.rekorV2Url, "--rekor-version", "2", "--tsa-url", services.tsaUrl);
  const bundle = JSON.parse(readFileSync(join(dir, "b-v2.json"), "utf8")) as { verificationMaterial: { tlogEntries: { kindVersion: unknown }[] } };
  assert.deepEqual(bundle.verificationMaterial.tlogEntries[0]?.kindVersion, { kind: "hashedrekord", version: "0.0.2" });
  const outcome = verifyWithKey("b-v2.json");
  assert.ok(outcome.ok, outcome.ok ? "" : `${outcome.code}: ${outcome.message}`);
  assert.equal(outcome.tlogEntries[0]?.rekorVersion, 2);
});
