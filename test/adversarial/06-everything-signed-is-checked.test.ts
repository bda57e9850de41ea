// Class 6, "everything signed is checked": a signed statement may name more models than the agent's own (its
// subagents', its tools'); each is judged against the allow-list, and nothing the provenance schema accepts is
// dropped on the way. Each case is an otherwise passing agent PR (signed, allowed agent model, approved by carol)
// whose statement names one model the repository does not allow.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { StandInPull } from "../../src/demo/github/model.js";
import { agentCommitV01, SONNET } from "./agent-commit.js";
import { CONFIG, agentPull, alice, bob, carol, commit, judge, payloadFor, provenanceBlock, repo, shown, type SignOpts } from "./support.js";

const WITH_EXPIRED = CONFIG.replace(
  "  human_approval:",
  `      - model: anthropic/claude-3-5-haiku
        version: "20241022"
        expires: 2026-01-01
  human_approval:`,
);

async function opened(pulls: StandInPull[], config = CONFIG): Promise<{ conclusion: string | null; title: string; text: string }> {
  const r = repo(pulls, config);
  const judged = await judge([r], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, 1) }]);
  assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
  const run = judged.run(pulls[0]!.head.sha);
  return { conclusion: run.conclusion, title: run.output.title ?? "", text: shown(run) };
}

/** The agent's PR, its commit signed with `sign`, approved on its head by carol (who neither prompted nor wrote it). */
async function signedAndApproved(label: string, sign: Partial<SignOpts>): Promise<StandInPull> {
  const c = commit(label);
  const block = await provenanceBlock({ commits: [c], ...sign });
  return agentPull(1, [c], `Fix.\n\n${block}`, { reviews: [{ user: carol, state: "APPROVED", commit_id: c.sha }] });
}

/** agent-gate v1: subagents sit beside the agent's own model in internalParameters.agent. */
function v1Subagents(...models: { id: string; version: string }[]): SignOpts["predicate"] {
  return (p) => {
    const agent = (p as { buildDefinition: { internalParameters: { agent: Record<string, unknown> } } }).buildDefinition.internalParameters.agent;
    agent["subagents"] = models.map((model) => ({ runtime: { name: "claude-code-task", version: "2.1.0" }, model }));
    return p;
  };
}

function deniesModel(v: { conclusion: string | null; title: string; text: string }, label: string, why = "is not on the allow-list"): void {
  assert.equal(v.conclusion, "failure");
  assert.ok(v.title.startsWith(`Blocked: model \`${label}\` ${why}`), v.title);
}

test("the allowed agent with the same model and every subagent allowed passes (the baseline every case changes once)", async () => {
  const v = await opened([await signedAndApproved("ok1", { predicate: v1Subagents({ id: "anthropic/claude-sonnet-4-5", version: "20250929" }) })]);
  assert.equal(v.conclusion, "success", v.title);
});

test("an agent-gate v1 subagent on a disallowed model denies", async () => {
  deniesModel(await opened([await signedAndApproved("v1a", { predicate: v1Subagents({ id: "openai/gpt-4o", version: "2024-08-06" }) })]), "openai/gpt-4o@2024-08-06");
});

test("an agent-gate v1 subagent on the allowed model at another version denies", async () => {
  deniesModel(await opened([await signedAndApproved("v1b", { predicate: v1Subagents({ id: "anthropic/claude-sonnet-4-5", version: "20240620" }) })]), "anthropic/claude-sonnet-4-5@20240620");
});

test("an agent-gate v1 subagent on a model that left the allow-list denies", async () => {
  const pull = await signedAndApproved("v1c", { predicate: v1Subagents({ id: "anthropic/claude-3-5-haiku", version: "20241022" }) });
  deniesModel(await opened([pull], WITH_EXPIRED), "anthropic/claude-3-5-haiku@20241022", "left the allow-list on 2026-01-01");
});

test("an agent-gate v1 second subagent, after an allowed one, on a disallowed model denies", async () => {
  const v = await opened([await signedAndApproved("v1d", { predicate: v1Subagents({ id: "anthropic/claude-sonnet-4-5", version: "20250929" }, { id: "deepseek/deepseek-r1", version: "1" }) })]);
  deniesModel(v, "deepseek/deepseek-r1@1");
});

test("an agent-commit v0.1 subagent {provider, modelId, version} on a disallowed model denies", async () => {
  const statement = agentCommitV01({ agent: { subagents: [{ name: "reviewer", provider: "openai", modelId: "gpt-4o", version: "2024-08-06" }] } });
  deniesModel(await opened([await signedAndApproved("c1a", { statement })]), "openai/gpt-4o@2024-08-06");
});

test("an agent-commit v0.1 subagent on the allowed model at another version denies", async () => {
  const statement = agentCommitV01({ agent: { subagents: [{ ...SONNET, version: "20240620" }] } });
  deniesModel(await opened([await signedAndApproved("c1b", { statement })]), "anthropic/claude-sonnet-4-5@20240620");
});

test("an agent-commit v0.1 subagent on an expired model denies", async () => {
  const statement = agentCommitV01({ agent: { subagents: [{ provider: "anthropic", modelId: "claude-3-5-haiku", version: "20241022" }] } });
  deniesModel(await opened([await signedAndApproved("c1c", { statement })], WITH_EXPIRED), "anthropic/claude-3-5-haiku@20241022", "left the allow-list on 2026-01-01");
});

test("an agent-commit v0.1 tool with a model 'provider/model' string denies", async () => {
  const statement = agentCommitV01({ agent: { tools: ["Bash", { name: "web-search", model: "openai/gpt-4o-mini" }] } });
  deniesModel(await opened([await signedAndApproved("c1d", { statement })]), "openai/gpt-4o-mini");
});

test("an agent-commit v0.1 tool with a nested {provider, modelId, version} model denies", async () => {
  const statement = agentCommitV01({ agent: { tools: [{ name: "summariser", config: { model: { provider: "google", modelId: "gemini-2.5-pro", version: "001" } } }] } });
  deniesModel(await opened([await signedAndApproved("c1e", { statement })]), "google/gemini-2.5-pro@001");
});

test("a disallowed model in a subagent of a subagent five levels down is judged, not dropped", async () => {
  let deep: Record<string, unknown> = { name: "leaf", provider: "openai", modelId: "gpt-4o", version: "2024-08-06" };
  for (let i = 0; i < 5; i++) deep = { name: `level-${i}`, ...SONNET, subagents: [deep] };
  deniesModel(await opened([await signedAndApproved("c1f", { statement: agentCommitV01({ agent: { subagents: [deep] } }) })]), "openai/gpt-4o@2024-08-06");
});

test("a disallowed tool model after 2,000 plain tool names is judged, not dropped", async () => {
  const tools = [...Array.from({ length: 2000 }, (_, i) => `tool-${i}`), { name: "web-search", model: "openai/gpt-4o-mini" }];
  deniesModel(await opened([await signedAndApproved("c1g", { statement: agentCommitV01({ agent: { tools } }) })]), "openai/gpt-4o-mini");
});

test("an agent past the walk's bounds (nested 40 deep) is refused as unreadable, never passed with models unjudged", async () => {
  let deep: Record<string, unknown> = { provider: "openai", modelId: "gpt-4o" };
  for (let i = 0; i < 40; i++) deep = { wrap: deep };
  const v = await opened([await signedAndApproved("c1h", { statement: agentCommitV01({ agent: { extra: deep } }) })]);
  assert.equal(v.conclusion, "failure");
  assert.ok(v.text.includes("verification failed: PREDICATE_INVALID"), v.title);
  assert.ok(v.text.includes("nests deeper than"), "the reason names the bound");
});

// Every allowed attestation of a commit is judged, not the first in the PR body's order: `agent-gate attest` signs
// base..HEAD, so a re-attested commit carries several genuine statements, and the body's editor chooses their order.
async function twoBundles(label: string, first: Partial<SignOpts>, second: Partial<SignOpts>, reviewer: typeof carol): Promise<{ b1First: StandInPull; b2First: StandInPull }> {
  const c1 = commit(`${label}-1`);
  const c2 = commit(`${label}-2`);
  const b1 = await provenanceBlock({ commits: [c1], ...first });
  const b2 = await provenanceBlock({ commits: [c1, c2], ...second });
  const pull = (body: string): StandInPull => agentPull(1, [c1, c2], body, { reviews: [{ user: reviewer, state: "APPROVED", commit_id: c2.sha }] });
  return { b1First: pull(`Fix.\n\n${b1}\n\n${b2}`), b2First: pull(`Fix.\n\n${b2}\n\n${b1}`) };
}

test("a disallowed model in any allowed attestation of a commit denies, in either order of the bundles", async () => {
  const { b1First, b2First } = await twoBundles("mo", { model: { id: "openai/gpt-4o", version: "2024-08-06" } }, {}, carol);
  deniesModel(await opened([b1First]), "openai/gpt-4o@2024-08-06");
  deniesModel(await opened([b2First]), "openai/gpt-4o@2024-08-06");
});

test("the prompter any allowed attestation names cannot approve, in either order of the bundles", async () => {
  const { b1First, b2First } = await twoBundles("pr", { prompter: alice }, { prompter: bob }, alice);
  for (const pull of [b1First, b2First]) {
    const v = await opened([pull]);
    assert.equal(v.conclusion, "failure", v.title);
    assert.match(v.text, /alice/);
  }
});
