// One coded error base: deterministic denials, transient faults and bugs are told apart by `kind`,
// and every message says what was expected and what was found.
export type ErrorKind = "invalid-input" | "transient" | "internal";

/** One documented error code: the kinds it is thrown with, and what it means and what to do. */
export interface ErrorEntry {
  readonly kinds: readonly ErrorKind[];
  readonly summary: string;
}

/**
 * Every code an AgentGateError carries (and INTERNAL_ERROR, shown for any other thrown value): the single source of
 * docs/errors.md (`npm run docs:gen`). Codes are matched on by tests, snapshots and outside suites: never rename one.
 */
export const ERROR_CODES = {
  // GitHub
  APPROVALS_UNAVAILABLE: { kinds: ["transient"], summary: "GitHub did not answer for the deployment's approvals; the deployment is rejected and can be retried." },
  ATTESTATIONS_UNAVAILABLE: { kinds: ["transient"], summary: "GitHub's attestation API did not answer for an artifact digest; retry the deployment." },
  DELIVERY_UNPROCESSABLE: { kinds: ["invalid-input"], summary: "A signed webhook delivery can never be processed (no trigger, or nested too deep to store): answered 422 and not retried." },
  DEPLOYMENT_PAYLOAD_INVALID: { kinds: ["invalid-input"], summary: "The deployment payload names an artifact that is not a sha256:<64 hex> digest; fix the workflow that creates the deployment." },
  PR_GATE_CONFIG_STALE: { kinds: ["invalid-input", "transient"], summary: "A pull request's recorded verdict on the deployed commit was made under another config (or revocation list) than the current one, and could not be judged again under the current one; the deployment is rejected until it is." },
  PR_NOT_OPEN: { kinds: ["invalid-input"], summary: "The pull request `agent-gate evaluate` was asked about is not open (closed or merged): the App judges only the head commits of open pull requests, so there is no verdict to give." },
  PR_REJUDGE_FAILED: { kinds: ["transient"], summary: "A pull request could not be judged again under the current config (GitHub failing, or its head moved); nothing was recorded." },
  PR_GATE_MERGED_PULL_UNKNOWN: { kinds: ["transient", "invalid-input"], summary: "GitHub's pull requests of a deployed commit could not be read, so it is not known which pull request (maybe an agent's) was merged as it and must decide the deployment; the deployment is rejected and can be re-run." },
  PR_GATE_RECORDS_TOO_MANY: { kinds: ["invalid-input"], summary: "A deployed commit is the head of more pull requests with recorded decisions than the deployment gate reads; not all can be combined, so the deployment is rejected." },
  DEPLOYMENT_TIMEOUT: { kinds: ["transient"], summary: "The deployment protection rule did not finish within its deadline; the deployment is rejected and can be re-run." },
  FILES_UNBOUND: { kinds: ["invalid-input"], summary: "A pull request's changed files name no commit of its head (only removed files, or none), and GitHub's comparison of its base with its head cannot confirm them (it lists at most 300 files); it is never judged on a list bound to no head. Split the removals into smaller pull requests." },
  GITHUB_REQUEST_FAILED: { kinds: ["internal"], summary: "GitHub refused a request (404, 422, a permission the App lacks); check the App's installation and permissions." },
  GITHUB_RESPONSE_INVALID: { kinds: ["invalid-input", "transient"], summary: "GitHub answered with data of an unexpected shape; the message names the field." },
  GITHUB_UNAVAILABLE: { kinds: ["transient"], summary: "GitHub failed (5xx, rate limit, dropped connection) past the retry budget; the evaluation is re-queued." },
  GITHUB_WRITES_BACKLOGGED: { kinds: ["transient"], summary: "An installation's paced writes (AGENT_GATE_WRITE_INTERVAL_MS apart) are reserved further ahead than the attempt's remaining deadline (or 30 s): the write is refused at once, without reserving a slot, and the job is retried later." },
  HEAD_MOVED: { kinds: ["invalid-input", "transient"], summary: "The pull request's head moved while a commit was evaluated; the new head is evaluated on its own." },
  HTTP_TIMEOUT: { kinds: ["transient"], summary: "An outbound HTTP request did not complete within its deadline; retried where the caller retries." },
  TOO_MANY_ARTIFACTS: { kinds: ["invalid-input"], summary: "A deployment names more distinct artifact digests (its payload's `artifacts` and the environment's configured ones together) than agent-gate verifies for one deployment (20, docs/deployment-gate.md); it is rejected before any is looked up. Deploy fewer artifacts at once." },
  TOO_MANY_ATTESTATIONS: { kinds: ["invalid-input"], summary: "A deployed artifact has more attestations than agent-gate reads and verifies of one (50), or the deployment's artifacts more than it verifies in all (100, docs/deployment-gate.md); the deployment is rejected, never judged on part of the list." },
  TOO_MANY_PULLS: { kinds: ["invalid-input"], summary: "More pull requests name one commit than agent-gate can judge at once; the commit is not evaluated." },
  WEBHOOK_PAYLOAD_INVALID: { kinds: ["invalid-input"], summary: "A webhook payload is not the shape GitHub sends for its event; the message names the field." },
  // configuration and settings
  CONFIG_INVALID: { kinds: ["invalid-input"], summary: "The repository's .github/agent-gate.yml (or a setting such as the policy deadline) is invalid; each problem is listed, fix them." },
  CONFIG_TOO_LARGE: { kinds: ["invalid-input"], summary: "The configuration file is over the 64 KiB cap; shorten it." },
  CONFIG_UNREADABLE: { kinds: ["invalid-input"], summary: "The configuration could not be read as a YAML file (a directory, a symlink, bad encoding)." },
  ORG_REPO_UNCONFIRMED: { kinds: ["invalid-input", "transient"], summary: "The owner's `.github` repository (its organisation config and revocation list) reads as missing, and agent-gate cannot confirm that it is: GitHub answers a private repository outside the App's installation exactly as one that does not exist. Install agent-gate on the owner's `.github` repository (or on all its repositories), or declare that the owner has none with AGENT_GATE_OWNERS_WITHOUT_ORG_REPO (docs/revocation.md)." },
  ENV_INVALID: { kinds: ["invalid-input"], summary: "The server's environment settings are missing or invalid; every one is listed, fix them and restart." },
  QUEUE_OPTIONS_INVALID: { kinds: ["invalid-input"], summary: "The job queue's options are inconsistent (an attempt deadline not under the job expiry)." },
  VERIFIER_OPTIONS_INVALID: { kinds: ["invalid-input"], summary: "A provenance verifier option is out of range; the message names it and its minimum." },
  // policy
  INPUT_INVALID: { kinds: ["invalid-input"], summary: "The policy input is not a JSON object or holds an invalid time." },
  POLICY_BUNDLE_DIGEST_MISMATCH: { kinds: ["invalid-input"], summary: "A replacement policy bundle does not hash to its pinned sha256 digest; pin the right digest or fetch the right bundle." },
  POLICY_BUNDLE_FETCH_FAILED: { kinds: ["transient"], summary: "The policy bundle could not be downloaded (HTTP error or timeout)." },
  POLICY_BUNDLE_INVALID: { kinds: ["invalid-input", "internal"], summary: "The policy bundle is not an opa build -t wasm bundle agent-gate can load (bad tar or gzip, no or several wasm modules, over the size cap, a policy thread failed to load it)." },
  POLICY_BUNDLE_UNPINNED: { kinds: ["invalid-input"], summary: "A replacement policy bundle is given without its sha256 digest; pin it." },
  POLICY_BUNDLE_UNREADABLE: { kinds: ["transient"], summary: "The policy bundle file could not be read." },
  POLICY_BUNDLE_URL_INVALID: { kinds: ["invalid-input"], summary: "The policy bundle's URL is not https://." },
  POLICY_CONTRACT_VIOLATION: { kinds: ["invalid-input", "internal"], summary: "The policy broke its contract (an undefined or malformed decision, a denial with no reason); fix the policy." },
  POLICY_DATA_INVALID: { kinds: ["invalid-input"], summary: "The policy data is not a JSON object." },
  POLICY_ENTRYPOINT_UNKNOWN: { kinds: ["invalid-input"], summary: "The policy has no such entrypoint; the message lists the ones it has." },
  POLICY_EVAL_FAILED: { kinds: ["internal", "transient"], summary: "Evaluating the policy failed for another reason than the input (a wasm trap, a policy thread that died)." },
  POLICY_INPUT_TOO_LARGE: { kinds: ["invalid-input"], summary: "The policy input is over the engine's byte cap; the change is too large to evaluate." },
  POLICY_MEMORY_EXCEEDED: { kinds: ["invalid-input"], summary: "Evaluating the policy needed more than the wasm memory cap." },
  POLICY_TIMEOUT: { kinds: ["invalid-input"], summary: "Evaluating the policy ran past its deadline; use fewer protected-path globs, or split the change." },
  // provenance, signing and publishing (agent-gate attest)
  ATTESTATION_UNVERIFIABLE: { kinds: ["invalid-input"], summary: "The bundle attest just signed would be refused by the PR gate (its verifier, or its binding to the signed commits), so it is neither written nor published; the message says what is missing, e.g. --rekor-url for a key-signed bundle or --trusted-root for a private Sigstore deployment." },
  COMMITS_OUTSIDE_PR: { kinds: ["invalid-input"], summary: "The signed commits do not include the pull request's head; attest the pull request's commits." },
  FULCIO_FAILED: { kinds: ["invalid-input", "transient"], summary: "Fulcio refused to certify the signing key or answered with something unusable." },
  FULCIO_UNREACHABLE: { kinds: ["transient"], summary: "Fulcio did not answer; retry." },
  GIT_FAILED: { kinds: ["invalid-input"], summary: "A git command failed; its stderr is shown." },
  KEY_INVALID: { kinds: ["invalid-input"], summary: "The signing key does not parse or is not an ECDSA P-256 private key; the message names the file and what it is." },
  KEY_UNREADABLE: { kinds: ["invalid-input"], summary: "The cosign key cannot be decrypted (wrong password or not a cosign key)." },
  NO_COMMITS: { kinds: ["invalid-input"], summary: "No commits from the base to HEAD, so nothing to attest; give --commits or --base." },
  NO_OIDC_PERMISSION: { kinds: ["invalid-input"], summary: "The signing job has no OIDC token; add `permissions: id-token: write`, or sign with --key." },
  NO_PULL_REQUEST: { kinds: ["invalid-input"], summary: "No pull request to publish to; give --pr N or run on a pull_request event." },
  NO_TOKEN: { kinds: ["invalid-input"], summary: "--publish pr needs GITHUB_TOKEN with pull-requests: write." },
  OIDC_FAILED: { kinds: ["invalid-input", "transient"], summary: "The Actions OIDC endpoint refused or answered without a usable token." },
  OIDC_UNREACHABLE: { kinds: ["transient"], summary: "The Actions OIDC endpoint did not answer (a request and its answer may take 30 s); retry." },
  PROVENANCE_INVALID: { kinds: ["invalid-input"], summary: "The agent provenance to sign is invalid; the message names the field." },
  PUBLISH_FAILED: { kinds: ["invalid-input", "transient"], summary: "The provenance block could not be written to the pull request body: GitHub refused it (its message is shown; transient on a 5xx), did not answer within 30 s, or the body would pass GitHub's 65,536-character cap." },
  REKOR_FAILED: { kinds: ["invalid-input", "transient"], summary: "The transparency log refused the entry or answered without an entry and its inclusion proof." },
  REKOR_UNREACHABLE: { kinds: ["transient"], summary: "The transparency log did not answer (a request and its answer may take 30 s); retry." },
  SECRETS_FOUND: { kinds: ["invalid-input"], summary: "Secret-like content in what would be signed; remove it and sign again." },
  TRUSTED_ROOT_INVALID: { kinds: ["invalid-input"], summary: "The Sigstore trusted_root.json is refused; the message names the file and every problem." },
  TSA_FAILED: { kinds: ["invalid-input", "transient"], summary: "The timestamp authority refused the request or answered with something that is not a matching RFC 3161 response." },
  TSA_REQUIRED: { kinds: ["invalid-input"], summary: "A Rekor v2 entry carries no signed time; give a timestamp authority with it (the CLI refuses --rekor-version 2 without --tsa-url as a usage error first)." },
  TSA_UNREACHABLE: { kinds: ["transient"], summary: "The timestamp authority did not answer (a request and its answer may take 30 s); retry." },
  // storage, audit log and queue
  AUDIT_APPEND_FAILED: { kinds: ["transient"], summary: "A decision could not be appended to the audit log; the evaluation is retried." },
  AUDIT_CHECKPOINT_INVALID: { kinds: ["invalid-input"], summary: "An audit checkpoint is not SEQ:HASH (64 hex) or {\"seq\":N,\"hash\":\"...\"}." },
  AUDIT_DECISION_CONFLICT: { kinds: ["internal"], summary: "A decision id is already recorded with different content; investigate the audit log." },
  AUDIT_EVENT_INVALID: { kinds: ["internal"], summary: "An audit event to record is malformed (a bug); the message names the field." },
  AUDIT_HEAD_MISSING: { kinds: ["internal"], summary: "The audit log's head pointer row is missing: the log was tampered with." },
  AUDIT_LOG_MISSING: { kinds: ["invalid-input"], summary: "There is no audit log where one was looked for; give the right --data-dir or DATABASE_URL." },
  AUDIT_NOT_JSON: { kinds: ["invalid-input"], summary: "Audit data holds something that is not plain JSON at the path named." },
  AUDIT_RECORD_INVALID: { kinds: ["invalid-input"], summary: "An audit record does not have the audit record's shape." },
  AUDIT_RECORD_TAMPERED: { kinds: ["internal"], summary: "An audit record fails its hash chain and cannot be relied on; investigate the audit log." },
  AUDIT_SINCE_INVALID: { kinds: ["invalid-input"], summary: "The `since` filter of an audit query is not a time." },
  BUNDLE_CORRUPT: { kinds: ["internal"], summary: "A stored policy bundle no longer hashes to its digest: it was altered in the database." },
  BUNDLE_DIGEST_MISMATCH: { kinds: ["internal"], summary: "A policy bundle to store does not hash to its stated digest (a bug)." },
  JOB_DEADLINE: { kinds: ["transient"], summary: "A job ran past its attempt deadline; it is retried after the fresh jobs." },
  JOB_SHUTDOWN: { kinds: ["transient"], summary: "The process stopped before a job finished; the job is left for retry." },
  QUEUE_STOPPED: { kinds: ["transient"], summary: "The job queue is stopped; the job was not stored." },
  QUEUE_UNAVAILABLE: { kinds: ["transient"], summary: "The job queue could not start in its database." },
  STORAGE_IN_USE: { kinds: ["transient"], summary: "The embedded database is in use by another process; stop it, or point both at PostgreSQL with DATABASE_URL." },
  STORAGE_SCHEMA_INVALID: { kinds: ["invalid-input"], summary: "The database schema name is not lowercase letters, digits and _ (at most 63)." },
  STORAGE_SCHEMA_NEWER: { kinds: ["internal"], summary: "The database schema is at a migration newer than this agent-gate knows; upgrade agent-gate." },
  STORAGE_UNAVAILABLE: { kinds: ["transient", "internal"], summary: "PostgreSQL could not be reached, or the embedded database could not be opened." },
  // demo and CLI
  FILE_NOT_FOUND: { kinds: ["invalid-input"], summary: "A file named on the command line does not exist; the message names the flag, the path and what the file was to be." },
  FILE_UNREADABLE: { kinds: ["invalid-input"], summary: "A file named on the command line could not be read (a directory, no permission); the message says why." },
  JSON_INVALID: { kinds: ["invalid-input"], summary: "A file that should hold JSON does not parse; the message names the file, the line and column, and what it was to be (its content is not quoted)." },
  POLICY_CASE_INVALID: { kinds: ["invalid-input"], summary: "A `policy eval --case` file is not a policy case (a JSON object with `input` and `config`, as in fixtures/policy), or its config or revocation list is invalid." },
  SCENARIO_INVALID: { kinds: ["invalid-input"], summary: "A scenario file or name is not a scenario agent-gate can replay (docs/scenarios.md)." },
  // not thrown: the code shown for a thrown value that is not an AgentGateError
  INTERNAL_ERROR: { kinds: ["internal"], summary: "An unexpected failure (a bug); the evaluation fails closed. Report it with the message from agent-gate's log (GitHub is shown only the code)." },
} as const satisfies Record<string, ErrorEntry>;

/** A documented error code: a misspelt or undocumented one fails the typecheck. */
export type ErrorCode = keyof typeof ERROR_CODES;

export class AgentGateError extends Error {
  override readonly name = "AgentGateError";
  /** Itemised problems (e.g. every invalid config field), shown to humans one per line. */
  readonly details: readonly string[];
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly kind: ErrorKind = "invalid-input",
    options?: { cause?: unknown; details?: readonly string[] },
  ) {
    super(message, options);
    this.details = options?.details ?? [];
  }
}

/** A message for any thrown value, without leaking stack traces into user-facing output. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "string") return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/**
 * Codes whose message is about what GitHub or the repository sent (a field, a file, a limit, a deadline): safe to
 * post to GitHub. Every other code's message may name the server's internals (a database URL, a data directory, a
 * library's own words), so GitHub gets only its code and documented summary; the full message goes to the log.
 */
const PUBLIC_MESSAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "APPROVALS_UNAVAILABLE", "ATTESTATIONS_UNAVAILABLE", "DEPLOYMENT_PAYLOAD_INVALID", "PR_GATE_RECORDS_TOO_MANY", "PR_GATE_CONFIG_STALE", "PR_GATE_MERGED_PULL_UNKNOWN", "DEPLOYMENT_TIMEOUT",
  "GITHUB_REQUEST_FAILED", "GITHUB_RESPONSE_INVALID", "GITHUB_UNAVAILABLE", "HEAD_MOVED", "TOO_MANY_ARTIFACTS", "TOO_MANY_ATTESTATIONS", "TOO_MANY_PULLS",
  "WEBHOOK_PAYLOAD_INVALID", "CONFIG_INVALID", "CONFIG_TOO_LARGE", "CONFIG_UNREADABLE", "ORG_REPO_UNCONFIRMED", "INPUT_INVALID", "POLICY_CONTRACT_VIOLATION",
  "POLICY_INPUT_TOO_LARGE", "POLICY_MEMORY_EXCEEDED", "POLICY_TIMEOUT",
]);

export interface PublicError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: readonly string[];
  readonly transient: boolean;
  /** True when the message is the code's summary: the thrown message is for the log only. */
  readonly withheld: boolean;
}

/** An error as agent-gate may post it to GitHub (check runs, deployment reviews): never a server-internal message. */
export function publicError(err: unknown): PublicError {
  const code: ErrorCode = err instanceof AgentGateError ? err.code : "INTERNAL_ERROR";
  const transient = err instanceof AgentGateError && err.kind === "transient";
  if (err instanceof AgentGateError && PUBLIC_MESSAGE_CODES.has(code)) return { code, message: err.message, details: err.details, transient, withheld: false };
  return { code, message: `${ERROR_CODES[code].summary} (the details are in agent-gate's log)`, details: [], transient, withheld: true };
}
