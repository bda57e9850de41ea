// Signed checkpoints (issue 18 item 5): `audit checkpoint --sign-key` signs the head with the App's RSA key (or an
// Ed25519 key); `audit verify --checkpoint @FILE --checkpoint-key PUB` accepts only a checkpoint signed by that key.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, type CliRun } from "../support/cli.js";
import { signCheckpoint, verifySignedCheckpoint } from "../../src/core/audit-sign.js";
import { openStorage } from "../../src/adapters/storage/index.js";
import { sampleEvent } from "../adapters/storage/events.js";
import { tempDir } from "../adapters/storage/support.js";

const cli = (...args: string[]): Promise<CliRun> => runCli(["audit", ...args]);

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ed = generateKeyPairSync("ed25519");
const pem = (k: { export(o: { type: "pkcs8" | "spki"; format: "pem" }): string | Buffer }, type: "pkcs8" | "spki"): string => k.export({ type, format: "pem" }).toString();

describe("signed checkpoints", () => {
  const dir = tempDir("agent-gate-signed-cp-");
  const dataDir = join(dir.path, "log");
  const file = (name: string, body: string): string => (writeFileSync(join(dir.path, name), body), join(dir.path, name));
  before(async () => {
    const s = await openStorage({ dataDir });
    try {
      for (let i = 1; i <= 3; i++) await s.audit.append(sampleEvent(i));
    } finally {
      await s.close();
    }
  });
  after(() => dir.remove());

  test("the core: RSA and Ed25519 sign and verify; an edit or another key is refused", () => {
    const cp = { seq: 7, hash: "a".repeat(64) };
    for (const [priv, pub] of [
      [pem(rsa.privateKey, "pkcs8"), pem(rsa.publicKey, "spki")],
      [pem(ed.privateKey, "pkcs8"), pem(ed.publicKey, "spki")],
    ] as const) {
      const signed = signCheckpoint(cp, priv, "weekly");
      assert.deepEqual(verifySignedCheckpoint(JSON.stringify(signed), pub, "t"), cp);
      assert.throws(() => verifySignedCheckpoint(JSON.stringify({ ...signed, seq: 8 }), pub, "t"), /not valid for the key/);
      assert.throws(() => verifySignedCheckpoint(JSON.stringify(signed), pem(other.publicKey, "spki"), "t"), /not valid|expected/);
    }
    assert.equal(signCheckpoint(cp, pem(rsa.privateKey, "pkcs8")).signature.alg, "rsa-pkcs1-sha256");
    assert.throws(() => verifySignedCheckpoint(JSON.stringify(cp), pem(rsa.publicKey, "spki"), "t"), /expected a signed checkpoint/);
  });

  test("checkpoint --sign-key, then verify --checkpoint-key: ok; altered, unsigned or another key's: exit 1", async () => {
    const c = await cli("checkpoint", "--note", "weekly", "--sign-key", file("app.pem", pem(rsa.privateKey, "pkcs8")), "--data-dir", dataDir);
    assert.equal(c.code, 0, c.err);
    const signed = JSON.parse(c.out) as { seq: number; hash: string; signature: { alg: string } };
    assert.equal(signed.signature.alg, "rsa-pkcs1-sha256");
    const pub = file("app.pub", pem(rsa.publicKey, "spki"));
    const ok = await cli("verify", "--checkpoint", `@${file("cp.json", c.out)}`, "--checkpoint-key", pub, "--data-dir", dataDir);
    assert.equal(ok.code, 0, ok.out + ok.err);
    const altered = await cli("verify", "--checkpoint", `@${file("bad.json", JSON.stringify({ ...signed, hash: "b".repeat(64) }))}`, "--checkpoint-key", pub, "--data-dir", dataDir);
    assert.equal(altered.code, 1);
    assert.match(altered.err, /not valid for the key/);
    const unsigned = await cli("verify", "--checkpoint", `${signed.seq}:${signed.hash}`, "--checkpoint-key", pub, "--data-dir", dataDir);
    assert.equal(unsigned.code, 1);
    const another = await cli("verify", "--checkpoint", `@${join(dir.path, "cp.json")}`, "--checkpoint-key", file("o.pub", pem(other.publicKey, "spki")), "--data-dir", dataDir);
    assert.equal(another.code, 1);
  });
});
