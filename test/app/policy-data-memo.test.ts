// The gate's policy data is kept per deep-frozen config (so the policy pool serialises it and the audit log hashes
// it once): what it returns must be exactly what building it afresh returns, and no two configs, repositories or
// revocation lists may ever share an entry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dataDocument } from "../../src/adapters/storage/bundle-store.js";
import { gatePolicyData } from "../../src/app/evaluate-pull-request.js";
import type { LoadedConfig } from "../../src/app/load-config.js";
import { parseRepoConfig, type RepoConfig } from "../../src/config/repo-config.js";
import type { RevokedData } from "../../src/config/revocations.js";
import { canonicalize } from "../../src/core/digest.js";
import { deepFreeze, isDeepFrozen } from "../../src/core/freeze.js";

const TEXTS = [
  "",
  "rules:\n  signers:\n    allowed:\n      - identity: https://github.com/acme/web/.github/workflows/agent.yml@refs/heads/main\n        issuer: https://token.actions.githubusercontent.com\n",
  "rules:\n  protected_paths:\n    paths:\n      - .github/agent-gate.yml\n      - infra/**\n",
  "rules:\n  model_governance:\n    allowed:\n      - model: anthropic/claude-sonnet-4-5\n",
];

function config(text: string): RepoConfig {
  const r = parseRepoConfig(text);
  if (!r.ok) throw new Error(r.messages.join("; "));
  return r.config;
}

const revoked = (model: string): RevokedData => ({ signers: [], certificates: [], rekor_entries: [], models: [{ model }], agents: [], commit_keys: [], source: "acme/.github:.github/agent-gate-revocations.yml", digest: `sha256:${model.length}` });

const loadedOf = (c: RepoConfig, files: readonly string[], r?: RevokedData): LoadedConfig => ({ config: c, facts: { source: "repository", path: ".github/agent-gate.yml", digest: "sha256:0" }, files, ...(r ? { revoked: r } : {}) });

const CASES: [string, readonly string[], RevokedData | undefined][] = [
  ["acme/web", ["acme/web:.github/agent-gate.yml"], undefined],
  ["acme/web", ["acme/web:.github/agent-gate.yml", "acme/web:ci/base.yml"], undefined],
  ["acme/api", ["acme/api:.github/agent-gate.yml"], undefined],
  ["acme/api", ["acme/.github:.github/agent-gate.yml (default branch)"], revoked("openai/gpt-5")],
  ["acme/api", ["acme/.github:.github/agent-gate.yml (default branch)"], revoked("anthropic/claude-opus-4")],
];

test("the kept data is exactly the data built afresh, for several configs, repositories and revocation lists", () => {
  for (const text of TEXTS) {
    const shared = deepFreeze(config(text));
    for (const [repository, files, r] of CASES) {
      // A config that is not deep-frozen is never kept: its data is the uncached path's.
      const fresh = gatePolicyData(loadedOf(config(text), files, r), repository);
      assert.equal(isDeepFrozen(fresh), false);
      const first = gatePolicyData(loadedOf(shared, files, r), repository);
      const again = gatePolicyData(loadedOf(shared, [...files], r ? structuredClone(r) : undefined), repository);
      assert.deepStrictEqual(first, fresh);
      assert.equal(canonicalize(first), canonicalize(fresh));
      assert.equal(again, first, "the same inputs: the same kept object");
      assert.equal(isDeepFrozen(first), true);
      assert.deepStrictEqual(dataDocument(first), dataDocument(fresh));
      assert.equal(dataDocument(first), dataDocument(again));
    }
  }
});

test("two configs, repositories or revocation lists never share an entry", () => {
  const byContent = new Map<string, unknown>(); // the canonical data the uncached path makes -> an object served for it
  const byConfig = new Map<unknown, RepoConfig>(); // an object served -> the config object it was served for
  for (const text of TEXTS) {
    // Two distinct config objects with the same content each get their own entries, as do different contents.
    for (const c of [deepFreeze(config(text)), deepFreeze(config(text))]) {
      for (const [repository, files, r] of CASES) {
        const data = gatePolicyData(loadedOf(c, files, r), repository);
        const want = canonicalize(gatePolicyData(loadedOf(structuredClone(c), files, r), repository));
        assert.equal(canonicalize(data), want);
        for (const [content, obj] of byContent) if (content !== want) assert.notEqual(obj, data, "different data served as one object");
        const owner = byConfig.get(data);
        assert.ok(owner === undefined || owner === c, "one config's data served for another config object");
        byConfig.set(data, c);
        byContent.set(want, data);
      }
    }
  }
  // The repository and the revocation list change what the policy sees (same config, different data).
  const c = deepFreeze(config(TEXTS[1]!));
  const web = gatePolicyData(loadedOf(c, ["acme/web:.github/agent-gate.yml", "acme/web:ci/base.yml"]), "acme/web");
  const api = gatePolicyData(loadedOf(c, ["acme/web:.github/agent-gate.yml", "acme/web:ci/base.yml"]), "acme/api");
  assert.notEqual(canonicalize(web), canonicalize(api));
  const listed = gatePolicyData(loadedOf(c, ["acme/api:.github/agent-gate.yml"], revoked("openai/gpt-5")), "acme/api");
  const other = gatePolicyData(loadedOf(c, ["acme/api:.github/agent-gate.yml"], revoked("openai/gpt-4o")), "acme/api");
  assert.notEqual(canonicalize(listed), canonicalize(other));
});

test("the revocation list the caller passed is not frozen by being kept", () => {
  const r = revoked("openai/gpt-5");
  const data = gatePolicyData(loadedOf(deepFreeze(config(TEXTS[1]!)), ["acme/web:.github/agent-gate.yml"], r), "acme/web") as { revoked: unknown };
  assert.equal(Object.isFrozen(r), false);
  assert.deepStrictEqual(data.revoked, r);
});
