// Rule modes in the config (issue 18): enforce | warn | off per rule, `enabled: false` as the older spelling of off,
// the two refused when they disagree, protected_paths' older `mode: deny | require-approval` read as path_mode, and
// the config-wide `mode: shadow`.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defaultRepoConfig, parseRepoConfig, type ConfigResult } from "../../src/config/repo-config.js";

const ok = (r: ConfigResult) => {
  assert.ok(r.ok, r.ok ? "" : r.messages.join("\n"));
  return r.config;
};
const errors = (r: ConfigResult): readonly string[] => (r.ok ? [] : r.messages);

describe("rule modes", () => {
  it("every rule enforces by default, and the config is not in shadow mode", () => {
    const c = defaultRepoConfig();
    assert.equal(c.mode, "enforce");
    for (const [name, rule] of Object.entries(c.rules)) {
      assert.equal((rule as { mode?: string }).mode, "enforce", name);
      assert.equal(rule.enabled, true, name);
    }
    assert.equal(c.rules.protected_paths.path_mode, "require-approval");
  });

  it("mode warn and off are kept; off switches the rule off (enabled false)", () => {
    const c = ok(parseRepoConfig("rules:\n  size: {mode: warn}\n  prompt: {mode: off}\n"));
    assert.equal(c.rules.size.mode, "warn");
    assert.equal(c.rules.size.enabled, true);
    assert.equal(c.rules.prompt.mode, "off");
    assert.equal(c.rules.prompt.enabled, false);
  });

  it("enabled: false is the older spelling of off, alone or with mode off", () => {
    for (const text of ["rules:\n  size: {enabled: false}\n", "rules:\n  size: {enabled: false, mode: off}\n"]) {
      const c = ok(parseRepoConfig(text));
      assert.equal(c.rules.size.mode, "off");
      assert.equal(c.rules.size.enabled, false);
    }
  });

  it("refuses enabled: false with mode enforce or warn, naming the key and what was expected", () => {
    const msgs = errors(parseRepoConfig("rules:\n  size:\n    enabled: false\n    mode: warn\n"));
    assert.equal(msgs.length, 1);
    assert.match(msgs[0] ?? "", /^\.github\/agent-gate\.yml: rules\.size\.mode: expected "off" or no mode with enabled: false .*got "warn" \(line 4, column \d+\)$/);
  });

  it("refuses an unknown mode, saying which are accepted", () => {
    assert.match(errors(parseRepoConfig("rules:\n  size: {mode: audit}\n"))[0] ?? "", /rules\.size\.mode: expected "enforce", "warn" or "off", got "audit"/);
    assert.match(errors(parseRepoConfig("mode: evaluate\n"))[0] ?? "", /: mode: expected "enforce" or "shadow", got "evaluate"/);
  });

  it("protected_paths: the older mode deny | require-approval is its path_mode, and the rule enforces", () => {
    const c = ok(parseRepoConfig("rules:\n  protected_paths: {mode: deny}\n"));
    assert.equal(c.rules.protected_paths.mode, "enforce");
    assert.equal(c.rules.protected_paths.path_mode, "deny");
    const w = ok(parseRepoConfig("rules:\n  protected_paths: {mode: warn, path_mode: deny}\n"));
    assert.equal(w.rules.protected_paths.mode, "warn");
    assert.equal(w.rules.protected_paths.path_mode, "deny");
    assert.match(errors(parseRepoConfig("rules:\n  protected_paths: {mode: deny, path_mode: require-approval}\n"))[0] ?? "", /rules\.protected_paths\.path_mode: expected no path_mode, or "deny"/);
  });

  it("mode: shadow is accepted at the top level", () => {
    assert.equal(ok(parseRepoConfig("mode: shadow\n")).mode, "shadow");
  });
});
