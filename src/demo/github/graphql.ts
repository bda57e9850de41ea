// POST /graphql: the stand-in answers the queries agent-gate sends (src/adapters/github/graphql-pull.ts) and no
// others; not a GraphQL server. Each answer is the stand-in's REST bodies in GraphQL's shape, so both APIs tell the
// same story: 100 items a page, cursors are offsets. As GitHub does, a commit's address names only a User account;
// a Bot behind a GitHub noreply address is left for REST to name (the fixtures' other addresses keep their account).
import type { Account, StandInPull, StandInRepo } from "./model.js";
import { association, commitBody } from "./bodies.js";
import { json, type StandInRequest, type StandInResponse } from "./http.js";

// The config files the pull request's query reads on default branches (src/adapters/github/graphql-config.ts).
const CONFIG_PATH = ".github/agent-gate.yml";
const REVOCATIONS_PATH = ".github/agent-gate-revocations.yml";
const OWNER_REPO_ALIAS = "ownerDotGithub";

const PAGE = 100;
// GraphQL names a Bot by its App's slug; REST adds "[bot]", except for Copilot, whose App is copilot-swe-agent.
const GRAPHQL_BOT_LOGINS: Record<string, string> = { Copilot: "copilot-swe-agent" };
const NOREPLY = /@users\.noreply\.github\.com$/i;

const isBot = (a: Account): boolean => (a.type ?? (a.login.endsWith("[bot]") ? "Bot" : "User")) === "Bot";
function actor(a: Account | null | undefined): Record<string, unknown> | null {
  if (!a) return null;
  if (isBot(a)) return { __typename: "Bot", login: GRAPHQL_BOT_LOGINS[a.login] ?? a.login.replace(/\[bot\]$/, ""), databaseId: a.id };
  return { __typename: a.type === "Organization" ? "Organization" : "User", login: a.login, databaseId: a.id };
}

function page<T>(items: T[], after: unknown, node: (item: T, i: number) => unknown): Record<string, unknown> {
  const start = typeof after === "string" ? Number(after) || 0 : 0;
  const end = Math.min(items.length, start + PAGE);
  return { totalCount: items.length, pageInfo: { hasNextPage: end < items.length, endCursor: end > start ? String(end) : null }, nodes: items.slice(start, end).map((x, i) => node(x, start + i)) };
}

function commitNode(repo: StandInRepo, c: StandInPull["commits"][number]): Record<string, unknown> {
  const rest = commitBody(repo, c) as { commit: { author: { name: string; email: string; date: string }; committer: { name: string; email: string; date: string } } };
  const person = (git: { name: string; email: string; date: string }, a: Account | null | undefined): Record<string, unknown> => ({
    name: git.name, email: git.email, date: git.date,
    user: a && !(isBot(a) && NOREPLY.test(git.email)) ? { login: a.login, databaseId: a.id } : null,
  });
  const committer = c.committer ?? c.author;
  const v = c.verification;
  const state = v ? ({ malformed_signature: "MALFORMED_SIG", unknown_signature_type: "UNKNOWN_SIG_TYPE" } as Record<string, string>)[v.reason] ?? v.reason.toUpperCase() : undefined;
  return {
    commit: {
      oid: c.sha, message: c.message, tree: { oid: c.tree },
      parents: { totalCount: (c.parents ?? []).length, nodes: (c.parents ?? []).map((oid) => ({ oid })) },
      author: person(rest.commit.author, c.author.account), committer: person(rest.commit.committer, committer.account),
      signature: v && v.signature !== null && v.payload !== null ? { __typename: signatureType(v.signature), isValid: v.verified, state, signature: v.signature, payload: v.payload } : null,
    },
  };
}

// GitSignature's object type by the armour GitHub would have recognised.
function signatureType(signature: string): string {
  if (signature.startsWith("-----BEGIN PGP SIGNATURE-----")) return "GpgSignature";
  if (signature.startsWith("-----BEGIN SSH SIGNATURE-----")) return "SshSignature";
  if (signature.startsWith("-----BEGIN SIGNED MESSAGE-----")) return "SmimeSignature";
  return "UnknownSignature";
}

function pullNode(repo: StandInRepo, pull: StandInPull, op: string, after: unknown): Record<string, unknown> {
  const commits = (a: unknown): Record<string, unknown> => page(pull.commits, a, (c) => commitNode(repo, c));
  const reviews = (a: unknown): Record<string, unknown> =>
    page(pull.reviews, a, (r, i) => ({ fullDatabaseId: String(r.id ?? i + 1), author: actor(r.user), state: r.state, commit: { oid: r.commit_id }, submittedAt: r.submitted_at ?? "2026-11-26T06:00:00Z" }));
  const comments = (a: unknown): Record<string, unknown> =>
    page(pull.comments, a, (c, i) => ({ fullDatabaseId: String(c.id ?? i + 1), author: actor(c.user), body: c.body, authorAssociation: c.author_association ?? association(repo, c.user) }));
  if (op === "AgentGatePullCommits") return { headRefOid: pull.head.sha, commits: commits(after) };
  if (op === "AgentGatePullReviews") return { headRefOid: pull.head.sha, reviews: reviews(after) };
  if (op === "AgentGatePullComments") return { headRefOid: pull.head.sha, comments: comments(after) };
  const headRepo = pull.head.repo ?? { owner: repo.owner, name: repo.name, id: repo.id };
  const last = pull.commits.at(-1);
  const associated = repo.pulls.filter((x) => x.head.sha === last?.sha || x.merged?.commitSha === last?.sha);
  return {
    number: pull.number, title: pull.title, body: pull.body ?? "", state: pull.merged ? "MERGED" : (pull.state ?? "open").toUpperCase(), isDraft: pull.draft ?? false,
    changedFiles: pull.files.length, author: actor(pull.user),
    labels: { totalCount: (pull.labels ?? []).length, nodes: (pull.labels ?? []).map((name) => ({ name })) },
    headRefName: pull.head.ref, headRefOid: pull.head.sha, headRepository: { nameWithOwner: `${headRepo.owner}/${headRepo.name}`, databaseId: headRepo.id },
    baseRefName: pull.base.ref, baseRefOid: pull.base.sha,
    commits: commits(undefined), reviews: reviews(undefined), comments: comments(undefined),
    lastCommit: { nodes: last ? [{ commit: { oid: last.sha, associatedPullRequests: { totalCount: associated.length, nodes: associated.slice(0, 100).map((x) => ({ number: x.number, state: x.merged ? "MERGED" : (x.state ?? "open").toUpperCase(), headRefOid: x.head.sha, baseRepository: { databaseId: repo.id } })) } } }] : [] },
  };
}

/** A file of the default branch as a TreeEntry (a regular file's mode, 100644), or null when there is none. */
function treeEntry(repo: StandInRepo, path: string): Record<string, unknown> | null {
  const text = repo.files[path];
  if (text === undefined) return null;
  return { mode: 0o100644, object: { __typename: "Blob", byteSize: Buffer.byteLength(text), isBinary: false, isTruncated: false, text } };
}

/** The default branch's commit with the files the query names. */
function branchFiles(repo: StandInRepo, files: Record<string, string>): Record<string, unknown> {
  return { __typename: "Commit", ...Object.fromEntries(Object.entries(files).map(([alias, path]) => [alias, treeEntry(repo, path)])) };
}

/** Answers one of agent-gate's queries; any other is GitHub's error for a query it cannot run. */
export function answerGraphql(repos: readonly StandInRepo[], req: StandInRequest): StandInResponse {
  const body = req.body as { query?: unknown; variables?: Record<string, unknown> } | undefined;
  const op = typeof body?.query === "string" ? /^\s*query\s+(AgentGatePull\w*)\s*\(/.exec(body.query)?.[1] : undefined;
  if (!op) return json(200, { errors: [{ message: "the GitHub stand-in answers only agent-gate's own queries" }] });
  const v = body?.variables ?? {};
  const repo = repos.find((r) => r.owner.toLowerCase() === String(v["owner"]).toLowerCase() && r.name.toLowerCase() === String(v["name"]).toLowerCase());
  if (!repo) return json(200, { data: { repository: null }, errors: [{ type: "NOT_FOUND", path: ["repository"], message: `Could not resolve to a Repository with the name '${String(v["owner"])}/${String(v["name"])}'.` }] });
  const pull = repo.pulls.find((p) => p.number === v["number"]);
  if (!pull) return json(200, { data: { repository: { pullRequest: null } }, errors: [{ type: "NOT_FOUND", path: ["repository", "pullRequest"], message: `Could not resolve to a PullRequest with the number of ${String(v["number"])}.` }] });
  const pr = pullNode(repo, pull, op, v["after"]);
  if (op !== "AgentGatePull") return json(200, { data: { repository: { pullRequest: pr } } });
  const repository = { nameWithOwner: `${repo.owner}/${repo.name}`, databaseId: repo.id, isPrivate: repo.private ?? false, defaultBranchRef: { name: repo.defaultBranch, target: branchFiles(repo, { config: CONFIG_PATH }) }, pullRequest: pr };
  // The owner's `.github` repository, as GitHub answers an aliased repository that is not there: null, and NOT_FOUND on its path.
  const dotGithub = repos.find((r) => r.owner.toLowerCase() === repo.owner.toLowerCase() && r.name.toLowerCase() === ".github");
  if (!dotGithub) return json(200, { data: { repository, [OWNER_REPO_ALIAS]: null }, errors: [{ type: "NOT_FOUND", path: [OWNER_REPO_ALIAS], locations: [{ line: 1, column: 1 }], message: `Could not resolve to a Repository with the name '${repo.owner}/.github'.` }] });
  return json(200, { data: { repository, [OWNER_REPO_ALIAS]: { defaultBranchRef: { target: branchFiles(dotGithub, { config: CONFIG_PATH, revocations: REVOCATIONS_PATH }) } } } });
}
