// Every changed file of a pull request names the commit GitHub read it at (its contents_url, blob_url and raw_url);
// checkHead binds that commit to the judged head. A file list read after a push must never judge the older head.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { validatedGitHub } from "../../support/github.js";
import { fetchPull, fileReadAt, loadPullRequest, type PullRequestSnapshot } from "../../../src/adapters/github/pull-request-source.js";
import { checkHead } from "../../../src/app/evaluate-pull-request.js";
import { AgentGateError } from "../../../src/core/errors.js";
import templates from "../../../src/demo/github/templates.js";
import type { StandInRepo } from "../../../src/demo/github/model.js";

const sha = (n: number): string => n.toString(16).padStart(40, "0");
const HEAD = sha(2);
const BASE = sha(100);
const urls = (at: string, path = "src/a.ts") => ({
  contents_url: `https://api.github.com/repos/acme/web/contents/${path}?ref=${at}`,
  blob_url: `https://github.com/acme/web/blob/${at}/${path}`,
  raw_url: `https://github.com/acme/web/raw/${at}/${path}`,
});

test("a diff entry's commit is read from contents_url, and blob_url and raw_url must agree with it", () => {
  assert.deepEqual(fileReadAt(urls(HEAD)), { sha: HEAD });
  // GitHub's own example (its REST description): the three URLs name the commit 6dcb09b.
  assert.deepEqual(fileReadAt(templates.file as object), { sha: "6dcb09b5b57875f334f61aebed695e2e4193db5e" });
  // A submodule's entry has no blob_url or raw_url: contents_url alone names the commit.
  assert.deepEqual(fileReadAt({ ...urls(HEAD), blob_url: null, raw_url: null }), { sha: HEAD });
  // A file whose path looks like a commit URL is still read by position.
  assert.deepEqual(fileReadAt(urls(HEAD, `blob/${BASE}/x`)), { sha: HEAD });
  assert.match(fileReadAt({ ...urls(HEAD), blob_url: urls(BASE).blob_url }) as string, /contents_url, blob_url and raw_url name different commits/);
});

test("an entry naming no commit is refused with what was expected", () => {
  assert.match(fileReadAt({}) as string, /contents_url names no commit \(expected …\/contents\/\{path\}\?ref=\{40 hex digits\}, got null\)/);
  assert.match(fileReadAt({ ...urls(HEAD), contents_url: "https://api.github.com/repos/acme/web/contents/src/a.ts?ref=main" }) as string, /contents_url names no commit/);
  assert.match(fileReadAt({ ...urls(HEAD), contents_url: "not a url" }) as string, /contents_url names no commit/);
  assert.match(fileReadAt({ ...urls(HEAD), blob_url: "https://github.com/acme/web/tree/main/src/a.ts" }) as string, /blob_url names no commit \(expected https:\/\/\{host\}\/\{owner\}\/\{repo\}\/blob\/\{40 hex digits\}\/\{path\}/);
  assert.match(fileReadAt({ ...urls(HEAD), raw_url: "https://github.com/acme/web/raw/abc/src/a.ts" }) as string, /raw_url names no commit/);
});

function snapshot(files: { filename: string; status?: string; readAt: string }[], commits = [sha(1), HEAD]): PullRequestSnapshot {
  return {
    pull: {} as PullRequestSnapshot["pull"],
    commits: commits.map((s) => ({ sha: s }) as PullRequestSnapshot["commits"][number]),
    files: files.map((f) => ({ additions: 1, deletions: 0, status: "modified", ...f })),
    reviews: [],
    comments: [],
    truncated: [],
    listed: { commits: commits.length, files: files.length, reviews: 0, comments: 0 },
    permissions: {},
  };
}

test("checkHead: every changed file must have been listed at the judged head", () => {
  checkHead(snapshot([{ filename: "a.ts", readAt: HEAD }, { filename: "b.ts", status: "added", readAt: HEAD }]), HEAD);
  const moved = sha(3);
  assert.throws(
    () => checkHead(snapshot([{ filename: "a.ts", readAt: HEAD }, { filename: "docs/readme.md", readAt: moved }]), HEAD),
    (e: unknown) => e instanceof AgentGateError && e.code === "HEAD_MOVED" && e.kind === "transient" && /head moved from 0000000 to 0000000 .*"docs\/readme.md" was listed at 0000000/.test(e.message),
  );
  // The commits' check comes first, as before: a head that moved on is final.
  assert.throws(() => checkHead(snapshot([{ filename: "a.ts", readAt: moved }], [sha(1), HEAD, moved]), HEAD), (e: unknown) => e instanceof AgentGateError && e.code === "HEAD_MOVED" && e.kind === "invalid-input");
  // Past 250 commits the head is not listed; its files are still bound.
  const cut = { ...snapshot([{ filename: "a.ts", readAt: moved }], [sha(1)]), truncated: ["commits"] };
  assert.throws(() => checkHead(cut, HEAD), { code: "HEAD_MOVED" });
});

test("checkHead: a removed file may name the commit it was removed from; it is not bound to the head", () => {
  checkHead(snapshot([{ filename: "a.ts", readAt: HEAD }, { filename: "old.ts", status: "removed", readAt: BASE }]), HEAD);
  checkHead(snapshot([{ filename: "old.ts", status: "removed", readAt: HEAD }]), HEAD);
});

function standIn(): StandInRepo {
  return {
    owner: "acme", name: "web", id: 77, defaultBranch: "main", files: {},
    pulls: [{
      number: 7, title: "t", body: "b", user: { login: "alice", id: 1001 },
      head: { ref: "f", sha: HEAD }, base: { ref: "main", sha: BASE },
      commits: [{ sha: HEAD, tree: sha(500), message: "m", author: { name: "A", email: "a@x" } }],
      files: [{ filename: "src/a b.ts", additions: 1, deletions: 0 }, { filename: "old.ts", status: "removed", additions: 0, deletions: 3 }],
      reviews: [], comments: [],
    }],
  };
}

test("the stand-in names the head in every file's URLs (a removed file's, its base), and the snapshot keeps it", async () => {
  const gh = validatedGitHub([standIn()]);
  const octokit = new Octokit({ auth: "t", request: { fetch: gh.fetch } });
  const snap = await loadPullRequest(octokit, "acme", "web", await fetchPull(octokit, "acme", "web", 7));
  assert.deepEqual(snap.files.map((f) => [f.filename, f.readAt]), [["src/a b.ts", HEAD], ["old.ts", BASE]]);
  checkHead(snap, HEAD);
  assert.deepEqual(gh.problems, []);
});

test("a file list whose entry names no commit fails the snapshot, naming the entry and what was expected", async () => {
  const gh = validatedGitHub([standIn()]);
  gh.standIn.faults.push((req) => {
    if (!req.url.startsWith("/repos/acme/web/pulls/7/files")) return undefined;
    return { status: 200, headers: { "content-type": "application/json" }, body: [{ ...(templates.file as object), filename: "src/a.ts", contents_url: "https://api.github.com/repos/acme/web/contents/src/a.ts" }] };
  });
  const octokit = new Octokit({ auth: "t", request: { fetch: gh.fetch } });
  await assert.rejects(loadPullRequest(octokit, "acme", "web", await fetchPull(octokit, "acme", "web", 7)), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_RESPONSE_INVALID" && /files\[0\].*src\/a\.ts: contents_url names no commit/.test(e.message));
});
