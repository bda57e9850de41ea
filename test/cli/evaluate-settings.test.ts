// `agent-gate evaluate --repo --pr` judges with the App's settings: the policy bundle, trusted roots and keys from
// the App's variables, validated the same way with the same errors, and says which policy judged; `--trusted-root
// github` is the pinned root by name, as in verify-bundle and attest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluateCommand } from "../../src/cli/evaluate.js";
import { BUILTIN_BUNDLE_PATH, builtinBundle, sha256Hex } from "../../src/adapters/opa/bundle-source.js";
import { bundleDigest } from "../../src/adapters/opa/engine.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { applyMutation } from "../../src/demo/run.js";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";

const s = loadScenarios().scenarios.find((x) => x.name === "signed-agent-pr")!;
const dir = mkdtempSync(join(tmpdir(), "ag-evaluate-settings-"));

async function cli(env: Record<string, string>, extra: string[] = ["--trusted-root", "fixtures/scenarios/trusted_root.json"]): Promise<{ code: number; out: string }> {
  const standIn = new GitHubStandIn(structuredClone(s.repos));
  for (const step of s.steps) applyMutation(standIn, s, step);
  const base = await standIn.listen();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const lines: string[] = [];
  try {
    const code = await evaluateCommand(["--repo", "acme/widgets", "--pr", "1", "--token", "ghs_cli", "--api-url", base, ...extra], { out: (t) => lines.push(t), err: (t) => lines.push(t) });
    return { code, out: lines.join("\n") };
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
    Object.assign(process.env, saved);
    await standIn.close();
  }
}

test("evaluate: the built-in policy is named by its digest", async () => {
  const { code, out } = await cli({});
  assert.equal(code, 0, out);
  const b = builtinBundle();
  assert.match(out, new RegExp(`\\npolicy \\S+ ${bundleDigest(b.wasm, b.dataBytes)} \\(built-in\\)\\n`));
});

test("evaluate: AGENT_GATE_POLICY_BUNDLE (pinned) is the policy that judges, named by its digest", async () => {
  const unpacked = join(dir, "bundle");
  execFileSync("mkdir", ["-p", unpacked]);
  execFileSync("tar", ["-xzf", BUILTIN_BUNDLE_PATH, "-C", unpacked]);
  const data = JSON.parse(readFileSync(join(unpacked, "data.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(unpacked, "data.json"), JSON.stringify({ ...data, organisation: "acme" }));
  const file = join(dir, "org-bundle.tar.gz");
  execFileSync("tar", ["-czf", file, "-C", unpacked, "."]);
  const pin = sha256Hex(readFileSync(file));
  const { code, out } = await cli({ AGENT_GATE_POLICY_BUNDLE: file, AGENT_GATE_POLICY_SHA256: pin });
  assert.equal(code, 0, out);
  const b = builtinBundle();
  assert.doesNotMatch(out, new RegExp(bundleDigest(b.wasm, b.dataBytes)));
  assert.match(out, new RegExp(`\\npolicy \\S+ sha256:[0-9a-f]{64} \\(${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)\\n`));
  // A pin that does not match, or one without its bundle: refused as the App refuses it (exit 2), never the built-in policy.
  const wrong = await cli({ AGENT_GATE_POLICY_BUNDLE: file, AGENT_GATE_POLICY_SHA256: "0".repeat(64) });
  assert.equal(wrong.code, 2, wrong.out);
  assert.match(wrong.out, /AGENT_GATE_POLICY_BUNDLE: .*expected sha256:0{64}/);
  const alone = await cli({ AGENT_GATE_POLICY_SHA256: pin });
  assert.equal(alone.code, 2);
  assert.match(alone.out, /AGENT_GATE_POLICY_SHA256 is set without AGENT_GATE_POLICY_BUNDLE/);
});

test("evaluate: AGENT_GATE_TRUSTED_KEYS and AGENT_GATE_TRUSTED_ROOTS are read and validated as the App's", async () => {
  const keys = join(dir, "keys.json");
  writeFileSync(keys, "{not json");
  const bad = await cli({ AGENT_GATE_TRUSTED_KEYS: keys });
  assert.equal(bad.code, 2);
  assert.match(bad.out, /AGENT_GATE_TRUSTED_KEYS: .*keys\.json: is not JSON; expected a JSON file/);
  const roots = await cli({ AGENT_GATE_TRUSTED_ROOTS: "nope=/nonexistent/root.json" }, []);
  assert.equal(roots.code, 2);
  assert.match(roots.out, /AGENT_GATE_TRUSTED_ROOTS: cannot read trusted root \/nonexistent\/root\.json/);
  // The App's root from AGENT_GATE_TRUSTED_ROOT, without a flag: the scenario's signatures verify.
  const root = await cli({ AGENT_GATE_TRUSTED_ROOT: "fixtures/scenarios/trusted_root.json" }, []);
  assert.equal(root.code, 0, root.out);
});

test("evaluate --trusted-root github: the pinned root by name, as in verify-bundle and attest", async () => {
  const { code, out } = await cli({}, ["--trusted-root", "github"]);
  assert.equal(code, 1, out); // the scenario's signatures are not from GitHub's instance
  assert.doesNotMatch(out, /cannot read|ENOENT/);
});
