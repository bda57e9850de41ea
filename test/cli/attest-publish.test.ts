// `agent-gate attest --publish pr` as an agent pushes again and again: each push's block covers every commit so far,
// so the blocks of earlier pushes (same signer, commits all covered) are dropped and the body stays under GitHub's
// 65,536-character cap, while the gate still finds provenance for every commit of the pull request. Blocks it does
// not supersede are kept; a body past the cap and GitHub's own refusals are reported with what GitHub said.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attestCommand } from "../../src/cli/attest.js";
import { GITHUB_BODY_MAX } from "../../src/cli/attest-publish.js";
import { extractProvenanceBlocks } from "../../src/core/provenance-block.js";
import { bindProvenance } from "../../src/core/binding.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { createKeySigner, generateSigningKey } from "../../src/adapters/sigstore/signing/index.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";
import type { SigstoreServices } from "../support/sigstore/http.js";

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
const ID_TOKEN = `${b64url({ alg: "none" })}.${b64url({ iss: DEFAULT_ISSUER, sub: "repo:acme/widgets:ref:refs/heads/main", aud: "sigstore", job_workflow_ref: DEFAULT_IDENTITY.replace("https://github.com/", ""), repository: "acme/widgets", ref: "refs/heads/main" })}.c2ln`;
const TOKEN = "ghs_workflowTokenValue0123456789abcdef";

let dir = "";
let world: TestSigstore;
let services: SigstoreServices;
let base = "";
const git = (...a: string[]): string => execFileSync("git", ["-c", "user.name=a", "-c", "user.email=a@example.test", ...a], { cwd: dir, encoding: "utf8" }).trim();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-publish-"));
  git("init", "-q", "-b", "main");
  git("commit", "-q", "--allow-empty", "-m", "base");
  base = git("rev-parse", "HEAD");
  writeFileSync(join(dir, "prompt.txt"), "Add tests.\n");
  writeFileSync(join(dir, "key.pem"), generateSigningKey().privateKeyPem);
  writeFileSync(join(dir, "other.pem"), generateSigningKey().privateKeyPem);
  world = await createTestSigstore();
  services = await startSigstoreServices(world, { actionsIdToken: ID_TOKEN });
  writeFileSync(join(dir, "root.json"), JSON.stringify(world.trustedRoot));
});
after(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A pull request on a stand-in for GET/PATCH /repos/acme/widgets/pulls/7, GitHub's cap on the body included. */
function pullRequest(initial: string, answer?: () => Response | undefined): { fetch: typeof fetch; body: () => string; patches: () => number } {
  let body = initial;
  let patches = 0;
  const f = ((input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input.toString();
    if (!url.startsWith("https://api.github.test/")) return globalThis.fetch(input, init);
    if ((init?.method ?? "GET") === "GET") return Promise.resolve(Response.json({ number: 7, body, head: { sha: git("rev-parse", "HEAD") } }));
    const forced = answer?.();
    if (forced) return Promise.resolve(forced);
    const next = (JSON.parse(init!.body as string) as { body: string }).body;
    if (next.length > GITHUB_BODY_MAX) {
      return Promise.resolve(Response.json({ message: "Validation Failed", errors: [{ resource: "Issue", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }] }, { status: 422 }));
    }
    body = next;
    patches++;
    return Promise.resolve(Response.json({ number: 7, body }));
  }) as typeof fetch;
  return { fetch: f, body: () => body, patches: () => patches };
}

async function publish(f: typeof fetch, signing: string[], env: Record<string, string> = {}, ...extra: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await attestCommand(
    ["--repo", "acme/widgets", "--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5", "--model-version", "20250929",
      "--prompt-file", join(dir, "prompt.txt"), "--base", base, "--actor", "alice", "--actor-id", "5001", ...signing, "--trusted-root", join(dir, "root.json"),
      "--publish", "pr", "--pr", "7", ...extra],
    { env: { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: "https://api.github.test", ...env }, cwd: dir, out: () => undefined, err: (l) => err.push(l), fetch: f, now: () => new Date() },
  );
  return { code, err: err.join("\n") };
}

const KEYLESS = (): string[] => ["--fulcio-url", services.fulcioUrl, "--rekor-url", services.rekorUrl, "--tsa-url", services.tsaUrl];
const KEYLESS_ENV = (): Record<string, string> => ({ ACTIONS_ID_TOKEN_REQUEST_URL: `${services.oidcUrl}?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" });
const KEY = (file = "key.pem"): string[] => ["--key", join(dir, file), "--rekor-url", services.rekorUrl];

/** What the gate finds in the body: every commit from the base to HEAD covered by a verified block. */
function uncoveredCommits(body: string): string[] {
  const verifier = createVerifier({ trustedRoot: world.trustedRoot });
  const keys = ["key.pem", "other.pem"].map((f) => createKeySigner(execFileSync("cat", [join(dir, f)], { encoding: "utf8" })));
  const bundles = extractProvenanceBlocks(body, { kind: "pr-body" }).bundles.flatMap((b) => {
    const o = verifier.verifyAny({ bundle: b.json, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signers: [{ kind: "any-certificate" }, ...keys.map((k) => ({ kind: "key" as const, publicKeyPem: k.publicKeyPem, keyHint: k.keyHint }))] });
    return o.ok ? [o] : [];
  });
  const commits = git("rev-list", "--reverse", `${base}..HEAD`).split("\n").map((sha) => ({ sha, treeSha: git("rev-parse", `${sha}^{tree}`) }));
  return bindProvenance({ repository: { owner: "acme", name: "widgets", id: 1 }, commits, bundles }).commits.filter((c) => !c.covered).map((c) => c.sha);
}

test("keyless pushes, one after another: each publishes, earlier blocks it covers are dropped, every commit stays covered", async () => {
  const pr = pullRequest("Adds validation.");
  for (let push = 1; push <= 6; push++) {
    git("commit", "-q", "--allow-empty", "-m", `agent: push ${push}`);
    const r = await publish(pr.fetch, KEYLESS(), KEYLESS_ENV());
    assert.equal(r.code, 0, `push ${push}: ${r.err}`);
    const blocks = extractProvenanceBlocks(pr.body(), { kind: "pr-body" }).bundles.length;
    assert.equal(blocks, 1, `push ${push}: the earlier push's block is covered by this one and dropped`);
    if (push > 1) assert.match(r.err, /dropped 1 earlier block\(s\) it covers/);
    assert.ok(pr.body().startsWith("Adds validation.\n\n<!-- agent-gate:attest head="), pr.body().slice(0, 80));
    assert.deepEqual(uncoveredCommits(pr.body()), [], `push ${push}: the gate finds provenance for every commit`);
  }
});

test("blocks the new one does not supersede are kept: another signer's, an unmarked one, one naming a commit it does not sign", async () => {
  git("commit", "-q", "--allow-empty", "-m", "agent: more");
  const unmarked = "<!-- agent-gate:provenance v1\ne30=\n-->";
  const pr = pullRequest(`Fixes the parser.\n\n${unmarked}\n`);
  const count = (): number => extractProvenanceBlocks(pr.body(), { kind: "pr-body" }).bundles.length;
  // another key signs every commit so far, then ours does, for the same head: neither replaces the other
  assert.equal((await publish(pr.fetch, KEY("other.pem"))).code, 0);
  const ours = await publish(pr.fetch, KEY());
  assert.equal(ours.code, 0, ours.err);
  assert.equal(count(), 3, "the unmarked block, the other key's, ours");
  // ours again, for the head alone: it does not cover our earlier block, which stays
  const headOnly = await publish(pr.fetch, KEY(), {}, "--commits", git("rev-parse", "HEAD"));
  assert.equal(headOnly.code, 0, headOnly.err);
  assert.equal(count(), 4);
  assert.doesNotMatch(headOnly.err, /dropped/);
  // the same run again replaces its own block in place
  const rerun = await publish(pr.fetch, KEY(), {}, "--commits", git("rev-parse", "HEAD"));
  assert.equal(rerun.code, 0, rerun.err);
  assert.equal(count(), 4);
  // a later push signed with our key covering every commit drops our two earlier blocks only
  git("commit", "-q", "--allow-empty", "-m", "agent: last");
  const last = await publish(pr.fetch, KEY());
  assert.equal(last.code, 0, last.err);
  assert.match(last.err, /dropped 2 earlier block\(s\)/);
  assert.equal(count(), 3, "the unmarked block, the other key's, the new one");
  assert.ok(pr.body().startsWith(`Fixes the parser.\n\n${unmarked}\n`));
  assert.deepEqual(uncoveredCommits(pr.body()), []);
});

test("a body that would pass GitHub's cap is refused before the PATCH, saying the 65,536 limit", async () => {
  git("commit", "-q", "--allow-empty", "-m", "agent: big");
  const pr = pullRequest("x".repeat(GITHUB_BODY_MAX - 1000));
  const r = await publish(pr.fetch, KEYLESS(), KEYLESS_ENV());
  assert.equal(r.code, 1);
  assert.match(r.err, /PUBLISH_FAILED: the body of pull request #7 would be \d+ characters with this provenance block \(\d+ of them\); GitHub caps a body at 65536 characters/);
  assert.equal(pr.patches(), 0);
});

test("GitHub's refusal is shown with its own words, never the token", async () => {
  const pr = pullRequest("Adds validation.", () =>
    Response.json({ message: `Resource not accessible by integration (token ${TOKEN})`, errors: [{ field: "body", code: "invalid", message: "body is locked" }], documentation_url: "https://docs.github.com/rest" }, { status: 403 }),
  );
  const r = await publish(pr.fetch, KEY());
  assert.equal(r.code, 1);
  assert.match(r.err, /PUBLISH_FAILED: PATCH https:\/\/api\.github\.test\/repos\/acme\/widgets\/pulls\/7 answered HTTP 403: Resource not accessible by integration \(token \*\*\*\): body is locked/);
  assert.doesNotMatch(r.err, new RegExp(TOKEN));
});
