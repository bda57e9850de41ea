// GET /repos/{owner}/{repo}/git/commits/{sha} on the stand-in, valid against the REST description, and
// `agent-gate verify-commit --repo --sha` through it: a gitsign-signed commit verifies, a sha it does not hold is
// a GitHub error (exit 2), an edited copy of the message fails (exit 1).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import { verifyCommitCommand } from "../../src/cli/verify-commit.js";
import { createTestSigstore, type TestSigstore } from "../support/sigstore/index.js";
import { commitSha, gitsignCommit, rawCommit } from "../support/gitsign-signer.js";
import { repo, validated } from "./support.js";

let world: TestSigstore;
let rootFile: string;
before(async () => {
  world = await createTestSigstore();
  rootFile = join(mkdtempSync(join(tmpdir(), "ag-git-commits-")), "trusted_root.json");
  writeFileSync(rootFile, JSON.stringify(world.trustedRoot));
});

async function signedWorld(message = "Add the widget\n\nAgent: claude-code\n"): Promise<{ standIn: GitHubStandIn; sha: string }> {
  const unsigned = rawCommit({ parents: ["a283a6f3a15bb0f4544c36f1a6329c78f1403d45"], when: world.now, message });
  const s = await gitsignCommit(world, unsigned);
  const r = repo("acme", "widgets", 77, 1);
  const pull = r.pulls[0]!;
  pull.head.sha = s.sha;
  // GitHub does not trust Fulcio's CA for its badge: the signature and payload are served all the same
  pull.commits = [{ sha: s.sha, tree: "4b825dc642cb6eb9a060e54bf8d69288fbee4904", message, author: { name: "Agent", email: "agent@example.test" }, verification: { verified: false, reason: "unknown_signature_type", signature: s.pem, payload: unsigned.toString("utf8") } }];
  assert.equal(commitSha(s.signedCommit), s.sha);
  return { standIn: new GitHubStandIn([r]), sha: s.sha };
}

function run(args: string[], fetch: typeof globalThis.fetch): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io = { out: (s: string) => void (out += `${s}\n`), err: (s: string) => void (err += `${s}\n`), env: { GITHUB_API_URL: "https://api.github.com" }, fetch };
  return verifyCommitCommand(args, io).then((code) => ({ code, out, err }));
}

const flags = (sha: string): string[] => ["--repo", "acme/widgets", "--sha", sha, "--certificate-identity", "agent@example.test", "--certificate-oidc-issuer", "https://accounts.google.com", "--trusted-root", rootFile, "--json"];

test("the stand-in serves a commit object with GitHub's verification, valid against the REST description", async () => {
  const { standIn, sha } = await signedWorld();
  const gh = validated(standIn);
  const res = await gh.fetch(`https://api.github.com/repos/acme/widgets/git/commits/${sha}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { sha: string; verification: { signature: string; payload: string } };
  assert.equal(body.sha, sha);
  assert.match(body.verification.signature, /BEGIN SIGNED MESSAGE/);
  assert.equal((await gh.fetch(`https://api.github.com/repos/acme/widgets/git/commits/${"f".repeat(40)}`)).status, 404);
  assert.deepEqual(gh.problems, []);
});

test("verify-commit --repo --sha through the stand-in: verified (0); a commit it does not hold is GitHub's answer (2)", async () => {
  const { standIn, sha } = await signedWorld();
  const gh = validated(standIn);
  const ok = await run(flags(sha), gh.fetch);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.equal((JSON.parse(ok.out) as { verified: boolean }).verified, true);
  const missing = await run(flags("e".repeat(40)), gh.fetch);
  assert.equal(missing.code, 2, missing.out + missing.err);
  assert.deepEqual(gh.problems, []);
});

test("verify-commit --repo --sha: a payload edited after signing does not rebuild the sha (exit 1)", async () => {
  const { standIn, sha } = await signedWorld();
  const pull = standIn.repos[0]!.pulls[0]!;
  const v = pull.commits[0]!.verification!;
  v.payload = v.payload!.replace("Add the widget", "Add the gadget");
  const r = await run(flags(sha), validated(standIn).fetch);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /COMMIT_MISMATCH|CONTENT_MISMATCH/);
});
