// A pull request's changed files are listed by REST (GET /pulls/{n}/files), which serves the pull request's head as
// it is at that moment, page by page. Each entry names the commit it was read at (contents_url, blob_url, raw_url:
// fileReadAt), and checkHead binds it to the judged head; but a removed file may name the base side it was removed
// from, so a page holding only removed files (or an empty list) names no head at all: a push between the reads could
// lend the judged head another commit's removal-only diff. Such a list is bound here, by the one read that names
// both commits exactly: GitHub's comparison of the pull request's base with its head. The common case costs nothing.
import type { Octokit } from "@octokit/rest";
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";

const COMMIT_SHA = /^[0-9a-f]{40}$/;

/**
 * The commit a file entry of a pull request's diff was read at: GitHub names it in the entry's `contents_url`
 * (`…/contents/{path}?ref={sha}`) and, when it gives them (a submodule has neither), in `blob_url` and `raw_url`
 * (`https://github.com/{owner}/{repo}/blob/{sha}/{path}`, `…/raw/{sha}/{path}`). Every URL given must name the same
 * commit; a `string` is the reason when they do not, or when `contents_url` names none.
 */
export function fileReadAt(f: { contents_url?: string | null; blob_url?: string | null; raw_url?: string | null }): { sha: string } | string {
  const shas = new Set<string>();
  const url = (u: string): URL | undefined => (URL.canParse(u) ? new URL(u) : undefined);
  const ref = f.contents_url ? url(f.contents_url)?.searchParams.get("ref") : undefined;
  if (!ref || !COMMIT_SHA.test(ref)) return `contents_url names no commit (expected …/contents/{path}?ref={40 hex digits}, got ${JSON.stringify(f.contents_url ?? null).slice(0, 200)})`;
  shas.add(ref);
  for (const [field, kind] of [["blob_url", "blob"], ["raw_url", "raw"]] as const) {
    const u = f[field];
    if (u == null) continue;
    const parts = url(u)?.pathname.split("/") ?? [];
    // ["", owner, repo, kind, sha, ...path]
    if (parts[3] !== kind || !COMMIT_SHA.test(parts[4] ?? "")) return `${field} names no commit (expected https://{host}/{owner}/{repo}/${kind}/{40 hex digits}/{path}, got ${JSON.stringify(u).slice(0, 200)})`;
    shas.add(parts[4]!);
  }
  return shas.size === 1 ? { sha: ref } : `contents_url, blob_url and raw_url name different commits (${[...shas].map((s) => s.slice(0, 7)).join(", ")})`;
}

/** The most files GitHub's comparison lists (its REST description: "up to 300 changed files"); at it, it may be cut. */
export const COMPARE_FILES_MAX = 300;

type Api = Pick<Octokit, "request">;
interface ListedFile {
  readonly filename: string;
  readonly status: string;
  readonly readAt: string;
}

/** The entries of each read (page) of a list, in order; no pages counts as one read of everything. */
export function filePages<T>(files: readonly T[], pages: readonly number[]): T[][] {
  if (pages.length === 0) return [[...files]];
  const out: T[][] = [];
  let from = 0;
  for (const n of pages) out.push(files.slice(from, (from += n)));
  if (from !== files.length) out.push(files.slice(from));
  return out;
}

/** A read none of whose entries names `head`, and which has only removed files (or none): nothing binds it to `head`. */
export function unboundPage(page: readonly ListedFile[], head: string): boolean {
  return page.every((f) => f.status === "removed" && f.readAt !== head);
}

const Compared = z.object({ files: z.array(z.object({ filename: z.string(), status: z.string() })) });
const key = (f: { filename: string; status: string }): string => `${f.status} ${JSON.stringify(f.filename)}`;

/**
 * When some read of the files names no commit of the pull request's head `pull.head.sha` (unboundPage), GitHub's
 * comparison `{base}...{head}` (both commit SHAs: an answer about exactly these commits) must list the same files,
 * by name and status: then `head` is returned, the commit the whole list is bound to (checkHead requires it to be
 * the judged head). Otherwise undefined, and no request. A comparison that lists other files is HEAD_MOVED (the
 * head moved between the reads; a retry reads both again); one that cannot tell (more files than it lists) is
 * FILES_UNBOUND; one that cannot be read fails with GitHub's error. Never a list bound to no head.
 */
export async function compareUnboundFiles(octokit: Api, owner: string, repo: string, pull: { head: { sha: string }; base: { sha: string } }, files: readonly ListedFile[], pages: readonly number[]): Promise<string | undefined> {
  const head = pull.head.sha;
  if (!filePages(files, pages).some((page) => unboundPage(page, head))) return undefined;
  const what = `the pull request's changed files name no commit of its head ${head.slice(0, 7)} (${files.length === 0 ? "there are none" : "only removed files, which name the base side"})`;
  const unbound = (why: string): AgentGateError => new AgentGateError("FILES_UNBOUND", `${what}, and GitHub's comparison of its base with its head cannot confirm them: ${why}`);
  if (files.length >= COMPARE_FILES_MAX) throw unbound(`${files.length} files are listed, and the comparison lists at most ${COMPARE_FILES_MAX - 1} that agent-gate can tell complete`);
  // per_page=1: the comparison's files are all on its first page; its commits are not needed.
  const res = await octokit.request("GET /repos/{owner}/{repo}/compare/{basehead}", { owner, repo, basehead: `${pull.base.sha}...${head}`, per_page: 1 });
  const parsed = Compared.safeParse(res.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentGateError("GITHUB_RESPONSE_INVALID", `GitHub's comparison ${pull.base.sha.slice(0, 7)}...${head.slice(0, 7)} is not what agent-gate expects (a list of files with filename and status): ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`, "transient");
  }
  const compared = parsed.data.files;
  if (compared.length >= COMPARE_FILES_MAX) throw unbound(`it lists ${compared.length} files, and at ${COMPARE_FILES_MAX} it may have left some out`);
  const listed = files.map(key).sort();
  const atHead = compared.map(key).sort();
  const differ = listed.findIndex((k, i) => k !== atHead[i]);
  if (listed.length !== atHead.length || differ !== -1) {
    const at = differ === -1 ? listed.length : differ;
    const detail = `the files read lists ${listed.length} (${listed[at] ?? "nothing more"}), the comparison at ${head.slice(0, 7)} ${atHead.length} (${atHead[at] ?? "nothing more"})`;
    throw new AgentGateError("HEAD_MOVED", `${what}, and GitHub's comparison of its base with ${head.slice(0, 7)} lists other files: the head moved between the reads (${detail}); the new head is evaluated on its own`, "transient");
  }
  return head;
}
