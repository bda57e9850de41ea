// The codes only the command line reports, beside ERROR_CODES (src/core/errors.ts) and the verifiers' outcome codes
// (VerificationCode, CommitVerificationCode): each with its exit code and what it means. docs/errors.md is generated
// from it, and CliFailure takes no other code, so a new one is documented before it compiles.
import type { ErrorCode } from "../core/errors.js";
import type { VerificationCode } from "../core/verification.js";
import type { CommitVerificationCode } from "../adapters/sigstore/gitsign.js";

export interface CliCodeEntry {
  /** 1: the thing checked failed; 2: the command could not do its work (an operational error). */
  readonly exit: 1 | 2;
  readonly summary: string;
}

export const CLI_CODES = {
  BUNDLE_UNAVAILABLE: { exit: 2, summary: "audit replay: the policy bundle a decision was made with is not in the audit log's store, so it cannot be evaluated again." },
  COMMIT_MISMATCH: { exit: 1, summary: "verify-commit --repo: the commit GitHub returned does not hash to the SHA asked for; nothing of it is trusted." },
  ENGINE_UNAVAILABLE: { exit: 2, summary: "audit replay: the stored policy bundle could not be loaded into the engine." },
  ENV_FILE_EXISTS: { exit: 2, summary: "setup: the env file to write exists; pass --force to replace it." },
  GITHUB_UNREACHABLE: { exit: 2, summary: "setup: GitHub did not answer the App manifest's code exchange (or did not finish its answer); run setup again." },
  MANIFEST_CONVERSION_FAILED: { exit: 2, summary: "setup: GitHub refused the code exchange (a code is used once and lasts an hour) or answered something other than the new App's settings." },
  NOTHING_RECORDED: { exit: 2, summary: "config impact: the audit log holds no pull-request decision of the repository named; check --repo and --data-dir (or DATABASE_URL)." },
  NOT_FOUND: { exit: 1, summary: "audit show / replay: no decision with that id in the audit log." },
  PREDICATE_TYPE_MISMATCH: { exit: 1, summary: "verify-bundle --type: the bundle's in-toto statement is of another predicate type (or the bundle signs no statement)." },
  REPLAY_UNAVAILABLE: { exit: 2, summary: "config impact: none of the repository's recorded decisions could be evaluated again; the message gives the first reason." },
  REPO_UNREADABLE: { exit: 2, summary: "config validate --repo: the repository cannot be read with the token (GitHub answers 404 alike for a missing and a private one), so its config cannot be said to be absent." },
  SETUP_FAILED: { exit: 2, summary: "setup: the local page could not be served, or a value GitHub returned cannot be written to an env file as it is." },
  SETUP_TIMEOUT: { exit: 2, summary: "setup: GitHub did not redirect back in time; nothing was written." },
  WITNESS_INCOMPLETE: { exit: 2, summary: "audit verify --witness: older records or pull requests were left unread, and a partial check is not a pass; --allow-partial accepts it and says so." },
} as const satisfies Record<string, CliCodeEntry>;

export type CliCode = keyof typeof CLI_CODES;

/** Every code a CliFailure may carry. */
export type CliFailureCode = ErrorCode | CliCode | VerificationCode | CommitVerificationCode;
