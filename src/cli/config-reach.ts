// `config validate --repo`: what it reads must be seen, as the App sees it, before "no config: every default
// applies" can be said. GitHub answers a file it will not show exactly as one that is not there (404), so
//  - the repository itself must be readable (GET /repos): else exit 2, never "valid, defaults apply";
//  - the owner's `.github` repository (the organisation's config and revocation list) counts as missing only as the
//    App counts it (org-repo-scope.ts): readable, or the token's installation covers every repository of the owner,
//    or AGENT_GATE_OWNERS_WITHOUT_ORG_REPO names the owner; else ORG_REPO_UNCONFIRMED, exit 2.
import type { Octokit } from "@octokit/rest";
import { OrgRepoScope, ORG_REPO, OWNERS_WITHOUT_ORG_REPO } from "../adapters/github/org-repo-scope.js";
import { repositoryReadable } from "../adapters/github/repo-reach.js";
import { ownerList } from "../config/server-env.js";
import { CliFailure, UsageError } from "./args.js";

export async function confirmReach(octokit: Pick<Octokit, "request">, owner: string, repo: string, env: Readonly<Record<string, string | undefined>>, tokenGiven: boolean): Promise<void> {
  const declared = ownerList().safeParse(env[OWNERS_WITHOUT_ORG_REPO]);
  if (!declared.success) throw new UsageError(`${OWNERS_WITHOUT_ORG_REPO}: ${declared.error.issues[0]?.message ?? "invalid"}`);
  if (!(await repositoryReadable(octokit, owner, repo))) {
    throw new CliFailure(
      "REPO_UNREADABLE",
      `${owner}/${repo} cannot be read: GitHub answers 404 alike for a repository that does not exist and a private one the token cannot read, so its config cannot be said to be absent; expected a repository readable with ${tokenGiven ? "the token given" : "a token (--token or GITHUB_TOKEN): none was given"}`,
    );
  }
  if (repo.toLowerCase() === ORG_REPO || (await repositoryReadable(octokit, owner, ORG_REPO))) return;
  // As the App: missing only when the installation behind the token covers every repository of the owner, or declared.
  await new OrgRepoScope({ ownersWithout: declared.data }).confirmMissing(octokit, owner, "repository");
}
