// .github/agent-gate.yml: every default, strictness, and errors that name the file, the path, what was expected
// and what was found (with the line), so a broken config gives a failing check a person can fix.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { DEFAULT_PROTECTED_PATHS, defaultRepoConfig, parseRepoConfig, policyData } from "../../src/config/repo-config.js";
import type { ConfigResult } from "../../src/config/repo-config.js";

const errors = (r: ConfigResult): readonly string[] => {
  assert.equal(r.ok, false);
  return r.ok ? [] : r.messages;
};

describe("repo config", () => {
  it("an empty file means every default", () => {
    const r = parseRepoConfig("");
    assert.ok(r.ok);
    assert.deepEqual(r.config, defaultRepoConfig());
    assert.equal(r.config.rules.human_approval.count, 1);
    assert.deepEqual(r.config.rules.protected_paths.paths, DEFAULT_PROTECTED_PATHS);
    assert.equal(r.config.deployments.environments.production?.agent_extra_approvals, 1);
    assert.match(r.digest, /^sha256:[0-9a-f]{64}$/);
  });

  it("the bundle's data.json holds exactly the defaults", () => {
    const data = JSON.parse(readFileSync(new URL("../../policies/rego/data.json", import.meta.url), "utf8")) as unknown;
    assert.deepEqual(data, JSON.parse(JSON.stringify(policyData(defaultRepoConfig()))));
  });

  it("reports a wrong type by path with what was expected and what was found", () => {
    const r = parseRepoConfig("rules:\n  human_approval:\n    count: two\n");
    assert.deepEqual(errors(r), ['.github/agent-gate.yml: rules.human_approval.count: expected a whole number >= 0, got "two" (line 3, column 12)']);
  });

  it("reports unknown keys by path", () => {
    const r = parseRepoConfig("rules:\n  signerz:\n    allowed: []\nextra: 1\n");
    assert.deepEqual(errors(r), [
      ".github/agent-gate.yml: rules.signerz: unknown key (line 3, column 5)",
      ".github/agent-gate.yml: extra: unknown key (line 4, column 8)",
    ]);
  });

  it("reports several problems at once, in nested lists", () => {
    const msgs = errors(
      parseRepoConfig(`rules:
  protected_paths:
    mode: maybe
    paths: [".github/**", 3]
  model_governance:
    allowed:
      - model: claude
        expires: 2026-02-30
deployments:
  environments:
    production: {regions: eu-west-1}
`),
    );
    assert.deepEqual(
      msgs.map((m) => m.replace(/ \(line.*$/, "")),
      [
        '.github/agent-gate.yml: rules.model_governance.allowed.0.model: expected a model id "provider/model", got "claude"',
        '.github/agent-gate.yml: rules.model_governance.allowed.0.expires: expected a calendar date, got "2026-02-30"',
        '.github/agent-gate.yml: rules.protected_paths.mode: expected "deny" or "require-approval", got "maybe"',
        ".github/agent-gate.yml: rules.protected_paths.paths.1: expected a glob or {pattern, mode}, got 3",
        '.github/agent-gate.yml: deployments.environments.production.regions: expected a list, got "eu-west-1"',
      ].sort((a, b) => msgs.findIndex((m) => m.startsWith(a)) - msgs.findIndex((m) => m.startsWith(b))),
    );
  });

  it("reports YAML syntax errors with line and column", () => {
    assert.deepEqual(errors(parseRepoConfig("rules:\n  size: {max_files: 3\n")).length, 1);
    assert.match(errors(parseRepoConfig("rules:\n  size: {max_files: 3\n"))[0] ?? "", /^\.github\/agent-gate\.yml: \(document\): invalid YAML: .* \(line \d+, column \d+\)$/);
    assert.match(errors(parseRepoConfig("a: 1\na: 2\n"))[0] ?? "", /Map keys must be unique \(line 2, column 1\)/);
  });

  it("a YAML document that is not a map is reported, not defaulted", () => {
    assert.match(errors(parseRepoConfig("- a\n- b\n"))[0] ?? "", /\(document\): .*expected object/i);
  });

  it("user environments keep production's extra approval unless they set it", () => {
    const r = parseRepoConfig("deployments:\n  environments:\n    staging: {regions: [eu-west-1]}\n    production: {regions: [eu-west-1]}\n");
    assert.ok(r.ok);
    assert.deepEqual(r.config.deployments.environments, { staging: { regions: ["eu-west-1"] }, production: { agent_extra_approvals: 1, regions: ["eu-west-1"] } });
    const off = parseRepoConfig("deployments:\n  environments:\n    production: {agent_extra_approvals: 0}\n");
    assert.ok(off.ok);
    assert.equal(off.config.deployments.environments.production?.agent_extra_approvals, 0);
  });

  it("equal configs have equal digests whatever the key order", () => {
    const a = parseRepoConfig("rules: {size: {max_files: 3, max_lines: 10}}");
    const b = parseRepoConfig("rules: {size: {max_lines: 10, max_files: 3}}");
    assert.ok(a.ok && b.ok);
    assert.equal(a.digest, b.digest);
    assert.notEqual(a.digest, (parseRepoConfig("") as { digest: string }).digest);
  });

  it("accepts signers, keys, per-repository lists and per-pattern modes", () => {
    const r = parseRepoConfig(`rules:
  signers:
    allowed:
      - identity: https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main
        issuer: https://token.actions.githubusercontent.com
      - key: k1
    repositories:
      acme/web: [{key: k2}]
  protected_paths:
    paths: [{pattern: ".github/workflows/**", mode: deny}, "infra/**"]
`);
    assert.ok(r.ok, r.ok ? "" : r.messages.join("\n"));
    assert.deepEqual(r.config.rules.signers.repositories, { "acme/web": [{ key: "k2" }] });
  });
});
