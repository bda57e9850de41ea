// The GitHub port (issue 15): every GitHub read the gates, reconciliation and the CLI make, behind one interface, and
// the few writes behind another. src/app takes these, never an Octokit: the Octokit-backed implementation is
// octokit-github.ts (one per installation, made where Probot hands over its client: src/index.ts), and tests may use
// a fake of plain values (test/support/fake-github.ts). Every answer is parsed (zod) before it leaves the adapter.
import type { RepoPermission } from "../../core/facts.js";
import type { Approver, DeploymentRequest, FetchedAttestation, AttestationSourceOptions } from "./deployment-protection.js";
import type { CheckRunData, CheckRunOutput, CommitCheckRuns } from "./check-runs.js";
import type { ConfigText } from "./config-source.js";
import type { DeliveryRow } from "./app-api.js";
import type { MergedPullData, PullRequestSnapshot } from "./pull-request-source.js";

export interface Account {
  readonly login: string;
  readonly id: number;
}

/** The config files both gates judge by; only ever from a default branch. */
export interface ConfigFiles {
  /** .github/agent-gate.yml of the repository, else of the owner's `.github` repository; null when neither has one. */
  repoConfig(owner: string, repo: string): Promise<ConfigText | null>;
  /** One file on a repository's default branch (a base named by `_extends`); null when there is none. */
  configFile(owner: string, repo: string, path: string): Promise<ConfigText | null>;
}

/** A config file as a commit has it (a pull request's head): what a config change proposes, never what judges it. */
export interface ProposedConfigFiles {
  /** The file at commit `sha` of the repository; null when the commit has none (deleted). */
  configFileAt(owner: string, repo: string, path: string, sha: string): Promise<ConfigText | null>;
}

/** What one installation (or one token) may read. */
export interface GitHubFacts extends ConfigFiles, ProposedConfigFiles {
  /** A pull request as GitHub gives it now (the gate's payload, parsed by `snapshot`). */
  pull(owner: string, repo: string, pullNumber: number): Promise<unknown>;
  /** The numbers of the open pull requests whose head is `sha`: complete, or TOO_MANY_PULLS. */
  pullsForCommit(owner: string, repo: string, sha: string): Promise<number[]>;
  /** A pull request's commits, files, reviews, comments, and the permissions of those who approved its head. */
  snapshot(owner: string, repo: string, pullPayload: unknown): Promise<PullRequestSnapshot>;
  /** One account's permission on the repository (GitHub's base levels; "none" when it is no collaborator). */
  permission(owner: string, repo: string, user: Account): Promise<RepoPermission>;
  /**
   * The latest runs of the check `checkName` (default agent-gate) on a commit, newest first: the one lookup of them.
   * Only the App's own runs when its id is known (ConnectorOptions.appId), every App's otherwise.
   */
  checkRuns(owner: string, repo: string, sha: string, checkName?: string): Promise<CheckRunData[]>;
  /** Every check run on a commit, re-runs and every App's included (required checks): up to a limit, marked when cut short. */
  commitCheckRuns(owner: string, repo: string, sha: string): Promise<CommitCheckRuns>;
  /** The pull request of this repository (by id when given) GitHub says was merged (or squashed) as exactly commit `sha`, if any. */
  pullMergedAs(owner: string, repo: string, sha: string, repositoryId?: number): Promise<MergedPullData | undefined>;
  /** An artifact's attestations, each bundle read (bundle_url downloads go through `opts.fetch`, never with a token). */
  attestations(owner: string, repo: string, digest: string, opts?: AttestationSourceOptions): Promise<FetchedAttestation[]>;
  /** Who approved the deployment's workflow run for its environment (GitHub's required reviewers). */
  deploymentApprovals(req: DeploymentRequest): Promise<Approver[]>;
  /** One page (up to 100) of the repositories the installation can reach. */
  installationRepositoriesPage(page: number): Promise<{ owner: string; name: string }[]>;
  /** One page (up to 100, newest first) of a repository's open pull requests (`all`: closed too): number and head commit. */
  openPullsPage(owner: string, repo: string, page: number, state?: "open" | "all"): Promise<{ number: number; headSha: string }[]>;
}

/** What the gates write: the one check run per head commit, and deployment protection answers. */
export interface GitHubWrites {
  /**
   * Marks the evaluation started on the run `existingId`, else on the run GitHub has when `lookup` is set
   * (redeliveries, retries, re-requests), else on a new run; resolves to the run's id.
   */
  startCheckRun(owner: string, repo: string, headSha: string, opts: { existingId?: number; lookup: boolean }): Promise<number>;
  /** Completes the run with its conclusion and output (annotations past 50 in further writes). */
  completeCheckRun(owner: string, repo: string, id: number, out: CheckRunOutput): Promise<void>;
  /** Approves, rejects (with `state`) or comments on a deployment waiting on agent-gate's protection rule. */
  reviewDeployment(req: DeploymentRequest, body: { state?: "approved" | "rejected"; comment: string }): Promise<void>;
}

/** One installation's GitHub, as the gates use it. */
export type InstallationGitHub = GitHubFacts & GitHubWrites;

/** The App's own GitHub (its JWT): webhook deliveries and installations, for reconciliation. */
export interface AppGitHub {
  /** One page (up to 100, newest first) of the App's delivery history, and the cursor of the next page if any. */
  hookDeliveriesPage(cursor: string | undefined): Promise<{ rows: DeliveryRow[]; next: string | undefined }>;
  /** Asks GitHub to send delivery `deliveryId` again. */
  redeliver(deliveryId: number): Promise<void>;
  /** The ids of one page (up to 100) of the App's installations. */
  installationsPage(page: number): Promise<number[]>;
}
