// `agent-gate attest` in-process: inputs from flags, git and the Actions environment; refusals with their reasons;
// --publish pr against a stand-in pull request (add, then replace on a re-run, never duplicate). Key-signed bundles
// are logged in the tests' own Rekor (test/support/sigstore/http.ts) and checked against the tests' trusted root.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attestCommand } from "../../src/cli/attest.js";
import { bodyWithBlock } from "../../src/cli/attest-publish.js";
import type { AttestIo } from "../../src/cli/attest.js";
import { main } from "../../src/cli/main.js";
import { extractProvenanceBlocks } from "../../src/core/provenance-block.js";
import { parseAgentProvenance } from "../../src/core/provenance.js";
import { generateSigningKey } from "../../src/adapters/sigstore/signing/index.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";
import type { SigstoreServices } from "../support/sigstore/http.js";

let dir = "";
let repo = "";
let commits: string[] = [];
let base = "";
let services: SigstoreServices;
const PROMPT = "Validate widget input.\n";

const git = (...args: string[]): string =>
  execFileSync("git", ["-c", "user.name=agent", "-c", "user.email=agent@example.test", ...args], { cwd: repo, encoding: "utf8" }).trim();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-attest-"));
  repo = join(dir, "repo");
  execFileSync("mkdir", ["-p", repo]);
  git("init", "-q", "-b", "main");
  git("commit", "-q", "--allow-empty", "-m", "base");
  base = git("rev-parse", "HEAD");
  git("commit", "-q", "--allow-empty", "-m", "agent: one");
  git("commit", "-q", "--allow-empty", "-m", "agent: two");
  commits = git("rev-list", "--reverse", `${base}..HEAD`).split("\n");
  writeFileSync(join(dir, "prompt.txt"), PROMPT);
  writeFileSync(join(dir, "key.pem"), generateSigningKey().privateKeyPem);
  const world = await createTestSigstore();
  services = await startSigstoreServices(world);
  writeFileSync(join(dir, "root.json"), JSON.stringify(world.trustedRoot));
});
after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function run(args: string[], env: Record<string, string> = {}, fetchImpl: typeof fetch = globalThis.fetch): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: AttestIo = { env, cwd: repo, out: (l) => out.push(l), err: (l) => err.push(l), fetch: fetchImpl, now: () => new Date("2026-11-26T08:00:00Z") };
  return { code: await attestCommand(args, io), out, err };
}

const FLAGS = (...extra: string[]): string[] => [
  "--repo", "acme/widgets", "--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5",
  "--model-version", "20250929", "--prompt-file", join(dir, "prompt.txt"), "--base", base, "--actor", "alice", "--actor-id", "5001", ...extra,
];

/** Signing with the key, logged in the tests' Rekor and checked against the tests' root: what the gate accepts. */
const KEY = (): string[] => ["--key", join(dir, "key.pem"), "--rekor-url", services.rekorUrl, "--trusted-root", join(dir, "root.json")];

function statementOf(bundleJson: string): unknown {
  const b = JSON.parse(bundleJson) as { dsseEnvelope: { payload: string } };
  return JSON.parse(Buffer.from(b.dsseEnvelope.payload, "base64").toString("utf8"));
}

test("attest --key signs the commits from the base to HEAD; the prompt by digest only unless --include-prompt", async () => {
  const r = await run(FLAGS(...KEY(), "--out", join(dir, "b.json")));
  assert.equal(r.code, 0, r.err.join("\n"));
  const st = statementOf(readFileSync(join(dir, "b.json"), "utf8"));
  const parsed = parseAgentProvenance(st);
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.message);
  assert.deepEqual((st as { subject: { digest: { gitCommit: string } }[] }).subject.map((s) => s.digest.gitCommit), commits);
  assert.doesNotMatch(JSON.stringify(st), /Validate widget input/);
  assert.match(r.err.join("\n"), /signed provenance for 2 commit\(s\)/);

  const withText = await run(FLAGS(...KEY(), "--include-prompt", "--commits", commits[1]!));
  assert.equal(withText.code, 0, withText.err.join("\n"));
  const st2 = statementOf(withText.out.join("")) as { subject: unknown[] };
  assert.equal(st2.subject.length, 1);
  assert.match(JSON.stringify(st2), /Validate widget input/);
});

test("the configuration is recorded by digest as a resolved dependency", async () => {
  writeFileSync(join(dir, "settings.json"), '{"permissions":{"allow":["Bash(npm test)"]}}\n');
  const r = await run(FLAGS(...KEY(), "--config-file", join(dir, "settings.json")));
  assert.equal(r.code, 0, r.err.join("\n"));
  const st = statementOf(r.out.join("")) as { predicate: { buildDefinition: { resolvedDependencies: { name: string; digest: { sha256: string } }[] } } };
  assert.equal(st.predicate.buildDefinition.resolvedDependencies[0]?.name, "agent-configuration");
  assert.match(st.predicate.buildDefinition.resolvedDependencies[0]?.digest.sha256 ?? "", /^[0-9a-f]{64}$/);
});

test("a secret in the prompt or the config is refused by file:line:column and kind, never printed", async () => {
  const token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
  writeFileSync(join(dir, "leaky.txt"), `Fix the parser.\nuse ${token} to push\n`);
  writeFileSync(join(dir, "leaky.json"), `{\n  "aws": "AKIAIOSFODNN7EXAMPLE"\n}\n`);
  const r = await run(FLAGS(...KEY(), "--prompt-file", join(dir, "leaky.txt"), "--config-file", join(dir, "leaky.json")));
  assert.equal(r.code, 1);
  const all = r.err.join("\n") + r.out.join("\n");
  assert.match(all, /SECRETS_FOUND/);
  assert.match(all, new RegExp(`${join(dir, "leaky.txt").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:5 \\(github-token\\)`));
  assert.match(all, /leaky\.json:2:\d+ \(aws-access-key-id\)/);
  assert.doesNotMatch(all, /A1b2C3d4E5f6/);
  assert.doesNotMatch(all, /AKIAIOSFODNN7EXAMPLE/);
});

test("a key that does not parse or is not P-256: KEY_INVALID naming the file and what was expected (exit 1, not an internal error)", async () => {
  const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ format: "pem", type: "sec1" }).toString();
  writeFileSync(join(dir, "p384.pem"), p384);
  writeFileSync(join(dir, "corrupt.pem"), "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n");
  const big = await run(FLAGS("--key", join(dir, "p384.pem"), "--json"));
  assert.equal(big.code, 1, big.err.join("\n"));
  const doc = JSON.parse(big.out.join("\n")) as { error: { code: string; message: string } };
  assert.equal(doc.error.code, "KEY_INVALID");
  assert.equal(doc.error.message, `the private key ${join(dir, "p384.pem")} is a key of type ec on curve secp384r1; expected an ECDSA P-256 (prime256v1) private key: agent-gate signs with ECDSA P-256 / SHA-256`);
  const corrupt = await run(FLAGS("--key", join(dir, "corrupt.pem")));
  assert.equal(corrupt.code, 1);
  assert.match(corrupt.err.join("\n"), new RegExp(`KEY_INVALID: the private key ${join(dir, "corrupt.pem").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} does not parse \\(.+\\); expected a PEM EC P-256 private key`));
});

test("keyless without the Actions OIDC variables: a clear error naming the permission", async () => {
  const r = await run(FLAGS());
  assert.equal(r.code, 1);
  assert.match(r.err.join("\n"), /no OIDC permission: add `permissions: id-token: write`/);
});

test("missing inputs are named: --agent, --repo, the delegating actor, commits", async () => {
  const noAgent = await run(["--repo", "acme/widgets", ...KEY()]);
  assert.equal(noAgent.code, 2);
  assert.match(noAgent.err.join("\n"), /expected --agent/);
  const noRepo = await run(FLAGS(...KEY()).slice(2));
  assert.equal(noRepo.code, 2);
  assert.match(noRepo.err.join("\n"), /expected --repo OWNER\/REPO/);
  const noActor = await run(FLAGS(...KEY()).filter((a, i, all) => !["--actor", "--actor-id"].includes(a) && !["--actor", "--actor-id"].includes(all[i - 1] ?? "")));
  assert.equal(noActor.code, 2);
  assert.match(noActor.err.join("\n"), /--actor LOGIN --actor-id N/);
  const none = await run(FLAGS(...KEY(), "--base", "HEAD"));
  assert.equal(none.code, 1);
  assert.match(none.err.join("\n"), /NO_COMMITS/);
});

test("agent-gate lists attest among its commands", async () => {
  const logs: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void logs.push(a.join(" "));
  try {
    assert.equal(await main(["help"]), 0);
  } finally {
    console.log = orig;
  }
  assert.match(logs.join("\n"), /attest\s+sign an agent's provenance/);
});

// --publish pr against a stand-in for GET/PATCH /repos/{owner}/{repo}/pulls/{n}
function standInPull(head: string, body: string): { fetch: typeof fetch; body: () => string; patches: () => number; auth: string[] } {
  let current = body;
  let patches = 0;
  const auth: string[] = [];
  const f = ((input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input.toString();
    if (!url.startsWith("https://api.github.test/")) return globalThis.fetch(input, init); // the tests' Rekor
    auth.push(new Headers(init?.headers).get("authorization") ?? "");
    assert.equal(url, "https://api.github.test/repos/acme/widgets/pulls/7");
    if ((init?.method ?? "GET") === "GET") return Promise.resolve(Response.json({ number: 7, body: current, head: { sha: head } }));
    assert.equal(init?.method, "PATCH");
    assert.equal(typeof init.body, "string");
    current = (JSON.parse(init.body as string) as { body: string }).body;
    patches++;
    return Promise.resolve(Response.json({ number: 7, body: current }));
  }) as typeof fetch;
  return { fetch: f, body: () => current, patches: () => patches, auth };
}

const ENV = { GITHUB_TOKEN: "workflow-token", GITHUB_API_URL: "https://api.github.test" };

test("--publish pr adds one block for the push; a re-run replaces it; a new push adds its own", async () => {
  const pr = standInPull(commits[1]!, "Adds validation.");
  const first = await run(FLAGS(...KEY(), "--publish", "pr", "--pr", "7"), ENV, pr.fetch);
  assert.equal(first.code, 0, first.err.join("\n"));
  assert.equal(first.out.length, 0, "the bundle goes to the PR, not stdout");
  assert.ok(pr.body().startsWith("Adds validation.\n\n"));
  assert.equal(extractProvenanceBlocks(pr.body(), { kind: "pr-body" }).bundles.length, 1);
  const again = await run(FLAGS(...KEY(), "--publish", "pr", "--pr", "7"), ENV, pr.fetch);
  assert.equal(again.code, 0, again.err.join("\n"));
  assert.equal(extractProvenanceBlocks(pr.body(), { kind: "pr-body" }).bundles.length, 1, "a re-run for the same push does not duplicate");
  assert.ok(pr.auth.every((a) => a === "Bearer workflow-token"));

  const next = bodyWithBlock(pr.body(), "f".repeat(40), "<!-- agent-gate:provenance v1\ne30=\n-->").body;
  assert.equal(extractProvenanceBlocks(next, { kind: "pr-body" }).bundles.length, 2, "another push adds its own block");
  assert.equal(bodyWithBlock(next, "f".repeat(40), "<!-- agent-gate:provenance v1\ne30=\n-->").body, next);
});

test("--publish pr refuses commits outside the PR, a missing token and a missing PR number", async () => {
  const elsewhere = standInPull("e".repeat(40), "");
  const outside = await run(FLAGS(...KEY(), "--publish", "pr", "--pr", "7"), ENV, elsewhere.fetch);
  assert.equal(outside.code, 1);
  assert.match(outside.err.join("\n"), /COMMITS_OUTSIDE_PR/);
  assert.equal(elsewhere.patches(), 0);
  const noToken = await run(FLAGS(...KEY(), "--publish", "pr", "--pr", "7"), {});
  assert.match(noToken.err.join("\n"), /NO_TOKEN/);
  const noPr = await run(FLAGS(...KEY(), "--publish", "pr"), ENV);
  assert.match(noPr.err.join("\n"), /NO_PULL_REQUEST: no pull request/);
});
