// `agent-gate verify-commit --rekor-url URL`: gitsign's online mode (no entry in the signature; the commit id logged
// after signing) looked up in a Rekor v1 log, off by default. The log here is the tests' own, answered through a
// fetch double: index search by sha256(commit id), then each entry. Every answer is checked before it counts.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyCommitCommand } from "../../src/cli/verify-commit.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import type { TestSigstore } from "../support/sigstore/index.js";
import type { TlogEntryJson } from "../support/sigstore/bundle.js";
import { rekorV1ApiEntry } from "../support/sigstore/http.js";
import { gitsignCommit, rawCommit } from "../support/gitsign-signer.js";

const REKOR = "https://rekor.agent-gate.test";
const IDENTITY = "agent@example.test";
const ISSUER = "https://accounts.google.com";
let world: TestSigstore;
let dir = "";
/** The fake log's index: sha256 of a commit id -> entries. */
const index = new Map<string, TlogEntryJson[]>();
const asked: string[] = [];

const rekorFetch = ((input: string, init?: RequestInit): Promise<Response> => Promise.resolve(answer(input, init))) as unknown as typeof fetch;

function answer(url: string, init?: RequestInit): Response {
  asked.push(`${init?.method ?? "GET"} ${url.replace(REKOR, "")}`);
  if (url === `${REKOR}/api/v1/index/retrieve`) {
    const { hash } = JSON.parse(init?.body as string) as { hash: string };
    return Response.json((index.get(hash.replace("sha256:", "")) ?? []).map((e) => rekorV1ApiEntry(e).uuid));
  }
  const uuid = /\/api\/v1\/log\/entries\/([0-9a-f]+)$/.exec(url)?.[1];
  for (const list of index.values()) for (const e of list) if (rekorV1ApiEntry(e).uuid === uuid) return Response.json({ [uuid]: rekorV1ApiEntry(e).entry });
  return new Response("not found", { status: 404 });
}

before(async () => {
  world = await createTestSigstore();
  dir = mkdtempSync(join(tmpdir(), "agent-gate-online-"));
  writeFileSync(join(dir, "trusted_root.json"), JSON.stringify(world.trustedRoot));
});

async function online(message: string): Promise<{ file: string; sha: string; entry: TlogEntryJson }> {
  const s = await gitsignCommit(world, rawCommit({ when: world.now, message }), { rekor: "online" });
  const file = join(dir, `${s.sha}.commit`);
  writeFileSync(file, s.signedCommit);
  return { file, sha: s.sha, entry: s.tlogEntry! };
}
const idHash = (sha: string): string => createHash("sha256").update(sha).digest("hex");

async function run(file: string, ...more: string[]): Promise<{ code: number; doc: { verified: boolean; error?: { code: string; message: string }; tlogEntry?: { logIndex: string } } }> {
  const out: string[] = [];
  const code = await verifyCommitCommand(["--commit-file", file, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, "--trusted-root", join(dir, "trusted_root.json"), "--json", ...more], { out: (t) => out.push(t), err: () => undefined, env: {}, fetch: rekorFetch });
  return { code, doc: JSON.parse(out.join("\n")) as never };
}

test("an online-mode commit: NO_SIGNED_TIME offline (no request made); verified with --rekor-url from its logged entry", async () => {
  const c = await online("Online mode\n");
  index.set(idHash(c.sha), [c.entry]);
  asked.length = 0;
  const offline = await run(c.file);
  assert.equal(offline.code, 1);
  assert.equal(offline.doc.error?.code, "NO_SIGNED_TIME");
  assert.match(offline.doc.error?.message ?? "", /--rekor-url/);
  assert.deepEqual(asked, []);
  const r = await run(c.file, "--rekor-url", REKOR);
  assert.equal(r.code, 0, JSON.stringify(r.doc));
  assert.equal(r.doc.tlogEntry?.logIndex, c.entry.logIndex);
  assert.deepEqual(asked.slice(0, 1), ["POST /api/v1/index/retrieve"]);
});

test("an entry for another commit, or of another certificate, is not this commit's: NO_SIGNED_TIME", async () => {
  const c = await online("Mine\n");
  const other = await online("Another\n");
  index.set(idHash(c.sha), [other.entry]); // the log answers with an entry over another commit id
  const r = await run(c.file, "--rekor-url", REKOR);
  assert.equal(r.code, 1);
  assert.equal(r.doc.error?.code, "NO_SIGNED_TIME");
  assert.match(r.doc.error?.message ?? "", /found online/);
});

test("a tampered entry (integrated time moved, so the SET breaks) fails TLOG_SET_INVALID", async () => {
  const c = await online("Tampered\n");
  index.set(idHash(c.sha), [{ ...c.entry, integratedTime: String(Number(c.entry.integratedTime) + 1) }]);
  const r = await run(c.file, "--rekor-url", REKOR);
  assert.equal(r.code, 1);
  assert.equal(r.doc.error?.code, "TLOG_SET_INVALID");
});

test("Rekor failing is an operational error (exit 2); an offline-mode commit never asks it", async () => {
  const c = await online("Unreachable\n");
  const out: string[] = [];
  const code = await verifyCommitCommand(["--commit-file", c.file, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, "--trusted-root", join(dir, "trusted_root.json"), "--rekor-url", REKOR, "--json"], { out: (t) => out.push(t), err: () => undefined, env: {}, fetch: () => Promise.resolve(new Response("down", { status: 503 })) });
  assert.equal(code, 2);
  assert.equal((JSON.parse(out.join("\n")) as { error: { code: string } }).error.code, "REKOR_UNREACHABLE");

  const s = await gitsignCommit(world, rawCommit({ when: world.now, message: "Offline mode\n" }));
  writeFileSync(join(dir, "offline.commit"), s.signedCommit);
  asked.length = 0;
  const r = await run(join(dir, "offline.commit"), "--rekor-url", REKOR);
  assert.equal(r.code, 0, JSON.stringify(r.doc));
  assert.deepEqual(asked, []);
});

test("a Rekor answer past 64 KiB is refused after reading at most one byte beyond the cap (REKOR_FAILED names it)", async () => {
  const c = await online("Oversized\n");
  let pulled = 0;
  const huge = (): Response =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(ctrl) {
          // a 4 MiB answer, 16 KiB at a time
          if (pulled >= 4 * 1024 * 1024) return ctrl.close();
          pulled += 16 * 1024;
          ctrl.enqueue(new Uint8Array(16 * 1024).fill(0x20));
        },
      }),
      { status: 200 },
    );
  const out: string[] = [];
  const code = await verifyCommitCommand(["--commit-file", c.file, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, "--trusted-root", join(dir, "trusted_root.json"), "--rekor-url", REKOR, "--json"], { out: (t) => out.push(t), err: () => undefined, env: {}, fetch: () => Promise.resolve(huge()) });
  assert.equal(code, 2);
  const doc = JSON.parse(out.join("\n")) as { error: { code: string; message: string } };
  assert.equal(doc.error.code, "REKOR_FAILED");
  assert.match(doc.error.message, /answered more than 65536 bytes \(64 KiB\)/);
  // the stream is cancelled once past the cap (a chunk or two of read-ahead, never the whole answer)
  assert.ok(pulled <= 64 * 1024 + 3 * 16 * 1024, `read ${pulled} bytes`);
  const declared = await verifyCommitCommand(["--commit-file", c.file, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, "--trusted-root", join(dir, "trusted_root.json"), "--rekor-url", REKOR, "--json"], { out: () => undefined, err: () => undefined, env: {}, fetch: () => Promise.resolve(new Response("[]", { status: 200, headers: { "content-length": String(10 * 1024 * 1024) } })) });
  assert.equal(declared, 2);
});
