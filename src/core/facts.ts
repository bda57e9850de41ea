// Every fact one pull-request evaluation needs, gathered before anything is decided (gather, then decide):
// the GitHub gatherer fills it, the binder and the policy input read it, and a recorded Facts replays a decision.
import type { AgentDetection, CommitIdentity, GitHubUser } from "./agents.js";
import type { BodyMarkerClaim, TrailerClaim } from "./trailers.js";

export const FACTS_VERSION = 1;

export interface RepositoryFacts {
  readonly owner: string;
  readonly name: string;
  readonly id: number;
  readonly defaultBranch: string;
  readonly private: boolean;
}

export interface PullRequestFacts {
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly author: GitHubUser;
  readonly headRef: string;
  readonly headSha: string;
  readonly baseRef: string;
  readonly baseSha: string;
  readonly headRepository: { readonly owner: string; readonly name: string; readonly id: number }; // differs for forks
  readonly fork: boolean;
  readonly draft: boolean;
  readonly labels: readonly string[];
  readonly bodyClaims: readonly BodyMarkerClaim[]; // unsigned
}

export interface CommitFacts {
  readonly sha: string;
  readonly treeSha: string;
  readonly parents: readonly string[];
  readonly message: string;
  readonly author: CommitIdentity & { readonly date?: string };
  readonly committer: CommitIdentity & { readonly date?: string };
  readonly claims: readonly TrailerClaim[]; // unsigned
  /** GitHub's verification of the commit's signature, with the signed payload and the signature when it has them. */
  readonly gitSignature?: CommitSignatureFacts;
  readonly detection: AgentDetection;
}

/**
 * A commit's signature as GitHub reports it. `verified`/`reason` are GitHub's own verdict (trusted only for the
 * platform tier: a commit GitHub signed); `payload` (the commit object without its signature header) and `signature`
 * (armoured) let agent-gate verify a gitsign signature itself. `oversize`: either was past its cap and is dropped.
 */
export interface CommitSignatureFacts {
  readonly verified: boolean;
  readonly reason: string;
  readonly payload?: string;
  readonly signature?: string;
  readonly verifiedAt?: string;
  readonly oversize?: string;
}

export interface FileFacts {
  readonly path: string;
  readonly previousPath?: string; // renames: the old path is a protected path too
  readonly status: "added" | "modified" | "removed" | "renamed" | "copied" | "changed" | "unchanged";
  readonly additions: number;
  readonly deletions: number;
  /** GitHub shows no diff and counts no lines: a binary file (its lines are unknown, never zero). */
  readonly binary?: boolean;
  /** A submodule pointer (gitlink): the whole directory at `path` changes to another repository's commit. */
  readonly submodule?: boolean;
}

export interface ReviewFacts {
  readonly id: number;
  readonly user: GitHubUser;
  readonly state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";
  readonly commitId: string; // the head the review was given on
  readonly submittedAt?: string;
  readonly authorAssociation?: string;
  /** The reviewer's permission on the repository, looked up for humans who approved the head commit. */
  readonly permission?: RepoPermission;
}

/** GitHub's legacy base levels of repository access (maintain reads as write, triage as read). */
export const REPO_PERMISSIONS = ["admin", "write", "read", "none"] as const;
export type RepoPermission = (typeof REPO_PERMISSIONS)[number];

export interface ConfigFacts {
  readonly source: "repository" | "organization" | "default";
  readonly path: string; // e.g. .github/agent-gate.yml
  readonly ref?: string; // the default branch's commit it was read at
  readonly digest: string; // sha256:<hex> of the file bytes, or of the built-in defaults
}

/** Where a provenance bundle was found. Who posted it does not matter for what it proves; it orders the work. */
export type BundleLocation =
  | { readonly kind: "pr-body" }
  | { readonly kind: "pr-comment"; readonly commentId: number; readonly author?: GitHubUser; readonly association?: string };

/** A provenance block that could not be read: shown to the reviewer and to the policy, never dropped. */
export interface EvidenceProblem {
  readonly location: "pr-body" | "pr-comment";
  readonly commentId?: number;
  readonly author?: string; // the comment's author login
  readonly message: string;
}

/** One list read from GitHub: how many items were read, how many the pull request says it has, and the limit. */
export interface ListCompleteness {
  readonly listed: number;
  readonly reported?: number; // GitHub's count on the pull request (commits, changed_files, comments)
  readonly limit: number;
  readonly truncated: boolean; // the limit was reached with more to read
}

/** A check run on the head commit, as required checks read it: which App wrote it and how it stands. */
export interface CheckRunFacts {
  readonly id: number;
  readonly name: string;
  readonly status: string; // queued, in_progress, completed (and GitHub's waiting, requested, pending)
  readonly conclusion: string | null;
  readonly app?: { readonly id: number; readonly slug?: string };
}

/** The check runs of the head commit other than agent-gate's own, read only when rules.required_checks names some. */
export interface HeadChecks {
  readonly sha: string;
  readonly runs: readonly CheckRunFacts[];
  readonly list: ListCompleteness;
}

/** A bundle found in a provenance block (see src/core/provenance-block.ts for the block format). */
export interface FoundBundle {
  readonly json: string; // the bundle JSON text exactly as found
  readonly location: BundleLocation;
  readonly index: number; // position among the blocks in that location
  /** In a comment by someone who cannot change the pull request: such a bundle never makes a commit an agent's. */
  readonly fromStranger?: true;
}

export interface Facts {
  readonly version: typeof FACTS_VERSION;
  readonly gatheredAt: string;
  readonly repository: RepositoryFacts;
  readonly pullRequest: PullRequestFacts;
  readonly commits: readonly CommitFacts[]; // oldest first
  readonly files: readonly FileFacts[];
  readonly reviews: readonly ReviewFacts[];
  readonly config: ConfigFacts;
  readonly bundles: readonly FoundBundle[];
  readonly detection: AgentDetection; // the pull request as a whole
  /** Every list read, against the counts the pull request reports: the policy denies what it cannot see whole. */
  readonly completeness: { readonly commits: ListCompleteness; readonly files: ListCompleteness; readonly reviews: ListCompleteness; readonly comments: ListCompleteness };
  /** Provenance blocks that could not be read, in the body or in comments. */
  readonly evidenceProblems: readonly EvidenceProblem[];
  /** People named as having asked for the work in unsigned places (PR body lines, co-author trailers). */
  readonly requesters: readonly Requester[];
  /** The head commit's check runs (rules.required_checks); absent when no check is required. */
  readonly checks?: HeadChecks;
}

/** Someone named as prompter or requester: excluded from approving; never a reason to exempt anyone. */
export interface Requester {
  readonly login: string;
  readonly id?: number;
  readonly source: string; // where the name was read, e.g. "PR body: Requested by", "Co-authored-by of 1a2b3c4"
}
