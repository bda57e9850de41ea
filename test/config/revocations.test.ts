// The organisation's revocation list: its schema (every form, clear errors with line and column), how it loads (a
// broken list fails every evaluation of the owner closed), and which pushes start a sweep.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../support/cli.js";
import { parseRevocations, REVOCATIONS_PATH } from "../../src/config/revocations.js";
import { loadRepoConfig } from "../../src/app/load-config.js";
import { revocationPush } from "../../src/app/revocation-trigger.js";
import type { ConfigText } from "../../src/adapters/github/config-source.js";
import { sha256Hex } from "../../src/core/digest.js";

const FP = "ab".repeat(32);

test("every form parses, normalised: fingerprints as sha256:hex, log indexes as strings, UUIDs as their leaf hash", () => {
  const r = parseRevocations(`version: 1
signers:
  - identity: https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main
    issuer: https://token.actions.githubusercontent.com
    reason: leaked OIDC token
  - identity_pattern: ^https://github\\.com/evil/.*$
    issuer: https://token.actions.githubusercontent.com
  - owner: acme
    workflow: .github/workflows/old-agent.yml
  - key: release-2025
certificates:
  - fingerprint: "${FP.toUpperCase().match(/../g)!.join(":")}"
rekor_entries:
  - log_id: C0D23D6AD406973F9559F3BA2D1CA01F84147D8FFC5B8445C224F98B9591801D
    log_index: 123456789
  - uuid: 24296fb24b8ad77a${"cd".repeat(32)}
models:
  - model: anthropic/claude-sonnet-4-5
    version: "20250929"
agents:
  - name: claude-code
commit_keys:
  - fingerprint: sha256:${FP}
`);
  assert.ok(r.ok, r.ok ? "" : r.messages.join("\n"));
  const v = r.revocations;
  assert.equal(v.signers.length, 4);
  assert.equal(v.certificates[0]!.fingerprint, `sha256:${FP}`);
  assert.deepEqual(v.rekor_entries[0], { log_id: "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d", log_index: "123456789" });
  assert.deepEqual(v.rekor_entries[1], { uuid: "cd".repeat(32) });
  assert.equal(v.commit_keys[0]!.fingerprint, `sha256:${FP}`);
  assert.ok(parseRevocations("").ok, "an empty file revokes nothing");
});

test("errors name the file, the path, the line and column, and what was expected", () => {
  const r = parseRevocations(`models:\n  - model: claude\n    reason: r\nsigners:\n  - identity_pattern: https://github.com/.*\n    issuer: x\ncertificates:\n  - fingerprint: abc\nrekor_entries:\n  - log_index: 5\nextra: 1\n`, "acme/.github:.github/agent-gate-revocations.yml");
  assert.ok(!r.ok);
  const text = r.messages.join("\n");
  assert.match(text, /acme\/\.github:\.github\/agent-gate-revocations\.yml: models\.0\.model: expected a model id "provider\/model".*\(line 2, column 12\)/);
  assert.match(text, /signers\.0\.identity_pattern: expected an identity pattern anchored with \^\.\.\.\$.*\(line 5, column 23\)/);
  assert.match(text, /certificates\.0\.fingerprint: expected a sha256 fingerprint.*line 8/);
  assert.match(text, /rekor_entries\.0: expected \{log_id, log_index\} or \{uuid\}.*line 10/);
  assert.match(text, /extra: unknown key.*line 11/);
});

/** The owner's config files as GitHub holds them on default branches. */
function files(map: Record<string, string>) {
  const text = (repo: string, path: string): ConfigText | null => {
    const t = map[`${repo}:${path}`];
    return t === undefined ? null : { text: t, source: `acme/${repo}:${path} (default branch)`, repo, path, digest: `sha256:${sha256Hex(t)}` };
  };
  return { repoConfig: (_o: string, repo: string) => Promise.resolve(text(repo, ".github/agent-gate.yml") ?? text(".github", ".github/agent-gate.yml")), configFile: (_o: string, repo: string, path: string) => Promise.resolve(text(repo, path)) };
}

test("the list becomes data.revoked and joins the config digest; the repository's own config cannot remove it", async () => {
  const without = await loadRepoConfig(files({ "web:.github/agent-gate.yml": "version: 1\n" }), "acme", "web");
  assert.equal(without.revoked, undefined);
  const list = "agents:\n  - name: claude-code\n    reason: compromised\n";
  const loaded = await loadRepoConfig(files({ "web:.github/agent-gate.yml": "version: 1\nmode: shadow\n", [`.github:${REVOCATIONS_PATH}`]: list }), "acme", "web");
  assert.deepEqual(loaded.revoked?.agents, [{ name: "claude-code", reason: "compromised" }]);
  assert.equal(loaded.revoked?.source, `acme/.github:${REVOCATIONS_PATH} (default branch)`);
  assert.notEqual(loaded.facts.digest, without.facts.digest, "a new list is a new evaluation, never a duplicate");
  // Offline checks of a config file alone leave it out.
  assert.equal((await loadRepoConfig(files({ [`.github:${REVOCATIONS_PATH}`]: list }), "acme", "web", { revocations: false })).revoked, undefined);
});

test("a broken list fails every evaluation of the owner: CONFIG_INVALID naming the file and line", async () => {
  await assert.rejects(
    loadRepoConfig(files({ "web:.github/agent-gate.yml": "version: 1\n", [`.github:${REVOCATIONS_PATH}`]: "models:\n  - modle: x/y\n" }), "acme", "web"),
    (e: Error & { code?: string; details?: string[] }) => e.code === "CONFIG_INVALID" && /^acme\/\.github:\.github\/agent-gate-revocations\.yml \(default branch\): models\.0/.test(e.message) && (e.details ?? []).some((d) => /models\.0\.modle: unknown key \(line 2, column 12\)/.test(d)),
  );
  await assert.rejects(loadRepoConfig(files({ [`.github:${REVOCATIONS_PATH}`]: "models: [" }), "acme", "other"), /CONFIG_INVALID|invalid YAML/);
});

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
const push = examples.find((e) => e.name === "push")!.examples[0]!;

test("a push starts a sweep only on the .github repository's default branch when it may touch the list", () => {
  const payload = (over: { name?: string; ref?: string; files?: string[]; commits?: number }): unknown => ({
    ...push,
    ref: over.ref ?? "refs/heads/main",
    repository: { ...(push["repository"] as object), name: over.name ?? ".github", default_branch: "main", owner: { login: "acme" } },
    installation: { id: 7 },
    commits: Array.from({ length: over.commits ?? 1 }, () => ({ added: [], modified: over.files ?? [REVOCATIONS_PATH], removed: [] })),
  });
  assert.deepEqual(revocationPush(payload({})), { owner: "acme", installationId: 7 });
  assert.equal(revocationPush(payload({ name: "web" })), undefined);
  assert.equal(revocationPush(payload({ ref: "refs/heads/dev" })), undefined);
  assert.equal(revocationPush(payload({ files: ["README.md"] })), undefined);
  assert.deepEqual(revocationPush(payload({ files: ["README.md"], commits: 20 })), { owner: "acme", installationId: 7 }, "GitHub lists 20 commits at most");
  assert.equal(revocationPush({ zen: "ping" }), undefined);
});

test("config validate checks a file named agent-gate-revocations.yml as the revocation list", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-revocations-"));
  try {
    const good = join(dir, "agent-gate-revocations.yml");
    writeFileSync(good, "models:\n  - model: anthropic/claude-sonnet-4-5\n    reason: r\n");
    const ok = await runCli(["config", "validate", good]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^valid: .*agent-gate-revocations\.yml; 0 error/);
    writeFileSync(good, "models:\n  - model: claude\n");
    const bad = await runCli(["config", "validate", good]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /agent-gate-revocations\.yml:2:12: error: models\.0\.model: expected a model id "provider\/model", got "claude"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a Rekor log id must be whole (64 hex): a 16-hex tree id never matches a verified entry, so it is refused", () => {
  const r = parseRevocations("rekor_entries:\n  - log_id: c0d23d6ad406973f\n    log_index: 5\n");
  assert.equal(r.ok, false);
  assert.match(r.ok ? "" : r.messages.join("\n"), /rekor_entries\.0\.log_id: expected a log id of 64 hex .*never matches.*line 2, column 13/);
});
