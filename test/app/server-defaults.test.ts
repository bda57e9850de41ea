// Safe defaults of `npm start` (issue 16): loopback unless HOST says otherwise, /metrics behind a bearer token when
// one is set, every missing setting named at once with what to set, the env file `agent-gate setup` writes read at
// start, and the TUF-refreshed trusted root wired into /readyz and /metrics.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../../src/app-server.js";
import { loadEnvFile, readAllSettings, readServerEnv } from "../../src/config/server-env.js";
import { localTufRepo } from "../support/tuf-repo.js";

const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const base = { APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: "a-test-webhook-secret", PORT: "0", LOG_LEVEL: "silent" as const, AGENT_GATE_DATA_DIR: "memory://", AGENT_GATE_RECONCILE_SECONDS: "0", AGENT_GATE_GITHUB_API_URL: "http://127.0.0.1:9", AGENT_GATE_POLICY_THREADS: "0" };

/** This machine's first address that is not loopback, if it has one. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return undefined;
}

test("without HOST the server listens on loopback only; HOST=0.0.0.0 (the image's) opens it, with a metrics token", { timeout: 120_000 }, async (t) => {
  assert.equal(readServerEnv(base).HOST, "127.0.0.1");
  assert.equal(readServerEnv({ ...base, HOST: "0.0.0.0", AGENT_GATE_METRICS_TOKEN: "metrics-token-0123456789abcdef" }).HOST, "0.0.0.0");
  const outside = outsideAddress();
  const server = await startServer(base);
  try {
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status, 200);
    if (!outside) return t.diagnostic("no address besides loopback on this machine: only the setting is checked");
    await assert.rejects(fetch(`http://${outside}:${server.port}/healthz`), "reachable from outside the machine");
  } finally {
    await server.stop();
  }
});

test("with AGENT_GATE_METRICS_TOKEN, /metrics answers 401 without the token or with a wrong one; the trusted root refreshed through TUF shows on /readyz and /metrics", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-defaults-"));
  const repo = await localTufRepo(dir, [{ name: "trusted_root.json", content: readFileSync("fixtures/scenarios/trusted_root.json", "utf8") }]);
  const token = "metrics-token-0123456789abcdef";
  const server = await startServer({ ...base, AGENT_GATE_METRICS_TOKEN: token, AGENT_GATE_TUF_CACHE: join(dir, "tuf"), AGENT_GATE_TUF_MIRROR: repo.url, AGENT_GATE_TUF_ROOT: repo.rootPath });
  try {
    const url = `http://127.0.0.1:${server.port}`;
    assert.equal((await fetch(`${url}/metrics`)).status, 401);
    assert.equal((await fetch(`${url}/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789abcdeX" } })).status, 401);
    assert.equal((await fetch(`${url}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString("base64")}` } })).status, 401);
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    const text = await ok.text();
    assert.match(text, /agent_gate_trust_root_refresh_failures_total 0/);
    assert.match(text, /agent_gate_trust_root_age_seconds \d/);
    // liveness and readiness stay open to the orchestrator's probes
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const ready = await fetch(`${url}/readyz`);
    const report = (await ready.json()) as { checks: Record<string, { status: string; detail?: string }> };
    assert.equal(ready.status, 200, JSON.stringify(report));
    assert.equal(report.checks.trusted_root?.status, "ok");
    assert.match(report.checks.trusted_root?.detail ?? "", /^tuf, 0\.0 h old$/);
  } finally {
    await server.stop();
    await repo.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a metrics token too short to resist guessing is refused, naming the variable", () => {
  assert.throws(() => readServerEnv({ ...base, AGENT_GATE_METRICS_TOKEN: "short" }), /AGENT_GATE_METRICS_TOKEN: expected a token of 16 to 4096 characters/);
});

test("every missing setting is reported at once, each with what to set, and how setup writes them", () => {
  assert.throws(
    () => readAllSettings({ AGENT_GATE_POLICY_BUNDLE: "b.tar.gz", PORT: "eighty" }),
    (e: unknown) => {
      const m = e instanceof Error ? e.message : "";
      assert.match(m, /^5 settings are missing or invalid:/);
      assert.match(m, /\n {2}APP_ID: not set; set it to the GitHub App's numeric id/);
      assert.match(m, /\n {2}PRIVATE_KEY or PRIVATE_KEY_PATH: not set; set it to the App's PEM private key/);
      assert.match(m, /\n {2}WEBHOOK_SECRET: not set; set it to the App's webhook secret/);
      assert.match(m, /\n {2}PORT: /);
      assert.match(m, /\n {2}AGENT_GATE_POLICY_BUNDLE is set without AGENT_GATE_POLICY_SHA256/);
      assert.match(m, /agent-gate setup --webhook-url URL` registers the App/);
      return true;
    },
  );
});

test("the webhook path follows AGENT_GATE_WEBHOOK_URL unless WEBHOOK_PATH is set; the two must agree", () => {
  const s = { APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: "a-test-webhook-secret" };
  assert.equal(readServerEnv(s).WEBHOOK_PATH, "/api/github/webhooks");
  assert.equal(readServerEnv({ ...s, AGENT_GATE_WEBHOOK_URL: "https://gate.example.com/hooks/github" }).WEBHOOK_PATH, "/hooks/github");
  assert.equal(readServerEnv({ ...s, AGENT_GATE_WEBHOOK_URL: "https://gate.example.com/" }).WEBHOOK_PATH, "/api/github/webhooks");
  assert.throws(() => readServerEnv({ ...s, AGENT_GATE_WEBHOOK_URL: "https://gate.example.com/a", WEBHOOK_PATH: "/b" }), /WEBHOOK_PATH: \/b differs from the path of AGENT_GATE_WEBHOOK_URL/);
});

test("npm start reads the env file (variables already set win) and names every setting still missing in one message", { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-envfile-"));
  try {
    const envFile = join(dir, "agent-gate.env");
    writeFileSync(envFile, "APP_ID=42\nPORT=not-a-port\n", { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { AGENT_GATE_ENV_FILE: envFile, PORT: "3000" };
    assert.deepEqual(loadEnvFile(env), { path: envFile });
    assert.equal(env.APP_ID, "42");
    assert.equal(env.PORT, "3000", "the environment's own value wins");
    // The process `npm start` runs: one message naming both missing settings, not the first only.
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/server.ts"], { env: { PATH: process.env.PATH, AGENT_GATE_ENV_FILE: envFile, AGENT_GATE_DATA_DIR: "memory://" }, encoding: "utf8", timeout: 50_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`settings read from ${envFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    assert.match(r.stderr, /agent-gate could not start: 3 settings are missing or invalid:/);
    assert.doesNotMatch(r.stderr, /APP_ID: /, "APP_ID came from the env file");
    assert.match(r.stderr, /PRIVATE_KEY or PRIVATE_KEY_PATH: not set/);
    assert.match(r.stderr, /WEBHOOK_SECRET: not set/);
    assert.match(r.stderr, /PORT: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    // A named env file that does not exist is an error, not silently skipped; a readable-by-others one is a warning.
    assert.throws(() => loadEnvFile({ AGENT_GATE_ENV_FILE: join(dir, "missing.env") }), /AGENT_GATE_ENV_FILE: .* does not exist/);
    writeFileSync(join(dir, "open.env"), "APP_ID=1\n", { mode: 0o644 });
    assert.match(loadEnvFile({ AGENT_GATE_ENV_FILE: join(dir, "open.env") }).warning ?? "", /may be read by other users: chmod 600/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the warning for an env file others may read says which secrets it found in it, not a private key it does not hold", () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-envfile-"));
  try {
    const warn = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text, { mode: 0o644 });
      return loadEnvFile({ AGENT_GATE_ENV_FILE: join(dir, name) }).warning ?? "";
    };
    const byPath = warn("path.env", "APP_ID=1\nPRIVATE_KEY_PATH=/etc/agent-gate/key.pem\nWEBHOOK_SECRET=s\n");
    assert.doesNotMatch(byPath, /private key/, byPath);
    assert.match(byPath, /path\.env holds WEBHOOK_SECRET and may be read by other users: chmod 600 /);
    const inline = warn("inline.env", "APP_ID=1\nPRIVATE_KEY=pem\nWEBHOOK_SECRET=s\nAGENT_GATE_METRICS_TOKEN=t\n");
    assert.match(inline, /inline\.env holds the App's private key \(PRIVATE_KEY\), WEBHOOK_SECRET and AGENT_GATE_METRICS_TOKEN and may be read by other users: chmod 600 /);
    assert.match(warn("db.env", "DATABASE_URL=postgres://app:pw@db/agent_gate\n"), /holds the password in DATABASE_URL and may be read/);
    const none = warn("none.env", "APP_ID=1\nPRIVATE_KEY_PATH=/k.pem\n");
    assert.match(none, /none\.env may be read by other users: chmod 600 \S+ before a secret is added \(it holds none yet: no PRIVATE_KEY, WEBHOOK_SECRET, AGENT_GATE_METRICS_TOKEN, or password in DATABASE_URL or REDIS_URL\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failed start's message is scrubbed as a log line is: no URL credentials, no signed query, no secret value", { timeout: 60_000 }, () => {
  const secretUrl = "https://reader:hunter2-password@127.0.0.1:9/bundle.tar.gz?sv=2024&sig=c2lnbmF0dXJlLXNlY3JldA%3D%3D";
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/server.ts"], {
    env: { PATH: process.env.PATH, ...base, HOST: "127.0.0.1", AGENT_GATE_POLICY_BUNDLE: secretUrl, AGENT_GATE_POLICY_SHA256: "0".repeat(64), AGENT_GATE_ENV_FILE: "" },
    encoding: "utf8",
    timeout: 50_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /agent-gate could not start: 1 file setting is invalid:\n {2}AGENT_GATE_POLICY_BUNDLE: https:\/\/127\.0\.0\.1:9\/bundle\.tar\.gz\?sv=\*\*\*&sig=/);
  for (const secret of ["hunter2", "reader", "c2lnbmF0dXJl", key.split("\n")[1]!]) assert.ok(!r.stderr.includes(secret), `${secret} printed:\n${r.stderr}`);
});
