// fast-check generators of policy inputs and configs: small pools of values, so that generated cases hit the
// rules' edges (expiry around `now`, approvals on the head or an older commit, protected globs, bots, prompters).
import fc from "fast-check";

const HEAD = "2222222222222222222222222222222222222222";
const SHAS = ["1111111111111111111111111111111111111111", "3333333333333333333333333333333333333333", "4444444444444444444444444444444444444444"];
const digest = (c: string) => `sha256:${c.repeat(64)}`;

const SIGNERS = [
  { type: "certificate", identity: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com", extensions: {} },
  { type: "certificate", identity: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/dev", issuer: "https://token.actions.githubusercontent.com", extensions: {} },
  { type: "certificate", identity: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main", issuer: "https://accounts.example.com", extensions: {} },
  { type: "key", key_hint: "k1", extensions: {} },
  { type: "key", key_hint: "k2", extensions: {} },
];
const MODELS = [
  { id: "anthropic/claude-sonnet-4-5", version: "20250929" },
  { id: "anthropic/claude-sonnet-4-5", version: "20240101" },
  { id: "openai/gpt-5", version: "2026-01" },
  { id: "acme/experimental" },
];
const PEOPLE = [
  { login: "alice", id: 1001, type: "User" },
  { login: "bob", id: 1002, type: "User" },
  { login: "carol", id: 1003, type: "User" },
  { login: "claude[bot]", id: 209825114, type: "Bot" },
  { login: "helper[bot]", id: 5, type: "Bot" },
  { login: "robo", id: 6, type: "Bot" },
];
const PATHS = [
  "src/app.ts",
  "README.md",
  ".github/workflows/deploy.yml",
  ".github/workflows/sub/dir/ci.yml",
  ".github/agent-gate.yml",
  "CODEOWNERS",
  "docs/CODEOWNERS",
  "a/CODEOWNERS",
  "infra/main.tf",
  "infra",
  "policies/rego/x.rego",
  "terraform/prod.tf",
  "src/.github/workflows/x.yml",
];
const GLOBS = ["src/{app,lib}.ts", "infra/?ain.tf", "[Cc]ODEOWNERS", "docs/\\*", ".github/workflows/**", "CODEOWNERS", "infra/**", "**/*.tf", "*.md", "policies/*", "src/**/*.ts", ".github/*.yml", "**"];
const NOWS = ["2026-11-26T07:00:00Z", "2026-12-31T23:59:59Z", "2024-02-29T12:00:00Z", "2027-01-01T00:00:00Z"];
const DATES = ["2026-11-26", "2026-11-27", "2026-12-20", "2026-12-26", "2026-12-27", "2027-01-01", "2024-03-01", "2028-02-29"];
const TIMES = ["2026-11-26T06:00:00Z", "2026-11-26T06:30:00Z", "2026-11-26T06:40:00Z"];

const provenance = fc.oneof(
  fc.record({
    status: fc.constant("verified"),
    signer: fc.constantFrom(...SIGNERS),
    agent: fc.constant({ name: "claude-code", version: "2.1.0" }),
    model: fc.option(fc.constantFrom(...MODELS), { nil: undefined }),
    prompt: fc.record({
      digest: fc.option(fc.constantFrom(digest("a"), "sha256:short", "md5:abc"), { nil: undefined }),
      contains_secrets: fc.boolean(),
      text_present: fc.boolean(),
    }),
    prompter: fc.option(fc.constantFrom({ login: "alice", id: 1001 }, { login: "carol", id: 1003 }), { nil: undefined }),
    rekor_log_index: fc.constant("123456789"),
    bundle_digest: fc.constant(digest("b")),
  }),
  fc.constant({ status: "missing" }),
  fc.record({ status: fc.constant("invalid"), failure_code: fc.constantFrom("SUBJECT_MISMATCH", "SIGNATURE_INVALID", "IDENTITY_MISMATCH") }),
);

const commit = (sha: string) =>
  fc.record({
    sha: fc.constant(sha),
    is_head: fc.constant(sha === HEAD),
    author: fc.constantFrom(
      { login: "claude[bot]", id: 209825114, email: "x@users.noreply.github.com", name: "claude[bot]" },
      { login: "bob", id: 1002, email: "bob@example.com", name: "Bob" },
      { email: "someone@example.com", name: "Someone" },
      { email: "nobody@example.com" },
    ),
    committer: fc.constant({ login: "web-flow", id: 19864447 }),
    is_agent: fc.boolean(),
    agent_reasons: fc.constant(["generated"]),
    trailers: fc.constant({ co_authored_by: [], assisted_by: [], generated_by: [] }),
    provenance,
  });

const file = fc.record(
  {
    path: fc.constantFrom(...PATHS),
    previous_path: fc.constantFrom(...PATHS),
    status: fc.constantFrom("added", "modified", "renamed", "removed"),
    additions: fc.nat({ max: 400 }),
    deletions: fc.nat({ max: 400 }),
    agent_touched: fc.boolean(),
  },
  { requiredKeys: ["path", "status", "additions", "deletions", "agent_touched"] },
);

const review = fc.record(
  {
    user: fc.constantFrom(...PEOPLE),
    state: fc.constantFrom("APPROVED", "APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"),
    commit_id: fc.constantFrom(HEAD, HEAD, SHAS[0]),
    submitted_at: fc.constantFrom(...TIMES),
    // Mostly write, as the host finds for maintainers; sometimes less, or not looked up (absent).
    permission: fc.constantFrom("write", "write", "write", "admin", "read", "none"),
  },
  { requiredKeys: ["user", "state", "commit_id", "submitted_at"] },
);

export const pullRequestInput = fc
  .record({
    earlier: fc.subarray(SHAS),
    head: commit(HEAD),
    files: fc.array(file, { maxLength: 6 }),
    reviews: fc.array(review, { maxLength: 4 }),
    detected: fc.boolean(),
    prompters: fc.subarray([{ login: "alice", id: 1001 }, { login: "bob", id: 1002 }]),
    now: fc.constantFrom(...NOWS),
    dropHead: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .chain((r) =>
    fc.tuple(...r.earlier.map((s) => commit(s))).map((earlier) => ({
      version: 1,
      kind: "pull_request",
      now: r.now,
      config_digest: digest("c"),
      repository: { owner: "acme", name: "web", id: 42, default_branch: "main" },
      pull_request: {
        number: 7, title: "t", author: PEOPLE[3], head_sha: HEAD, base_sha: "0".repeat(40),
        base_ref: "main", head_ref: "claude/x", labels: [], draft: false, fork: false,
      },
      // Rarely, the head commit is missing from the list: the policy must deny, not pass by silence.
      commits: r.dropHead < 0.03 ? earlier : [...earlier, r.head],
      files: r.files,
      reviews: r.reviews,
      agent: { detected: r.detected, reasons: r.detected ? ["account"] : [], accounts: [{ login: "claude[bot]", id: 209825114 }] },
      prompters: r.prompters,
    })),
  );

const signerEntry = fc.oneof(
  fc.constantFrom(...SIGNERS.filter((s) => s.type === "certificate")).map((s) => ({ identity: s.identity as string, issuer: s.issuer as string })),
  fc.constantFrom({ key: "k1" }, { key: "k2" }),
);
const modelEntry = fc.record(
  {
    model: fc.constantFrom("anthropic/claude-sonnet-4-5", "openai/gpt-5", "acme/experimental"),
    version: fc.constantFrom("20250929", "2026-01", "20240101"),
    expires: fc.constantFrom(...DATES),
  },
  { requiredKeys: ["model"] },
);
const pathEntry = fc.oneof(fc.constantFrom(...GLOBS), fc.record({ pattern: fc.constantFrom(...GLOBS), mode: fc.constantFrom("deny", "require-approval") }, { requiredKeys: ["pattern"] }));

export const pullRequestConfig = fc.record(
  {
    rules: fc.record(
      {
        provenance_coverage: fc.record({ enabled: fc.boolean() }),
        signers: fc.record(
          {
            enabled: fc.boolean(),
            allowed: fc.array(signerEntry, { maxLength: 3 }),
            repositories: fc.option(fc.record({ "acme/web": fc.array(signerEntry, { maxLength: 2 }) }), { nil: undefined }),
          },
          { requiredKeys: [] },
        ),
        model_governance: fc.record(
          { enabled: fc.boolean(), allowed: fc.array(modelEntry, { maxLength: 4 }), warn_days: fc.nat({ max: 60 }), require_model: fc.boolean() },
          { requiredKeys: [] },
        ),
        prompt: fc.record({ enabled: fc.boolean(), require_digest: fc.boolean(), deny_secrets: fc.boolean() }, { requiredKeys: [] }),
        protected_paths: fc.record(
          { enabled: fc.boolean(), mode: fc.constantFrom("deny", "require-approval"), approvals: fc.nat({ max: 2 }), paths: fc.array(pathEntry, { maxLength: 4 }) },
          { requiredKeys: [] },
        ),
        human_approval: fc.record({ enabled: fc.boolean(), count: fc.nat({ max: 3 }), separation_of_duties: fc.boolean(), require_write_access: fc.boolean() }, { requiredKeys: [] }),
        size: fc.record({ enabled: fc.boolean(), max_files: fc.integer({ min: 1, max: 5 }), max_lines: fc.integer({ min: 1, max: 800 }) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

const BUILDERS = ["https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main", "https://github.com/acme/web/.github/workflows/other.yml@refs/heads/main"];
const RELEASE_SIGNER = { identity: BUILDERS[0] as string, issuer: "https://token.actions.githubusercontent.com" };
const OTHER_SIGNER = { identity: BUILDERS[1] as string, issuer: "https://token.actions.githubusercontent.com" };
const PREDICATES = ["https://slsa.dev/provenance/v1", "https://spdx.dev/Document", "https://slsa.dev/provenance/v0.2"];

const attestation = fc.record(
  {
    verified: fc.boolean(),
    failure_code: fc.constantFrom("SIGNATURE_INVALID", "SUBJECT_MISMATCH"),
    predicate_type: fc.constantFrom(...PREDICATES),
    builder_id: fc.constantFrom(...BUILDERS),
    signer: fc.constantFrom(RELEASE_SIGNER, OTHER_SIGNER, {}),
  },
  { requiredKeys: ["verified", "signer"] },
);

export const deploymentInput = fc.record({
  version: fc.constant(1),
  kind: fc.constant("deployment"),
  now: fc.constantFrom(...NOWS),
  config_digest: fc.constant(digest("c")),
  repository: fc.constant({ owner: "acme", name: "web", id: 42, default_branch: "main" }),
  environment: fc.record({ name: fc.constantFrom("production", "staging", "dev") }),
  deployment: fc.record(
    { id: fc.constant(9), sha: fc.constant(HEAD), ref: fc.constant("refs/heads/main"), region: fc.constantFrom("eu-west-1", "us-east-1", "ap-south-1") },
    { requiredKeys: ["sha", "ref"] },
  ),
  artifacts: fc.array(fc.record({ digest: fc.constantFrom(digest("d"), digest("e")), attestations: fc.array(attestation, { maxLength: 3 }) }), { maxLength: 2 }),
  pr_gate: fc.option(fc.record({ conclusion: fc.constantFrom("success", "success", "failure", "neutral"), decision_id: fc.constant("01JDX3") }), { nil: null }),
  approvals: fc.subarray(PEOPLE),
  agent_authored: fc.boolean(),
  agent: fc.constant({ accounts: [{ login: "claude[bot]", id: 209825114 }] }),
  prompters: fc.subarray([{ login: "alice", id: 1001 }]),
});

const environment = fc.record(
  {
    predicate_types: fc.subarray(PREDICATES),
    builders: fc.subarray(BUILDERS),
    signers: fc.subarray([RELEASE_SIGNER, OTHER_SIGNER]),
    regions: fc.subarray(["eu-west-1", "us-east-1"]),
    approvals: fc.nat({ max: 2 }),
    agent_extra_approvals: fc.nat({ max: 2 }),
    require_pr_gate: fc.boolean(),
    require_artifacts: fc.boolean(),
  },
  { requiredKeys: [] },
);

export const deploymentConfig = fc.record(
  {
    deployments: fc.record(
      {
        enabled: fc.boolean(),
        default: environment,
        environments: fc.dictionary(fc.constantFrom("production", "staging"), environment, { maxKeys: 2 }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);
