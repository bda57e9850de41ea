// `agent-gate attest --key --rekor-url --tsa-url` against a Rekor v1 and a TSA served on 127.0.0.1 by the tests'
// own Sigstore: the bundle carries a log entry (SET + inclusion proof) and an RFC 3161 timestamp, and verifies with
// agent-gate's verifier at its default thresholds (one verified log entry), as the PR gate runs it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attestCommand } from "../../src/cli/attest.js";
import { tlogEntryFromRekorV1 } from "../../src/app/attest.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { createKeySigner, generateSigningKey } from "../../src/adapters/sigstore/signing/index.js";
import type { TlogEntryJson } from "../../src/adapters/sigstore/signing/index.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { startMockTsa } from "../interop/mock-tsa.js";
import type { MockTsa } from "../interop/mock-tsa.js";

let dir = "";
let world: TestSigstore;
let tsa: MockTsa;
let rekor: Server;
let rekorUrl = "";
let posted = 0;

const b64ToHex = (b: string): string => Buffer.from(b, "base64").toString("hex");

/** The Rekor v1 API answer for a logged entry (the inverse of tlogEntryFromRekorV1). */
function apiAnswer(e: TlogEntryJson): Record<string, unknown> {
  const p = e.inclusionProof!;
  return {
    [`uuid${e.logIndex}`]: {
      body: e.canonicalizedBody,
      integratedTime: Number(e.integratedTime),
      logID: b64ToHex(e.logId.keyId),
      logIndex: Number(e.logIndex),
      verification: {
        signedEntryTimestamp: e.inclusionPromise?.signedEntryTimestamp,
        inclusionProof: { checkpoint: p.checkpoint.envelope, hashes: p.hashes.map(b64ToHex), logIndex: Number(p.logIndex), rootHash: b64ToHex(p.rootHash), treeSize: Number(p.treeSize) },
      },
    },
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-attest-http-"));
  const git = (...a: string[]): string => execFileSync("git", ["-c", "user.name=a", "-c", "user.email=a@example.test", ...a], { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  for (const m of ["base", "agent"]) git("commit", "-q", "--allow-empty", "-m", m);
  writeFileSync(join(dir, "prompt.txt"), "Add tests.\n");
  writeFileSync(join(dir, "key.pem"), generateSigningKey().privateKeyPem);
  world = await createTestSigstore();
  tsa = await startMockTsa(world.tsa);
  rekor = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/api/v1/log/entries") return void res.writeHead(404).end();
      posted++;
      const entry = world.rekorV1.log(JSON.parse(body) as never, new Date(Math.floor(Date.now() / 1000) * 1000));
      res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify(apiAnswer(entry)));
    });
  });
  await new Promise<void>((r) => rekor.listen(0, "127.0.0.1", r));
  rekorUrl = `http://127.0.0.1:${(rekor.address() as AddressInfo).port}`;
});

after(async () => {
  await tsa.close();
  await new Promise<void>((r) => rekor.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

test("attest --key --rekor-url --tsa-url: logged and timestamped; verifies at the gate's default thresholds", async () => {
  const err: string[] = [];
  const code = await attestCommand(
    [
      "--repo", "acme/widgets", "--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5", "--model-version", "20250929",
      "--prompt-file", join(dir, "prompt.txt"), "--base", "HEAD~1", "--actor", "alice", "--actor-id", "5001",
      "--key", join(dir, "key.pem"), "--rekor-url", rekorUrl, "--tsa-url", tsa.url, "--out", join(dir, "b.json"),
    ],
    { env: {}, cwd: dir, out: () => undefined, err: (l) => err.push(l), fetch: globalThis.fetch, now: () => new Date() },
  );
  assert.equal(code, 0, err.join("\n"));
  assert.equal(posted, 1);
  const signer = createKeySigner(readFileSync(join(dir, "key.pem"), "utf8"));
  const outcome = createVerifier({ trustedRoot: world.trustedRoot }).verify({
    bundle: readFileSync(join(dir, "b.json")),
    subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" },
    signer: { kind: "key", publicKeyPem: signer.publicKeyPem, keyHint: signer.keyHint },
  });
  assert.ok(outcome.ok, outcome.ok ? "" : `${outcome.code}: ${outcome.message}`);
  assert.equal(outcome.tlogEntries.length, 1);
  assert.deepEqual(outcome.timestamps.map((t) => t.source).sort(), ["rfc3161", "tlog"]);
});

test("a Rekor answer converts field for field (hex ids and hashes to base64)", () => {
  const e = tlogEntryFromRekorV1({
    body: Buffer.from(JSON.stringify({ kind: "dsse", apiVersion: "0.0.1" })).toString("base64"),
    integratedTime: 1700000000,
    logID: "ab".repeat(32),
    logIndex: 7,
    verification: { signedEntryTimestamp: "U0VU", inclusionProof: { checkpoint: "cp", hashes: ["00ff"], logIndex: 7, rootHash: "11".repeat(32), treeSize: 9 } },
  });
  assert.deepEqual(e.kindVersion, { kind: "dsse", version: "0.0.1" });
  assert.equal(e.logId.keyId, Buffer.from("ab".repeat(32), "hex").toString("base64"));
  assert.deepEqual(e.inclusionProof?.hashes, ["AP8="]);
  assert.equal(e.inclusionPromise?.signedEntryTimestamp, "U0VU");
});
