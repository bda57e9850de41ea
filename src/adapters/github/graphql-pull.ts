// One GraphQL query reads a pull request with what the gate judges it by (issue 19: requests per event): the pull
// request itself, its commits (with GitHub's signature payload and signature), reviews, comments, and the pull
// requests its head commit belongs to. Each answer is turned into the REST shape the rest of the adapter has always
// parsed (pull-request-source.ts), so one set of schemas reads both. What GraphQL does not carry stays on REST: a
// file's previous path and patch (renames, submodules, binaries) and a Bot's account behind a commit's address.
// Lists are paged (100 a query) up to the same caps as before; past one the list is marked truncated (policy denies).
import type { Octokit } from "@octokit/rest";
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";
import { defaultBranchFiles, isFilesError, OWNER_FILES_QUERY, REPO_FILES_FIELDS, type DefaultBranchFiles, type GraphqlError } from "./graphql-config.js";

type Api = Pick<Octokit, "request">;

const ACTOR = "__typename login ... on User { databaseId } ... on Bot { databaseId } ... on Organization { databaseId } ... on Mannequin { databaseId }";
const PERSON = "name email date user { login databaseId }";
const PAGE = "totalCount pageInfo { hasNextPage endCursor }";
const NODES = {
  commits: `nodes { commit { oid message tree { oid } parents(first: 100) { totalCount nodes { oid } } author { ${PERSON} } committer { ${PERSON} } signature { __typename isValid state signature payload } } }`,
  reviews: `nodes { fullDatabaseId author { ${ACTOR} } state commit { oid } submittedAt }`,
  comments: `nodes { fullDatabaseId author { ${ACTOR} } body authorAssociation }`,
} as const;
export type PagedList = keyof typeof NODES;

/** Pull requests read for the head commit; with their totalCount, past PULLS_PER_COMMIT_MAX (30) is told apart. */
const ASSOCIATED = 100;

/**
 * The query: the pull request, the first 100 of each list, the pull requests of its last commit, and the config files
 * on the default branches of the repository and of its owner's `.github` repository (graphql-config.ts).
 */
export const PULL_QUERY = `query AgentGatePull($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    nameWithOwner databaseId isPrivate defaultBranchRef { name ${REPO_FILES_FIELDS} }
    pullRequest(number: $number) {
      number title body state isDraft changedFiles
      author { ${ACTOR} }
      labels(first: 100) { totalCount nodes { name } }
      headRefName headRefOid headRepository { nameWithOwner databaseId }
      baseRefName baseRefOid
      commits(first: 100) { ${PAGE} ${NODES.commits} }
      reviews(first: 100) { ${PAGE} ${NODES.reviews} }
      comments(first: 100) { ${PAGE} ${NODES.comments} }
      lastCommit: commits(last: 1) { nodes { commit { oid associatedPullRequests(first: ${ASSOCIATED}) { totalCount nodes { number state headRefOid baseRepository { databaseId } } } } } }
    }
  }
  ${OWNER_FILES_QUERY}
}`;

/** The next page of one list (its head commit too: a list read while the head moved is no list of one commit). */
export function pageQuery(list: PagedList): string {
  const name = `AgentGatePull${list[0]!.toUpperCase()}${list.slice(1)}`;
  return `query ${name}($owner: String!, $name: String!, $number: Int!, $after: String!) {
  repository(owner: $owner, name: $name) { pullRequest(number: $number) { headRefOid ${list}(first: 100, after: $after) { ${PAGE} ${NODES[list]} } } }
}`;
}

const Actor = z.object({ __typename: z.string(), login: z.string(), databaseId: z.number().int().nullable().optional() }).nullable();
const Person = z.object({ name: z.string().nullable(), email: z.string().nullable(), date: z.string().nullable(), user: z.object({ login: z.string(), databaseId: z.number().int().nullable() }).nullable() }).nullable();
const PageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });
const Connection = <T extends z.ZodTypeAny>(node: T) => z.object({ totalCount: z.number().int(), pageInfo: PageInfo, nodes: z.array(node) });
const CommitNode = z.object({
  commit: z.object({
    oid: z.string(),
    message: z.string(),
    tree: z.object({ oid: z.string() }),
    parents: z.object({ totalCount: z.number().int(), nodes: z.array(z.object({ oid: z.string() })) }),
    author: Person,
    committer: Person,
    // GitSignature.verifiedAt is in GitHub's SDL but not in the schema its API serves (introspection): not asked for.
    signature: z.object({ isValid: z.boolean(), state: z.string(), signature: z.string(), payload: z.string() }).nullable(),
  }),
});
const ReviewNode = z.object({ fullDatabaseId: z.string().or(z.number()), author: Actor, state: z.string(), commit: z.object({ oid: z.string() }).nullable(), submittedAt: z.string().nullable() });
const CommentNode = z.object({ fullDatabaseId: z.string().or(z.number()), author: Actor, body: z.string(), authorAssociation: z.string() });
const LISTS = { commits: Connection(CommitNode), reviews: Connection(ReviewNode), comments: Connection(CommentNode) };

const PullNode = z.object({
  number: z.number().int(),
  title: z.string(),
  body: z.string(),
  state: z.string(),
  isDraft: z.boolean(),
  changedFiles: z.number().int(),
  author: Actor,
  labels: z.object({ totalCount: z.number().int(), nodes: z.array(z.object({ name: z.string() })) }),
  headRefName: z.string(),
  headRefOid: z.string(),
  headRepository: z.object({ nameWithOwner: z.string(), databaseId: z.number().int() }).nullable(),
  baseRefName: z.string(),
  baseRefOid: z.string(),
  commits: LISTS.commits,
  reviews: LISTS.reviews,
  comments: LISTS.comments,
  lastCommit: z.object({
    nodes: z.array(z.object({ commit: z.object({ oid: z.string(), associatedPullRequests: z.object({ totalCount: z.number().int(), nodes: z.array(z.object({ number: z.number().int(), state: z.string(), headRefOid: z.string(), baseRepository: z.object({ databaseId: z.number().int() }).nullable() })) }) }) })),
  }),
});
const PullAnswer = z.object({
  repository: z.object({ nameWithOwner: z.string(), databaseId: z.number().int(), isPrivate: z.boolean(), defaultBranchRef: z.object({ name: z.string() }).nullable(), pullRequest: PullNode.nullable() }).nullable(),
});

/** A list as read: its items in REST's shape, whether it is incomplete (past its cap, on unread, or short of its count). */
export interface ReadList {
  readonly items: unknown[];
  readonly truncated: boolean;
  /** How many items GitHub counts in the list (its totalCount), when the read gives one. */
  readonly reported?: number;
}

export interface PullRead {
  /** The pull request in REST's shape (the fields the gate reads: pull-request-source.ts `Pull`). */
  readonly payload: { readonly head: { readonly sha: string } } & Record<string, unknown>;
  /** Commits is undefined when a commit's account is one only REST names (a Bot behind another account's address). */
  readonly lists: { readonly commits: ReadList | undefined; readonly reviews: ReadList; readonly comments: ReadList };
  /** The open pull requests whose head is `sha` (the pull request's head), or "too-many" past `max`. */
  readonly pullsWithHead: { readonly sha: string; readonly numbers: number[] | "too-many" } | undefined;
  /** The config files on the default branches, as the query told them (graphql-config.ts): as fresh as the pull request. */
  readonly defaultBranchFiles: DefaultBranchFiles;
}

// GitHub's account for a deleted user, as REST names it.
const GHOST = { login: "ghost", id: 10137, type: "User" };

/**
 * An Actor as REST names it: a Bot's login carries "[bot]" there. GraphQL names a Bot by its App; for Copilot's pull
 * requests that is copilot-swe-agent, where REST says Copilot: both are known agent accounts with the one id
 * (core/agents.ts), and the policy compares accounts by id.
 */
function account(a: z.infer<typeof Actor>): { login: string; id: number; type: string } | null {
  if (!a) return null;
  if (a.databaseId == null) throw invalid(`${a.__typename} ${a.login} has no database id`);
  return a.__typename === "Bot" ? { login: `${a.login}[bot]`, id: a.databaseId, type: "Bot" } : { login: a.login, id: a.databaseId, type: a.__typename === "Organization" || a.__typename === "Mannequin" ? a.__typename : "User" };
}

// GraphQL's signature states are REST's verification reasons in capitals, two of them abbreviated.
const REASONS: Record<string, string> = { MALFORMED_SIG: "malformed_signature", UNKNOWN_SIG_TYPE: "unknown_signature_type" };

/** A git timestamp (with the committer's offset) as REST gives it: UTC, whole seconds. */
function utc(date: string): string {
  const t = Date.parse(date);
  if (Number.isNaN(t)) throw invalid(`commit date "${date.slice(0, 40)}" is no timestamp`);
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const NOREPLY = /^\d+\+[^@\s]+@users\.noreply\.github\.com$|^[^@\s+]+@users\.noreply\.github\.com$/i;

/**
 * A commit in REST's shape, or undefined when REST could name an account GraphQL cannot: GraphQL resolves an address
 * to a User only, so an address of GitHub's noreply domain left unresolved may be a Bot's. It is the pull request's
 * author's own address (`ID+LOGIN@users.noreply.github.com`, the Bot as GitHub names it) or it is left to REST.
 */
function restCommit(node: z.infer<typeof CommitNode>, prAuthor: { login: string; id: number; type: string } | null): Record<string, unknown> | undefined {
  const c = node.commit;
  if (c.parents.totalCount > c.parents.nodes.length) throw invalid(`commit ${c.oid.slice(0, 7)} has ${c.parents.totalCount} parents, more than one page`);
  let unresolved = false;
  const who = (p: z.infer<typeof Person>): Record<string, unknown> | null => {
    if (p?.user) {
      if (p.user.databaseId == null) throw invalid(`user ${p.user.login} has no database id`);
      return { login: p.user.login, id: p.user.databaseId, type: "User" };
    }
    const email = p?.email ?? "";
    if (!NOREPLY.test(email)) return null;
    if (prAuthor?.type === "Bot" && email.toLowerCase() === `${prAuthor.id}+${prAuthor.login}@users.noreply.github.com`.toLowerCase()) return prAuthor;
    unresolved = true;
    return null;
  };
  const git = (p: z.infer<typeof Person>): Record<string, unknown> | null => (p ? { name: p.name ?? "", email: p.email ?? "", ...(p.date ? { date: utc(p.date) } : {}) } : null);
  const sig = c.signature;
  const verification = sig
    ? { verified: sig.isValid, reason: REASONS[sig.state] ?? sig.state.toLowerCase(), signature: sig.signature, payload: sig.payload, verified_at: null }
    : { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null };
  const out = {
    sha: c.oid,
    commit: { message: c.message, tree: { sha: c.tree.oid }, author: git(c.author), committer: git(c.committer), verification },
    author: who(c.author),
    committer: who(c.committer),
    parents: c.parents.nodes.map((p) => ({ sha: p.oid })),
  };
  return unresolved ? undefined : out;
}

const restReview = (r: z.infer<typeof ReviewNode>): Record<string, unknown> => ({ id: Number(r.fullDatabaseId), user: account(r.author), state: r.state, commit_id: r.commit?.oid ?? null, ...(r.submittedAt ? { submitted_at: r.submittedAt } : {}) });
const restComment = (c: z.infer<typeof CommentNode>): Record<string, unknown> => ({ id: Number(c.fullDatabaseId), user: account(c.author), body: c.body, author_association: c.authorAssociation });

function invalid(message: string): AgentGateError {
  return new AgentGateError("GITHUB_RESPONSE_INVALID", `GitHub's GraphQL answer is not what agent-gate expects: ${message}`, "transient");
}

function parse<T>(schema: z.ZodType<T>, data: unknown): T {
  const r = schema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw invalid(issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid");
  }
  return r.data;
}

/**
 * POST /graphql (GitHub Enterprise Server: /api/graphql beside /api/v3); any error in the answer fails the read, but
 * those `partial` accepts, which are returned beside the data.
 */
async function queryPartial(octokit: Api, text: string, variables: Record<string, unknown>, what: string, partial: (e: GraphqlError) => boolean): Promise<{ data: unknown; accepted: GraphqlError[] }> {
  const baseUrl = (octokit.request as { endpoint?: { DEFAULTS?: { baseUrl?: unknown } } }).endpoint?.DEFAULTS?.baseUrl;
  const base = typeof baseUrl === "string" ? baseUrl : "";
  const url = /\/api\/v3\/?$/.test(base) ? base.replace(/\/api\/v3\/?$/, "/api/graphql") : "/graphql";
  const res = await octokit.request({ method: "POST", url, query: text, variables } as never);
  const body = (res as { data: unknown }).data as { data?: unknown; errors?: GraphqlError[] } | null;
  const all = Array.isArray(body?.errors) ? body.errors : [];
  const accepted = all.filter((e) => typeof e === "object" && e !== null && Array.isArray(e.path) && partial(e));
  const errors = all.filter((e) => !accepted.includes(e));
  if (errors.length > 0) {
    const first = errors[0]!;
    const message = `GitHub's GraphQL API could not read ${what}: ${(first.message ?? "error").slice(0, 200)}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`;
    // Rate limits and GitHub's own failures pass; a missing or forbidden object does not.
    const transient = first.type === "RATE_LIMITED" || first.type === undefined;
    if (transient) throw new AgentGateError("GITHUB_UNAVAILABLE", message, "transient");
    throw new AgentGateError("GITHUB_REQUEST_FAILED", message, "internal");
  }
  if (!body || body.data === undefined || body.data === null) throw invalid(`no data for ${what}`);
  return { data: body.data, accepted };
}

async function query(octokit: Api, text: string, variables: Record<string, unknown>, what: string): Promise<unknown> {
  return (await queryPartial(octokit, text, variables, what, () => false)).data;
}

interface Target {
  readonly owner: string;
  readonly name: string;
  readonly number: number;
}

/** Items a page of a list holds at most (the `first: 100` of every list query). */
const PAGE_SIZE = 100;

/**
 * A list from its first page on, up to `max` items. It is truncated when it went past `max`, when it went on past
 * what was read, or when it ended with fewer items than GitHub counts (`totalCount`, the largest any page gave): an
 * item left out must not let the ones read decide (a later CHANGES_REQUESTED behind an APPROVED). Paging must make
 * progress: at most ceil(max/100)+1 pages, each with a cursor not seen before and at least one item while more are
 * said to follow; otherwise the read fails (GITHUB_RESPONSE_INVALID), never loops.
 */
async function readAll<N>(octokit: Api, t: Target, list: PagedList, first: { totalCount: number; pageInfo: z.infer<typeof PageInfo>; nodes: N[] }, max: number, head: string): Promise<{ nodes: N[]; truncated: boolean; reported: number }> {
  const what = `${t.owner}/${t.name}#${t.number} ${list}`;
  const maxPages = Math.ceil(max / PAGE_SIZE) + 1;
  const nodes = [...first.nodes];
  const cursors = new Set<string>();
  let reported = first.totalCount;
  let page = first.pageInfo;
  let pages = 1;
  let read = first.nodes.length;
  while (page.hasNextPage && nodes.length < max) {
    if (read === 0) throw invalid(`${what}: page ${pages} holds no items but says more follow (expected at least one item on a page with a next page)`);
    if (!page.endCursor) throw invalid(`${what}: page ${pages} says more follow but gives no cursor`);
    if (cursors.has(page.endCursor)) throw invalid(`${what}: page ${pages} repeats an earlier cursor (expected a new cursor on every page)`);
    if (pages >= maxPages) throw invalid(`${what}: more than ${maxPages} pages for at most ${max} items (expected up to ${PAGE_SIZE} items a page)`);
    cursors.add(page.endCursor);
    const data = parse(z.object({ repository: z.object({ pullRequest: z.object({ headRefOid: z.string(), [list]: LISTS[list] }).nullable() }).nullable() }), await query(octokit, pageQuery(list), { ...t, after: page.endCursor }, what));
    const pr = data.repository?.pullRequest as ({ headRefOid: string } & Record<PagedList, { totalCount: number; pageInfo: z.infer<typeof PageInfo>; nodes: N[] }>) | null | undefined;
    if (!pr) throw invalid(`${t.owner}/${t.name}#${t.number} is gone while its ${list} were read`);
    if (pr.headRefOid !== head) throw new AgentGateError("HEAD_MOVED", `${t.owner}/${t.name}#${t.number} moved from ${head.slice(0, 7)} to ${pr.headRefOid.slice(0, 7)} while its ${list} were read`, "transient");
    nodes.push(...pr[list].nodes);
    read = pr[list].nodes.length;
    reported = Math.max(reported, pr[list].totalCount);
    page = pr[list].pageInfo;
    pages++;
  }
  const truncated = nodes.length > max || page.hasNextPage || nodes.length < reported;
  return { nodes: nodes.slice(0, max), truncated, reported };
}

/** Reads pull request `number` in one query (more only for lists past 100 items). */
export async function readPullGraph(octokit: Api, owner: string, name: string, number: number, caps: { commits: number; reviews: number; comments: number; pullsPerCommit: number }): Promise<PullRead> {
  const t = { owner, name, number };
  const answer = await queryPartial(octokit, PULL_QUERY, t, `${owner}/${name}#${number}`, isFilesError);
  const data = parse(PullAnswer, answer.data);
  const repo = data.repository;
  const pr = repo?.pullRequest;
  if (!repo || !pr) throw new AgentGateError("GITHUB_REQUEST_FAILED", `GitHub has no pull request ${owner}/${name}#${number} (or the App cannot read it)`, "internal");
  if (!repo.defaultBranchRef) throw invalid(`${repo.nameWithOwner} has no default branch`);
  if (pr.labels.totalCount > pr.labels.nodes.length) throw invalid(`#${number} has ${pr.labels.totalCount} labels, more than one page`);
  const author = account(pr.author) ?? GHOST;
  const payload = {
    number: pr.number,
    title: pr.title,
    body: pr.body === "" ? null : pr.body,
    state: pr.state === "OPEN" ? "open" : "closed",
    draft: pr.isDraft,
    user: author,
    labels: pr.labels.nodes.map((l) => ({ name: l.name })),
    comments: pr.comments.totalCount,
    commits: pr.commits.totalCount,
    changed_files: pr.changedFiles,
    head: { sha: pr.headRefOid, ref: pr.headRefName, repo: pr.headRepository ? { full_name: pr.headRepository.nameWithOwner, id: pr.headRepository.databaseId } : null },
    base: { sha: pr.baseRefOid, ref: pr.baseRefName, repo: { full_name: repo.nameWithOwner, id: repo.databaseId, default_branch: repo.defaultBranchRef.name, private: repo.isPrivate } },
  };
  const head = pr.headRefOid;
  const [commits, reviews, comments] = await Promise.all([
    readAll(octokit, t, "commits", pr.commits, caps.commits, head),
    readAll(octokit, t, "reviews", pr.reviews, caps.reviews, head),
    readAll(octokit, t, "comments", pr.comments, caps.comments, head),
  ]);
  const restCommits = commits.nodes.map((c) => restCommit(c, author));
  const last = pr.lastCommit.nodes[0]?.commit;
  const associated = last?.associatedPullRequests;
  return {
    payload,
    lists: {
      commits: restCommits.some((c) => c === undefined) ? undefined : { items: restCommits, truncated: commits.truncated, reported: commits.reported },
      reviews: { items: reviews.nodes.map(restReview), truncated: reviews.truncated, reported: reviews.reported },
      comments: { items: comments.nodes.map(restComment), truncated: comments.truncated, reported: comments.reported },
    },
    pullsWithHead:
      last && associated && last.oid === head
        ? { sha: head, numbers: associated.totalCount > caps.pullsPerCommit || associated.totalCount > associated.nodes.length ? "too-many" : associated.nodes.filter((p) => p.state === "OPEN" && p.headRefOid === head && p.baseRepository?.databaseId === repo.databaseId).map((p) => p.number) }
        : undefined,
    defaultBranchFiles: defaultBranchFiles(answer.data as Record<string, unknown>, owner, name, answer.accepted),
  };
}
