// The versioned policy input: what the Rego policy sees, built from gathered and already verified facts.
// Signatures, digests and times are checked in TypeScript (the wasm module has no crypto or time builtins);
// the policy only judges facts. docs/policy-input.schema.json is generated from these schemas (npm run docs:gen).
import { z } from "zod";
import { AgentGateError } from "./errors.js";
import { REPO_PERMISSIONS } from "./facts.js";

export const POLICY_INPUT_VERSION = 1;

// UTC, second precision, "Z": the policy compares these as strings and derives dates from the first 10 characters.
const TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;
export const PolicyTime = z.string().regex(TIME, { error: "expected a UTC time YYYY-MM-DDTHH:MM:SSZ" });

/** A time as the policy expects it: UTC, whole seconds, "Z". */
export function toPolicyTime(t: Date | string | number): string {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) throw new AgentGateError("INPUT_INVALID", `expected a time, got ${JSON.stringify(t)}`);
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, { error: "expected a full commit sha (40 or 64 hex)" });
const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: "expected sha256:<64 hex>" });

export const Account = z.object({ login: z.string().min(1), id: z.number().int().positive() });
export const User = Account.extend({ type: z.enum(["User", "Bot", "Organization"]) });
export const GitPerson = z.object({
  login: z.string().min(1).optional().describe("the GitHub account the commit is attributed to, when GitHub knows it"),
  id: z.number().int().positive().optional(),
  email: z.string().optional(),
  name: z.string().optional(),
});

export const Signer = z.object({
  type: z.enum(["certificate", "key", "platform"]).describe("platform: the agent's platform signed a commit (tier platform), naming the account"),
  identity: z.string().optional().describe("certificate SAN"),
  issuer: z.string().optional().describe("OIDC issuer extension"),
  key_hint: z.string().optional().describe("for a key: the name of the App's key-ring key that verified it"),
  certificate_fingerprint: Digest.optional().describe("sha256 of the leaf certificate's DER as the bundle gave it (another encoding of the same certificate has another)"),
  certificate_tbs_fingerprint: Digest.optional().describe("sha256 of the leaf certificate's TBSCertificate, the part its CA signed: the same for every encoding of the certificate"),
  extensions: z.record(z.string(), z.string()).default({}).describe("Fulcio extensions by name (sourceRepositoryURI, runnerEnvironment, ...)"),
  workflow: z
    .object({ owner: z.string(), name: z.string(), repository: z.string(), path: z.string(), ref: z.string() })
    .optional()
    .describe("the signing workflow, when the identity is exactly a GitHub workflow URL https://github.com/OWNER/REPO/.github/workflows/FILE@REF (the ref is all after the first @)"),
  source_repository: z.string().optional().describe("OWNER/REPO the workflow ran for (sourceRepositoryURI)"),
  source_ref: z.string().optional().describe("the ref it ran for (sourceRepositoryRef)"),
  runner: z.string().optional().describe('the runner environment extension: "github-hosted" or "self-hosted"'),
  account: Account.optional().describe("platform: the agent account GitHub attributes the commit to (login and id)"),
  agent: z.string().optional().describe("platform: the agent that account belongs to (src/core/agents.ts); its tiers apply (rules.provenance_coverage.tiers)"),
});

const AttestationFacts = {
  signer: Signer,
  agent: z.object({ name: z.string().min(1), version: z.string().optional() }).optional(),
  agents: z
    .array(z.object({ name: z.string().min(1), version: z.string().optional(), role: z.literal("subagent") }))
    .optional()
    .describe("the runtimes of the agent's subagents the signed statement names (revocation judges them like agent)"),
  model: z.object({ id: z.string().min(1).describe('"provider/model"'), version: z.string().optional() }).optional(),
  prompt: z
    .object({
      digest: Digest.optional(),
      contains_secrets: z.boolean().default(false).describe("the host found secret-like content in the prompt text"),
      text_present: z.boolean().default(false),
    })
    .optional(),
  prompter: Account.optional().describe("the human who delegated the work, from the signed statement"),
  models: z
    .array(z.object({ id: z.string().min(1), version: z.string().optional(), role: z.enum(["agent", "subagent", "tool"]) }))
    .default([])
    .describe("every model the signed statement names (the agent's, its subagents', its tools'): each is judged by the allow-list"),
  requested_by: z
    .object({ login: z.string().min(1), id: z.number().int().positive().optional() })
    .optional()
    .describe("who asked for the work, from the signed statement (by login alone in agent-commit v0.1)"),
  rekor_log_index: z.string().regex(/^\d+$/).optional().describe("decimal string: indexes exceed 2^53"),
  rekor_log_id: z.string().regex(/^[0-9a-f]*$/).optional().describe("the transparency log's id (hex) the entry is in"),
  rekor_entry_uuid: z.string().regex(/^[0-9a-f]{64}$/).optional().describe("the entry's leaf hash (hex): its Rekor UUID without the tree id"),
  integrated_time: PolicyTime.optional(),
  bundle_digest: Digest.optional().describe("the Sigstore bundle's digest (tier sigstore)"),
};

/** A verified statement that covers the commit. The policy picks the first whose signer the repository allows. */
export const CommitAttestation = z.object({
  tier: z.enum(["sigstore", "signed-commit", "platform"]).describe("sigstore: a bundle; signed-commit: the commit's own (gitsign) signature; platform: signed by the agent's platform"),
  ...AttestationFacts,
});
export type CommitAttestationDraft = z.input<typeof CommitAttestation>;
/** Recorded inputs from before `attestations`: the one verified statement, read by the policy as a sigstore attestation. */
const VerifiedProvenance = z.object({ status: z.literal("verified"), ...AttestationFacts, bundle_digest: Digest });
const AttestedProvenance = z.object({ status: z.literal("attested").describe("see attestations") });
const MissingProvenance = z.object({ status: z.literal("missing") });
const InvalidProvenance = z.object({
  status: z.literal("invalid"),
  failure_code: z.string().min(1).describe("a VerificationCode or a binding reason"),
  message: z.string().optional(),
});
export const Provenance = z.discriminatedUnion("status", [AttestedProvenance, MissingProvenance, InvalidProvenance, VerifiedProvenance]);

export const Commit = z.object({
  sha: Sha,
  is_head: z.boolean().describe("true for exactly the pull request's head commit"),
  author: GitPerson,
  committer: GitPerson,
  is_agent: z.boolean(),
  agent_reasons: z.array(z.string()).default([]).describe("why the host considers the commit agent-authored"),
  agent: z.string().min(1).optional().describe("the agent the host detected for the commit (or its pull request), as shown to reviewers"),
  tier_agents: z
    .array(z.string().min(1))
    .default([])
    .describe("every agent name any signal gives the commit (its detection, its pull request's, every covering statement's runtime, signed or not by an allowed signer, its signature's trailers): a tier covers it only if rules.provenance_coverage.tiers accepts it for all of them"),
  trailers: z
    .object({
      co_authored_by: z.array(z.string()).default([]),
      assisted_by: z.array(z.string()).default([]),
      generated_by: z.array(z.string()).default([]),
    })
    .prefault({})
    .describe("unsigned claims, shown but never proof"),
  attestations: z.array(CommitAttestation).default([]).describe("verified statements that cover this commit, whoever signed them: the policy decides which signers count"),
  provenance: Provenance.describe("attested when attestations is not empty; else why there is none (missing, or invalid with the failure)"),
});

export const ChangedFile = z.object({
  path: z.string().min(1),
  previous_path: z.string().min(1).optional().describe("for renames: the old path, protected as well"),
  status: z.enum(["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"]),
  additions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  agent_touched: z.boolean().describe("an agent commit of this pull request changed the file"),
  binary: z.boolean().default(false).describe("GitHub shows no diff and counts no lines: a binary file, counted by rules.size.binary_file_lines"),
  submodule: z.boolean().default(false).describe("a submodule pointer: the whole directory at path changes"),
});

export const Review = z.object({
  user: User,
  state: z.enum(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]),
  commit_id: Sha,
  submitted_at: PolicyTime,
  order: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe(
      "the review's place in GitHub's order (its database id, else its position in GitHub's chronological list; the same kind for every review): of one reviewer's reviews in the same second, the higher is the later; a tie it cannot break leaves that reviewer's approval uncounted",
    ),
  permission: z
    .enum(REPO_PERMISSIONS)
    .optional()
    .describe(
      "the reviewer's permission on the repository (GitHub's base levels: maintain reads as write, triage as read), present for humans who approved the head commit; approvals count only with admin or write unless rules.human_approval.require_write_access is false",
    ),
});

const Repository = z.object({ owner: z.string().min(1), name: z.string().min(1), id: z.number().int().positive(), default_branch: z.string().min(1) });

/** Someone who asked for the work: excluded from approving. Signed (delegation) or named in an unsigned place. */
export const Prompter = z.object({
  login: z.string().min(1),
  id: z.number().int().positive().optional().describe("absent when only a login was named (a PR-body line, a co-author's name)"),
  source: z.string().optional().describe("where the name was read"),
});

const ListCompleteness = z.object({
  listed: z.number().int().nonnegative(),
  reported: z.number().int().nonnegative().optional().describe("the count GitHub reports on the pull request"),
  limit: z.number().int().positive(),
  truncated: z.boolean(),
});

export const Completeness = z
  .object({ commits: ListCompleteness, files: ListCompleteness, reviews: ListCompleteness, comments: ListCompleteness })
  .describe("every list read from GitHub against its limit and the pull request's own count: the policy denies what cannot be seen whole");

export const EvidenceProblem = z.object({
  location: z.enum(["pr-body", "pr-comment"]),
  comment_id: z.number().int().optional(),
  author: z.string().optional(),
  message: z.string(),
});

export const HeadChecks = z
  .object({
    head_sha: Sha.describe("the commit the check runs were read on: the pull request's head"),
    complete: z.boolean().describe("every check run of the commit was read (none cut off at the limit, as many as GitHub counts)"),
    listed: z.number().int().nonnegative(),
    reported: z.number().int().nonnegative().optional().describe("GitHub's total_count"),
    limit: z.number().int().positive(),
    runs: z
      .array(
        z.object({
          id: z.number().int().describe("GitHub's id: a later run (a re-run) has a larger one"),
          name: z.string(),
          status: z.string().describe("queued, in_progress, completed (or waiting, requested, pending)"),
          conclusion: z.string().nullable().describe("success, failure, neutral, cancelled, skipped, timed_out, action_required, stale; null until completed"),
          app: z.object({ id: z.number().int(), slug: z.string().optional() }).nullable().describe("the GitHub App that wrote the run"),
        }),
      )
      .describe("every run but agent-gate's own, re-runs included"),
  })
  .describe("the head commit's check runs, read when rules.required_checks names checks");

export const AgentFacts = z.object({
  detected: z.boolean(),
  reasons: z.array(z.string()).default([]),
  accounts: z.array(Account).default([]).describe("the agent accounts configured for detection; never approvers"),
});

export const PullRequestInput = z
  .object({
    version: z.literal(POLICY_INPUT_VERSION),
    kind: z.literal("pull_request"),
    now: PolicyTime,
    config_digest: Digest,
    repository: Repository,
    pull_request: z.object({
      number: z.number().int().positive(),
      title: z.string(),
      author: User,
      head_sha: Sha,
      base_sha: Sha,
      base_ref: z.string(),
      head_ref: z.string(),
      labels: z.array(z.string()).default([]),
      draft: z.boolean(),
      fork: z.boolean(),
    }),
    commits: z.array(Commit),
    files: z.array(ChangedFile),
    reviews: z.array(Review).default([]),
    agent: AgentFacts,
    prompters: z.array(Prompter).default([]).describe("people who prompted or requested the agent's work (signed delegation, PR-body lines, co-authors, the opener of an agent PR under a human account): never approvers"),
    completeness: Completeness.optional(),
    evidence_problems: z.array(EvidenceProblem).default([]).describe("provenance blocks that could not be read"),
    checks: HeadChecks.optional(),
    config_change: z
      .object({
        files: z.array(z.string()).max(3000),
        valid: z.boolean(),
        problems: z.array(z.object({ file: z.string(), line: z.number().int().positive().optional(), column: z.number().int().positive().optional(), message: z.string() })).max(20),
      })
      .optional()
      .describe("present when the pull request changes a config file (.github/agent-gate.yml, the organisation's, or a base another config extends): the new files read from its head, whether they are valid, and the first problems (information: the pull request is judged by the default branch's config)"),
  })
  .superRefine((v, ctx) => {
    v.commits.forEach((c, i) => {
      if (c.is_head !== (c.sha === v.pull_request.head_sha))
        ctx.addIssue({ code: "custom", path: ["commits", i, "is_head"], message: `expected is_head ${!c.is_head} for commit ${c.sha.slice(0, 7)}` });
    });
  });
export type PullRequestInput = z.output<typeof PullRequestInput>;
/** What a builder writes: defaults (empty lists) may be left out. */
export type PullRequestInputDraft = z.input<typeof PullRequestInput>;

export const Attestation = z.object({
  verified: z.boolean(),
  failure_code: z.string().optional(),
  predicate_type: z.string().optional(),
  builder_id: z.string().optional(),
  signer: Signer.partial().default({}).describe("the signer's facts, as for a pull request's attestations (type certificate when absent)"),
  source_repository: z.string().optional().describe("OWNER/REPO the signing certificate says the artifact was built from"),
});

export const DeploymentInput = z.object({
  version: z.literal(POLICY_INPUT_VERSION),
  kind: z.literal("deployment"),
  now: PolicyTime,
  config_digest: Digest,
  repository: Repository,
  environment: z.object({ name: z.string().min(1) }),
  deployment: z.object({
    id: z.number().int().positive().optional(),
    sha: Sha,
    ref: z.string(),
    region: z.string().min(1).optional(),
  }),
  artifacts: z.array(z.object({ digest: Digest, attestations: z.array(Attestation) })),
  pr_gate: z
    .object({ conclusion: z.string().min(1).describe("agent-gate's check conclusion on the commit"), decision_id: z.string().optional() })
    .nullable()
    .describe("null: the commit never went through the gate"),
  approvals: z.array(User).default([]).describe("humans who approved the deployment"),
  agent_authored: z.boolean(),
  agent: AgentFacts.pick({ accounts: true }).prefault({}),
  prompters: z
    .array(
      z
        .object({ login: z.string().min(1).optional(), id: z.number().int().positive().optional() })
        .refine((p) => p.login !== undefined || p.id !== undefined, { error: "expected a login, an account id, or both" }),
    )
    .default([])
    .describe("who prompted or requested the agent's work (signed ones too), and the authors of agent commits, as the pull-request gate's recorded decisions kept them from approving (some by login alone, some by account id alone): never approvers"),
  prompters_known: z
    .boolean()
    .default(false)
    .describe("whether prompters was read from recorded pull-request decisions that each say whom they kept from approving; false (no record, or one without `excluded`): an agent deployment's approvals cannot be told from its prompters' and do not count"),
  pr_evidence: z
    .array(z.looseObject({ tier: z.string().optional() }))
    .max(1000)
    .default([])
    .describe("the attestations the pull-request gate's recorded decision for the deployed commit rested on (read from the audit log), for the organisation's revocation list"),
  pr_evidence_status: z
    .object({
      state: z.enum(["complete", "incomplete", "unknown"]).describe("unknown: no recorded decision; incomplete: pr_evidence was cut short"),
      pull_request: z.number().int().positive().optional(),
    })
    .default({ state: "unknown" })
    .describe("whether pr_evidence is all the pull request's evidence: with a revocation list, an agent deployment needs it complete"),
});
export type DeploymentInput = z.output<typeof DeploymentInput>;
export type DeploymentInputDraft = z.input<typeof DeploymentInput>;

export const PolicyInput = z.union([PullRequestInput, DeploymentInput]);
export type PolicyInput = PullRequestInput | DeploymentInput;

function fail(kind: string, error: z.ZodError): never {
  const where = error.issues
    .slice(0, 8)
    .map((i) => `${i.path.length ? i.path.join(".") : "(input)"}: ${i.message}`)
    .join("; ");
  throw new AgentGateError("INPUT_INVALID", `the ${kind} policy input is malformed: ${where}`);
}

/** Validates a pull-request input draft and fills defaults; a malformed input is an error, never evaluated. */
export function pullRequestInput(draft: unknown): PullRequestInput {
  const r = PullRequestInput.safeParse(draft);
  return r.success ? r.data : fail("pull-request", r.error);
}

export function deploymentInput(draft: unknown): DeploymentInput {
  const r = DeploymentInput.safeParse(draft);
  return r.success ? r.data : fail("deployment", r.error);
}

/** The entrypoint that judges an input of this kind. */
export function entrypointFor(input: PolicyInput): string {
  return input.kind === "pull_request" ? "agent_gate/pull_request/decision" : "agent_gate/deployment/decision";
}
