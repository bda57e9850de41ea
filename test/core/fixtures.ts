// Literal statements and verified bundles for the pure-core tests.
import { buildAgentStatement } from "../../src/core/provenance.js";
import type { AgentStatementInput } from "../../src/core/provenance.js";
import type { InTotoStatement, VerifiedBundle } from "../../src/core/verification.js";

export const SHA_A = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
export const SHA_B = "e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d";
export const SHA_C = "9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d";
export const TREE_A = "1111111111111111111111111111111111111111";
export const TREE_B = "2222222222222222222222222222222222222222";
export const TREE_C = "3333333333333333333333333333333333333333";
export const BASE = "0000000000000000000000000000000000000abc";

export const AGENT_WORKFLOW = "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main";

export function statementInput(overrides: Partial<AgentStatementInput> = {}): AgentStatementInput {
  return {
    repository: "acme/app",
    commits: [{ sha: SHA_B, tree: TREE_B, ref: "refs/heads/claude/fix-login" }],
    runtime: { name: "claude-code", version: "2.1.0", digest: { sha256: "ab".repeat(32) } },
    model: { id: "anthropic/claude-sonnet-4-5", version: "20250929" },
    tools: [{ name: "Bash" }, { name: "Edit" }],
    mcpServers: [{ name: "github", uri: "https://api.githubcopilot.com/mcp/", digest: { sha256: "cd".repeat(32) }, capabilities: ["issues:read"] }],
    prompt: { text: "Fix the login redirect bug described in #42." },
    task: { uri: "https://github.com/acme/app/issues/42" },
    target: { repository: "https://github.com/acme/app", baseRef: "refs/heads/main", baseCommit: BASE },
    delegation: { principal: { login: "alice", id: 1001 }, trigger: { event: "issue_comment", url: "https://github.com/acme/app/issues/42#issuecomment-1", at: "2026-11-26T06:00:00Z" } },
    builderId: AGENT_WORKFLOW,
    invocation: { invocationId: "https://github.com/acme/agents/actions/runs/77/attempts/1", startedOn: "2026-11-26T06:01:00Z", finishedOn: "2026-11-26T06:11:00Z" },
    ...overrides,
  };
}

export function agentStatement(overrides: Partial<AgentStatementInput> = {}): InTotoStatement {
  return buildAgentStatement(statementInput(overrides));
}

let counter = 0;
export function verified(statement: InTotoStatement | undefined, digest?: string): VerifiedBundle {
  counter++;
  return {
    ok: true,
    bundleDigest: digest ?? counter.toString(16).padStart(64, "0"),
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    contentKind: statement ? "dsse" : "message-signature",
    signer: {
      type: "certificate",
      identity: AGENT_WORKFLOW,
      issuer: "https://token.actions.githubusercontent.com",
      extensions: { sourceRepositoryURI: "https://github.com/acme/agents", runInvocationURI: "https://github.com/acme/agents/actions/runs/77/attempts/1" },
    },
    tlogEntries: [
      { logId: "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d", logIndex: "123456789", integratedTime: "2026-11-26T06:12:03Z", kind: "dsse", kindVersion: "0.0.1", rekorVersion: 1 },
    ],
    timestamps: [{ source: "tlog", time: "2026-11-26T06:12:03Z" }],
    ...(statement ? { statement } : {}),
  };
}

export const GITHUB_ACTIONS_PROVENANCE = {
  _type: "https://in-toto.io/Statement/v1",
  subject: [{ name: "app.tgz", digest: { sha256: "ef".repeat(32) } }],
  predicateType: "https://slsa.dev/provenance/v1",
  predicate: {
    buildDefinition: {
      buildType: "https://actions.github.io/buildtypes/workflow/v1",
      externalParameters: { workflow: { ref: "refs/heads/main", repository: "https://github.com/acme/app", path: ".github/workflows/release.yml" } },
      internalParameters: { github: { event_name: "push", repository_id: "1", repository_owner_id: "2", runner_environment: "github-hosted" } },
      resolvedDependencies: [{ uri: "git+https://github.com/acme/app@refs/heads/main", digest: { gitCommit: SHA_B } }],
    },
    runDetails: {
      builder: { id: "https://github.com/actions/runner/github-hosted" },
      metadata: { invocationId: "https://github.com/acme/app/actions/runs/1/attempts/1" },
    },
  },
};
