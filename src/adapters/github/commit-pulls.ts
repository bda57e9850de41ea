// The pull requests GitHub lists for a commit, as this repository's: the one merged (or squashed) as it, and whether
// one listed is this repository's at all (forks share commits: a commit's pull requests can be another repository's
// of the fork network, whose numbers name other pull requests here).
import type { Octokit } from "@octokit/rest";
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";

type Api = Pick<Octokit, "request">;

const MergedPull = z.object({
  merged_at: z.string().nullable(),
  merge_commit_sha: z.string().nullable(),
  number: z.number().int().positive(),
  user: z.object({ login: z.string(), id: z.number() }).nullable(),
  labels: z.array(z.object({ name: z.string() })),
  head: z.object({ sha: z.string(), ref: z.string() }),
});
export type MergedPullData = z.infer<typeof MergedPull>;

const BaseRepo = z.object({ base: z.object({ repo: z.object({ id: z.number().int().optional(), full_name: z.string() }) }) });

/**
 * Whether a pull request GitHub lists for a commit is this repository's: its base repository is this one (by id when
 * both are known, else by full name, case-insensitive). Forks share commits, and a commit's pull requests can be those
 * of another repository of the fork network, whose numbers name other pull requests here. One without a base
 * repository is an answer agent-gate cannot place: an error (GITHUB_RESPONSE_INVALID), never a guess.
 */
export function baseIsHere(p: unknown, owner: string, repo: string, repositoryId?: number): boolean {
  const parsed = BaseRepo.safeParse(p);
  if (!parsed.success) throw new AgentGateError("GITHUB_RESPONSE_INVALID", `a pull request GitHub lists for a commit of ${owner}/${repo} names no base repository (${parsed.error.issues[0]?.path.join(".") ?? ""}: ${parsed.error.issues[0]?.message ?? "invalid"}); expected base.repo with its full_name`, "transient");
  const base = parsed.data.base.repo;
  if (repositoryId !== undefined && base.id !== undefined) return base.id === repositoryId;
  return base.full_name.toLowerCase() === `${owner}/${repo}`.toLowerCase();
}

/**
 * The pull request of this repository (`repositoryId` when known) GitHub says was merged (or squashed) as exactly
 * commit `sha`, if any: from the first page of the commit's pull requests, as the deployment gate has always read it.
 */
export async function pullMergedAs(octokit: Api, owner: string, repo: string, sha: string, repositoryId?: number): Promise<MergedPullData | undefined> {
  const res = await octokit.request("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", { owner, repo, commit_sha: sha });
  const pulls = z.array(z.unknown()).parse(res.data);
  // Only a candidate is parsed in full: another PR's odd fields are no reason to refuse this one.
  const found = pulls.find((p) => {
    const m = z.object({ merged_at: z.string().nullable(), merge_commit_sha: z.string().nullable() }).safeParse(p);
    return m.success && m.data.merged_at !== null && m.data.merge_commit_sha === sha && baseIsHere(p, owner, repo, repositoryId);
  });
  return found === undefined ? undefined : MergedPull.parse(found);
}
