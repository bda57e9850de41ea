// Writes the one `agent-gate` check run per head commit: created in_progress, then completed; a redelivered
// event or a re-request updates the same run instead of adding one (the gate remembers run ids in its store).
// Annotations beyond 50 go in further batches.
import type { Octokit } from "@octokit/rest";
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";
import type { Annotation, CheckRunOutput as RenderedCheckRun } from "../../render/check-run.js";

export const CHECK_NAME = "agent-gate";

/** What the renderer produced, plus the decision id recorded as the run's external id. */
export type CheckRunOutput = RenderedCheckRun & { readonly externalId: string };

type Api = Pick<Octokit, "request">;

// Only the fields read: reconciliation (status, title), the deployment gate (conclusion, external id, app), audit
// verify --witness (the summary's last line, external id).
const CheckRun = z.object({
  id: z.number(),
  status: z.string(),
  conclusion: z.string().nullable(),
  external_id: z.string().nullable().optional(),
  app: z.object({ id: z.number() }).nullable().optional(),
  output: z.object({ title: z.string().nullable().optional(), summary: z.string().nullable().optional() }),
});
const CheckRuns = z.object({ check_runs: z.array(CheckRun) });
export type CheckRunData = z.infer<typeof CheckRun>;

/**
 * The latest runs of the check `checkName` on a commit (GitHub's `filter: latest`), newest first. With `appId` (the
 * App's own id) only that App's runs: any App, or a workflow's GITHUB_TOKEN (github-actions), may create a run named
 * agent-gate, which is never ours to adopt, update or read a verdict from. GitHub is asked with `app_id`, so that a
 * newer foreign run of the name does not hide ours; the answer is filtered by `app.id` as well (a server that ignores
 * the parameter). Without `appId` (a CLI run without APP_ID): by name only.
 */
export async function latestCheckRuns(octokit: Api, owner: string, repo: string, sha: string, checkName: string = CHECK_NAME, appId?: number): Promise<CheckRunData[]> {
  const res = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner, repo, ref: sha, check_name: checkName, filter: "latest", ...(appId !== undefined ? { app_id: appId } : {}) });
  const runs = CheckRuns.parse(res.data).check_runs;
  return appId === undefined ? runs : runs.filter((r) => r.app?.id === appId);
}

// Every check run on a commit, whichever App wrote it (required checks, issue 18): read whole or reported cut short.
const CommitCheckRun = z.object({
  id: z.number(),
  name: z.string(),
  status: z.string(),
  conclusion: z.string().nullable(),
  app: z.object({ id: z.number(), slug: z.string().optional() }).nullable().optional(),
});
export type CommitCheckRunData = z.infer<typeof CommitCheckRun>;

/** The check runs read on one commit, with how many GitHub says it has: a list cut short is never judged as whole. */
export interface CommitCheckRuns {
  readonly runs: readonly CommitCheckRunData[];
  readonly listed: number;
  readonly reported?: number;
  readonly limit: number;
  readonly truncated: boolean;
}

/** Check runs read per commit at most (re-runs included): past it the list is incomplete and required checks deny. */
export const COMMIT_CHECK_RUNS_LIMIT = 1000;

/**
 * GET /repos/{owner}/{repo}/commits/{ref}/check-runs with `filter: all` (every re-run: the policy takes the latest
 * per name and App, since GitHub's `latest` keeps one per name whoever wrote it), 100 a page, up to the limit.
 */
export async function commitCheckRuns(octokit: Pick<Octokit, "paginate">, owner: string, repo: string, sha: string, limit = COMMIT_CHECK_RUNS_LIMIT): Promise<CommitCheckRuns> {
  const runs: CommitCheckRunData[] = [];
  let reported: number | undefined;
  let truncated = false;
  for await (const page of octokit.paginate.iterator("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner, repo, ref: sha, filter: "all", per_page: 100 })) {
    // paginate hands the list as data and keeps GitHub's count on it
    const total = (page.data as unknown as { total_count?: unknown }).total_count;
    if (typeof total === "number") reported = Math.max(reported ?? 0, total);
    const parsed = z.array(CommitCheckRun).safeParse(page.data);
    if (!parsed.success) throw new AgentGateError("GITHUB_RESPONSE_INVALID", `GitHub's check runs of ${sha.slice(0, 7)} are not what agent-gate expects: ${parsed.error.issues[0]?.path.join(".") ?? ""}: ${parsed.error.issues[0]?.message ?? "invalid"}`, "transient");
    runs.push(...parsed.data);
    if (runs.length >= limit) {
      truncated = runs.length > limit || Boolean((page.headers as { link?: string }).link?.includes('rel="next"'));
      break;
    }
  }
  return { runs: runs.slice(0, limit), listed: Math.min(runs.length, limit), ...(reported !== undefined ? { reported } : {}), limit, truncated };
}

export class CheckRunPublisher {
  /** `appId`: the App's own id; when known, only its runs are found (latestCheckRuns). */
  constructor(
    private readonly checkName = CHECK_NAME,
    private readonly appId?: number,
  ) {}

  /** The id of the latest run of this check (of this App, when its id is known) on a commit, if there is one. */
  async find(octokit: Api, owner: string, repo: string, headSha: string): Promise<number | undefined> {
    return (await latestCheckRuns(octokit, owner, repo, headSha, this.checkName, this.appId))[0]?.id;
  }

  /**
   * Marks the evaluation started on the run `existingId` (the caller remembers runs durably), else on the run
   * GitHub has when `lookup` is set (redeliveries, retries, re-requests), else on a new run.
   */
  async start(octokit: Api, owner: string, repo: string, headSha: string, opts: { existingId?: number; lookup: boolean }): Promise<number> {
    let id = opts.existingId;
    if (id === undefined && opts.lookup) id = await this.find(octokit, owner, repo, headSha);
    const started_at = new Date().toISOString();
    if (id !== undefined) {
      await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { owner, repo, check_run_id: id, status: "in_progress", started_at });
      return id;
    }
    try {
      const res = await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
        owner,
        repo,
        name: this.checkName,
        head_sha: headSha,
        status: "in_progress",
        started_at,
        output: { title: "Evaluating", summary: "agent-gate is verifying this change's provenance and evaluating the policy." },
        // Not retried blindly: a create whose answer was lost may have happened; the lookup below decides.
        request: { retries: 0 },
      });
      return Number(res.data.id);
    } catch (err) {
      const found = await this.find(octokit, owner, repo, headSha).catch(() => undefined);
      if (found !== undefined) return found;
      throw err;
    }
  }

  async complete(octokit: Api, owner: string, repo: string, id: number, out: CheckRunOutput): Promise<void> {
    const batches = out.annotationBatches;
    const output = (annotations: readonly Annotation[] | undefined): Record<string, unknown> => ({
      title: out.title,
      summary: out.summary,
      ...(out.text ? { text: out.text } : {}),
      ...(annotations?.length ? { annotations: [...annotations] } : {}),
    });
    await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
      owner,
      repo,
      check_run_id: id,
      status: "completed",
      conclusion: out.conclusion,
      completed_at: new Date().toISOString(),
      external_id: out.externalId,
      output: output(batches[0]) as never,
      ...(out.actions.length ? { actions: [...out.actions] } : {}),
    });
    for (const batch of batches.slice(1)) {
      await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { owner, repo, check_run_id: id, output: output(batch) as never });
    }
  }
}
