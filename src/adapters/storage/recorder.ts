// The gates' onDecision hook: turns what one evaluation produced into an audit event and appends it, with the
// policy's data document for replay. A decision, and an evaluation that failed before deciding, are both
// recorded; dry runs are not. An append that fails throws: the caller decides whether that fails the delivery.
import { auditEventFromDecision, auditEventFromError, evidenceOf } from "../../core/audit.js";
import type { AuditContext, AuditEvent } from "../../core/audit.js";
import type { Decision, PolicyRef } from "../../core/decision.js";
import type { PolicyInput } from "../../core/policy-input.js";
import type { AppendResult, AuditLog } from "./audit-log.js";

/** What a gate reports after an evaluation (the PR gate's DecisionEvent fits it). */
export interface GateDecision {
  readonly decisionId: string;
  readonly deliveryId: string | undefined;
  readonly installationId: number;
  readonly repository: string; // owner/name
  readonly pullNumber?: number;
  readonly deploymentId?: number;
  readonly environment?: string;
  readonly headSha: string;
  readonly input: PolicyInput | undefined;
  readonly decision: Decision | undefined;
  readonly conclusion: { readonly conclusion: string; readonly title: string; readonly code?: string };
  readonly durationMs: number;
  /** The data document the policy was evaluated with (policyData(config)), kept for replay. */
  readonly policyData?: unknown;
  /** The config files the decision's config was read from (LoadedConfig.files), recorded as owner/repo:path. */
  readonly configFiles?: readonly string[];
  readonly dryRun?: boolean;
}

export interface RecorderOptions {
  /** The engine's policy, for evaluations that failed before a decision named it. */
  readonly policy: PolicyRef;
  readonly entrypoint?: (d: GateDecision) => string;
  readonly labels?: Record<string, string>;
  readonly now?: () => Date;
}

/** A config file as recorded and looked up: owner/repo:path, owner and repository in lower case, no "(default branch)". */
export function configFileKey(file: string): string {
  const bare = file.replace(/ \(default branch\)$/, "");
  const colon = bare.indexOf(":");
  return colon < 0 ? bare.toLowerCase() : `${bare.slice(0, colon).toLowerCase()}${bare.slice(colon)}`;
}

export function auditEventOf(d: GateDecision, opts: RecorderOptions): AuditEvent | undefined {
  const kind = d.deploymentId !== undefined || d.input?.kind === "deployment" ? "deployment" : "pull_request";
  const context: AuditContext = {
    kind,
    delivery_id: d.deliveryId ?? null,
    installation_id: d.installationId,
    repository: d.repository,
    pull_request: d.pullNumber ?? null,
    deployment_id: d.deploymentId ?? null,
    environment: d.environment ?? null,
    head_sha: d.headSha,
    ...(d.input ? evidenceOf(d.input) : { evidence_bundle_digests: [], signer_identities: [], rekor_log_indexes: [] }),
    conclusion: d.conclusion.conclusion,
    ...(d.configFiles !== undefined ? { config_files: d.configFiles.map(configFileKey) } : {}),
  };
  const facts = {
    input: d.input,
    decidedAt: (opts.now ?? (() => new Date()))(),
    context,
    labels: opts.labels ?? {},
    metrics: { timer_agent_gate_evaluation_ns: Math.round(d.durationMs * 1e6) },
    dryRun: d.dryRun ?? false,
  };
  if (d.decision) return auditEventFromDecision(d.decision, facts);
  const entrypoint = opts.entrypoint?.(d) ?? `agent_gate/${kind}/decision`;
  return auditEventFromError({ code: d.conclusion.code ?? "NOT_EVALUATED", message: d.conclusion.title }, { decisionId: d.decisionId, entrypoint, policy: opts.policy }, facts);
}

/** An onDecision hook that records every non-dry-run evaluation in `log`. */
export function decisionRecorder(log: Pick<AuditLog, "append">, opts: RecorderOptions): (d: GateDecision) => Promise<AppendResult | undefined> {
  return async (d) => {
    const event = auditEventOf(d, opts);
    if (!event) return undefined;
    return log.append(event, d.policyData === undefined ? {} : { policyData: d.policyData });
  };
}
