// Literal audit events for the audit tests: a pull-request decision with a prompt and a leaked token in its input.
import type { AuditEvent } from "../../../src/core/audit.js";

// Assembled at run time so this file holds no literal that secret scanners flag.
export const LEAKED_TOKEN = "ghp_" + "A1b2".repeat(9);
export const PROMPT = "Fix the login redirect bug described in #42.";

export function sampleEvent(i: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  const sha = (i.toString(16).padStart(8, "0") + "ab".repeat(16)).slice(0, 40);
  return {
    decision_id: `dec-${String(i).padStart(6, "0")}`,
    timestamp: new Date(Date.UTC(2026, 10, 26, 7, 0, 0) + i * 1000).toISOString(),
    path: "agent_gate/pull_request/decision",
    input: {
      kind: "pull_request",
      pull_request: { number: 100 + i, title: `change ${i}`, head_sha: sha },
      commits: [{ sha, message: `fix: use token ${LEAKED_TOKEN}`, provenance: { status: "verified", prompt: { text: PROMPT, digest: "sha256:" + "cd".repeat(32) } } }],
      system_prompt: "You are a careful agent.",
      settings: { api_key: "hunter22-not-a-pattern" },
    },
    result: { allow: i % 3 !== 0, deny: i % 3 === 0 ? [{ msg: "unsigned agent commit", rule: "provenance.required" }] : [], warn: [] },
    bundles: { "agent-gate": { revision: "2026.11.26", digest: "sha256:" + "ef".repeat(32) } },
    labels: { app: "agent-gate", version: "0.1.0" },
    metrics: { timer_rego_query_eval_ns: 120000 + i },
    agent_gate: {
      kind: "pull_request",
      delivery_id: `delivery-${i}`,
      installation_id: 42,
      repository: "acme/app",
      pull_request: 100 + i,
      deployment_id: null,
      environment: null,
      head_sha: sha,
      evidence_bundle_digests: ["sha256:" + "12".repeat(32)],
      signer_identities: ["https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main"],
      rekor_log_indexes: ["123456789012"],
      conclusion: i % 3 === 0 ? "failure" : "success",
    },
    ...overrides,
  };
}
