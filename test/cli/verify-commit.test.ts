// `agent-gate verify-commit` in-process: exit 0 verified with one JSON document, 1 not verified with the reason
// (NO_SIGNED_TIME for a commit without an embedded Rekor entry), 2 for usage and unreadable inputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { verifyCommitCommand } from "../../src/cli/verify-commit.js";

const DIR = "fixtures/gitsign";
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await verifyCommitCommand(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}
const billy = (id: string, ...more: string[]): string[] => ["--commit-file", `${DIR}/${id}/commit`, "--certificate-identity", "billy@chainguard.dev", "--certificate-oidc-issuer", "https://accounts.google.com", ...more];

test("an offline-mode gitsign commit verifies: exit 0 and one JSON document naming the signer and the Rekor entry", async () => {
  const r = await run(...billy("01-offline-google-2026", "--json", "--trusted-root", `${DIR}/trusted_root.json`));
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { verified: boolean; signer: { identity: string }; tlogEntry: { logIndex: string } };
  assert.equal(doc.verified, true);
  assert.equal(doc.signer.identity, "billy@chainguard.dev");
  assert.equal(doc.tlogEntry.logIndex, "2345438208");
});

test("an online-mode commit is not verified offline: exit 1 with NO_SIGNED_TIME", async () => {
  const r = await run("--commit-file", `${DIR}/03-online-github-oauth-2025/commit`, "--certificate-identity", "ctadeu@gmail.com", "--certificate-oidc-issuer", "https://github.com/login/oauth", "--json");
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.out) as { verified: boolean; error: { code: string; message: string } };
  assert.equal(doc.verified, false);
  assert.equal(doc.error.code, "NO_SIGNED_TIME");
  assert.match(doc.error.message, /no verifiable signed time/);
});

test("the edited message (09) fails with CONTENT_MISMATCH, exit 1", async () => {
  const r = await run(...billy("09-neg-message-edited"));
  assert.equal(r.code, 1);
  assert.match(r.err, /CONTENT_MISMATCH/);
});

test("usage and unreadable inputs exit 2", async () => {
  assert.equal((await run(...billy("no-such-case"))).code, 2);
  assert.equal((await run("--commit-file", `${DIR}/01-offline-google-2026/commit`, "--certificate-identity", "x")).code, 2);
  assert.equal((await run(...billy("01-offline-google-2026").slice(0, 2), "--certificate-identity-regexp", "billy", "--certificate-oidc-issuer", "https://accounts.google.com")).code, 2);
  assert.equal((await run(...billy("01-offline-google-2026", "--trusted-root", `${DIR}/README.md`))).code, 2);
});
