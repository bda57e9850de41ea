// The agent-gate provenance format: an in-toto Statement carrying SLSA Provenance v1 whose buildType is
// agent-gate's own, a superset of the agent-commit draft (its fields map one to one, and that buildType is
// read too). Plain SLSA v1 build provenance (GitHub Actions) is understood as non-agent build provenance.
// The zod schemas below are the source of docs/provenance.schema.json (npm run docs:provenance).
import { z } from "zod";
import { AgentGateError } from "./errors.js";

export { sha256Hex } from "./digest.js";
import { sha256Hex } from "./digest.js";

export const STATEMENT_TYPE_V1 = "https://in-toto.io/Statement/v1";
export const STATEMENT_TYPE_V01 = "https://in-toto.io/Statement/v0.1";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const AGENT_GATE_BUILD_TYPE = "https://agent-gate.dev/agent-commit/v1";
export const AGENT_COMMIT_BUILD_TYPE = "https://refs.arewm.com/agent-commit/v0.1";
export const GITHUB_ACTIONS_BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256 digest: 64 lowercase hex characters");
const GitObjectId = z
  .string()
  .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "expected a git object id: 40 (sha1) or 64 (sha256) lowercase hex characters");
const NonEmpty = z.string().min(1, "expected a non-empty string");
const Timestamp = z.iso.datetime({ offset: true, message: "expected an RFC 3339 timestamp such as 2026-11-26T06:12:00Z" });
const Uri = z.url({ message: "expected an absolute URI" });
/** in-toto DigestSet: algorithm -> lowercase hex (or git object id). */
export const DigestSet = z.record(
  z.string().regex(/^[a-zA-Z0-9_-]+$/, "expected a digest algorithm name"),
  z.string().regex(/^[0-9a-fA-F]+$/, "expected a hex digest"),
);

/** `git+https://github.com/OWNER/REPO[.git][@ref-or-sha]` */
export const GIT_SUBJECT_NAME = /^git\+https:\/\/github\.com\/[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}(?:@[^\s]{1,255})?$/;

export const GitCommitSubject = z.strictObject({
  name: z.string().regex(GIT_SUBJECT_NAME, "expected git+https://github.com/OWNER/REPO@<ref or commit sha>"),
  digest: z.strictObject({ gitCommit: GitObjectId, gitTree: GitObjectId.optional() }),
});
export type GitCommitSubject = z.infer<typeof GitCommitSubject>;

export const AnySubject = z.object({ name: z.string(), digest: DigestSet }).loose();

const Digested = { digest: DigestSet.optional() };

export const AgentRuntime = z.strictObject({ name: NonEmpty, version: NonEmpty, ...Digested });
export const AgentModel = z.strictObject({
  id: z.string().regex(/^[^/\s]{1,100}\/\S{1,200}$/, "expected a model id in provider/model form, e.g. anthropic/claude-sonnet-4-5"),
  version: NonEmpty,
  ...Digested,
});
export const AgentTool = z.strictObject({ name: NonEmpty, version: NonEmpty.optional(), ...Digested });
export const McpServer = z.strictObject({
  name: NonEmpty,
  uri: NonEmpty,
  digest: DigestSet,
  capabilities: z.array(NonEmpty),
});
export const Prompt = z.strictObject({
  digest: z.strictObject({ sha256: Sha256 }),
  text: z.string().optional().describe("the prompt itself; present only when explicitly included"),
});
export const Task = z.strictObject({ uri: NonEmpty.optional(), ...Digested });
export const Target = z.strictObject({ repository: NonEmpty, baseRef: NonEmpty, baseCommit: GitObjectId });
export const Delegation = z.strictObject({
  principal: z.strictObject({
    login: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/, "expected a GitHub login"),
    id: z.number().int().positive(),
  }),
  trigger: z.strictObject({ event: NonEmpty, url: Uri.optional(), at: Timestamp.optional() }),
});

export const AgentGateExternalParameters = z.strictObject({
  prompt: Prompt,
  task: Task.optional(),
  target: Target,
  delegation: Delegation,
});
export const AgentGateInternalParameters = z.strictObject({
  agent: z.strictObject({
    runtime: AgentRuntime,
    model: AgentModel,
    tools: z.array(AgentTool),
    mcpServers: z.array(McpServer),
    sandboxPolicy: z.record(z.string(), z.unknown()).optional(),
    subagents: z.array(z.strictObject({ runtime: AgentRuntime.optional(), model: AgentModel })).optional(),
  }),
});

const ResourceDescriptor = z
  .object({ uri: z.string().optional(), name: z.string().optional(), digest: DigestSet.optional() })
  .loose();

export const RunDetails = z
  .object({
    builder: z.object({ id: Uri, version: z.record(z.string(), z.string()).optional() }).loose(),
    metadata: z.strictObject({ invocationId: NonEmpty, startedOn: Timestamp, finishedOn: Timestamp }),
    byproducts: z.array(ResourceDescriptor).optional(),
  })
  .loose();

/** runDetails as other producers write it: only the builder id is required (agent-commit, plain SLSA v1). */
const LooseRunDetails = z
  .object({
    builder: z.object({ id: NonEmpty }).loose(),
    metadata: z
      .object({ invocationId: z.string().optional(), startedOn: z.string().optional(), finishedOn: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();

/** The agent-gate statement, strict where a typo would hide a field (parameters, subjects, metadata). */
export const AgentGateStatement = z
  .object({
    _type: z.literal(STATEMENT_TYPE_V1),
    subject: z.array(GitCommitSubject).min(1, "expected at least one git commit subject"),
    predicateType: z.literal(SLSA_PROVENANCE_V1),
    predicate: z
      .object({
        buildDefinition: z
          .object({
            buildType: z.literal(AGENT_GATE_BUILD_TYPE),
            externalParameters: AgentGateExternalParameters,
            internalParameters: AgentGateInternalParameters,
            resolvedDependencies: z.array(ResourceDescriptor).optional(),
          })
          .loose(),
        runDetails: RunDetails,
      })
      .loose(),
  })
  .loose()
  .describe("agent-gate agent provenance: in-toto Statement v1, SLSA Provenance v1, buildType " + AGENT_GATE_BUILD_TYPE);
export type AgentGateStatement = z.infer<typeof AgentGateStatement>;

// The agent-commit draft (v0.1): read leniently, mapped field for field onto the agent-gate model.
const AgentCommitStatement = z
  .object({
    _type: z.string(),
    subject: z.array(AnySubject).min(1),
    predicateType: z.literal(SLSA_PROVENANCE_V1),
    predicate: z
      .object({
        buildDefinition: z
          .object({
            buildType: z.literal(AGENT_COMMIT_BUILD_TYPE),
            externalParameters: z
              .object({
                task: z.object({ uri: z.string().optional(), digest: DigestSet.optional() }).loose().optional(),
                prompt: z.string().optional(), // base64
                target: z.object({ repository: NonEmpty, baseRef: NonEmpty, baseCommit: GitObjectId }).loose().optional(),
              })
              .loose(),
            internalParameters: z
              .object({
                agent: z
                  .object({
                    model: z.object({ provider: NonEmpty, modelId: NonEmpty, version: z.string().optional(), digest: DigestSet.optional() }).loose(),
                    runtime: z.object({ name: NonEmpty, version: NonEmpty, digest: DigestSet.optional() }).loose(),
                    tools: z
                      .array(
                        z.union([
                          NonEmpty,
                          z
                            .object({
                              name: NonEmpty,
                              uri: z.string().optional(),
                              digest: DigestSet.optional(),
                              capabilities: z.array(z.string()).optional(),
                            })
                            .loose(),
                        ]),
                      )
                      .optional(),
                  })
                  .loose(),
              })
              .loose(),
          })
          .loose(),
        runDetails: LooseRunDetails,
      })
      .loose(),
  })
  .loose();

const SlsaV1Statement = z
  .object({
    _type: z.string(),
    subject: z.array(AnySubject).min(1),
    predicateType: z.literal(SLSA_PROVENANCE_V1),
    predicate: z
      .object({
        buildDefinition: z
          .object({ buildType: NonEmpty, externalParameters: z.record(z.string(), z.unknown()) })
          .loose(),
        runDetails: LooseRunDetails,
      })
      .loose(),
  })
  .loose();

const GitHubWorkflowParameters = z
  .object({ workflow: z.object({ ref: NonEmpty, repository: NonEmpty, path: NonEmpty }).loose() })
  .loose();

// ---------------------------------------------------------------------------------------------------------------
// The parsed, format-independent view the binder, the policy input and the renderer use.

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

const fail = (code: ProvenanceErrorCode, message: string): ProvenanceParseResult => ({ ok: false, code, message });

const invocation = (runDetails: {
  builder: { id: string };
  metadata?: { invocationId?: string | undefined; startedOn?: string | undefined; finishedOn?: string | undefined } | undefined;
}): Invocation => ({
  builderId: runDetails.builder.id,
  ...(runDetails.metadata?.invocationId !== undefined ? { invocationId: runDetails.metadata.invocationId } : {}),
  ...(runDetails.metadata?.startedOn !== undefined ? { startedOn: runDetails.metadata.startedOn } : {}),
  ...(runDetails.metadata?.finishedOn !== undefined ? { finishedOn: runDetails.metadata.finishedOn } : {}),
});

function decodeBase64Utf8(b64: string): string | undefined {
  try {
    const binary = atob(b64.replace(/\s+/g, ""));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function fromAgentGate(s: AgentGateStatement): AgentProvenance {
  const ext = s.predicate.buildDefinition.externalParameters;
  const agent = s.predicate.buildDefinition.internalParameters.agent;
  return {
    kind: "agent",
    format: "agent-gate/v1",
    buildType: AGENT_GATE_BUILD_TYPE,
    subjects: s.subject,
    runtime: agent.runtime,
    model: agent.model,
    models: [
      { id: agent.model.id, version: agent.model.version, role: "agent" },
      ...(agent.subagents ?? []).map((sub) => ({ id: sub.model.id, version: sub.model.version, role: "subagent" as const })),
    ],
    tools: agent.tools,
    mcpServers: agent.mcpServers,
    prompt: { sha256: ext.prompt.digest.sha256, ...(ext.prompt.text !== undefined ? { text: ext.prompt.text } : {}) },
    ...(ext.task ? { task: ext.task } : {}),
    target: ext.target,
    delegation: ext.delegation,
    invocation: invocation(s.predicate.runDetails),
  };
}

function fromAgentCommit(s: z.infer<typeof AgentCommitStatement>): ProvenanceParseResult {
  const ext = s.predicate.buildDefinition.externalParameters;
  const agent = s.predicate.buildDefinition.internalParameters.agent;
  let prompt: AgentProvenance["prompt"];
  if (ext.prompt !== undefined) {
    const text = decodeBase64Utf8(ext.prompt);
    if (text === undefined) {
      return fail("PREDICATE_INVALID", "predicate.buildDefinition.externalParameters.prompt: expected base64 of UTF-8 text");
    }
    prompt = { sha256: sha256Hex(text), text };
  }
  const tools: { name: string; digest?: Record<string, string> }[] = [];
  const mcpServers: { name: string; uri: string; digest: Record<string, string>; capabilities: string[] }[] = [];
  for (const t of agent.tools ?? []) {
    if (typeof t === "string") tools.push({ name: t });
    else if (t.uri !== undefined) mcpServers.push({ name: t.name, uri: t.uri, digest: t.digest ?? {}, capabilities: t.capabilities ?? [] });
    else tools.push({ name: t.name, ...(t.digest ? { digest: t.digest } : {}) });
  }
  const primary = { id: `${agent.model.provider}/${agent.model.modelId}`, ...(agent.model.version !== undefined ? { version: agent.model.version } : {}) };
  const requestedBy = requester((ext as Record<string, unknown>)["requestedBy"]);
  const named = modelsNamedIn(agent);
  if ("error" in named) return fail("PREDICATE_INVALID", `agent-commit v0.1 provenance: ${named.error}`);
  return {
    ok: true,
    value: {
      kind: "agent",
      format: "agent-commit/v0.1",
      models: [{ ...primary, role: "agent" }, ...named.models],
      ...(requestedBy ? { requestedBy } : {}),
      buildType: AGENT_COMMIT_BUILD_TYPE,
      subjects: s.subject,
      runtime: { name: agent.runtime.name, version: agent.runtime.version, ...(agent.runtime.digest ? { digest: agent.runtime.digest } : {}) },
      model: {
        id: `${agent.model.provider}/${agent.model.modelId}`,
        ...(agent.model.version !== undefined ? { version: agent.model.version } : {}),
        ...(agent.model.digest ? { digest: agent.model.digest } : {}),
      },
      tools,
      mcpServers,
      ...(prompt ? { prompt } : {}),
      ...(ext.task ? { task: { ...(ext.task.uri !== undefined ? { uri: ext.task.uri } : {}), ...(ext.task.digest ? { digest: ext.task.digest } : {}) } } : {}),
      ...(ext.target ? { target: { repository: ext.target.repository, baseRef: ext.target.baseRef, baseCommit: ext.target.baseCommit } } : {}),
      invocation: invocation(s.predicate.runDetails),
    },
  };
}

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;

/** agent-commit's `requestedBy`: a login, "@login", or {login, id}. Anything else names nobody. */
function requester(v: unknown): { login: string; id?: number } | undefined {
  const o = typeof v === "string" ? { login: v } : typeof v === "object" && v !== null ? (v as { login?: unknown; id?: unknown }) : undefined;
  const login = typeof o?.login === "string" ? o.login.replace(/^@/, "") : undefined;
  if (login === undefined || !LOGIN.test(login)) return undefined;
  return { login, ...(typeof o?.id === "number" && Number.isSafeInteger(o.id) && o.id > 0 ? { id: o.id } : {}) };
}

/** Bounds of the walk for models in a loosely read agent: past either, the statement is refused, never half-read. */
const MODEL_WALK_DEPTH = 32;
const MODEL_WALK_NODES = 100_000;

/**
 * Models the loosely read agent-commit agent names besides its own: subagents' and tools' (`{provider, modelId,
 * version}` or a `model` of "provider/model" or such an object), found by a walk bounded in depth and nodes, so a
 * model anywhere in what the schema accepts is judged rather than dropped. An agent past the bounds is an error:
 * a model beyond them would go unjudged.
 */
function modelsNamedIn(agent: Record<string, unknown>): { models: NamedModel[] } | { error: string } {
  const out: NamedModel[] = [];
  let nodes = 0;
  let tooDeep = false;
  const visit = (v: unknown, role: NamedModel["role"], depth: number): void => {
    if (tooDeep || nodes > MODEL_WALK_NODES) return;
    if (depth > MODEL_WALK_DEPTH) {
      tooDeep = true;
      return;
    }
    if (++nodes > MODEL_WALK_NODES || typeof v !== "object" || v === null) return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, role, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    if (depth > 0 && typeof o["provider"] === "string" && typeof o["modelId"] === "string") {
      out.push({ id: `${o["provider"]}/${o["modelId"]}`, ...(typeof o["version"] === "string" ? { version: o["version"] } : {}), role });
    } else if (depth > 0 && typeof o["model"] === "string") {
      out.push({ id: o["model"], ...(typeof o["modelVersion"] === "string" ? { version: o["modelVersion"] } : {}), role });
    }
    for (const [k, x] of Object.entries(o)) {
      if (depth === 0 && k === "model") continue; // the agent's own, already first
      visit(x, k === "subagents" || k === "subagent" ? "subagent" : k === "tools" || k === "mcpServers" ? "tool" : role, depth + 1);
    }
  };
  visit(agent, "agent", 0);
  const where = "predicate.buildDefinition.internalParameters.agent";
  if (tooDeep) return { error: `${where} nests deeper than ${MODEL_WALK_DEPTH} levels; expected at most ${MODEL_WALK_DEPTH}, so that every model it names is judged` };
  if (nodes > MODEL_WALK_NODES) return { error: `${where} holds more than ${MODEL_WALK_NODES} values; expected at most ${MODEL_WALK_NODES}, so that every model it names is judged` };
  return { models: out };
}

function fromSlsa(s: z.infer<typeof SlsaV1Statement>): ProvenanceParseResult {
  const buildType = s.predicate.buildDefinition.buildType;
  let workflow: BuildProvenance["workflow"];
  if (buildType === GITHUB_ACTIONS_BUILD_TYPE) {
    const params = GitHubWorkflowParameters.safeParse(s.predicate.buildDefinition.externalParameters);
    if (!params.success) {
      return fail("PREDICATE_INVALID", `GitHub Actions provenance: predicate.buildDefinition.externalParameters.${describeIssues(params.error)}`);
    }
    const w = params.data.workflow;
    workflow = { repository: w.repository, path: w.path, ref: w.ref };
  }
  return {
    ok: true,
    value: {
      kind: "build",
      buildType,
      subjects: s.subject,
      ...(workflow ? { workflow } : {}),
      invocation: invocation(s.predicate.runDetails),
    },
  };
}

/**
 * Reads an in-toto statement as agent provenance (agent-gate v1 or agent-commit v0.1) or as plain SLSA v1 build
 * provenance. Never throws; errors name the field path, what was expected and what was found.
 */
export function parseAgentProvenance(statement: unknown): ProvenanceParseResult {
  const head = z
    .object({ _type: z.enum([STATEMENT_TYPE_V1, STATEMENT_TYPE_V01]), subject: z.array(z.unknown()), predicateType: z.string() })
    .loose()
    .safeParse(statement);
  if (!head.success) return fail("STATEMENT_INVALID", `expected an in-toto statement: ${describeIssues(head.error)}`);
  if (head.data.predicateType !== SLSA_PROVENANCE_V1) {
    return fail("PREDICATE_TYPE_UNSUPPORTED", `expected predicateType ${SLSA_PROVENANCE_V1}, got ${JSON.stringify(head.data.predicateType).slice(0, 200)}`);
  }
  const buildType = z
    .object({ predicate: z.object({ buildDefinition: z.object({ buildType: z.string() }).loose() }).loose() })
    .loose()
    .safeParse(statement);
  if (!buildType.success) return fail("PREDICATE_INVALID", `SLSA Provenance v1: ${describeIssues(buildType.error)}`);
  switch (buildType.data.predicate.buildDefinition.buildType) {
    case AGENT_GATE_BUILD_TYPE: {
      const parsed = AgentGateStatement.safeParse(statement);
      if (!parsed.success) return fail("PREDICATE_INVALID", `agent-gate provenance v1: ${describeIssues(parsed.error)}`);
      return { ok: true, value: fromAgentGate(parsed.data) };
    }
    case AGENT_COMMIT_BUILD_TYPE: {
      const parsed = AgentCommitStatement.safeParse(statement);
      if (!parsed.success) return fail("PREDICATE_INVALID", `agent-commit v0.1 provenance: ${describeIssues(parsed.error)}`);
      return fromAgentCommit(parsed.data);
    }
    default: {
      const parsed = SlsaV1Statement.safeParse(statement);
      if (!parsed.success) return fail("PREDICATE_INVALID", `SLSA Provenance v1: ${describeIssues(parsed.error)}`);
      return fromSlsa(parsed.data);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Building a statement (for `agent-gate attest`).

export interface AgentStatementInput {
  readonly repository: string; // OWNER/REPO
  readonly commits: readonly { readonly sha: string; readonly tree?: string; readonly ref?: string }[];
  readonly runtime: z.input<typeof AgentRuntime>;
  readonly model: z.input<typeof AgentModel>;
  readonly tools?: readonly z.input<typeof AgentTool>[];
  readonly mcpServers?: readonly z.input<typeof McpServer>[];
  /** The prompt; its text goes into the statement only with `includeText: true`. */
  readonly prompt: { readonly text: string; readonly includeText?: boolean } | { readonly sha256: string };
  readonly task?: z.input<typeof Task>;
  readonly target: z.input<typeof Target>;
  readonly delegation: z.input<typeof Delegation>;
  readonly builderId: string;
  readonly invocation: { readonly invocationId: string; readonly startedOn: string; readonly finishedOn: string };
}

/** An agent-gate v1 statement for the given commits; throws AgentGateError("PROVENANCE_INVALID") naming the field. */
export function buildAgentStatement(input: AgentStatementInput): AgentGateStatement {
  const prompt =
    "sha256" in input.prompt
      ? { digest: { sha256: input.prompt.sha256 } }
      : { digest: { sha256: sha256Hex(input.prompt.text) }, ...(input.prompt.includeText ? { text: input.prompt.text } : {}) };
  const candidate = {
    _type: STATEMENT_TYPE_V1,
    subject: input.commits.map((c) => ({
      name: `git+https://github.com/${input.repository}@${c.ref ?? c.sha}`,
      digest: { gitCommit: c.sha, ...(c.tree !== undefined ? { gitTree: c.tree } : {}) },
    })),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: AGENT_GATE_BUILD_TYPE,
        externalParameters: { prompt, ...(input.task ? { task: input.task } : {}), target: input.target, delegation: input.delegation },
        internalParameters: {
          agent: { runtime: input.runtime, model: input.model, tools: input.tools ?? [], mcpServers: input.mcpServers ?? [] },
        },
      },
      runDetails: { builder: { id: input.builderId }, metadata: input.invocation },
    },
  };
  const parsed = AgentGateStatement.safeParse(candidate);
  if (!parsed.success) throw new AgentGateError("PROVENANCE_INVALID", `cannot build agent provenance: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The JSON Schema of the agent-gate statement, as published in docs/provenance.schema.json. */
export function provenanceJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(AgentGateStatement, { target: "draft-2020-12" }),
    $id: "https://agent-gate.dev/schemas/agent-commit/v1.json",
    title: "agent-gate agent provenance (SLSA Provenance v1, buildType https://agent-gate.dev/agent-commit/v1)",
  };
}
