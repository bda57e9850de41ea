// Every place the CLI sends a credential or signed material (a token, an OIDC token, a signature, a one-time code) or
// receives one (the App's private key and secrets from the manifest exchange) refuses a plain http URL: a usage
// error (exit 2) naming the flag, before any request (src/core/secure-url.ts: https, or plain http to this machine's
// loopback only). The URL flags are discovered from every command's usage: a new one fails here until it is listed,
// as a credential's (with a case) or as one that carries none (with the reason).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMMANDS, main } from "../../src/cli/main.js";
import { convertManifest } from "../../src/adapters/github/app-manifest.js";

const HTTP = "http://github.example.com";
const SHA = "a".repeat(40);
const dir = mkdtempSync(join(tmpdir(), "agent-gate-credential-urls-"));
const commitFile = join(dir, "raw.commit");
writeFileSync(commitFile, `tree ${SHA}\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nx\n`);
const signer = ["--certificate-identity", "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"];
const witness = ["audit", "verify", "--data-dir", join(dir, "db"), "--witness", "github", "--repo", "acme/widgets", "--app-id", "1"];

interface Case {
  /** agent-gate's arguments, with the plain http URL in the flag (or in `env`). */
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** What the error names. */
  readonly names: string;
}

/** "command --flag" (or a variable the command sends a credential to) -> a case that must be refused. */
const CREDENTIAL_URLS: Readonly<Record<string, Case>> = {
  // the manifest exchange's answer carries the App's private key, webhook secret and client secret
  "setup --api-url": { args: ["setup", "--webhook-url", "https://gate.example.com", "--code", "abc", "--api-url", `${HTTP}/api/v3`], names: "--api-url" },
  // the browser's GitHub session and the one-time code; --api-url defaults to it + /api/v3
  "setup --github-url": { args: ["setup", "--webhook-url", "https://gate.example.com", "--code", "abc", "--github-url", HTTP], names: "--github-url" },
  "evaluate --api-url": { args: ["evaluate", "--repo", "acme/widgets", "--pr", "1", "--token", "t", "--api-url", HTTP], names: "--api-url" },
  "config validate --api-url": { args: ["config", "validate", "--repo", "acme/widgets", "--token", "t", "--api-url", HTTP], names: "--api-url" },
  "attest --fulcio-url": { args: ["attest", "--repo", "acme/widgets", "--agent", "x", "--fulcio-url", HTTP], env: {}, names: "--fulcio-url" },
  "attest --rekor-url": { args: ["attest", "--repo", "acme/widgets", "--agent", "x", "--rekor-url", HTTP], env: {}, names: "--rekor-url" },
  "attest --tsa-url": { args: ["attest", "--repo", "acme/widgets", "--agent", "x", "--tsa-url", HTTP], env: {}, names: "--tsa-url" },
  "attest --publish pr (GITHUB_API_URL)": { args: ["attest", "--repo", "acme/widgets", "--agent", "x", "--publish", "pr", "--pr", "1"], env: { GITHUB_API_URL: HTTP, GITHUB_TOKEN: "t" }, names: "GITHUB_API_URL" },
  "verify-commit --api-url": { args: ["verify-commit", "--repo", "acme/widgets", "--sha", SHA, ...signer, "--api-url", HTTP], env: {}, names: "GitHub API" },
  "verify-commit GITHUB_API_URL": { args: ["verify-commit", "--repo", "acme/widgets", "--sha", SHA, ...signer], env: { GITHUB_API_URL: HTTP }, names: "GitHub API" },
  "verify-commit --rekor-url": { args: ["verify-commit", "--commit-file", commitFile, ...signer, "--rekor-url", HTTP], env: {}, names: "--rekor-url" },
  "audit verify --api-url": { args: [...witness, "--api-url", HTTP], env: {}, names: "GitHub API" },
  "audit verify GITHUB_API_URL": { args: witness, env: { GITHUB_API_URL: HTTP }, names: "GitHub API" },
};

/** URL flags that carry no credential, and why. */
const NO_CREDENTIAL: Readonly<Record<string, string>> = {
  "setup --webhook-url": "GitHub sends the App's deliveries there, signed with the secret but never carrying it (plain http is warned about)",
  "--database-url": "a PostgreSQL connection string (postgres://), not an http URL",
};

async function run(c: Case, fetch: typeof globalThis.fetch): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t), fetch, ...(c.env ? { env: c.env } : {}) };
  const code = await main([...c.args, "--json"], io);
  return { code, text: lines.join("\n") };
}

test("every URL flag of every command is listed: as one a credential travels through, or as one that carries none", async () => {
  const found = new Set<string>();
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const c = await entry.load();
    for (const path of c.subcommands && c.subcommands.length > 0 ? c.subcommands.map((s) => [name, s]) : [[name]]) {
      const out: string[] = [];
      await main([...path, "--help"], { out: (t) => out.push(t), err: (t) => out.push(t) });
      for (const m of out.join("\n").matchAll(/--([a-z][a-z-]*-url)\b/g)) found.add(`${path.join(" ")} --${m[1]}`);
    }
  }
  assert.ok(found.size >= 10, `usage texts name URL flags: ${[...found].join(", ")}`);
  const unlisted = [...found].filter((k) => !(k in CREDENTIAL_URLS) && !(k in NO_CREDENTIAL) && !(k.slice(k.lastIndexOf(" ") + 1) in NO_CREDENTIAL));
  assert.deepEqual(unlisted, [], "a URL flag neither listed as a credential's (with a case below) nor as carrying none");
});

test("each flag a credential travels through refuses plain http: exit 2, naming it, no request made", async (t) => {
  const requests: string[] = [];
  const fetch = ((input: string | URL | Request) => {
    requests.push(String(input instanceof Request ? input.url : input));
    return Promise.reject(new Error("no network in this test"));
  }) as typeof globalThis.fetch;
  const real = globalThis.fetch;
  globalThis.fetch = fetch; // setup takes no fetch from main's io
  t.after(() => {
    globalThis.fetch = real;
    rmSync(dir, { recursive: true, force: true });
  });
  for (const [what, c] of Object.entries(CREDENTIAL_URLS)) {
    const r = await run(c, fetch);
    assert.equal(r.code, 2, `${what}: ${r.text}`);
    assert.match(r.text, /expected an https:\/\/ .*URL \(plain http only to 127\.0\.0\.1 or localhost\), got http:\/\/github\.example\.com/, what);
    assert.ok(r.text.includes(c.names), `${what}: the error names ${c.names}: ${r.text}`);
  }
  assert.deepEqual(requests, [], "nothing was sent");
  // The loopback stays allowed (local test servers): setup's exchange is attempted, and fails for want of a network.
  const local = await run({ args: ["setup", "--webhook-url", "https://gate.example.com", "--code", "abc", "--env-file", join(dir, ".env"), "--api-url", "http://127.0.0.1:9/api/v3"], names: "" }, fetch);
  assert.notEqual(local.code, 0);
  assert.deepEqual(requests, ["http://127.0.0.1:9/api/v3/app-manifests/abc/conversions"]);
});

test("the manifest exchange itself (whoever calls it) never posts a code over plain http", async () => {
  const sent: string[] = [];
  const r = await convertManifest(`${HTTP}/api/v3`, "abc", ((u: string) => (sent.push(u), Promise.reject(new Error("unreachable")))) as typeof globalThis.fetch);
  assert.deepEqual(sent, []);
  assert.equal(r.ok, false);
  assert.match(r.ok ? "" : r.message, /^refusing to exchange the code: expected an https:\/\/ GitHub API URL/);
});
