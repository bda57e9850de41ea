// The agent-commit draft (v0.1): read leniently, mapped field for field onto the agent-gate model.
import { z } from "zod";
import { sha256Hex } from "./digest.js";
import { AGENT_COMMIT_BUILD_TYPE, DigestSet, GitObjectId, looseSlsaStatement, NonEmpty } from "./provenance-statement.js";
import { fail, invocation, type AgentProvenance, type NamedModel, type ProvenanceParseResult } from "./provenance-view.js";

export const AgentCommitStatement = looseSlsaStatement(
  z
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
);

function decodeBase64Utf8(b64: string): string | undefined {
  try {
    const binary = atob(b64.replace(/\s+/g, ""));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function fromAgentCommit(s: z.infer<typeof AgentCommitStatement>): ProvenanceParseResult {
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
      subagents: named.runtimes,
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
function modelsNamedIn(agent: Record<string, unknown>): { models: NamedModel[]; runtimes: { name: string; version?: string }[] } | { error: string } {
  const out: NamedModel[] = [];
  // Subagents' runtimes (`runtime: {name, version}` of an object below the agent), for revocation of agents.
  const runtimes: { name: string; version?: string }[] = [];
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
    const rt = o["runtime"];
    if (depth > 0 && typeof rt === "object" && rt !== null && typeof (rt as Record<string, unknown>)["name"] === "string") {
      const r = rt as Record<string, unknown>;
      runtimes.push({ name: r["name"] as string, ...(typeof r["version"] === "string" ? { version: r["version"] } : {}) });
    }
    for (const [k, x] of Object.entries(o)) {
      if (depth === 0 && (k === "model" || k === "runtime")) continue; // the agent's own, already first
      visit(x, k === "subagents" || k === "subagent" ? "subagent" : k === "tools" || k === "mcpServers" ? "tool" : role, depth + 1);
    }
  };
  visit(agent, "agent", 0);
  const where = "predicate.buildDefinition.internalParameters.agent";
  if (tooDeep) return { error: `${where} nests deeper than ${MODEL_WALK_DEPTH} levels; expected at most ${MODEL_WALK_DEPTH}, so that every model it names is judged` };
  if (nodes > MODEL_WALK_NODES) return { error: `${where} holds more than ${MODEL_WALK_NODES} values; expected at most ${MODEL_WALK_NODES}, so that every model it names is judged` };
  return { models: out, runtimes };
}
