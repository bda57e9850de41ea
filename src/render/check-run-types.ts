// The check run's input and output shapes, and GitHub's limits it stays within (65,535 characters per field, 50
// annotations per request, action buttons of 20/20/40 characters).
import type { BundleBinding, CommitCoverage } from "../core/binding.js";
import type { CheckConclusion } from "../core/conclusion.js";
import type { ConfigChangeReport } from "../core/config-change.js";
import type { Decision } from "../core/decision.js";
import type { TlogEntrySummary } from "../core/verification.js";
import type { AgentDetection } from "../core/agents.js";
import type { BodyMarkerClaim, Claim } from "../core/trailers.js";

export const FIELD_LIMIT = 65_535;
export const FIELD_BUDGET = 60_000; // room to spare under GitHub's limit
export const ANNOTATIONS_PER_REQUEST = 50;
export const MAX_ANNOTATIONS = 500; // bounds the follow-up requests one evaluation can make
export const MAX_COMMIT_ROWS = 20;
export const MAX_FINDING_ROWS = 25;
export const MAX_BUNDLE_SECTIONS = 25;

export interface RenderCommit {
  readonly sha: string;
  readonly author: { readonly login?: string; readonly name: string };
  readonly isAgent: boolean;
  readonly agent?: string;
  /** Whether the policy requires provenance for this commit (by default: the commit is an agent's). */
  readonly provenanceRequired?: boolean;
  readonly coverage: CommitCoverage;
  readonly claims?: readonly Claim[];
  /** The commit's own signature (app/commit-evidence.ts): a signed-commit or platform attestation, or its failure. */
  readonly signature?: RenderSignature;
}

/** A commit's own signature as the table shows it: its tier, who signed and when, or why it failed. */
export type RenderSignature =
  | { readonly ok: true; readonly tier: "signed-commit" | "platform"; readonly identity?: string; readonly issuer?: string; readonly logIndex?: string; readonly time?: string }
  | { readonly ok: false; readonly code: string };

export interface ProtectedPathHit {
  readonly path: string;
  readonly rule: string;
  readonly level: "failure" | "warning";
  readonly message: string;
}

export interface RenderInput {
  readonly conclusion: CheckConclusion;
  /** Why an evaluation could not be made, in full (the title holds only its first line). */
  readonly error?: { readonly code: string; readonly message: string; readonly details?: readonly string[]; readonly transient?: boolean };
  readonly decision?: Decision; // absent when evaluation failed
  readonly commits: readonly RenderCommit[];
  readonly bundles?: readonly BundleBinding[];
  readonly protectedPaths?: readonly ProtectedPathHit[];
  /** The pull request's agent detection: why it counts as agent work (shown as signals, not as proof). */
  readonly detection?: AgentDetection;
  readonly bodyClaims?: readonly BodyMarkerClaim[];
  /** The config files the pull request changes: validity and impact analysis (a section, and annotations). */
  readonly configChange?: ConfigChangeReport;
  readonly durationMs?: number;
  /** The URL of a transparency-log entry, or undefined for no link. Defaults to the public Rekor search. */
  readonly tlogEntryUrl?: (entry: TlogEntrySummary) => string | undefined;
}

export interface Annotation {
  readonly path: string;
  readonly start_line: number;
  readonly end_line: number;
  /** Only on a one-line annotation (GitHub's rule). */
  readonly start_column?: number;
  readonly end_column?: number;
  readonly annotation_level: "failure" | "warning" | "notice";
  readonly title: string;
  readonly message: string;
}

export interface CheckRunAction {
  readonly label: string; // <= 20
  readonly description: string; // <= 40
  readonly identifier: string; // <= 20
}

export interface CheckRunOutput {
  readonly conclusion: "success" | "failure";
  readonly title: string;
  readonly summary: string;
  readonly text: string;
  /** Every annotation (at most MAX_ANNOTATIONS), and the same in batches of at most 50 per request. */
  readonly annotations: readonly Annotation[];
  readonly annotationBatches: readonly (readonly Annotation[])[];
  readonly actions: readonly CheckRunAction[];
}
