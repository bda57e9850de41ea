// Gathers everything about one pull request that the policy may need, in as few requests as possible:
// the PR (from the payload when it has it), commits, files, reviews, and comments only when there are any.
import type { Octokit } from "@octokit/rest";
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";
import { REPO_PERMISSIONS, type RepoPermission } from "../../core/facts.js";
import { LruCache } from "../lru.js";
import type { GitHubFacts } from "./facts-port.js";
import { compareUnboundFiles, fileReadAt } from "./files-binding.js";
import { readPullGraph, type PullRead } from "./graphql-pull.js";
import { baseIsHere } from "./commit-pulls.js";

export { baseIsHere, pullMergedAs, type MergedPullData } from "./commit-pulls.js";

export { fileReadAt } from "./files-binding.js";

/**
 * How many items of each list are read. Commits and files are GitHub's own documented limits (a pull request's
 * commits are listed up to 250, its files up to 3,000); reviews and comments have none, so these are ours: past
 * them the check denies ("too many ... to evaluate") rather than judge a part.
 */
export const LIMITS = { commits: 250, files: 3000, reviews: 1000, comments: 3000 } as const;

const Account = z.object({ login: z.string(), id: z.number().int(), type: z.string() });
const NullableAccount = Account.nullable();

const Pull = z.object({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullable(),
  state: z.string(),
  draft: z.boolean().optional(),
  user: Account,
  labels: z.array(z.object({ name: z.string() })),
  comments: z.number().int().optional(),
  commits: z.number().int().optional(),
  changed_files: z.number().int().optional(),
  review_comments: z.number().int().optional(),
  head: z.object({ sha: z.string(), ref: z.string(), repo: z.object({ full_name: z.string(), id: z.number() }).nullable() }),
  base: z.object({ sha: z.string(), ref: z.string(), repo: z.object({ full_name: z.string(), id: z.number(), default_branch: z.string(), private: z.boolean() }) }),
});

/**
 * GitHub's verification of a commit's signature: `payload` is the signed commit object without the signature header
 * and `signature` the armoured signature, so a gitsign signature is verified without a clone (app/commit-evidence.ts).
 * Either past its cap (gitsign.ts's) is dropped and marked `oversize`: a failed signature, never a crash.
 */
export const COMMIT_SIGNATURE_CAPS = { payload: 1024 * 1024, signature: 64 * 1024 } as const;
const Verification = z
  .object({
    verified: z.boolean(),
    reason: z.string(),
    signature: z.string().nullable().optional(),
    payload: z.string().nullable().optional(),
    verified_at: z.string().nullable().optional(),
  })
  .transform(({ signature, payload, verified_at, ...v }) => {
    const oversize = [
      ...(payload != null && payload.length > COMMIT_SIGNATURE_CAPS.payload ? [`payload of ${payload.length} characters (at most ${COMMIT_SIGNATURE_CAPS.payload})`] : []),
      ...(signature != null && signature.length > COMMIT_SIGNATURE_CAPS.signature ? [`signature of ${signature.length} characters (at most ${COMMIT_SIGNATURE_CAPS.signature})`] : []),
    ];
    if (oversize.length > 0) return { ...v, oversize: oversize.join(", ") };
    return { ...v, ...(signature != null ? { signature } : {}), ...(payload != null ? { payload } : {}), ...(verified_at != null ? { verifiedAt: verified_at } : {}) };
  });

const Commit = z.object({
  sha: z.string(),
  commit: z.object({
    message: z.string(),
    tree: z.object({ sha: z.string() }),
    author: z.object({ name: z.string(), email: z.string(), date: z.string().optional() }).nullable(),
    committer: z.object({ name: z.string(), email: z.string(), date: z.string().optional() }).nullable(),
    verification: Verification.optional(),
  }),
  author: NullableAccount.or(z.object({}).strict().transform(() => null)),
  committer: NullableAccount.or(z.object({}).strict().transform(() => null)),
  parents: z.array(z.object({ sha: z.string() })),
});

// Only the first characters of a patch are kept: enough to tell a submodule pointer from a file. `readAt`: the commit
// the entry was read at (fileReadAt), which checkHead binds to the judged head.
const File = z
  .object({
    filename: z.string(),
    status: z.string(),
    additions: z.number(),
    deletions: z.number(),
    previous_filename: z.string().optional(),
    patch: z.string().optional(),
    contents_url: z.string().nullable().optional(),
    blob_url: z.string().nullable().optional(),
    raw_url: z.string().nullable().optional(),
  })
  .transform(({ patch, contents_url, blob_url, raw_url, ...f }, ctx) => {
    const at = fileReadAt({ contents_url, blob_url, raw_url });
    if (typeof at === "string") {
      ctx.addIssue({ code: "custom", message: `${f.filename}: ${at}`, path: ["contents_url"] });
      return z.NEVER;
    }
    return { ...f, readAt: at.sha, ...(patch !== undefined ? { patchHead: patch.slice(0, 200) } : {}) };
  });
const Review = z.object({ id: z.number(), user: NullableAccount, state: z.string(), commit_id: z.string().nullable(), submitted_at: z.string().optional() });
const Comment = z.object({ id: z.number(), user: NullableAccount, body: z.string().optional(), author_association: z.string().optional() });

export type PullData = z.infer<typeof Pull>;
export type CommitData = z.infer<typeof Commit>;
export type FileData = z.output<typeof File>;
export type ReviewData = z.infer<typeof Review>;
export type CommentData = z.infer<typeof Comment>;

export interface PullRequestSnapshot {
  readonly pull: PullData;
  readonly commits: readonly CommitData[];
  readonly files: readonly FileData[];
  readonly reviews: readonly ReviewData[];
  readonly comments: readonly CommentData[];
  /** Lists GitHub cut short at our limits (reported to the reviewer, and fail closed in policy). */
  readonly truncated: readonly string[];
  /** How many items each list held, beside what the pull request says it has (its counts, when GitHub gives one). */
  readonly listed: { readonly commits: number; readonly files: number; readonly reviews: number; readonly comments: number };
  /** How many files each read (page) of the files list gave, in order: checkHead binds each read to the judged head. */
  readonly filePages: readonly number[];
  /** The head at which GitHub's comparison with the base listed these same files, when a read named no head (files-binding.ts). */
  readonly filesCompared?: string;
  /** How many reviews GitHub counts (GraphQL's totalCount; the pull request itself gives no count of its reviews). */
  readonly reported?: { readonly reviews?: number };
  /**
   * The repository permission of every human who approved the head commit, by user id: GitHub's legacy base
   * levels (`maintain` reads as write, `triage` as read). Branch protection counts approvals only from people
   * with write access, and so does the policy.
   */
  readonly permissions: Readonly<Record<number, RepoPermission>>;
}

const PERMISSIONS = new Set<string>(REPO_PERMISSIONS);
const Permission = z.object({ permission: z.string() });

/**
 * Permissions looked up recently, by repository and user id: repeated events on a repository cost no requests. A
 * permission taken away still counts for at most `ttlMs` (default one minute).
 */
export class PermissionCache {
  private readonly entries: LruCache<string, { permission: RepoPermission; at: number }>;

  constructor(
    readonly ttlMs = 60_000,
    maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new LruCache(maxEntries);
  }

  get(key: string): RepoPermission | undefined {
    const e = this.entries.get(key);
    return e && this.now() - e.at < this.ttlMs ? e.permission : undefined;
  }

  set(key: string, permission: RepoPermission): void {
    this.entries.set(key, { permission, at: this.now() });
  }
}

/**
 * GET /repos/{owner}/{repo}/collaborators/{username}/permission for each user (metadata read, which every App
 * has). 404 (not a collaborator, or no such user) is "none"; any other failure propagates: an approval whose
 * weight is unknown is never guessed.
 */
async function lookUpPermissions(
  octokit: Api,
  owner: string,
  repo: string,
  users: readonly { login: string; id: number }[],
  cache: PermissionCache | undefined,
): Promise<Record<number, RepoPermission>> {
  const out: Record<number, RepoPermission> = {};
  await Promise.all(
    users.map(async (u) => {
      const key = `${owner}/${repo}#${u.id}`.toLowerCase();
      const cached = cache?.get(key);
      if (cached) {
        out[u.id] = cached;
        return;
      }
      let permission: RepoPermission;
      try {
        const res = await octokit.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", { owner, repo, username: u.login });
        const parsed = Permission.safeParse(res.data);
        if (!parsed.success) throw new AgentGateError("GITHUB_RESPONSE_INVALID", `GitHub's permission of ${u.login} on ${owner}/${repo} is not what agent-gate expects: ${parsed.error.issues[0]?.message ?? "invalid"}`, "transient");
        // An unknown level (GitHub added one) counts as no access until agent-gate knows what it grants.
        permission = PERMISSIONS.has(parsed.data.permission) ? (parsed.data.permission as RepoPermission) : "none";
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err;
        permission = "none";
      }
      cache?.set(key, permission);
      out[u.id] = permission;
    }),
  );
  return out;
}

type Api = Pick<Octokit, "request" | "paginate">;

function parseAll<T>(schema: z.ZodType<T>, what: string, items: unknown[]): T[] {
  return items.map((item, i) => {
    const r = schema.safeParse(item);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new AgentGateError("GITHUB_RESPONSE_INVALID", `GitHub's ${what}[${i}] is not what agent-gate expects: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`, "transient");
    }
    return r.data;
  });
}

/**
 * A REST list, up to `max` items (truncated past it). Paging must make progress, as graphql-pull.ts's readAll: at most
 * ceil(max/100)+1 pages, each with at least one item while a next page is linked; otherwise the read fails, never loops.
 */
async function list(octokit: Api, route: string, params: Record<string, unknown>, max: number): Promise<{ items: unknown[]; truncated: boolean; pages: number[] }> {
  const items: unknown[] = [];
  const sizes: number[] = [];
  const maxPages = Math.ceil(max / 100) + 1;
  let pages = 0;
  let truncated = false;
  for await (const page of octokit.paginate.iterator(route as "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", { ...params, per_page: 100 } as never)) {
    const data = page.data as unknown[];
    const more = Boolean((page.headers as { link?: string }).link?.includes('rel="next"'));
    items.push(...data);
    sizes.push(data.length);
    pages++;
    if (items.length >= max) {
      truncated = items.length > max || more;
      break;
    }
    if (more && data.length === 0) throw new AgentGateError("GITHUB_RESPONSE_INVALID", `${route}: page ${pages} holds no items but links a next page (expected at least one item on a page with a next page)`, "transient");
    if (more && pages >= maxPages) throw new AgentGateError("GITHUB_RESPONSE_INVALID", `${route}: more than ${maxPages} pages for at most ${max} items (expected up to 100 items a page)`, "transient");
  }
  if (items.length > max) sizes[sizes.length - 1]! -= items.length - max; // the items kept, page by page
  return { items: items.slice(0, max), truncated, pages: sizes };
}

/**
 * The snapshot of a pull request: its commits, reviews and comments from one GraphQL read (graphql-pull.ts; `read`
 * when the payload came from one, else read here), its files from REST (only REST gives a file's previous path and
 * patch), and its commits from REST too when GraphQL could not name a commit's account.
 */
export async function loadPullRequest(octokit: Api, owner: string, repo: string, pullPayload: unknown, opts: { permissions?: PermissionCache; read?: PullRead } = {}): Promise<PullRequestSnapshot> {
  const p = Pull.safeParse(pullPayload);
  if (!p.success) throw new AgentGateError("GITHUB_RESPONSE_INVALID", `pull request: ${p.error.issues[0]?.path.join(".") ?? ""}: ${p.error.issues[0]?.message ?? "invalid"}`);
  const pull = p.data;
  const pullParams = { owner, repo, pull_number: pull.number };
  const [read, files] = await Promise.all([
    opts.read ?? readPullGraph(octokit, owner, repo, pull.number, GRAPH_CAPS),
    list(octokit, "GET /repos/{owner}/{repo}/pulls/{pull_number}/files", pullParams, LIMITS.files),
  ]);
  const { reviews, comments } = read.lists;
  const commits = read.lists.commits ?? (await list(octokit, "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", pullParams, LIMITS.commits));
  const truncated = Object.entries({ commits, files, reviews, comments })
    .filter(([, v]) => v.truncated)
    .map(([k]) => k);
  const parsedReviews = parseAll(Review, "reviews", reviews.items);
  // Only the people whose approval could count: humans who approved this head commit.
  const approvers = new Map<number, { login: string; id: number }>();
  for (const r of parsedReviews) {
    if (r.state === "APPROVED" && r.commit_id === pull.head.sha && r.user && r.user.type !== "Bot") approvers.set(r.user.id, r.user);
  }
  const parsedFiles = parseAll(File, "files", files.items);
  const filesCompared = await compareUnboundFiles(octokit, owner, repo, pull, parsedFiles, files.pages);
  return {
    pull,
    commits: parseAll(Commit, "commits", commits.items),
    files: parsedFiles,
    reviews: parsedReviews,
    comments: parseAll(Comment, "comments", comments.items),
    truncated,
    listed: { commits: commits.items.length, files: files.items.length, reviews: reviews.items.length, comments: comments.items.length },
    filePages: files.pages,
    ...(filesCompared !== undefined ? { filesCompared } : {}),
    ...(reviews.reported !== undefined ? { reported: { reviews: reviews.reported } } : {}),
    permissions: await lookUpPermissions(octokit, owner, repo, [...approvers.values()], opts.permissions),
  };
}

/** A pull request and its lists in one GraphQL read (its payload for the gate; the rest for `snapshot`). */
export function readPullRequest(octokit: Api, owner: string, repo: string, pullNumber: number): Promise<PullRead> {
  return readPullGraph(octokit, owner, repo, pullNumber, GRAPH_CAPS);
}

/** The PR payload for a trigger that names only a number (check_suite, check_run, merge_group). */
export async function fetchPull(octokit: Api, owner: string, repo: string, pullNumber: number): Promise<unknown> {
  const res = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner, repo, pull_number: pullNumber });
  return res.data;
}

const PullHead = z.object({ head: z.object({ sha: z.string() }) });

/** A pull request by number: its payload as GitHub gave it (for the gate) and its head commit (checked). */
export async function readPull(github: Pick<GitHubFacts, "pull">, owner: string, repo: string, pullNumber: number): Promise<{ payload: unknown; headSha: string }> {
  const payload = await github.pull(owner, repo, pullNumber);
  return { payload, headSha: PullHead.parse(payload).head.sha };
}

/**
 * Most pull requests listed for one commit; past it the commit is not judged (TOO_MANY_PULLS, a failure). Each pull
 * request sharing a head costs a whole evaluation (its lists, its evidence, its decision) on every event of that
 * head, so strangers opening fork pull requests must not be able to multiply that work, or spend the installation's
 * rate limit, without bound: failing one head closed is the lesser harm.
 */
export const PULLS_PER_COMMIT_MAX = 30;

const GRAPH_CAPS = { commits: LIMITS.commits, reviews: LIMITS.reviews, comments: LIMITS.comments, pullsPerCommit: PULLS_PER_COMMIT_MAX };

/**
 * Open PRs of this repository whose head is `sha`, forks included (fork PRs' check_suite events carry no
 * pull_requests; one commit can be the head of several), never another repository's of the fork network (baseIsHere).
 * Read completely, or an error: a verdict for a commit must know every PR it shows on.
 */
export async function pullsForCommit(octokit: Api, owner: string, repo: string, sha: string, read?: PullRead): Promise<number[]> {
  const known = read?.pullsWithHead?.sha === sha ? read.pullsWithHead.numbers : undefined;
  if (known === "too-many") throw new AgentGateError("TOO_MANY_PULLS", `more than ${PULLS_PER_COMMIT_MAX} pull requests name commit ${sha.slice(0, 7)}; agent-gate cannot judge it for all of them`);
  if (known) return known;
  const { items, truncated } = await list(octokit, "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", { owner, repo, commit_sha: sha }, PULLS_PER_COMMIT_MAX);
  if (truncated) throw new AgentGateError("TOO_MANY_PULLS", `more than ${PULLS_PER_COMMIT_MAX} pull requests name commit ${sha.slice(0, 7)}; agent-gate cannot judge it for all of them`);
  return (items as { number: number; state: string; head: { sha: string } }[]).filter((p) => p.state === "open" && p.head.sha === sha && baseIsHere(p, owner, repo)).map((p) => p.number);
}

/** One person's permission on the repository (GitHub's base levels), through the same cache as approvers'. */
export async function permissionOf(octokit: Api, owner: string, repo: string, user: { login: string; id: number }, cache?: PermissionCache): Promise<RepoPermission> {
  const found = await lookUpPermissions(octokit, owner, repo, [user], cache);
  return found[user.id] ?? "none";
}

/**
 * Open as GitHub read it: "open" and nothing else (a merged pull request is "closed"; a payload without a state is not
 * open either). A pull request that is not open heads nothing: its verdict never counts in a head's.
 */
export function isOpen(payload: unknown): boolean {
  return (payload as { state?: unknown } | null)?.state === "open";
}

/**
 * The pull request given first, if it is open, then every other open one whose head is `sha`, each read fresh from
 * GitHub. The first is kept whatever its head (its trigger tells whether it moved on); the others must head `sha`.
 */
export async function openPullsWithHead(github: Pick<GitHubFacts, "pull" | "pullsForCommit">, owner: string, repo: string, primary: unknown, sha: string): Promise<unknown[]> {
  const first = (primary as { number: number }).number;
  const others = (await github.pullsForCommit(owner, repo, sha)).filter((n) => n !== first);
  const more = await Promise.all(others.map((n) => github.pull(owner, repo, n)));
  return [primary, ...more.filter((p) => (p as { head: { sha: string } }).head.sha === sha)].filter(isOpen);
}

export interface PullStanding {
  readonly number: number;
  readonly author: string;
  readonly fork: boolean;
  /** Opened by someone with write access, or by an App from this repository. */
  readonly standing: boolean;
}

/**
 * Standing: opened by someone with write access, or by an App from this repository (an App opens pull requests only
 * where it is installed). A branch here is not enough: members who may only read can open a pull request from any
 * branch of the repository. A permission that cannot be read counts as write: the pull request's verdict then
 * counts too, which can only add failures.
 */
export async function pullStanding(github: Pick<GitHubFacts, "permission">, owner: string, repo: string, payload: unknown): Promise<PullStanding> {
  const p = payload as { number: number; user: { login: string; id: number; type: string }; head: { repo: { full_name: string } | null }; base: { repo: { full_name: string } } };
  const fork = (p.head.repo?.full_name ?? "").toLowerCase() !== p.base.repo.full_name.toLowerCase();
  if (!fork && p.user.type === "Bot") return { number: p.number, author: p.user.login, fork, standing: true };
  const permission = await github.permission(owner, repo, p.user).catch(() => "write" as const);
  return { number: p.number, author: p.user.login, fork, standing: permission === "admin" || permission === "write" };
}
