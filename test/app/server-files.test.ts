// The files the App's settings name are read before anything is opened, all at once, each problem naming its
// variable; the policy bundle goes through the one loader (a pin without a bundle is refused, never the built-in
// policy instead); and a start that fails after the database opened closes it (its directory's lock with it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../../src/app-server.js";
import { BUILTIN_BUNDLE_PATH, sha256Hex } from "../../src/adapters/opa/bundle-source.js";
import { loadServerFiles } from "../../src/config/server-files.js";

const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const base = { APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: "a-test-webhook-secret", PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" as const, AGENT_GATE_RECONCILE_SECONDS: "0", AGENT_GATE_GITHUB_API_URL: "http://127.0.0.1:9", AGENT_GATE_POLICY_THREADS: "0" };
const pin = sha256Hex(readFileSync(BUILTIN_BUNDLE_PATH));

test("a bundle pin without the bundle (its variable missing or misspelt) is refused, not replaced by the built-in policy", async () => {
  await assert.rejects(startServer({ ...base, AGENT_GATE_DATA_DIR: "memory://", AGENT_GATE_POLICY_SHA256: pin }), /AGENT_GATE_POLICY_SHA256 is set without AGENT_GATE_POLICY_BUNDLE/);
  // The loader the server reads the bundle with refuses it too, naming the variable.
  await assert.rejects(loadServerFiles({ AGENT_GATE_POLICY_SHA256: pin }, {}), /AGENT_GATE_POLICY_BUNDLE: a bundle sha256 was given without a bundle location/);
  assert.equal((await loadServerFiles({ AGENT_GATE_POLICY_BUNDLE: BUILTIN_BUNDLE_PATH, AGENT_GATE_POLICY_SHA256: pin }, {})).bundle.source, BUILTIN_BUNDLE_PATH);
  assert.equal((await loadServerFiles({}, {})).bundle.source, "builtin");
});

test("every bad file setting is named in one message, before the database is opened", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-files-"));
  try {
    const keys = join(dir, "keys.json");
    writeFileSync(keys, "{not json");
    const dataDir = join(dir, "data");
    await assert.rejects(
      startServer({
        ...base,
        AGENT_GATE_DATA_DIR: dataDir,
        AGENT_GATE_TRUSTED_KEYS: keys,
        AGENT_GATE_TRUSTED_ROOT: join(dir, "missing-root.json"),
        AGENT_GATE_POLICY_BUNDLE: join(dir, "missing-bundle.tar.gz"),
        AGENT_GATE_POLICY_SHA256: pin,
        AGENT_GATE_TUF_ROOT: join(dir, "missing-tuf-root.json"),
      }),
      (e: unknown) => {
        const m = e instanceof Error ? e.message : "";
        assert.match(m, /^4 file settings are invalid:/);
        assert.match(m, new RegExp(`\\n {2}AGENT_GATE_TRUSTED_ROOT: cannot read trusted root ${join(dir, "missing-root.json")}`));
        assert.match(m, new RegExp(`\\n {2}AGENT_GATE_TRUSTED_KEYS: ${keys}: is not JSON; expected a JSON file`));
        assert.match(m, new RegExp(`\\n {2}AGENT_GATE_POLICY_BUNDLE: cannot read policy bundle ${join(dir, "missing-bundle.tar.gz")}`));
        assert.match(m, /\n {2}AGENT_GATE_TUF_ROOT: cannot read .*missing-tuf-root\.json \(ENOENT\)/);
        return true;
      },
    );
    assert.equal(existsSync(dataDir), false, "the embedded database was not opened (nor created)");
    writeFileSync(keys, JSON.stringify({ k: "not a key" }));
    await assert.rejects(loadServerFiles({ AGENT_GATE_TRUSTED_KEYS: keys }, {}), /^AgentGateError: 1 file setting is invalid:\n {2}AGENT_GATE_TRUSTED_KEYS: .*keys\.json: k: expected a PEM public key/);
    await assert.rejects(loadServerFiles({ AGENT_GATE_TRUSTED_KEYS: join(dir, "none.json") }, {}), /AGENT_GATE_TRUSTED_KEYS: .*none\.json: cannot be read \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a start that fails after the embedded database opened closes it: the next start takes the directory", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-failed-start-"));
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  try {
    const port = String((taken.address() as AddressInfo).port);
    // The port is taken: the start fails at its very end, after the database, the queue and the workers.
    await assert.rejects(startServer({ ...base, PORT: port, AGENT_GATE_DATA_DIR: dir }), /is already in use/);
    assert.equal(existsSync(join(dir, "lock")), false, "the data directory's lock was released");
    const server = await startServer({ ...base, AGENT_GATE_DATA_DIR: dir });
    try {
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/readyz`)).status, 200);
    } finally {
      await server.stop();
    }
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});
