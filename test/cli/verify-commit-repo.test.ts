// `agent-gate verify-commit --repo OWNER/REPO --sha SHA`: the commit read from GitHub's REST API (GET
// /repos/{owner}/{repo}/git/commits/{commit_sha}, answered here by a loopback server whose requests and answers are
// checked against GitHub's own REST description, @octokit/openapi) is verified exactly as a commit file is; GitHub's
// payload and signature must rebuild exactly the asked SHA.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyCommitCommand } from "../../src/cli/verify-commit.js";
import { splitSignedCommit } from "../../src/adapters/sigstore/gitsign.js";
import { MAX_COMMIT_RESPONSE_BYTES } from "../../src/adapters/github/commits.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import { gitsignCommit, rawCommit } from "../support/gitsign-signer.js";
import { RestDescription } from "../support/openapi.js";

const rest = RestDescription.load();
const IDENTITY = "agent@example.test";
const ISSUER = "https://accounts.google.com";
let world: TestSigstore;
let dir = "";
let server: Server;
let api = "";
const requests: { url: string; auth: string | undefined }[] = [];
/** What the server answers per sha: a git commit document, or a status with a raw body. */
const answers = new Map<string, { status: number; body: unknown } | { status: number; raw: string } | { status: number; chunks: number }>();

/** The git/get-commit answer for a raw signed commit, as GitHub shapes it. */
function gitCommitDoc(sha: string, raw: Buffer | undefined, payloadOverride?: string): Record<string, unknown> {
  const split = raw ? splitSignedCommit(raw) : undefined;
  const signed = split !== undefined && !("error" in split);
  const now = "2026-11-26T05:00:00Z";
  const person = { name: "Agent", email: IDENTITY, date: now };
  return {
    sha,
    node_id: `C_${sha.slice(0, 8)}`,
    url: `https://api.github.com/repos/acme/widgets/git/commits/${sha}`,
    html_url: `https://github.com/acme/widgets/commit/${sha}`,
    author: person,
    committer: person,
    message: "Add the widget\n",
    tree: { sha: "4b825dc642cb6eb9a060e54bf8d69288fbee4904", url: "https://api.github.com/repos/acme/widgets/git/trees/4b825dc642cb6eb9a060e54bf8d69288fbee4904" },
    parents: [],
    verification: signed
      ? { verified: false, reason: "unknown_signature_type", payload: payloadOverride ?? split.payload.toString("utf8"), signature: split.signature, verified_at: null }
      : { verified: false, reason: "unsigned", payload: null, signature: null, verified_at: null },
  };
}

before(async () => {
  world = await createTestSigstore();
  dir = mkdtempSync(join(tmpdir(), "agent-gate-verify-commit-repo-"));
  writeFileSync(join(dir, "trusted_root.json"), JSON.stringify(world.trustedRoot));
  server = createServer((req, res) => {
    const url = req.url ?? "";
    requests.push({ url, auth: req.headers.authorization });
    const problems = rest.validateRequest(req.method ?? "GET", url, undefined);
    const sha = /\/git\/commits\/([0-9a-f]+)$/.exec(url)?.[1] ?? "";
    const a = problems.length > 0 ? { status: 400, body: { message: problems.join("; ") } } : (answers.get(sha) ?? { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" } });
    if ("body" in a) assert.deepEqual(rest.validateResponse("GET", url, a.status, a.body), [], `the stand-in's answer to ${url} is not GitHub's shape`);
    res.writeHead(a.status, { "content-type": "application/json" });
    if ("chunks" in a) {
      // chunked, no content-length: 1 MiB at a time until the reader stops asking (or the count runs out)
      let left = a.chunks;
      const more = (): void => {
        if (left-- <= 0 || res.destroyed) return void res.end();
        if (res.write(Buffer.alloc(1024 * 1024, 0x20))) setImmediate(more);
        else res.once("drain", more);
      };
      res.on("close", () => (left = 0));
      return more();
    }
    res.end("raw" in a ? a.raw : JSON.stringify(a.body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await verifyCommitCommand(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { GITHUB_API_URL: api, ...env }, fetch: globalThis.fetch });
  return { code, out: out.join("\n"), err: err.join("\n") };
}
const flags = (sha: string, ...more: string[]): string[] => ["--repo", "acme/widgets", "--sha", sha, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, "--trusted-root", join(dir, "trusted_root.json"), ...more];

async function signed(message = "Add the widget\n"): Promise<{ sha: string; raw: Buffer }> {
  const s = await gitsignCommit(world, rawCommit({ when: world.now, message }));
  return { sha: s.sha, raw: s.signedCommit };
}

test("a gitsign-signed commit read from GitHub verifies: exit 0, the SHA and signer in the document, the token sent", async () => {
  const c = await signed();
  answers.set(c.sha, { status: 200, body: gitCommitDoc(c.sha, c.raw) });
  const r = await run(flags(c.sha, "--json"), { GITHUB_TOKEN: "ghs_test-token" });
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { verified: boolean; sha: string; signer: { identity: string } };
  assert.deepEqual([doc.verified, doc.sha, doc.signer.identity], [true, c.sha, IDENTITY]);
  const req = requests.at(-1)!;
  assert.equal(req.url, `/repos/acme/widgets/git/commits/${c.sha}`);
  assert.equal(req.auth, "Bearer ghs_test-token");
  assert.doesNotMatch(r.out + r.err, /ghs_test-token/);
  // without a token (a public repository) no authorization is sent; the human line names the commit
  const plain = await run(flags(c.sha));
  assert.equal(plain.code, 0, plain.err);
  assert.equal(requests.at(-1)!.auth, undefined);
  assert.match(plain.out, new RegExp(`^OK: ${c.sha} ${IDENTITY}`));
});

test("GitHub's payload edited (another message under the same signature) does not rebuild the SHA: exit 1, COMMIT_MISMATCH", async () => {
  const c = await signed();
  const split = splitSignedCommit(c.raw);
  assert.ok(!("error" in split));
  answers.set(c.sha, { status: 200, body: gitCommitDoc(c.sha, c.raw, split.payload.toString("utf8").replace("Add the widget", "Add the gadget")) });
  const r = await run(flags(c.sha, "--json"));
  assert.equal(r.code, 1, r.err);
  const doc = JSON.parse(r.out) as { verified: boolean; error: { code: string; message: string } };
  assert.deepEqual([doc.verified, doc.error.code], [false, "COMMIT_MISMATCH"]);
});

test("a commit whose own message was edited before signing is another SHA; its signature moved there fails CONTENT_MISMATCH", async () => {
  const c = await signed();
  const other = Buffer.from(c.raw.toString("utf8").replace("Add the widget", "Add the gadget"));
  const { commitSha } = await import("../support/gitsign-signer.js");
  const sha = commitSha(other);
  answers.set(sha, { status: 200, body: gitCommitDoc(sha, other) });
  const r = await run(flags(sha, "--json"));
  assert.equal(r.code, 1, r.err);
  assert.equal((JSON.parse(r.out) as { error: { code: string } }).error.code, "CONTENT_MISMATCH");
});

test("an unsigned commit: exit 1, COMMIT_UNSIGNED with GitHub's reason", async () => {
  const sha = "1".repeat(40);
  answers.set(sha, { status: 200, body: gitCommitDoc(sha, undefined) });
  const r = await run(flags(sha, "--json"));
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.out) as { error: { code: string; message: string } };
  assert.equal(doc.error.code, "COMMIT_UNSIGNED");
  assert.match(doc.error.message, /unsigned/);
});

test("GitHub answering badly is an operational error (exit 2), never a verdict", async () => {
  const missing = "2".repeat(40);
  const r404 = await run(flags(missing, "--json"));
  assert.equal(r404.code, 2);
  assert.equal((JSON.parse(r404.out) as { error: { code: string } }).error.code, "GITHUB_REQUEST_FAILED");

  const broken = "3".repeat(40);
  answers.set(broken, { status: 200, raw: JSON.stringify({ sha: broken, verification: { verified: false } }) });
  const shape = await run(flags(broken, "--json"));
  assert.equal(shape.code, 2);
  assert.match((JSON.parse(shape.out) as { error: { code: string; message: string } }).error.message, /verification\.reason/);

  const huge = "4".repeat(40);
  answers.set(huge, { status: 200, raw: `{"sha":"${huge}","pad":"${"x".repeat(MAX_COMMIT_RESPONSE_BYTES)}"}` });
  const big = await run(flags(huge, "--json"));
  assert.equal(big.code, 2);
  assert.match((JSON.parse(big.out) as { error: { message: string } }).error.message, /more than \d+ bytes/);

  const endless = "6".repeat(40);
  answers.set(endless, { status: 200, chunks: 64 });
  const stream = await run(flags(endless, "--json"));
  assert.equal(stream.code, 2);
  assert.match((JSON.parse(stream.out) as { error: { message: string } }).error.message, /more than \d+ bytes/);

  const failing = "5".repeat(40);
  answers.set(failing, { status: 502, raw: "Bad Gateway" });
  const down = await run(flags(failing, "--json"));
  assert.equal(down.code, 2);
  assert.equal((JSON.parse(down.out) as { error: { code: string } }).error.code, "GITHUB_UNAVAILABLE");
});

test("usage: a short or symbolic SHA, a bad repository, both sources, a token over plain http elsewhere: exit 2", async () => {
  const bad = async (args: string[], env: Record<string, string> = {}): Promise<string> => {
    const r = await run(args, env);
    assert.equal(r.code, 2, r.out);
    return r.err;
  };
  assert.match(await bad(flags("HEAD")), /full 40-hex commit id/);
  assert.match(await bad(flags("abc1234")), /full 40-hex commit id/);
  assert.match(await bad(["--repo", "../x", "--sha", "a".repeat(40), "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER]), /OWNER\/REPO/);
  assert.match(await bad(["--commit-file", "x", ...flags("a".repeat(40))]), /not both/);
  assert.match(await bad(flags("a".repeat(40)), { GITHUB_API_URL: "http://github.example.test/api/v3" }), /https:\/\//);
});
