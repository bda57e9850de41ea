// The GitHub port over Octokit: one InstallationGitHub per installation client (Probot's, bounded by a job's deadline
// where there is one), one AppGitHub over the App's own (JWT) client. What outlives a client lives in the
// connector: config files remembered for conditional requests (ETag; a 304 costs no rate limit) and reviewers'
// permissions for a minute. Every route and parameter is the one the gates used before the port.
import type { Octokit } from "@octokit/rest";
import type { RepoPermission } from "../../core/facts.js";
import { hookDeliveriesPage, installationRepositoriesPage, installationsPage, openPullsPage, redeliver } from "./app-api.js";
import { CHECK_NAME, CheckRunPublisher, commitCheckRuns, latestCheckRuns, type CheckRunData, type CheckRunOutput, type CommitCheckRuns } from "./check-runs.js";
import { ConfigSource, CONFIG_PATH, fileKey, isMissing, type ConfigText } from "./config-source.js";
import { ORG_REPO, OrgRepoScope } from "./org-repo-scope.js";
import { fetchApprovals, fetchAttestations, postDeploymentReview, type Approver, type AttestationSourceOptions, type DeploymentRequest, type FetchedAttestation } from "./deployment-protection.js";
import type { Account, AppGitHub, InstallationGitHub } from "./facts-port.js";
import { loadPullRequest, permissionOf, pullMergedAs, pullsForCommit, PermissionCache, readPullRequest, type MergedPullData, type PullRequestSnapshot } from "./pull-request-source.js";
import type { PullRead } from "./graphql-pull.js";
import type { DefaultBranchFiles } from "./graphql-config.js";

type Api = Pick<Octokit, "request" | "paginate">;

export interface ConnectorOptions {
  readonly configs?: ConfigSource;
  readonly permissions?: PermissionCache;
  /** The check run's name (default agent-gate). */
  readonly checkName?: string;
  /** The App's id: check runs are looked up among its own only (latestCheckRuns); unknown (a CLI): by name. */
  readonly appId?: number | undefined;
  /** Whether an owner's `.github` read as missing is missing (org-repo-scope.ts); default: one declaring no owner. */
  readonly orgRepoScope?: OrgRepoScope;
}

/** Makes the port for each client, sharing the caches that outlive one. */
export class GitHubConnector {
  readonly configs: ConfigSource;
  readonly permissions: PermissionCache;
  readonly checkRuns: CheckRunPublisher;
  readonly appId: number | undefined;
  readonly orgRepoScope: OrgRepoScope;

  constructor(opts: ConnectorOptions = {}) {
    this.appId = opts.appId;
    this.configs = opts.configs ?? new ConfigSource();
    this.orgRepoScope = opts.orgRepoScope ?? new OrgRepoScope();
    this.permissions = opts.permissions ?? new PermissionCache();
    this.checkRuns = new CheckRunPublisher(opts.checkName ?? CHECK_NAME, opts.appId);
  }

  /** An installation's (or a token's) GitHub. */
  installation(octokit: Api): InstallationGitHub {
    return new OctokitGitHub(octokit, this);
  }

  /** The App's own GitHub, through its JWT client. */
  app(octokit: Pick<Octokit, "request">): AppGitHub {
    return {
      hookDeliveriesPage: (cursor) => hookDeliveriesPage(octokit, cursor),
      redeliver: (id) => redeliver(octokit, id),
      installationsPage: (page) => installationsPage(octokit, page),
    };
  }
}

class OctokitGitHub implements InstallationGitHub {
  /**
   * What each `pull` read beside the pull request (one GraphQL query: its lists and its head's pull requests), by the
   * payload it returned: `snapshot` and `pullsForCommit` answer from it, as fresh as the payload they are asked about.
   */
  private readonly reads = new WeakMap<object, PullRead>();
  /** The latest reads by head commit, for `pullsForCommit` (a few: one client serves one event or one job attempt). */
  private readonly heads = new Map<string, PullRead>();
  /**
   * The config files the latest `pull` read on the default branches (graphql-config.ts): the config read that follows
   * it needs no request. Only the latest: as fresh as that pull request, never a remembered answer.
   */
  private known: DefaultBranchFiles | undefined;

  constructor(
    private readonly octokit: Api,
    private readonly shared: GitHubConnector,
  ) {}

  async repoConfig(owner: string, repo: string): Promise<ConfigText | null> {
    const own = await this.shared.configs.fetchFile(this.octokit, owner, repo, CONFIG_PATH, this.known);
    if (own || repo.toLowerCase() === ORG_REPO) return own;
    return this.orgFile(owner, CONFIG_PATH);
  }

  configFile(owner: string, repo: string, path: string = CONFIG_PATH): Promise<ConfigText | null> {
    if (repo.toLowerCase() === ORG_REPO) return this.orgFile(owner, path);
    return this.shared.configs.fetchFile(this.octokit, owner, repo, path, this.known);
  }

  /** A file of the owner's `.github` repository; null only when it is missing for certain (org-repo-scope.ts). */
  private async orgFile(owner: string, path: string): Promise<ConfigText | null> {
    const file = await this.shared.configs.read(this.octokit, owner, ORG_REPO, path, this.known);
    if (!isMissing(file)) return file;
    if (file.missing === "unseen") await this.shared.orgRepoScope.confirmMissing(this.octokit, owner, this.known?.get(fileKey(owner, ORG_REPO, path)) === "unseen" ? "repository" : "unknown");
    return null;
  }

  configFileAt(owner: string, repo: string, path: string, sha: string): Promise<ConfigText | null> {
    return this.shared.configs.fetchAt(this.octokit, owner, repo, path, sha);
  }

  async pull(owner: string, repo: string, pullNumber: number): Promise<unknown> {
    const read = await readPullRequest(this.octokit, owner, repo, pullNumber);
    this.reads.set(read.payload, read);
    this.known = read.defaultBranchFiles;
    const key = `${owner}/${repo}@${read.payload.head.sha}`.toLowerCase();
    this.heads.delete(key);
    this.heads.set(key, read);
    if (this.heads.size > 8) this.heads.delete(this.heads.keys().next().value!);
    return read.payload;
  }

  pullsForCommit(owner: string, repo: string, sha: string): Promise<number[]> {
    // One use: a later question about the same head is asked of GitHub again.
    const key = `${owner}/${repo}@${sha}`.toLowerCase();
    const read = this.heads.get(key);
    this.heads.delete(key);
    return pullsForCommit(this.octokit, owner, repo, sha, read);
  }

  snapshot(owner: string, repo: string, pullPayload: unknown): Promise<PullRequestSnapshot> {
    const read = typeof pullPayload === "object" && pullPayload !== null ? this.reads.get(pullPayload) : undefined;
    return loadPullRequest(this.octokit, owner, repo, pullPayload, { permissions: this.shared.permissions, ...(read ? { read } : {}) });
  }

  permission(owner: string, repo: string, user: Account): Promise<RepoPermission> {
    return permissionOf(this.octokit, owner, repo, user, this.shared.permissions);
  }

  checkRuns(owner: string, repo: string, sha: string, checkName?: string): Promise<CheckRunData[]> {
    return latestCheckRuns(this.octokit, owner, repo, sha, checkName, this.shared.appId);
  }

  commitCheckRuns(owner: string, repo: string, sha: string): Promise<CommitCheckRuns> {
    return commitCheckRuns(this.octokit, owner, repo, sha);
  }

  pullMergedAs(owner: string, repo: string, sha: string, repositoryId?: number): Promise<MergedPullData | undefined> {
    return pullMergedAs(this.octokit, owner, repo, sha, repositoryId);
  }

  attestations(owner: string, repo: string, digest: string, opts?: AttestationSourceOptions): Promise<FetchedAttestation[]> {
    return fetchAttestations(this.octokit, owner, repo, digest, opts);
  }

  deploymentApprovals(req: DeploymentRequest): Promise<Approver[]> {
    return fetchApprovals(this.octokit, req);
  }

  installationRepositoriesPage(page: number): Promise<{ owner: string; name: string }[]> {
    return installationRepositoriesPage(this.octokit, page);
  }

  openPullsPage(owner: string, repo: string, page: number, state: "open" | "all" = "open"): Promise<{ number: number; headSha: string }[]> {
    return openPullsPage(this.octokit, owner, repo, page, state);
  }

  startCheckRun(owner: string, repo: string, headSha: string, opts: { existingId?: number; lookup: boolean }): Promise<number> {
    return this.shared.checkRuns.start(this.octokit, owner, repo, headSha, opts);
  }

  completeCheckRun(owner: string, repo: string, id: number, out: CheckRunOutput): Promise<void> {
    return this.shared.checkRuns.complete(this.octokit, owner, repo, id, out);
  }

  reviewDeployment(req: DeploymentRequest, body: { state?: "approved" | "rejected"; comment: string }): Promise<void> {
    return postDeploymentReview(this.octokit, req, body);
  }
}
