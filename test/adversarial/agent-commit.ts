// Statements in the agent-commit v0.1 draft (buildType https://refs.arewm.com/agent-commit/v0.1), as another
// producer writes them: a `statement` hook for signedBundle that swaps the agent-gate predicate for one, keeping the
// subjects. Its loose fields (subagents, tools with a model, requestedBy) are what the adversarial cases vary.
import { AGENT_COMMIT_BUILD_TYPE } from "../../src/core/provenance.js";
import { OWNER, REPO, sha, type SignOpts } from "./support.js";

export const SONNET = { provider: "anthropic", modelId: "claude-sonnet-4-5", version: "20250929" };

export interface AgentCommitOpts {
  /** Merged over {model: SONNET, runtime: claude-code}. */
  readonly agent?: Record<string, unknown>;
  /** Merged over {prompt (base64), target}. */
  readonly external?: Record<string, unknown>;
  /** Fields beside `agent` in internalParameters. */
  readonly internal?: Record<string, unknown>;
}

export function agentCommitV01(o: AgentCommitOpts = {}): NonNullable<SignOpts["statement"]> {
  return (st) => {
    st.predicate = {
      buildDefinition: {
        buildType: AGENT_COMMIT_BUILD_TYPE,
        externalParameters: {
          prompt: Buffer.from("Fix the widget parser.", "utf8").toString("base64"),
          target: { repository: `https://github.com/${OWNER}/${REPO}`, baseRef: "refs/heads/main", baseCommit: sha("base") },
          ...o.external,
        },
        internalParameters: { agent: { model: SONNET, runtime: { name: "claude-code", version: "2.1.0" }, ...o.agent }, ...o.internal },
      },
      runDetails: { builder: { id: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main" } },
    };
  };
}
