// Writes the one `agent-gate` check run per head commit: created in_progress, then completed; a redelivered
// event or a re-request updates the same run instead of adding one. Annotations beyond 50 go in further batches.
import type { Octokit } from "@octokit/rest";
import type { Annotation, CheckRunOutput as RenderedCheckRun } from "../../render/check-run.js";

export const CHECK_NAME = "agent-gate";

/** What the renderer produced, plus the decision id recorded as the run's external id. */
export type CheckRunOutput = RenderedCheckRun & { readonly externalId: string };

type Api = Pick<Octokit, "request">;

export class CheckRunPublisher {
  /** Check-run ids by repo and head commit, so repeated events need no lookup (ids never change meaning). */
  private readonly known = new Map<string, number>();
  /** Bounded: a long-running App forgets the oldest commits (a later event for one looks it up again). */
  private static readonly KNOWN_MAX = 50_000;

  constructor(private readonly checkName = CHECK_NAME) {}

  private key(owner: string, repo: string, sha: string): string {
    return `${owner}/${repo}@${sha}`.toLowerCase();
  }

  /** Marks the evaluation started; `lookup` asks GitHub for an existing run (redeliveries, re-requests). */
  async start(octokit: Api, owner: string, repo: string, headSha: string, opts: { existingId?: number; lookup: boolean }): Promise<number> {
    const key = this.key(owner, repo, headSha);
    let id = opts.existingId ?? this.known.get(key);
    if (id === undefined && opts.lookup) {
      const res = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner, repo, ref: headSha, check_name: this.checkName, filter: "latest" });
      const found = res.data.check_runs[0]?.id;
      id = found === undefined ? undefined : Number(found);
    }
    const started_at = new Date().toISOString();
    if (id !== undefined) {
      await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { owner, repo, check_run_id: id, status: "in_progress", started_at });
    } else {
      const res = await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
        owner,
        repo,
        name: this.checkName,
        head_sha: headSha,
        status: "in_progress",
        started_at,
        output: { title: "Evaluating", summary: "agent-gate is verifying this change's provenance and evaluating the policy." },
      });
      id = Number(res.data.id);
    }
    if (this.known.size >= CheckRunPublisher.KNOWN_MAX) this.known.delete(this.known.keys().next().value!);
    this.known.set(key, id);
    return id;
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
