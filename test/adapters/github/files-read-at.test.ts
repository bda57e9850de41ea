// Every changed file of a pull request names the commit GitHub read it at (its contents_url, blob_url and raw_url);
// checkHead binds that commit to the judged head. A file list read after a push must never judge the older head.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { validatedGitHub } from "../../support/github.js";
import { fetchPull, fileReadAt, loadPullRequest, type PullRequestSnapshot } from "../../../src/adapters/github/pull-request-source.js";
import { compareUnboundFiles } from "../../../src/adapters/github/files-binding.js";
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
    filePages: [files.length],
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

// A read of the list holding only removed files (or none) names no head: GitHub may name the base side. Such a list
// is bound by GitHub's comparison of the base with exactly the head (files-binding.ts), or the check does not pass.
test("checkHead: a read naming no head (only removed files, or none) counts only when the comparison at the head confirmed it", () => {
  const removed = [{ filename: "README.md", status: "removed", readAt: BASE }];
  const unbound = (e: unknown): boolean => e instanceof AgentGateError && e.code === "HEAD_MOVED" && e.kind === "transient" && /listed without naming its head 0000000 \(only removed files\), and no comparison with the base confirmed them/.test(e.message);
  assert.throws(() => checkHead(snapshot(removed), HEAD), unbound);
  assert.throws(() => checkHead(snapshot([]), HEAD), (e: unknown) => e instanceof AgentGateError && e.code === "HEAD_MOVED" && /\(no files\)/.test(e.message));
  checkHead({ ...snapshot(removed), filesCompared: HEAD }, HEAD);
  checkHead({ ...snapshot([]), filesCompared: HEAD }, HEAD);
  assert.throws(() => checkHead({ ...snapshot(removed), filesCompared: sha(3) }, HEAD), (e: unknown) => e instanceof AgentGateError && e.code === "HEAD_MOVED" && /confirmed them for 0000000, not this commit/.test(e.message));
  // Each page is a read of its own: a page of removals after a page bound to the head is still unbound.
  const paged = { ...snapshot([{ filename: "a.ts", readAt: HEAD }, ...removed]), filePages: [1, 1] };
  assert.throws(() => checkHead(paged, HEAD), unbound);
  checkHead({ ...paged, filePages: [2] }, HEAD);
  checkHead({ ...paged, filesCompared: HEAD }, HEAD);
});

/** The stand-in's pull request 7 with `files`, and a fetch that records every request's path. */
function recorded(files: StandInRepo["pulls"][number]["files"]) {
  const repo = standIn();
  repo.pulls[0]!.files = files;
  const gh = validatedGitHub([repo]);
  const paths: string[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    paths.push(new URL(input instanceof Request ? input.url : input).pathname);
    return gh.fetch(input, init);
  };
  return { gh, paths, octokit: new Octokit({ auth: "t", request: { fetch } }) };
}

test("a removal-only pull request is bound by one comparison of its base with its head; a bound list costs no request", async () => {
  const removals = recorded([{ filename: "README.md", status: "removed", additions: 0, deletions: 9 }]);
  const snap = await loadPullRequest(removals.octokit, "acme", "web", await fetchPull(removals.octokit, "acme", "web", 7));
  assert.equal(snap.filesCompared, HEAD);
  assert.deepEqual(removals.paths.filter((p) => p.includes("/compare/")), [`/repos/acme/web/compare/${BASE}...${HEAD}`]);
  checkHead(snap, HEAD);
  assert.deepEqual(removals.gh.problems, []);

  const empty = recorded([]);
  const none = await loadPullRequest(empty.octokit, "acme", "web", await fetchPull(empty.octokit, "acme", "web", 7));
  assert.deepEqual([none.filePages, none.filesCompared], [[0], HEAD]);
  checkHead(none, HEAD);
  assert.deepEqual(empty.gh.problems, []);

  const common = recorded(standIn().pulls[0]!.files);
  const bound = await loadPullRequest(common.octokit, "acme", "web", await fetchPull(common.octokit, "acme", "web", 7));
  assert.equal(bound.filesCompared, undefined);
  assert.deepEqual(common.paths.filter((p) => p.includes("/compare/")), [], "no comparison when an entry names the head");
  checkHead(bound, HEAD);
});

test("a removal-only list read after a push is refused: the comparison at the judged head lists other files", async () => {
  // Y changes a workflow; the files read answers Z's list (README.md removed, the same count); the comparison at Y says otherwise.
  const { gh, octokit } = recorded([{ filename: ".github/workflows/deploy.yml", additions: 4, deletions: 1 }]);
  gh.standIn.faults.push((req) => {
    if (!req.url.startsWith("/repos/acme/web/pulls/7/files")) return undefined;
    return { status: 200, headers: { "content-type": "application/json" }, body: [{ ...(templates.file as object), ...urls(BASE, "README.md"), filename: "README.md", status: "removed", additions: 0, deletions: 9, changes: 9 }] };
  });
  await assert.rejects(
    loadPullRequest(octokit, "acme", "web", await fetchPull(octokit, "acme", "web", 7)),
    (e: unknown) => e instanceof AgentGateError && e.code === "HEAD_MOVED" && e.kind === "transient" && /only removed files.*comparison of its base with 0000000 lists other files.*"README\.md".*"\.github\/workflows\/deploy\.yml"/.test(e.message),
  );
  assert.deepEqual(gh.problems, []);
});

test("a comparison that cannot confirm the list fails closed: unreadable, unexpected, or possibly cut at 300 files", async () => {
  const pull = { head: { sha: HEAD }, base: { sha: BASE } };
  const removed = (n: number) => Array.from({ length: n }, (_, i) => ({ filename: `f${i}`, status: "removed", readAt: BASE }));
  const answering = (data: unknown) => {
    const calls: unknown[] = [];
    return { calls, octokit: { request: ((_route: string, params: unknown) => Promise.resolve((calls.push(params), { data }))) as never } };
  };
  const big = answering({ files: removed(300) });
  await assert.rejects(compareUnboundFiles(big.octokit, "acme", "web", pull, removed(300), [100, 100, 100]), (e: unknown) => e instanceof AgentGateError && e.code === "FILES_UNBOUND" && e.kind === "invalid-input" && /300 files are listed/.test(e.message));
  assert.equal(big.calls.length, 0, "no comparison can confirm 300 files");
  await assert.rejects(compareUnboundFiles(big.octokit, "acme", "web", pull, removed(2), [2]), (e: unknown) => e instanceof AgentGateError && e.code === "FILES_UNBOUND" && /it lists 300 files, and at 300 it may have left some out/.test(e.message));
  assert.deepEqual(big.calls, [{ owner: "acme", repo: "web", basehead: `${BASE}...${HEAD}`, per_page: 1 }]);
  await assert.rejects(compareUnboundFiles(answering({ status: "ahead" }).octokit, "acme", "web", pull, removed(1), [1]), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_RESPONSE_INVALID" && /comparison 0000000\.\.\.0000000 .* files: /.test(e.message));
  const failing = { request: (() => Promise.reject(Object.assign(new Error("Not Found"), { status: 404 }))) as never };
  await assert.rejects(compareUnboundFiles(failing, "acme", "web", pull, removed(1), [1]), { status: 404 });
  assert.equal(await compareUnboundFiles(answering({ files: [{ filename: "f0", status: "removed" }] }).octokit, "acme", "web", pull, removed(1), [1]), HEAD);
  // Same names, another status: not the same list.
  await assert.rejects(compareUnboundFiles(answering({ files: [{ filename: "f0", status: "modified" }] }).octokit, "acme", "web", pull, removed(1), [1]), { code: "HEAD_MOVED" });
});
