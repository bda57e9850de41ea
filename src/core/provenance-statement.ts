// The agent-gate provenance format: an in-toto Statement carrying SLSA Provenance v1 whose buildType is
// agent-gate's own, a superset of the agent-commit draft. The zod schemas below are the source of
// docs/provenance.schema.json (npm run docs:provenance); the other formats' readers reuse their pieces.
import { z } from "zod";

export const STATEMENT_TYPE_V1 = "https://in-toto.io/Statement/v1";
export const STATEMENT_TYPE_V01 = "https://in-toto.io/Statement/v0.1";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const AGENT_GATE_BUILD_TYPE = "https://agent-gate.dev/agent-commit/v1";
export const AGENT_COMMIT_BUILD_TYPE = "https://refs.arewm.com/agent-commit/v0.1";
export const GITHUB_ACTIONS_BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256 digest: 64 lowercase hex characters");
export const GitObjectId = z
  .string()
  .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "expected a git object id: 40 (sha1) or 64 (sha256) lowercase hex characters");
export const NonEmpty = z.string().min(1, "expected a non-empty string");
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
export const LooseRunDetails = z
  .object({
    builder: z.object({ id: NonEmpty }).loose(),
    metadata: z
      .object({ invocationId: z.string().optional(), startedOn: z.string().optional(), finishedOn: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();

/**
 * An SLSA Provenance v1 statement as other producers write it (agent-commit, plain SLSA v1): any statement type, at
 * least one subject of any kind, lenient runDetails; `buildDefinition` says what the format requires of the build.
 */
export function looseSlsaStatement<B extends z.ZodType>(buildDefinition: B) {
  return z
    .object({
      _type: z.string(),
      subject: z.array(AnySubject).min(1),
      predicateType: z.literal(SLSA_PROVENANCE_V1),
      predicate: z.object({ buildDefinition, runDetails: LooseRunDetails }).loose(),
    })
    .loose();
}

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


/** The JSON Schema of the agent-gate statement, as published in docs/provenance.schema.json. */
export function provenanceJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(AgentGateStatement, { target: "draft-2020-12" }),
    $id: "https://agent-gate.dev/schemas/agent-commit/v1.json",
    title: "agent-gate agent provenance (SLSA Provenance v1, buildType https://agent-gate.dev/agent-commit/v1)",
  };
}
