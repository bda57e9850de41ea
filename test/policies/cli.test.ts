// agent-gate policy eval: prints the decision JSON; exit 0 allows, 1 denies, 2 is an error (never an allow).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, mock } from "node:test";
import { main } from "../../src/cli/main.js";
import { BUILTIN_BUNDLE_PATH } from "../../src/adapters/opa/bundle-source.js";
import { loadCases } from "./support.js";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const log = mock.method(console, "log", () => undefined);
  const error = mock.method(console, "error", () => undefined);
  try {
    const code = await main(args);
    const text = (m: typeof log) => m.mock.calls.map((c) => c.arguments.map(String).join(" ")).join("\n");
    return { code, out: text(log), err: text(error) };
  } finally {
    log.mock.restore();
    error.mock.restore();
  }
}

describe("agent-gate policy eval", () => {
  let dir = "";
  const file = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  before(() => (dir = mkdtempSync(join(tmpdir(), "agent-gate-cli-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const pr = () => loadCases().find((c) => c.name === "pr-signed-agent-passes");
  const config = `rules:
  signers:
    allowed:
      - identity: https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main
        issuer: https://token.actions.githubusercontent.com
  model_governance:
    allowed: [{model: anthropic/claude-sonnet-4-5}]
`;

  it("allows a compliant pull request under a config and prints the decision", async () => {
    const input = file("pr.json", JSON.stringify(pr()?.input));
    const r = await run(["policy", "eval", "--input", input, "--config", file("agent-gate.yml", config)]);
    assert.equal(r.code, 0, r.err);
    const d = JSON.parse(r.out) as { allow: boolean; policy: { revision: string }; entrypoint: string };
    assert.equal(d.allow, true);
    assert.equal(d.entrypoint, "agent_gate/pull_request/decision");
    assert.match(d.policy.revision, /^builtin-/);
  });

  it("exits 1 on a deny (the built-in defaults allow no signer)", async () => {
    const r = await run(["policy", "eval", "--input", file("pr2.json", JSON.stringify(pr()?.input)), "--bundle", BUILTIN_BUNDLE_PATH]);
    assert.equal(r.code, 1);
    assert.ok((JSON.parse(r.out) as { deny: { rule: string }[] }).deny.some((f) => f.rule === "signers"));
  });

  it("picks the deployment entrypoint from the input's kind, or the one given", async () => {
    const dep = loadCases().find((c) => c.name === "deploy-failed-gate");
    const r = await run(["policy", "eval", "--input", file("dep.json", JSON.stringify(dep?.input))]);
    assert.equal((JSON.parse(r.out) as { entrypoint: string }).entrypoint, "agent_gate/deployment/decision");
    const r2 = await run(["policy", "eval", "--input", file("dep2.json", "{}"), "--entrypoint", "agent_gate/nope"]);
    assert.equal(r2.code, 2);
    assert.match(r2.err, /no entrypoint "agent_gate\/nope"/);
  });

  it("exits 2 with the file, path and expectation for a broken config", async () => {
    const r = await run(["policy", "eval", "--input", file("x.json", "{}"), "--config", file("bad.yml", "rules:\n  size:\n    max_files: 0\n")]);
    assert.equal(r.code, 2);
    assert.match(r.err, /bad\.yml: rules\.size\.max_files: expected a whole number >= 1, got 0/);
  });

  it("exits 2 on unreadable input, a wrong pin and unknown options", async () => {
    assert.equal((await run(["policy", "eval", "--input", file("bad.json", "{nope")])).code, 2);
    const pinned = await run(["policy", "eval", "--input", file("y.json", "{}"), "--bundle", BUILTIN_BUNDLE_PATH, "--bundle-sha256", "0".repeat(64)]);
    assert.equal(pinned.code, 2);
    assert.match(pinned.err, /expected sha256:0{64}, got sha256:/);
    assert.equal((await run(["policy", "eval", "--bogus"])).code, 2);
    assert.equal((await run(["policy"])).code, 2);
  });
});
