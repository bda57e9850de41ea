// The routes under /repos/{owner}/{repo}: contents, pull requests and their commits, files, reviews and comments,
// comparisons, permissions, check runs, attestations and deployment reviews.
import snappy from "snappyjs";
import type { Account, StandInCheckRun, StandInDeploymentReview, StandInFile, StandInPull, StandInRepo } from "./model.js";
import templates from "./templates.js";
import { association, commitBody, gitCommitBody, pullBody, pullSimpleBody, repositoryBody, user } from "./bodies.js";
import { createCheckRun, listCheckRuns, updateCheckRun } from "./check-runs.js";
import { API, clone, json, notFound, paginated, type StandInRequest, type StandInResponse } from "./http.js";

export const BUNDLE_PATH = "_attestation-bundles";

/** What the repository routes read and change of the stand-in's state. */
export interface RepoRouteContext {
  readonly linkBase: string;
  readonly bundleBase: string;
  readonly keepWrites: boolean;
  readonly checkRuns: StandInCheckRun[];
  readonly deploymentReviews: StandInDeploymentReview[];
  /** The next check run's id. */
  nextId(): number;
  /** The ETag of a file's content. */
  etag(content: string): string;
}

/** A request under /repos/{owner}/{repo}/ (`rest`: the path after it, decoded), for a repository that exists. */
export function routeRepo(ctx: RepoRouteContext, repo: StandInRepo, req: StandInRequest, m: string, rest: string[], url: URL): StandInResponse {
  if (m === "GET" && rest.length === 0) return json(200, repositoryBody(repo));
  if (m === "GET" && rest[0] === "contents") return contents(ctx, repo, rest.slice(1).join("/"), url, req);
  if (m === "GET" && rest[0] === "pulls" && rest.length === 1) return listPulls(repo, url, ctx.linkBase);
  if (rest[0] === "pulls" && rest[1]) {
    const pull = repo.pulls.find((x) => x.number === Number(rest[1]));
    if (!pull) return notFound();
    const paged = <T>(items: T[]): StandInResponse => paginated(items, url, ctx.linkBase);
    if (m === "GET" && rest.length === 2) return json(200, pullBody(repo, pull));
    if (m === "GET" && rest[2] === "commits") return paged(pull.commits.map((c) => commitBody(repo, c)));
    if (m === "GET" && rest[2] === "files") return paged(diffEntries(repo, pull, pull.files, pull.head.sha));
    if (m === "GET" && rest[2] === "reviews") {
      return paged(pull.reviews.map((r, i) => ({ ...clone(templates.review), id: r.id ?? i + 1, user: user(r.user), state: r.state, commit_id: r.commit_id, submitted_at: r.submitted_at ?? "2026-11-26T06:00:00Z", body: r.body ?? "" })));
    }
  }
  if (m === "GET" && rest[0] === "compare" && rest[1] && rest.length === 2) return compare(ctx, repo, rest[1], url);
  if (m === "GET" && rest[0] === "collaborators" && rest[1] && rest[2] === "permission" && rest.length === 3) return permission(repo, rest[1]);
  if (m === "GET" && rest[0] === "issues" && rest[2] === "comments") {
    const pull = repo.pulls.find((x) => x.number === Number(rest[1]));
    if (!pull) return notFound();
    return paginated(pull.comments.map((c, i) => ({ ...clone(templates.comment), id: c.id ?? i + 1, user: user(c.user), body: c.body, created_at: c.created_at ?? "2026-11-26T06:00:00Z", author_association: c.author_association ?? association(repo, c.user) })), url, ctx.linkBase);
  }
  if (m === "GET" && rest[0] === "git" && rest[1] === "commits" && rest[2] && rest.length === 3) {
    const c = repo.pulls.flatMap((p) => p.commits).find((x) => x.sha === rest[2]);
    return c ? json(200, gitCommitBody(repo, c)) : notFound();
  }
  if (m === "GET" && rest[0] === "commits" && rest[2] === "pulls") {
    const sha = rest[1];
    return json(200, repo.pulls.filter((x) => x.head.sha === sha || x.merged?.commitSha === sha).map((x) => pullBody(repo, x)));
  }
  if (m === "GET" && rest[0] === "commits" && rest[2] === "check-runs") return listCheckRuns(ctx.checkRuns, repo, rest[1] ?? "", url, ctx.linkBase);
  if (m === "GET" && rest[0] === "attestations" && rest[1] && rest.length === 2) return attestations(repo, rest[1], url, ctx);
  if (m === "GET" && rest[0] === "actions" && rest[1] === "runs" && rest[2] && rest[3] === "approvals" && rest.length === 4) {
    const approvals = (repo.deploymentApprovals ?? []).filter((a) => a.runId === Number(rest[2]));
    return json(200, approvals.map((a) => ({
      environments: [{ id: 5600 + a.environment.length, node_id: `EN_${a.environment}`, name: a.environment, url: `${API}/repos/${repo.owner}/${repo.name}/environments/${a.environment}`, html_url: `https://github.com/${repo.owner}/${repo.name}/deployments/activity_log?environments_filter=${a.environment}`, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" }],
      state: a.state, user: user(a.user), comment: a.comment ?? "",
    })));
  }
  if (m === "POST" && rest[0] === "actions" && rest[1] === "runs" && rest[2] && rest[3] === "deployment_protection_rule" && rest.length === 4) {
    ctx.deploymentReviews.push({ owner: repo.owner, repo: repo.name, runId: Number(rest[2]), body: clone(req.body as Record<string, unknown>), authorized: req.headers.authorization !== undefined });
    return { status: 204, headers: {}, body: undefined };
  }
  if (m === "POST" && rest[0] === "check-runs" && rest.length === 1) return createCheckRun(ctx.checkRuns, ctx.nextId(), repo, req.body as Record<string, unknown>, ctx.keepWrites);
  if (m === "PATCH" && rest[0] === "check-runs" && rest[1]) return updateCheckRun(ctx.checkRuns, repo, Number(rest[1]), req.body as Record<string, unknown>, ctx.keepWrites);
  return notFound();
}

/** A pull request's changed files as GitHub lists them (diff entries): each names the commit it was read at. */
function diffEntries(repo: StandInRepo, pull: StandInPull, files: readonly StandInFile[], head: string): unknown[] {
  return files.map((f) => {
    const { patch: example, ...file } = clone(templates.file);
    const patch = f.patch === null ? {} : { patch: f.patch ?? example };
    const status = f.status ?? "modified";
    // GitHub names the commit each entry was read at: the head; a removed file, the base side it was removed from.
    const at = status === "removed" ? pull.base.sha : head;
    const path = f.filename.split("/").map(encodeURIComponent).join("/");
    const urls = { blob_url: `https://github.com/${repo.owner}/${repo.name}/blob/${at}/${path}`, raw_url: `https://github.com/${repo.owner}/${repo.name}/raw/${at}/${path}`, contents_url: `${API}/repos/${repo.owner}/${repo.name}/contents/${path}?ref=${at}` };
    return { ...file, ...patch, ...urls, sha: "0".repeat(40), filename: f.filename, status, additions: f.additions, deletions: f.deletions, changes: f.additions + f.deletions, ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}) };
  });
}

/**
 * GET /repos/{owner}/{repo}/compare/{base}...{head}: a pull request's head (or a head it had: `earlierHeads`) against
 * its base (SHA or ref). The files, at most 300, come on the first page only; the commits are paged (`per_page`).
 */
function compare(ctx: RepoRouteContext, repo: StandInRepo, basehead: string, url: URL): StandInResponse {
  const [base, head, more] = basehead.split("...");
  if (!base || !head || more !== undefined) return notFound();
  for (const pull of repo.pulls) {
    if (base !== pull.base.sha && base !== pull.base.ref) continue;
    const files = pull.head.sha === head ? pull.files : pull.earlierHeads?.find((e) => e.sha === head)?.files;
    const upTo = pull.commits.findIndex((c) => c.sha === head);
    if (!files || upTo < 0) continue;
    const commits = pull.commits.slice(0, upTo + 1).map((c) => commitBody(repo, c));
    const baseCommit = commitBody(repo, { sha: pull.base.sha, tree: pull.base.sha, message: `${pull.base.ref}`, author: { name: repo.owner, email: `${repo.owner}@users.noreply.github.com` } });
    const at = `${API}/repos/${repo.owner}/${repo.name}/compare/${basehead}`;
    const web = `https://github.com/${repo.owner}/${repo.name}/compare/${basehead}`;
    const page = Math.max(1, Math.floor(Number(url.searchParams.get("page") ?? 1)) || 1);
    return paginated(commits, url, ctx.linkBase, (p) => ({
      url: at, html_url: web, permalink_url: web, diff_url: `${web}.diff`, patch_url: `${web}.patch`, base_commit: baseCommit, merge_base_commit: baseCommit,
      status: "ahead", ahead_by: commits.length, behind_by: 0, total_commits: commits.length, commits: p,
      ...(page === 1 ? { files: diffEntries(repo, pull, files.slice(0, 300), head) } : {}),
    }));
  }
  return notFound();
}

function contents(ctx: RepoRouteContext, repo: StandInRepo, path: string, url: URL, req: StandInRequest): StandInResponse {
  const ref = url.searchParams.get("ref");
  let content: string | null | undefined = repo.files[path];
  if (ref && ref !== repo.defaultBranch) {
    // Besides the default branch, the stand-in holds the files a pull request's head commit changes (headFiles).
    const pull = repo.pulls.find((p) => p.head.sha === ref);
    if (!pull) return notFound();
    if (pull.headFiles && path in pull.headFiles) content = pull.headFiles[path];
  }
  if (content === undefined || content === null) return notFound();
  const etag = ctx.etag(content);
  if (req.headers["if-none-match"] === etag) return { status: 304, headers: { etag }, body: undefined };
  const t = clone(templates.contentFile);
  const base = `${API}/repos/${repo.owner}/${repo.name}/contents/${path}`;
  return json(200, { ...t, path, name: path.split("/").pop(), size: Buffer.byteLength(content), content: Buffer.from(content).toString("base64"), encoding: "base64", url: base, sha: etag.slice(1, 41) }, { etag });
}

/**
 * A user's permission: the role listed in `collaborators`, with GitHub's legacy base level beside it (maintain
 * reads as write, triage as read). Anyone else may read a public repository (read) and is unknown to a private
 * one (404).
 */
function permission(repo: StandInRepo, login: string): StandInResponse {
  const role = Object.entries(repo.collaborators ?? {}).find(([l]) => l.toLowerCase() === login.toLowerCase())?.[1];
  if (!role && repo.private) return notFound();
  const roleName = role ?? "read";
  const legacy = roleName === "maintain" ? "write" : roleName === "triage" ? "read" : roleName;
  const account = knownAccount(repo, login) ?? { login, id: 0, type: "User" };
  return json(200, { ...clone(templates.collaboratorPermission), permission: legacy, role_name: roleName, user: { ...user(account), role_name: roleName } });
}

/** The account of a login seen in the repository's pull requests. */
function knownAccount(repo: StandInRepo, login: string): Account | undefined {
  for (const pull of repo.pulls) {
    for (const a of [pull.user, ...pull.reviews.map((r) => r.user), ...pull.comments.map((c) => c.user)]) if (a.login.toLowerCase() === login.toLowerCase()) return a;
  }
  return undefined;
}

/** GET /repos/{owner}/{repo}/pulls: `state` (default open), `head` (owner:ref), `base`, `sort`, `direction`. */
function listPulls(repo: StandInRepo, url: URL, linkBase: string): StandInResponse {
  const q = url.searchParams;
  const state = q.get("state") ?? "open";
  if (!["open", "closed", "all"].includes(state)) return json(422, { message: "Validation Failed", errors: [{ resource: "Issue", field: "state", code: "invalid" }], documentation_url: "https://docs.github.com/rest/pulls/pulls#list-pull-requests" });
  const head = q.get("head");
  const base = q.get("base");
  const pulls = repo.pulls.filter((x) => {
    const s = x.merged ? "closed" : (x.state ?? "open");
    const headOwner = x.head.repo?.owner ?? repo.owner;
    return (state === "all" || s === state) && (!base || x.base.ref === base) && (!head || head === `${headOwner}:${x.head.ref}` || (!head.includes(":") && head.toLowerCase() === headOwner.toLowerCase()));
  });
  // Without creation times, the number orders pull requests by creation (GitHub's default: newest first).
  const sort = q.get("sort") ?? "created";
  const direction = q.get("direction") ?? (sort === "created" ? "desc" : "asc");
  pulls.sort((a, b) => (direction === "asc" ? a.number - b.number : b.number - a.number));
  return paginated(pulls.map((x) => pullSimpleBody(repo, x)), url, linkBase);
}

/** One page of an artifact's attestations, paged as GitHub pages them: `per_page` (30, at most 100) and the cursor `after`. */
function attestations(repo: StandInRepo, digest: string, url: URL, ctx: RepoRouteContext): StandInResponse {
  const list = (repo.attestations ?? []).map((a, i) => ({ a, i })).filter(({ a }) => a.digest === digest);
  const perPage = Math.min(100, Math.max(1, Math.floor(Number(url.searchParams.get("per_page") ?? 30)) || 30));
  const after = url.searchParams.get("after");
  const from = after === null ? 0 : Number(/^c_(\d+)$/.exec(after)?.[1] ?? NaN);
  if (!Number.isSafeInteger(from)) return json(400, { message: "Bad Request", documentation_url: "https://docs.github.com/rest/repos/attestations#list-attestations" });
  const headers: Record<string, string> = {};
  if (from + perPage < list.length) {
    const next = new URL(url.pathname, ctx.linkBase);
    next.searchParams.set("per_page", String(perPage));
    next.searchParams.set("after", `c_${from + perPage}`);
    headers.link = `<${next.toString()}>; rel="next"`;
  }
  // Since mid-2026 the list carries no bundle: clients fetch bundle_url. (GitHub sends `bundle: null`; the REST
  // description still types it as an object, so the stand-in leaves the field out, which both accept.)
  return json(200, {
    attestations: list.slice(from, from + perPage).map(({ i }) => ({ repository_id: repo.id, bundle_url: `${ctx.bundleBase}/${BUNDLE_PATH}/${repo.owner}/${repo.name}/${i}`, initiator: "github-actions" })),
  }, headers);
}

/** GET {bundleBase}/${BUNDLE_PATH}/{owner}/{repo}/{index}: the bundle, snappy-compressed as GitHub serves it. */
export function attestationBundle(repo: StandInRepo | undefined, index: number): StandInResponse {
  const a = repo?.attestations?.[index];
  if (!a) return { status: 404, headers: { "content-type": "text/plain" }, body: new TextEncoder().encode("not found") };
  const json = new TextEncoder().encode(JSON.stringify(a.bundle));
  return { status: 200, headers: { "content-type": "application/x-snappy" }, body: snappy.compress(json) };
}
