// The App's settings refuse what would silently weaken it: an AGENT_GATE_* name agent-gate does not know (a misspelt
// AGENT_GATE_METRICS_TOKEN left /metrics open), /metrics without a token on a non-loopback HOST, PostgreSQL or
// GitHub's API without verified TLS to another machine, and a private key that cannot sign. Each opt-out is explicit
// and becomes a warning logged at start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readServerEnv, SETTING_NAMES } from "../../src/config/server-env.js";
import { OTHER_AGENT_GATE_NAMES } from "../../src/config/setting-checks.js";

const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const base = { APP_ID: "1", PRIVATE_KEY: key, WEBHOOK_SECRET: "a-test-webhook-secret" };
const TOKEN = "metrics-token-0123456789abcdef";
// Misspelt names are put together here, so that the scan of the repository below does not find them.
const misspelt = (name: string): string => `AGENT_GATE_${name}`;

test("an AGENT_GATE_* name agent-gate does not know is refused, with the closest known one", () => {
  assert.throws(() => readServerEnv({ ...base, [misspelt("METRICS_TOKN")]: TOKEN }), new RegExp(`${misspelt("METRICS_TOKN")}: not a setting agent-gate knows .*did you mean AGENT_GATE_METRICS_TOKEN\\?`));
  assert.throws(() => readServerEnv({ ...base, [misspelt("POLICY_BUNDEL")]: "b.tar.gz" }), /did you mean AGENT_GATE_POLICY_BUNDLE\?/);
  // Names read by the CLI, the tests and the scripts may share the App's environment.
  assert.doesNotThrow(() => readServerEnv({ ...base, AGENT_GATE_CODE_CACHE: "off", AGENT_GATE_ENV_FILE: ".env", AGENT_GATE_SKIP_CONTAINERS: "1" }));
});

test("every AGENT_GATE_* name the repository sets or reads is known (scripts, bench, tests, image, compose, docs, CLI)", () => {
  const files = execFileSync("git", ["ls-files"], { encoding: "utf8" }).split("\n").filter((f) => f && !/\.(tar\.gz|wasm|png|jpg)$/.test(f) && !f.startsWith("fixtures/"));
  const found = new Map<string, string>();
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    for (const m of text.matchAll(/\bAGENT_GATE_[A-Z0-9_]*[A-Z0-9]\b/g)) if (!found.has(m[0])) found.set(m[0], f);
  }
  // Not variables: a TypeScript constant (the provenance build type), and the name prefix itself.
  const notVariables = new Set(["AGENT_GATE_BUILD_TYPE"]);
  const known = new Set([...SETTING_NAMES, ...Object.keys(OTHER_AGENT_GATE_NAMES)]);
  const unknown = [...found].filter(([name]) => !known.has(name) && !notVariables.has(name)).map(([name, file]) => `${name} (${file})`);
  assert.deepEqual(unknown, []);
  assert.ok(found.size > 30, `found only ${found.size} names`);
});

test("a non-loopback HOST needs a metrics token, or the explicit AGENT_GATE_ALLOW_OPEN_METRICS=1 (a warning)", () => {
  for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2"]) assert.deepEqual(readServerEnv({ ...base, HOST: host }).warnings, [], host);
  for (const host of ["0.0.0.0", "::", "10.0.0.5"])
    assert.throws(() => readServerEnv({ ...base, HOST: host }), new RegExp(`AGENT_GATE_METRICS_TOKEN: not set while HOST=${host.replace(/\./g, "\\.")} serves other machines.*or AGENT_GATE_ALLOW_OPEN_METRICS=1`), host);
  assert.deepEqual(readServerEnv({ ...base, HOST: "0.0.0.0", AGENT_GATE_METRICS_TOKEN: TOKEN }).warnings, []);
  assert.match(readServerEnv({ ...base, HOST: "0.0.0.0", AGENT_GATE_ALLOW_OPEN_METRICS: "1" }).warnings.join("\n"), /AGENT_GATE_ALLOW_OPEN_METRICS=1: GET \/metrics answers anyone/);
  assert.throws(() => readServerEnv({ ...base, HOST: "0.0.0.0", AGENT_GATE_ALLOW_OPEN_METRICS: "yes" }), /AGENT_GATE_ALLOW_OPEN_METRICS: expected 1 \(or true\)/);
});

test("DATABASE_URL to another machine needs sslmode=verify-full (or verify-ca), or the explicit opt-out (a warning without the password)", () => {
  const refused = (url: string, why: RegExp) => assert.throws(() => readServerEnv({ ...base, DATABASE_URL: url }), why, url);
  refused("postgres://app:s3cret-pw@db.internal:5432/gate", /DATABASE_URL: connects to db\.internal without sslmode, so in the clear; expected \?sslmode=verify-full/);
  refused("postgres://app@db.internal/gate?sslmode=require", /with sslmode=require, which does not verify the server/);
  refused("postgres://app@db.internal/gate?sslmode=no-verify", /with sslmode=no-verify/);
  for (const ok of ["postgres://app@db.internal/gate?sslmode=verify-full", "postgres://app@db.internal/gate?sslmode=verify-ca&sslrootcert=/ca.pem", "postgres://app@127.0.0.1:5432/gate", "postgresql://app@localhost/gate", "postgres://app@[::1]/gate", "postgres:///gate?host=/var/run/postgresql"])
    assert.deepEqual(readServerEnv({ ...base, DATABASE_URL: ok }).warnings, [], ok);
  const warned = readServerEnv({ ...base, DATABASE_URL: "postgres://app:s3cret-pw@db:5432/gate", AGENT_GATE_ALLOW_PLAINTEXT_DATABASE: "1" }).warnings.join("\n");
  assert.match(warned, /AGENT_GATE_ALLOW_PLAINTEXT_DATABASE=1: DATABASE_URL connects to db without sslmode/);
  assert.doesNotMatch(warned, /s3cret/);
});

test("GitHub's API over plain http to another machine is refused (AGENT_GATE_GITHUB_API_URL, GHE_PROTOCOL), or allowed explicitly (a warning)", () => {
  assert.throws(() => readServerEnv({ ...base, AGENT_GATE_GITHUB_API_URL: "http://ghe.internal/api/v3" }), /AGENT_GATE_GITHUB_API_URL: expected an https:\/\/ GitHub API URL .* got http:\/\/ghe\.internal.*AGENT_GATE_ALLOW_PLAINTEXT_GITHUB=1/);
  assert.throws(() => readServerEnv({ ...base, GHE_HOST: "ghe.internal", GHE_PROTOCOL: "http" }), /GHE_PROTOCOL: expected an https:\/\/ GitHub API URL/);
  assert.equal(readServerEnv({ ...base, GHE_HOST: "ghe.internal" }).baseUrl, "https://ghe.internal/api/v3");
  assert.deepEqual(readServerEnv({ ...base, AGENT_GATE_GITHUB_API_URL: "http://127.0.0.1:9" }).warnings, []);
  assert.match(readServerEnv({ ...base, GHE_HOST: "ghe.internal", GHE_PROTOCOL: "http", AGENT_GATE_ALLOW_PLAINTEXT_GITHUB: "true" }).warnings.join("\n"), /AGENT_GATE_ALLOW_PLAINTEXT_GITHUB=1: .* in the clear to ghe\.internal/);
});

test("a private key that cannot sign the App's tokens is refused at start, naming the variable and never quoting the key", () => {
  const body = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu";
  const broken = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;
  assert.throws(
    () => readServerEnv({ ...base, PRIVATE_KEY: broken }),
    (e: unknown) => {
      const m = e instanceof Error ? e.message : "";
      assert.match(m, /PRIVATE_KEY: cannot be read as a private key \([A-Z_]+\); expected the App's PEM private key/);
      assert.doesNotMatch(m, new RegExp(body.slice(0, 20)));
      return true;
    },
  );
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  assert.throws(() => readServerEnv({ ...base, PRIVATE_KEY: ec }), /PRIVATE_KEY: is a ec key; expected the App's RSA private key/);
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-key-"));
  try {
    const path = join(dir, "app.pem");
    writeFileSync(path, broken);
    const { PRIVATE_KEY: _, ...withoutKey } = base;
    assert.throws(() => readServerEnv({ ...withoutKey, PRIVATE_KEY_PATH: path }), new RegExp(`PRIVATE_KEY_PATH: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: cannot be read as a private key`));
    writeFileSync(path, key);
    assert.equal(readServerEnv({ ...withoutKey, PRIVATE_KEY_PATH: path }).privateKey, key);
    // A key on one line with its line breaks written \n (as `agent-gate setup` writes it) still parses.
    assert.equal(readServerEnv({ ...base, PRIVATE_KEY: key.replace(/\n/g, "\\n") }).privateKey, key);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("scheduled reconciliation turned off (AGENT_GATE_RECONCILE_SECONDS=0) is a warning logged at start", () => {
  assert.match(readServerEnv({ ...base, AGENT_GATE_RECONCILE_SECONDS: "0" }).warnings.join("\n"), /AGENT_GATE_RECONCILE_SECONDS=0: reconciliation runs once at start and never on a schedule/);
  assert.deepEqual(readServerEnv(base).warnings, []);
});
