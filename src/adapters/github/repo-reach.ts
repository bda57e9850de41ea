// Whether a repository can be read with a client: GET /repos/{owner}/{repo}. GitHub answers 404 alike for a
// repository that does not exist and a private one the token cannot read, so `false` means "not seen", never
// "does not exist"; any other failure throws (it says nothing either way).
import type { Octokit } from "@octokit/rest";
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";

const Repository = z.object({ name: z.string(), owner: z.object({ login: z.string() }) });

export async function repositoryReadable(octokit: Pick<Octokit, "request">, owner: string, repo: string): Promise<boolean> {
  let data: unknown;
  try {
    data = (await octokit.request("GET /repos/{owner}/{repo}", { owner, repo })).data;
  } catch (err) {
    if ((err as { status?: unknown }).status === 404) return false;
    throw err;
  }
  if (!Repository.safeParse(data).success) throw new AgentGateError("GITHUB_RESPONSE_INVALID", `GET /repos/${owner}/${repo}: expected a repository {name, owner: {login}}`, "transient");
  return true;
}
