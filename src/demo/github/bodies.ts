// GitHub's REST bodies for the stand-in's state, each built from GitHub's own example (templates.ts) with the
// stand-in's values in place: users, pull requests, commits, check runs, installations, repositories.
import { readFileSync } from "node:fs";
import type { Account, StandInCheckRun, StandInCommit, StandInInstallation, StandInPull, StandInRepo } from "./model.js";
import templates from "./templates.js";
import appTemplates from "./app-templates.js";
import { API, clone } from "./http.js";

/** What app.yml asks for; installations list these. */
export const APP_PERMISSIONS = { metadata: "read", checks: "write", pull_requests: "read", issues: "read", contents: "read", deployments: "write", actions: "read", attestations: "read", merge_queues: "read" };
export const APP_EVENTS = ["pull_request", "pull_request_review", "issue_comment", "check_suite", "check_run", "merge_group", "deployment_protection_rule"];

/** How GitHub relates a commenter to the repository: its owner, a listed collaborator, or nobody in particular. */
export function association(repo: StandInRepo, a: Account): string {
  if (a.login.toLowerCase() === repo.owner.toLowerCase()) return "OWNER";
  const collaborator = Object.keys(repo.collaborators ?? {}).some((login) => login.toLowerCase() === a.login.toLowerCase());
  return collaborator ? "COLLABORATOR" : "NONE";
}

export function user(a: Account): Record<string, unknown> {
  const u = clone(templates.pull.user);
  const type = a.type ?? (a.login.endsWith("[bot]") ? "Bot" : "User");
  return { ...u, login: a.login, id: a.id, node_id: `U_${a.id}`, type, url: `${API}/users/${a.login}`, html_url: `https://github.com/${a.login}` };
}

export function pullBody(repo: StandInRepo, pull: StandInPull): Record<string, unknown> {
  const t = clone(templates.pull) as Record<string, Record<string, unknown>> & Record<string, unknown>;
  const repoBody = (owner: string, name: string, id: number): Record<string, unknown> => ({
    ...clone((templates.pull.head as { repo: Record<string, unknown> }).repo),
    id, name, full_name: `${owner}/${name}`, owner: user({ login: owner, id: id + 1, type: "Organization" }), default_branch: repo.defaultBranch, private: repo.private ?? false,
    url: `${API}/repos/${owner}/${name}`, html_url: `https://github.com/${owner}/${name}`,
  });
  const headRepo = pull.head.repo ?? { owner: repo.owner, name: repo.name, id: repo.id };
  return {
    ...t,
    id: pull.number * 10, number: pull.number, title: pull.title, body: pull.body, user: user(pull.user), state: pull.state ?? "open", draft: pull.draft ?? false,
    labels: (pull.labels ?? []).map((name, i) => ({ id: i + 1, node_id: `L_${i}`, url: `${API}/repos/${repo.owner}/${repo.name}/labels/${name}`, name, description: "", color: "ededed", default: false })),
    head: { ...t.head, ref: pull.head.ref, sha: pull.head.sha, label: `${headRepo.owner}:${pull.head.ref}`, user: user({ login: headRepo.owner, id: headRepo.id + 1 }), repo: repoBody(headRepo.owner, headRepo.name, headRepo.id) },
    base: { ...t.base, ref: pull.base.ref, sha: pull.base.sha, label: `${repo.owner}:${pull.base.ref}`, user: user({ login: repo.owner, id: repo.id + 1 }), repo: repoBody(repo.owner, repo.name, repo.id) },
    // GitHub's example is of a merged pull request; an unmerged one has no merge time (nor a close time while open).
    merged: false, merged_at: null, merged_by: null, closed_at: (pull.state ?? "open") === "closed" ? "2026-11-27T00:00:00Z" : null,
    comments: pull.comments.length, commits: pull.commits.length, changed_files: pull.files.length,
    additions: pull.files.reduce((n, f) => n + f.additions, 0), deletions: pull.files.reduce((n, f) => n + f.deletions, 0),
    url: `${API}/repos/${repo.owner}/${repo.name}/pulls/${pull.number}`, html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${pull.number}`,
    ...(pull.merged ? { state: "closed", merged: true, merged_at: pull.merged.at, closed_at: pull.merged.at, merge_commit_sha: pull.merged.commitSha } : {}),
  };
}

/** A pull request as lists show it (pull-request-simple): the full body's fields that lists carry. */
export function pullSimpleBody(repo: StandInRepo, pull: StandInPull): Record<string, unknown> {
  const full = pullBody(repo, pull);
  return Object.fromEntries(appTemplates.pullSimpleKeys.filter((k) => k in full).map((k) => [k, full[k]]));
}

export function commitBody(repo: StandInRepo, c: StandInCommit): Record<string, unknown> {
  const t = clone(templates.commit) as Record<string, Record<string, unknown>>;
  const committer = c.committer ?? c.author;
  const date = c.author.date ?? "2026-11-26T05:00:00Z";
  return {
    ...t,
    sha: c.sha, node_id: `C_${c.sha.slice(0, 8)}`,
    url: `${API}/repos/${repo.owner}/${repo.name}/commits/${c.sha}`, html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${c.sha}`,
    commit: {
      ...t.commit,
      message: c.message,
      author: { name: c.author.name, email: c.author.email, date },
      committer: { name: committer.name, email: committer.email, date: committer.date ?? date },
      tree: { sha: c.tree, url: `${API}/repos/${repo.owner}/${repo.name}/git/trees/${c.tree}` },
      ...(c.verification ? { verification: { verified_at: null, ...c.verification } } : {}),
    },
    author: c.author.account ? user(c.author.account) : null,
    committer: committer.account ? user(committer.account) : null,
    parents: (c.parents ?? []).map((sha) => ({ sha, url: `${API}/repos/${repo.owner}/${repo.name}/commits/${sha}`, html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${sha}` })),
  };
}

/** GET /repos/{owner}/{repo}/git/commits/{sha} (the git-commit schema): the commit object, no files or patches. */
export function gitCommitBody(repo: StandInRepo, c: StandInCommit): Record<string, unknown> {
  const rest = commitBody(repo, c) as { commit: Record<string, unknown>; parents: unknown };
  const { message, author, committer, tree } = rest.commit;
  const verification = rest.commit.verification ?? { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null };
  return {
    sha: c.sha, node_id: `C_${c.sha.slice(0, 8)}`,
    url: `${API}/repos/${repo.owner}/${repo.name}/git/commits/${c.sha}`, html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${c.sha}`,
    author, committer, message, tree, parents: rest.parents, verification,
  };
}

export function checkRunBody(repo: StandInRepo, r: StandInCheckRun): Record<string, unknown> {
  const t = clone(templates.checkRun);
  return {
    ...t,
    id: r.id, node_id: `CR_${r.id}`, head_sha: r.head_sha, name: r.name, status: r.status, conclusion: r.conclusion, external_id: r.external_id,
    started_at: r.started_at, completed_at: r.completed_at,
    output: { title: r.output.title, summary: r.output.summary, text: r.output.text, annotations_count: r.output.annotations_count, annotations_url: `${API}/repos/${repo.owner}/${repo.name}/check-runs/${r.id}/annotations` },
    url: `${API}/repos/${repo.owner}/${repo.name}/check-runs/${r.id}`, html_url: `https://github.com/${repo.owner}/${repo.name}/runs/${r.id}`,
    pull_requests: [],
    ...(r.app ? { app: { ...(t.app as Record<string, unknown>), id: r.app.id, slug: r.app.slug, name: r.app.slug } } : {}),
  };
}

export function installationBody(inst: StandInInstallation, appId: number): Record<string, unknown> {
  const t = clone(appTemplates.installation);
  // The REST description types `account` as allOf [Simple User, Enterprise] (meaning either), so a body valid
  // against it also carries the Enterprise fields GitHub's own example leaves out.
  const account = { ...user(inst.account), name: inst.account.login, slug: inst.account.login.toLowerCase(), created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" };
  return {
    ...t,
    id: inst.id, account, app_id: appId, app_slug: "agent-gate",
    target_id: inst.account.id, target_type: inst.account.type === "User" ? "User" : "Organization",
    access_tokens_url: `${API}/app/installations/${inst.id}/access_tokens`, repositories_url: `${API}/installation/repositories`,
    html_url: `https://github.com/organizations/${inst.account.login}/settings/installations/${inst.id}`,
    permissions: { ...APP_PERMISSIONS }, events: [...APP_EVENTS], repository_selection: inst.repositorySelection,
    single_file_name: null, has_multiple_single_files: false, single_file_paths: [],
    created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", suspended_at: null, suspended_by: null,
  };
}

/** A repository as GET /installation/repositories shows it (the full repository schema). */
export function repositoryBody(repo: StandInRepo): Record<string, unknown> {
  const t = clone((templates.installationToken.repositories as Record<string, unknown>[])[0]!);
  const full = `${repo.owner}/${repo.name}`;
  const base = `${API}/repos/${full}`;
  const urls = Object.fromEntries(Object.entries(t).filter(([k, v]) => k.endsWith("_url") && typeof v === "string" && v.startsWith(`${API}/repos/octocat/Hello-World`)).map(([k, v]) => [k, (v as string).replace(`${API}/repos/octocat/Hello-World`, base)]));
  return {
    ...t, ...urls,
    id: repo.id, node_id: `R_${repo.id}`, name: repo.name, full_name: full, owner: user({ login: repo.owner, id: repo.id + 1, type: "Organization" }),
    private: repo.private ?? false, visibility: repo.private ? "private" : "public", default_branch: repo.defaultBranch,
    url: base, html_url: `https://github.com/${full}`, clone_url: `https://github.com/${full}.git`, git_url: `git://github.com/${full}.git`, ssh_url: `git@github.com:${full}.git`,
    svn_url: `https://github.com/${full}`, mirror_url: null, homepage: null, description: null, is_template: false, topics: [], template_repository: null,
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
  };
}

// GitHub's documented answer to a manifest conversion (the App's credentials), from the REST description.
const manifestConversion = (JSON.parse(readFileSync(new URL("../../../fixtures/github/app-manifest-conversion.json", import.meta.url), "utf8")) as { example: Record<string, unknown> }).example;

/** POST /app-manifests/{code}/conversions: GitHub's example credentials, for the App the manifest described. */
export function manifestConversionBody(manifest: Record<string, unknown>, appId: number): Record<string, unknown> {
  const name = typeof manifest.name === "string" ? manifest.name : String(manifestConversion.name);
  return {
    ...clone(manifestConversion),
    id: appId,
    slug: name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
    name,
    description: typeof manifest.description === "string" ? manifest.description : "",
    external_url: typeof manifest.url === "string" ? manifest.url : manifestConversion.external_url,
    html_url: `https://github.com/apps/${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
    permissions: manifest.default_permissions ?? {},
    events: manifest.default_events ?? [],
  };
}
