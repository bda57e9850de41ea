// A CLI error about a file's content names the file and what was expected, never the file's bytes (the wrong file may
// be a key or a token); a config value that looks like a token is masked; a flag that sends a credential needs https.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditCommand } from "../../src/cli/audit.js";
import { configValidate } from "../../src/cli/config.js";
import { policyEval } from "../../src/cli/policy-eval.js";
import { verifyBundleCommand } from "../../src/cli/verify-bundle.js";
import { evaluateCommand } from "../../src/cli/evaluate.js";
import { attestCommand } from "../../src/cli/attest.js";

const TOKEN = "ghs_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
const KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkgAbCdEfGhSecretKeyBytes\n-----END EC PRIVATE KEY-----\n";
const dir = mkdtempSync(join(tmpdir(), "ag-secret-echo-"));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
function io(): { out: (t: string) => void; err: (t: string) => void; text: () => string } {
  const lines: string[] = [];
  return { out: (t) => lines.push(t), err: (t) => lines.push(t), text: () => lines.join("\n") };
}
const noSecret = (text: string): void => {
  for (const s of [TOKEN, TOKEN.slice(0, 12), "MHcCAQEE", "BEGIN EC PRIVATE"]) assert.ok(!text.includes(s), `shown: ${s}\n${text}`);
};

test("audit verify --checkpoint @FILE: names the file, never its content", async () => {
  for (const [name, text] of [["token", `${TOKEN}\n`], ["key.pem", KEY]] as const) {
    const path = file(name, text);
    const o = io();
    assert.equal(await auditCommand(["verify", "--checkpoint", `@${path}`, "--data-dir", join(dir, "none")], o), 2);
    noSecret(o.text());
    assert.match(o.text(), new RegExp(`expected a checkpoint .* got the file "${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}": expected a checkpoint SEQ:HASH`));
  }
  const o = io(); // an argument that is a token (pasted by mistake) is not echoed either
  assert.equal(await auditCommand(["verify", "--checkpoint", TOKEN, "--data-dir", join(dir, "none")], o), 2);
  noSecret(o.text());
});

test("config validate: a value that looks like a token is masked", async () => {
  const o = io();
  assert.equal(await configValidate([file("agent-gate.yml", `mode: ${TOKEN}\n`)], o), 1);
  noSecret(o.text());
  assert.match(o.text(), /mode: expected "enforce" or "shadow", got "\[REDACTED:github-token\]"/);
});

test("policy eval and verify-bundle: a file that is not JSON is named, its bytes are not quoted", async () => {
  const input = file("input.json", TOKEN);
  const a = io();
  assert.equal(await policyEval(["--input", input], a), 2);
  noSecret(a.text());
  assert.match(a.text(), new RegExp(`input\\.json: expected JSON`));
  const b = io();
  await verifyBundleCommand(["--bundle", input, "--certificate-identity", "x", "--certificate-oidc-issuer", "https://issuer.example", `sha256:${"a".repeat(64)}`], b);
  noSecret(b.text());
  assert.match(b.text(), /expected JSON/);
});

test("evaluate --api-url and attest's service URLs: https only (plain http to loopback)", async () => {
  const e = io();
  assert.equal(await evaluateCommand(["--repo", "a/b", "--pr", "1", "--token", TOKEN, "--api-url", "http://api.example.com"], e), 2);
  assert.match(e.text(), /--api-url: expected an https:\/\/ GitHub API URL/);
  noSecret(e.text());
  const c = io();
  assert.equal(await configValidate(["--repo", "a/b", "--token", TOKEN, "--api-url", "http://api.example.com"], c), 2);
  assert.match(c.text(), /--api-url: expected an https:\/\/ GitHub API URL/);
  for (const flag of ["--fulcio-url", "--rekor-url", "--tsa-url"]) {
    const o = io();
    const code = await attestCommand(["--repo", "a/b", "--agent", "x", flag, "http://sigstore.example.com"], { ...o, env: {}, cwd: dir, fetch: () => Promise.reject(new Error("no network in tests")) });
    assert.equal(code, 2, o.text());
    assert.match(o.text(), new RegExp(`${flag}: expected an https://`));
  }
});
