import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  AGENT_COMMIT_BUILD_TYPE,
  AGENT_GATE_BUILD_TYPE,
  buildAgentStatement,
  parseAgentProvenance,
  provenanceJsonSchema,
  sha256Hex,
} from "../../src/core/provenance.js";
import { AgentGateError } from "../../src/core/errors.js";
import { BASE, GITHUB_ACTIONS_PROVENANCE, SHA_B, TREE_B, agentStatement, statementInput } from "./fixtures.js";

const clone = <T>(x: T): T => structuredClone(x);

describe("agent-gate provenance v1", () => {
  test("a built statement parses back to the same agent, model, prompt digest, delegation and subjects", () => {
    const r = parseAgentProvenance(agentStatement());
    assert.ok(r.ok);
    assert.equal(r.value.kind, "agent");
    if (r.value.kind !== "agent") return;
    assert.equal(r.value.format, "agent-gate/v1");
    assert.equal(r.value.buildType, AGENT_GATE_BUILD_TYPE);
    assert.deepEqual(r.value.runtime, { name: "claude-code", version: "2.1.0", digest: { sha256: "ab".repeat(32) } });
    assert.deepEqual(r.value.model, { id: "anthropic/claude-sonnet-4-5", version: "20250929" });
    assert.equal(r.value.prompt?.sha256, sha256Hex("Fix the login redirect bug described in #42."));
    assert.equal(r.value.prompt?.text, undefined, "the prompt text is left out unless explicitly included");
    assert.deepEqual(r.value.delegation?.principal, { login: "alice", id: 1001 });
    assert.deepEqual(r.value.subjects, [{ name: "git+https://github.com/acme/app@refs/heads/claude/fix-login", digest: { gitCommit: SHA_B, gitTree: TREE_B } }]);
    assert.equal(r.value.invocation.builderId, "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main");
    assert.equal(r.value.invocation.invocationId, "https://github.com/acme/agents/actions/runs/77/attempts/1");
    assert.deepEqual(r.value.mcpServers.map((m) => m.name), ["github"]);
  });

  test("the prompt text is included only when asked for", () => {
    const s = buildAgentStatement(statementInput({ prompt: { text: "do it", includeText: true } }));
    assert.equal(s.predicate.buildDefinition.externalParameters.prompt.text, "do it");
    assert.equal(s.predicate.buildDefinition.externalParameters.prompt.digest.sha256, sha256Hex("do it"));
  });

  test("a misspelt parameter is an error naming its path, not a silently ignored field", () => {
    const s = clone(agentStatement()) as unknown as { predicate: { buildDefinition: { externalParameters: Record<string, unknown> } } };
    s.predicate.buildDefinition.externalParameters["promt"] = { digest: { sha256: "00" } };
    const r = parseAgentProvenance(s);
    assert.ok(!r.ok);
    assert.equal(r.code, "PREDICATE_INVALID");
    assert.match(r.message, /predicate\.buildDefinition\.externalParameters: Unrecognized key: "promt"/);
  });

  test("a short commit sha in a subject is refused with what was expected", () => {
    const s = clone(agentStatement()) as unknown as { subject: { digest: { gitCommit: string } }[] };
    s.subject[0]!.digest.gitCommit = "a1b2c3d";
    const r = parseAgentProvenance(s);
    assert.ok(!r.ok);
    assert.match(r.message, /subject\[0\]\.digest\.gitCommit: expected a git object id: 40 \(sha1\) or 64 \(sha256\)/);
  });

  test("a model id without a provider is refused", () => {
    assert.throws(
      () => buildAgentStatement(statementInput({ model: { id: "claude-sonnet-4-5", version: "1" } })),
      (e: unknown) => e instanceof AgentGateError && e.code === "PROVENANCE_INVALID" && /provider\/model/.test(e.message),
    );
  });

  test("a subject that is not a GitHub git URL is refused", () => {
    const s = clone(agentStatement()) as unknown as { subject: { name: string }[] };
    s.subject[0]!.name = "git+https://evil.example/acme/app@main";
    const r = parseAgentProvenance(s);
    assert.ok(!r.ok);
    assert.match(r.message, /subject\[0\]\.name: expected git\+https:\/\/github\.com\/OWNER\/REPO@<ref or commit sha>/);
  });

  test("invocation times must be RFC 3339", () => {
    const s = clone(agentStatement()) as unknown as { predicate: { runDetails: { metadata: { startedOn: string } } } };
    s.predicate.runDetails.metadata.startedOn = "yesterday";
    const r = parseAgentProvenance(s);
    assert.ok(!r.ok);
    assert.match(r.message, /predicate\.runDetails\.metadata\.startedOn: expected an RFC 3339 timestamp/);
  });
});

describe("other statements", () => {
  test("not a statement at all", () => {
    for (const junk of [null, 42, "x", {}, { _type: "https://in-toto.io/Statement/v1" }]) {
      const r = parseAgentProvenance(junk);
      assert.ok(!r.ok);
      assert.equal(r.code, "STATEMENT_INVALID");
    }
  });

  test("another predicate type is unsupported, named in the message", () => {
    const r = parseAgentProvenance({ _type: "https://in-toto.io/Statement/v1", subject: [], predicateType: "https://spdx.dev/Document", predicate: {} });
    assert.ok(!r.ok);
    assert.equal(r.code, "PREDICATE_TYPE_UNSUPPORTED");
    assert.match(r.message, /got "https:\/\/spdx\.dev\/Document"/);
  });

  test("GitHub Actions SLSA provenance is build provenance, with its workflow", () => {
    const r = parseAgentProvenance(GITHUB_ACTIONS_PROVENANCE);
    assert.ok(r.ok);
    assert.equal(r.value.kind, "build");
    if (r.value.kind !== "build") return;
    assert.deepEqual(r.value.workflow, { repository: "https://github.com/acme/app", path: ".github/workflows/release.yml", ref: "refs/heads/main" });
    assert.equal(r.value.invocation.builderId, "https://github.com/actions/runner/github-hosted");
  });

  test("GitHub Actions provenance without its workflow parameters is invalid", () => {
    const s = clone(GITHUB_ACTIONS_PROVENANCE) as unknown as { predicate: { buildDefinition: { externalParameters: unknown } } };
    s.predicate.buildDefinition.externalParameters = {};
    const r = parseAgentProvenance(s);
    assert.ok(!r.ok);
    assert.equal(r.code, "PREDICATE_INVALID");
    assert.match(r.message, /workflow/);
  });

  test("subagents' runtimes are kept (for agent revocation), in both formats", () => {
    const st = clone(agentStatement()) as unknown as { predicate: { buildDefinition: { internalParameters: { agent: Record<string, unknown> } } } };
    st.predicate.buildDefinition.internalParameters.agent["subagents"] = [{ runtime: { name: "aider", version: "0.80.0" }, model: { id: "openai/gpt-5", version: "1" } }, { model: { id: "openai/gpt-5-mini", version: "1" } }];
    const r = parseAgentProvenance(st);
    assert.ok(r.ok, JSON.stringify(r));
    if (r.value.kind !== "agent") return assert.fail("expected agent provenance");
    assert.deepEqual(r.value.subagents, [{ name: "aider", version: "0.80.0" }]);
  });

  test("the agent-commit v0.1 draft maps one to one onto the agent-gate model", () => {
    const prompt = "Refactor the parser";
    const s = {
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "git+https://github.com/acme/app@refs/heads/agent/x", digest: { gitCommit: SHA_B } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: {
        buildDefinition: {
          buildType: AGENT_COMMIT_BUILD_TYPE,
          externalParameters: {
            task: { uri: "https://github.com/acme/app/issues/7", digest: { sha256: "12".repeat(32) } },
            prompt: btoa(prompt),
            target: { repository: "https://github.com/acme/app", baseRef: "refs/heads/main", baseCommit: BASE },
          },
          internalParameters: {
            agent: {
              model: { provider: "anthropic", modelId: "claude-opus-4", digest: { sha256: "34".repeat(32) } },
              runtime: { name: "claude-code", version: "1.0.0" },
              tools: ["Bash", { name: "fs", uri: "npx @mcp/fs", digest: { sha256: "56".repeat(32) }, capabilities: ["read"] }],
              sandboxPolicy: { network: "none" },
              subagents: [{ runtime: { name: "aider", version: "0.80.0" }, model: { provider: "openai", modelId: "gpt-5" } }],
            },
          },
        },
        runDetails: { builder: { id: "https://example.com/runner" }, metadata: { invocationId: "run-1", startedOn: "2026-01-01T00:00:00Z" } },
      },
    };
    const r = parseAgentProvenance(s);
    assert.ok(r.ok, JSON.stringify(r));
    if (r.value.kind !== "agent") return assert.fail("expected agent provenance");
    assert.equal(r.value.format, "agent-commit/v0.1");
    assert.equal(r.value.model.id, "anthropic/claude-opus-4");
    assert.deepEqual(r.value.prompt, { sha256: sha256Hex(prompt), text: prompt });
    assert.deepEqual(r.value.tools, [{ name: "Bash" }]);
    assert.deepEqual(r.value.mcpServers, [{ name: "fs", uri: "npx @mcp/fs", digest: { sha256: "56".repeat(32) }, capabilities: ["read"] }]);
    assert.equal(r.value.delegation, undefined, "agent-commit records no delegating human");
    assert.deepEqual(r.value.subagents, [{ name: "aider", version: "0.80.0" }]);
  });

  test("agent-commit with a prompt that is not base64 is invalid", () => {
    const s = {
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "git+https://github.com/acme/app@main", digest: { gitCommit: SHA_B } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: {
        buildDefinition: {
          buildType: AGENT_COMMIT_BUILD_TYPE,
          externalParameters: { prompt: "%%% not base64 %%%" },
          internalParameters: { agent: { model: { provider: "a", modelId: "b" }, runtime: { name: "r", version: "1" } } },
        },
        runDetails: { builder: { id: "x" } },
      },
    };
    const r = parseAgentProvenance(s);
    assert.ok(!r.ok);
    assert.match(r.message, /prompt: expected base64/);
  });
});

test("docs/provenance.schema.json is fresh (npm run docs:provenance)", () => {
  const onDisk = JSON.parse(readFileSync(new URL("../../docs/provenance.schema.json", import.meta.url), "utf8")) as unknown;
  assert.deepEqual(onDisk, provenanceJsonSchema());
});

test("the example statement in docs/provenance.md parses as agent-gate provenance", () => {
  const md = readFileSync(new URL("../../docs/provenance.md", import.meta.url), "utf8");
  const m = /```json\n([^]*?)\n```/.exec(md);
  assert.ok(m?.[1], "docs/provenance.md has a json example");
  const r = parseAgentProvenance(JSON.parse(m[1]));
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.kind, "agent");
});
