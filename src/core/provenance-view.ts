// The parsed, format-independent view of a provenance statement that the binder, the policy input and the
// renderer use, and the result type every format's reader returns.
import type { z } from "zod";

export interface SubjectRef {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface Invocation {
  readonly builderId: string;
  readonly invocationId?: string;
  readonly startedOn?: string;
  readonly finishedOn?: string;
}

export interface AgentProvenance {
  readonly kind: "agent";
  readonly format: "agent-gate/v1" | "agent-commit/v0.1";
  readonly buildType: string;
  readonly subjects: readonly SubjectRef[];
  readonly runtime: { readonly name: string; readonly version: string; readonly digest?: Readonly<Record<string, string>> };
  readonly model: { readonly id: string; readonly version?: string; readonly digest?: Readonly<Record<string, string>> };
  /** Every model the statement names: the agent's first, then its subagents' and tools'. Each is judged. */
  readonly models: readonly NamedModel[];
  /** The runtimes of the agent's subagents the statement names (revocation judges them like the agent's). */
  readonly subagents?: readonly { readonly name: string; readonly version?: string }[];
  /** agent-commit v0.1: the login the statement says asked for the work (signed, so a prompter). */
  readonly requestedBy?: { readonly login: string; readonly id?: number };
  readonly tools: readonly { readonly name: string; readonly version?: string; readonly digest?: Readonly<Record<string, string>> }[];
  readonly mcpServers: readonly {
    readonly name: string;
    readonly uri: string;
    readonly digest: Readonly<Record<string, string>>;
    readonly capabilities: readonly string[];
  }[];
  readonly prompt?: { readonly sha256: string; readonly text?: string };
  readonly task?: { readonly uri?: string; readonly digest?: Readonly<Record<string, string>> };
  readonly target?: { readonly repository: string; readonly baseRef: string; readonly baseCommit: string };
  readonly delegation?: {
    readonly principal: { readonly login: string; readonly id: number };
    readonly trigger: { readonly event: string; readonly url?: string; readonly at?: string };
  };
  readonly invocation: Invocation;
}

export interface NamedModel {
  readonly id: string;
  readonly version?: string;
  readonly role: "agent" | "subagent" | "tool";
}

export interface BuildProvenance {
  readonly kind: "build";
  readonly buildType: string;
  readonly subjects: readonly SubjectRef[];
  readonly workflow?: { readonly repository: string; readonly path: string; readonly ref: string };
  readonly invocation: Invocation;
}

export type ParsedProvenance = AgentProvenance | BuildProvenance;

export type ProvenanceErrorCode =
  | "STATEMENT_INVALID" // not an in-toto statement
  | "PREDICATE_TYPE_UNSUPPORTED" // not SLSA Provenance v1
  | "PREDICATE_INVALID"; // SLSA v1 of a known buildType that breaks its schema

export type ProvenanceParseResult =
  | { readonly ok: true; readonly value: ParsedProvenance }
  | { readonly ok: false; readonly code: ProvenanceErrorCode; readonly message: string };

/** zod issues as `path: message; ...`, paths dotted from the statement root. */
export function describeIssues(error: z.ZodError, limit = 5): string {
  const issues = error.issues.slice(0, limit).map((i) => {
    const path = i.path.length ? i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") : "(root)";
    return `${path}: ${i.message}`;
  });
  const more = error.issues.length > limit ? `; and ${error.issues.length - limit} more` : "";
  return issues.join("; ") + more;
}

export const fail = (code: ProvenanceErrorCode, message: string): ProvenanceParseResult => ({ ok: false, code, message });

export const invocation = (runDetails: {
  builder: { id: string };
  metadata?: { invocationId?: string | undefined; startedOn?: string | undefined; finishedOn?: string | undefined } | undefined;
}): Invocation => ({
  builderId: runDetails.builder.id,
  ...(runDetails.metadata?.invocationId !== undefined ? { invocationId: runDetails.metadata.invocationId } : {}),
  ...(runDetails.metadata?.startedOn !== undefined ? { startedOn: runDetails.metadata.startedOn } : {}),
  ...(runDetails.metadata?.finishedOn !== undefined ? { finishedOn: runDetails.metadata.finishedOn } : {}),
});
