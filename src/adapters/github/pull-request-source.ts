// Gathers everything about one pull request that the policy may need, in as few requests as possible:
// the PR (from the payload when it has it), commits, files, reviews, and comments only when there are any.
import type { Octokit } from "@octokit/rest";
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";

export const LIMITS = { commits: 250, files: 3000, reviews: 300, comments: 300 } as const;

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
  head: z.object({ sha: z.string(), ref: z.string(), repo: z.object({ full_name: z.string(), id: z.number() }).nullable() }),
  base: z.object({ sha: z.string(), ref: z.string(), repo: z.object({ full_name: z.string(), id: z.number(), default_branch: z.string(), private: z.boolean() }) }),
});

const Commit = z.object({
  sha: z.string(),
  commit: z.object({
    message: z.string(),
    tree: z.object({ sha: z.string() }),
    author: z.object({ name: z.string(), email: z.string(), date: z.string().optional() }).nullable(),
    committer: z.object({ name: z.string(), email: z.string(), date: z.string().optional() }).nullable(),
  }),
  author: NullableAccount.or(z.object({}).strict().transform(() => null)),
  committer: NullableAccount.or(z.object({}).strict().transform(() => null)),
  parents: z.array(z.object({ sha: z.string() })),
});

const File = z.object({ filename: z.string(), status: z.string(), additions: z.number(), deletions: z.number(), previous_filename: z.string().optional() });
const Review = z.object({ id: z.number(), user: NullableAccount, state: z.string(), commit_id: z.string().nullable(), submitted_at: z.string().optional() });
const Comment = z.object({ id: z.number(), user: NullableAccount, body: z.string().optional() });

export type PullData = z.infer<typeof Pull>;
export type CommitData = z.infer<typeof Commit>;
export type FileData = z.infer<typeof File>;
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

async function list(octokit: Api, route: string, params: Record<string, unknown>, max: number): Promise<{ items: unknown[]; truncated: boolean }> {
  const items: unknown[] = [];
  let truncated = false;
  for await (const page of octokit.paginate.iterator(route as "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", { ...params, per_page: 100 } as never)) {
    items.push(...(page.data as unknown[]));
    if (items.length >= max) {
      truncated = items.length > max || Boolean((page.headers as { link?: string }).link?.includes('rel="next"'));
      break;
    }
  }
  return { items: items.slice(0, max), truncated };
}

export async function loadPullRequest(octokit: Api, owner: string, repo: string, pullPayload: unknown): Promise<PullRequestSnapshot> {
  const p = Pull.safeParse(pullPayload);
  if (!p.success) throw new AgentGateError("GITHUB_RESPONSE_INVALID", `pull request: ${p.error.issues[0]?.path.join(".") ?? ""}: ${p.error.issues[0]?.message ?? "invalid"}`);
  const pull = p.data;
  const params = { owner, repo, pull_number: pull.number, issue_number: pull.number };
  const { pull_number: _a, ...issueParams } = params;
  const { issue_number: _b, ...pullParams } = params;
  const [commits, files, reviews, comments] = await Promise.all([
    list(octokit, "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", pullParams, LIMITS.commits),
    list(octokit, "GET /repos/{owner}/{repo}/pulls/{pull_number}/files", pullParams, LIMITS.files),
    list(octokit, "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", pullParams, LIMITS.reviews),
    pull.comments === 0 ? Promise.resolve({ items: [], truncated: false }) : list(octokit, "GET /repos/{owner}/{repo}/issues/{issue_number}/comments", issueParams, LIMITS.comments),
  ]);
  const truncated = Object.entries({ commits, files, reviews, comments })
    .filter(([, v]) => v.truncated)
    .map(([k]) => k);
  return {
    pull,
    commits: parseAll(Commit, "commits", commits.items),
    files: parseAll(File, "files", files.items),
    reviews: parseAll(Review, "reviews", reviews.items),
    comments: parseAll(Comment, "comments", comments.items),
    truncated,
  };
}

/** The PR payload for a trigger that names only a number (check_suite, check_run, merge_group). */
export async function fetchPull(octokit: Api, owner: string, repo: string, pullNumber: number): Promise<unknown> {
  const res = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner, repo, pull_number: pullNumber });
  return res.data;
}

/** Open PRs whose head is `sha` (fork PRs' check_suite events carry no pull_requests). */
export async function pullsForCommit(octokit: Api, owner: string, repo: string, sha: string): Promise<number[]> {
  const res = await octokit.request("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", { owner, repo, commit_sha: sha });
  return (res.data as { number: number; state: string; head: { sha: string } }[]).filter((p) => p.state === "open" && p.head.sha === sha).map((p) => p.number);
}
