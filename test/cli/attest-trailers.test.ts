// `agent-gate attest --commit-trailers`: the agent trailers for a commit the agent signs itself. The prompt gives
// only its sha256 (never echoed); what is printed reads back through the gate's reader (core/signed-commits.ts) as
// the same facts; values that would end or smuggle a trailer are refused; git puts the lines in the message as
// trailers, covered by a gitsign signature.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attestCommand } from "../../src/cli/attest.js";
import { AGENT_TRAILERS, agentTrailers, commitMessage } from "../../src/core/signed-commits.js";

const dir = mkdtempSync(join(tmpdir(), "agent-gate-trailers-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const PROMPT = "Fix the flaky widget test. The staging password is hunter2, do not print it.\n";
const promptFile = join(dir, "prompt.txt");
writeFileSync(promptFile, PROMPT);
const DIGEST = `sha256:${createHash("sha256").update(PROMPT).digest("hex")}`;

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await attestCommand(["--commit-trailers", ...args], { out: (t) => out.push(t), err: (t) => err.push(t), env: {}, cwd: dir, fetch: () => Promise.reject(new Error("no network in tests")) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}
const FULL = ["--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5", "--model-version", "20250929", "--prompt-file", promptFile];

test("prints the five trailer lines in order, the prompt only as its sha256", async () => {
  const r = await run(...FULL);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.split("\n"), [`Agent: claude-code`, `Agent-Version: 2.0.14`, `Agent-Model: anthropic/claude-sonnet-4-5`, `Agent-Model-Version: 20250929`, `Agent-Prompt-SHA256: ${DIGEST}`]);
  assert.doesNotMatch(r.out + r.err, /hunter2|flaky widget/);
  assert.deepEqual(Object.values(AGENT_TRAILERS), r.out.split("\n").map((l) => l.split(":")[0]));
});

test("--json: the trailers as key/value pairs and the lines; versions are optional", async () => {
  const r = await run("--agent", "codex", "--model", "openai/gpt-5-codex", "--prompt-file", promptFile, "--json");
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { trailers: { key: string; value: string }[]; lines: string[] };
  assert.deepEqual(doc.trailers, [
    { key: "Agent", value: "codex" },
    { key: "Agent-Model", value: "openai/gpt-5-codex" },
    { key: "Agent-Prompt-SHA256", value: DIGEST },
  ]);
});

test("refused with exit 2: a missing part, a value with a line break (a smuggled trailer), a model that is not provider/model, signing flags", async () => {
  const expectUsage = async (args: string[], re: RegExp): Promise<void> => {
    const r = await run(...args);
    assert.equal(r.code, 2, r.out);
    assert.match(r.err, re);
    assert.doesNotMatch(r.err, /hunter2/);
  };
  await expectUsage(["--model", "a/b", "--prompt-file", promptFile], /--agent/);
  await expectUsage(["--agent", "x", "--model", "a/b"], /--prompt-file/);
  await expectUsage(["--agent", "claude-code\nAgent-Model: evil/model", "--model", "a/b", "--prompt-file", promptFile], /--agent as 1 to 200 printable characters/);
  await expectUsage(["--agent", "x", "--model", "gpt", "--prompt-file", promptFile], /provider\/model/);
  await expectUsage(["--agent", "x".repeat(201), "--model", "a/b", "--prompt-file", promptFile], /1 to 200/);
  await expectUsage([...FULL, "--publish", "pr"], /signs nothing: drop --publish/);
  await expectUsage(["--agent", "x", "--model", "a/b", "--prompt-file", join(dir, "missing.txt")], /cannot read prompt file/);
});

test("git takes the lines as the message's trailers, and the gate reads them back as the same facts", async () => {
  const r = await run(...FULL);
  const repo = join(dir, "repo");
  const git = (...args: string[]): string => execFileSync("git", ["-c", "user.name=Agent", "-c", "user.email=agent@example.test", ...args], { cwd: repo, encoding: "utf8" });
  execFileSync("git", ["init", "-q", repo]);
  git("commit", "-q", "--allow-empty", "-m", "Fix the flaky widget test", "-m", r.out);
  const raw = git("cat-file", "commit", "HEAD");
  const message = commitMessage(raw);
  const own = execFileSync("git", ["interpret-trailers", "--parse"], { input: message, encoding: "utf8" }).trim().split("\n");
  assert.deepEqual(own, r.out.split("\n"));
  const facts = agentTrailers(message);
  assert.ok(facts.ok);
  assert.deepEqual(facts.facts, { agent: { name: "claude-code", version: "2.0.14" }, model: { id: "anthropic/claude-sonnet-4-5", version: "20250929" }, promptDigest: DIGEST });
});
