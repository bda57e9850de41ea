// The state a GitHub stand-in serves: repositories, pull requests and what the App writes back.
// Scenarios are plain data of this shape; responses are built from GitHub's own example bodies.

export interface Account {
  login: string;
  id: number;
  type?: "User" | "Bot" | "Organization";
}

export interface StandInCommit {
  sha: string;
  tree: string;
  message: string;
  author: { name: string; email: string; date?: string; account?: Account | null };
  committer?: { name: string; email: string; date?: string; account?: Account | null };
  parents?: string[];
  /** GitHub's verification of the commit's signature (REST `commit.verification`); default: unsigned. */
  verification?: { verified: boolean; reason: string; signature: string | null; payload: string | null; verified_at?: string | null };
}

export interface StandInFile {
  filename: string;
  status?: "added" | "removed" | "modified" | "renamed";
  additions: number;
  deletions: number;
  /** The old path of a rename. */
  previous_filename?: string;
  /** The diff as GitHub shows it; null for none (a binary file); default: GitHub's example patch. */
  patch?: string | null;
}

export interface StandInReview {
  id?: number;
  user: Account;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED";
  commit_id: string;
  submitted_at?: string;
  body?: string;
}

export interface StandInComment {
  id?: number;
  user: Account;
  body: string;
  created_at?: string;
  /** The commenter's relation to the repository; default: OWNER for the owner, COLLABORATOR for a listed collaborator, else NONE. */
  author_association?: "OWNER" | "MEMBER" | "COLLABORATOR" | "CONTRIBUTOR" | "FIRST_TIME_CONTRIBUTOR" | "FIRST_TIMER" | "MANNEQUIN" | "NONE";
}

export interface StandInPull {
  number: number;
  title: string;
  body: string | null;
  user: Account;
  state?: "open" | "closed";
  draft?: boolean;
  labels?: string[];
  head: { ref: string; sha: string; repo?: { owner: string; name: string; id: number } };
  base: { ref: string; sha: string };
  commits: StandInCommit[];
  files: StandInFile[];
  reviews: StandInReview[];
  comments: StandInComment[];
  /** Heads the pull request had before a push, with their changed files (what a comparison with the base lists for them). */
  earlierHeads?: { sha: string; files: StandInFile[] }[];
  /** Files as the head commit has them where they differ from the default branch (null: deleted), served for ?ref=HEAD. */
  headFiles?: Record<string, string | null>;
  /** Set once merged: the commit the merge made on the base branch (what a deployment then names). */
  merged?: { commitSha: string; at: string };
}

export interface StandInRepo {
  owner: string;
  name: string;
  id: number;
  defaultBranch: string;
  private?: boolean;
  /**
   * false: outside the App's installation on its owner (which then covers selected repositories): a private one is
   * hidden from the App (404, NOT_FOUND) as GitHub hides it. Default: installed.
   */
  installed?: boolean;
  /** Files on the default branch, by path (e.g. ".github/agent-gate.yml"). */
  files: Record<string, string>;
  pulls: StandInPull[];
  /** Artifact attestations by subject digest (served by the attestation API; bundles only through bundle_url). */
  attestations?: StandInAttestation[];
  /** Roles on the repository by login (GET .../collaborators/{username}/permission); others may only read it. */
  collaborators?: Record<string, "admin" | "maintain" | "write" | "triage" | "read">;
  /** Reviews of deployments waiting on environments, by workflow run (GET .../actions/runs/{id}/approvals). */
  deploymentApprovals?: StandInDeploymentApproval[];
}

export interface StandInDeploymentApproval {
  runId: number;
  environment: string;
  user: Account;
  state: "approved" | "rejected" | "pending";
  comment?: string;
}

export interface StandInAttestation {
  /** The digest the attestation is listed under, "sha256:<hex>". */
  digest: string;
  /** The Sigstore bundle (JSON), served snappy-compressed at the attestation's bundle_url. */
  bundle: unknown;
}

/** A review posted to a deployment protection rule's callback (a state, or a status comment without one). */
export interface StandInDeploymentReview {
  owner: string;
  repo: string;
  runId: number;
  body: Record<string, unknown>;
  /** Whether the request carried an Authorization header. */
  authorized: boolean;
}

export interface StandInCheckRun {
  id: number;
  owner: string;
  repo: string;
  head_sha: string;
  name: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  external_id: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotations_count: number };
  annotations: unknown[];
  actions: unknown[];
  started_at: string | null;
  completed_at: string | null;
  /** Every body written to this check run, in order (for assertions and the demo). */
  writes: Record<string, unknown>[];
  /** The App that wrote it, when not agent-gate (the App the stand-in serves): another App's check (tests). */
  app?: { id: number; slug: string };
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The status answered; 0 when the connection was dropped or the client gave up first (see `outcome`). */
  status: number;
  write: boolean;
  /** Set when no answer was given: the stand-in dropped the connection, or the client aborted while it waited. */
  outcome?: "dropped" | "aborted";
}

/** An installation of the App: one per repository owner (see GitHubStandIn.installations). */
export interface StandInInstallation {
  id: number;
  account: Account;
  /** The installation access token the stand-in issues for it (and recognises in Authorization headers). */
  token: string;
  /** Whether it covers all repositories of its owner or a selection (GitHub's repository_selection). */
  repositorySelection: "all" | "selected";
  /** The repositories it covers. */
  repositories: StandInRepo[];
}

/** One attempt to deliver a webhook, as GET /app/hook/deliveries/{delivery_id} shows it. */
export interface StandInHookDelivery {
  id: number;
  /** X-GitHub-Delivery: the same for a delivery and its redeliveries. */
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  /** Seconds spent delivering. */
  duration: number;
  /** "OK", "Invalid HTTP Response: <code>", "timed out", "failed to connect". */
  status: string;
  /** The App's status code; 502 when GitHub could not connect, 0 when it timed out or the connection broke. */
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
  throttled_at: string | null;
  url: string;
  request: { headers: Record<string, string>; payload: Record<string, unknown> | null };
  response: { headers: Record<string, string> | null; payload: string | null };
}
