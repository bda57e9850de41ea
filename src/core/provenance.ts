// The agent-gate provenance format: an in-toto Statement carrying SLSA Provenance v1 whose buildType is
// agent-gate's own, a superset of the agent-commit draft (its fields map one to one, and that buildType is
// read too). Plain SLSA v1 build provenance (GitHub Actions) is understood as non-agent build provenance.
// The schemas are in provenance-statement.ts, the parsed view in provenance-view.ts, the agent-commit reader in
// provenance-agent-commit.ts; this file reads a statement of any of them and builds agent-gate statements.
import { z } from "zod";
import { AgentGateError } from "./errors.js";
import { sha256Hex } from "./digest.js";
import { deepFreeze, isDeepFrozen } from "./freeze.js";
import {
  AGENT_COMMIT_BUILD_TYPE,
  AGENT_GATE_BUILD_TYPE,
  AgentGateStatement,
  type AgentModel,
  type AgentRuntime,
  type AgentTool,
  type Delegation,
  GITHUB_ACTIONS_BUILD_TYPE,
  looseSlsaStatement,
  type McpServer,
  NonEmpty,
  SLSA_PROVENANCE_V1,
  STATEMENT_TYPE_V01,
  STATEMENT_TYPE_V1,
  type Target,
  type Task,
} from "./provenance-statement.js";
import { describeIssues, fail, invocation, type AgentProvenance, type BuildProvenance, type ProvenanceParseResult } from "./provenance-view.js";
import { AgentCommitStatement, fromAgentCommit } from "./provenance-agent-commit.js";

export { sha256Hex } from "./digest.js";
export {
  AGENT_COMMIT_BUILD_TYPE,
  AGENT_GATE_BUILD_TYPE,
  AgentGateExternalParameters,
  AgentGateInternalParameters,
  AgentGateStatement,
  AgentModel,
  AgentRuntime,
  AgentTool,
  AnySubject,
  Delegation,
  DigestSet,
  GIT_SUBJECT_NAME,
  GITHUB_ACTIONS_BUILD_TYPE,
  GitCommitSubject,
  McpServer,
  Prompt,
  provenanceJsonSchema,
  RunDetails,
  SLSA_PROVENANCE_V1,
  STATEMENT_TYPE_V01,
  STATEMENT_TYPE_V1,
  Target,
  Task,
} from "./provenance-statement.js";
export { describeIssues } from "./provenance-view.js";
export type {
  AgentProvenance,
  BuildProvenance,
  Invocation,
  NamedModel,
  ParsedProvenance,
  ProvenanceErrorCode,
  ProvenanceParseResult,
  SubjectRef,
} from "./provenance-view.js";

const SlsaV1Statement = looseSlsaStatement(z.object({ buildType: NonEmpty, externalParameters: z.record(z.string(), z.unknown()) }).loose());

const GitHubWorkflowParameters = z
  .object({ workflow: z.object({ ref: NonEmpty, repository: NonEmpty, path: NonEmpty }).loose() })
  .loose();

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
    subagents: (agent.subagents ?? []).flatMap((sub) => (sub.runtime ? [{ name: sub.runtime.name, version: sub.runtime.version }] : [])),
    tools: agent.tools,
    mcpServers: agent.mcpServers,
    prompt: { sha256: ext.prompt.digest.sha256, ...(ext.prompt.text !== undefined ? { text: ext.prompt.text } : {}) },
    ...(ext.task ? { task: ext.task } : {}),
    target: ext.target,
    delegation: ext.delegation,
    invocation: invocation(s.predicate.runDetails),
  };
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
  // Only a deep-frozen statement is remembered: it cannot change after it was read, so its reading cannot either.
  if (typeof statement !== "object" || statement === null || !isDeepFrozen(statement)) return parseProvenance(statement);
  let parsed = parsedStatements.get(statement);
  if (!parsed) {
    parsed = deepFreeze(parseProvenance(statement));
    parsedStatements.set(statement, parsed);
  }
  return parsed;
}

// Statement object -> its reading. The verifier returns one frozen statement per verified bundle, the same object for
// as long as its verdict is cached (src/adapters/sigstore/intoto.ts), so each event of a pull request does not parse
// its provenance again (it was ~8 % of the App's CPU per event in `npm run bench -- load`). Weak: an entry lives
// exactly as long as its statement.
const parsedStatements = new WeakMap<object, ProvenanceParseResult>();

// Built once, on first use (not at import, which every command would pay).
let heads: { statement: z.ZodType<{ predicateType: string }>; buildType: z.ZodType<{ predicate: { buildDefinition: { buildType: string } } }> } | undefined;
const schemaHeads = (): NonNullable<typeof heads> =>
  (heads ??= {
    statement: z.object({ _type: z.enum([STATEMENT_TYPE_V1, STATEMENT_TYPE_V01]), subject: z.array(z.unknown()), predicateType: z.string() }).loose(),
    buildType: z.object({ predicate: z.object({ buildDefinition: z.object({ buildType: z.string() }).loose() }).loose() }).loose(),
  });

function parseProvenance(statement: unknown): ProvenanceParseResult {
  const head = schemaHeads().statement.safeParse(statement);
  if (!head.success) return fail("STATEMENT_INVALID", `expected an in-toto statement: ${describeIssues(head.error)}`);
  if (head.data.predicateType !== SLSA_PROVENANCE_V1) {
    return fail("PREDICATE_TYPE_UNSUPPORTED", `expected predicateType ${SLSA_PROVENANCE_V1}, got ${JSON.stringify(head.data.predicateType).slice(0, 200)}`);
  }
  const buildType = schemaHeads().buildType.safeParse(statement);
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
