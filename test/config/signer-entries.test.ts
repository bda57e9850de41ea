// Signer entries in .github/agent-gate.yml: every form parses, a wrong value is reported with its own error, and
// `config validate`'s lint warns about entries that can never match a certificate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { literalPrefix, neverMatching } from "../../src/cli/config-lint.js";
import { validateRepoConfig } from "../../src/config/repo-config.js";

const GHA = "https://token.actions.githubusercontent.com";
const errors = (allowed: unknown[]): string[] => {
  const r = validateRepoConfig({ rules: { signers: { allowed } } });
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
};

test("every signer form parses: exact, pattern, key, and the GitHub workflow form", () => {
  const r = validateRepoConfig({
    rules: {
      signers: {
        allowed: [
          { identity: "https://github.com/acme/a/.github/workflows/agent.yml@refs/heads/main", issuer: GHA },
          { identity_pattern: "^https://github\\.com/acme/[^/]+/\\.github/workflows/agent\\.yml@refs/heads/main$", issuer: GHA },
          { key: "k1" },
          { owner: "acme" },
          { owner: "acme", repo: "agent-signing", workflow: ".github/workflows/agent.yml", refs: ["refs/heads/main"], source_repository: "acme/app", source_ref: "refs/heads/main", runner: "github-hosted", issuer: GHA },
        ],
      },
    },
    deployments: { default: { signers: [{ owner: "acme", workflow: ".github/workflows/release.yml", runner: "github-hosted" }] } },
  });
  assert.ok(r.ok, r.ok ? "" : r.messages.join("\n"));
  assert.deepEqual(r.config.rules.signers.allowed[3], { owner: "acme" }, "no defaults are filled in: the policy applies them");
});

test("a wrong value in a signer entry is reported with that value's own error", () => {
  assert.match(errors([{ identity_pattern: "https://github\\.com/.*", issuer: GHA }])[0]!, /rules\.signers\.allowed\.0\.identity_pattern: expected an identity pattern anchored with \^\.\.\.\$/);
  assert.match(errors([{ identity_pattern: "^(?=x)a$", issuer: GHA }])[0]!, /identity_pattern: expected an RE2 pattern/);
  assert.match(errors([{ owner: "acme/agents" }])[0]!, /owner: expected a login without \//);
  assert.match(errors([{ owner: "acme", workflow: ".github/workflows/a.yml@refs/heads/main" }])[0]!, /workflow: expected a path .* without @ref/);
  assert.match(errors([{ owner: "acme", runner: "self-hosted" }])[0]!, /runner: expected "github-hosted" or "any"/);
  assert.match(errors([{ owner: "acme", source_repository: "app" }])[0]!, /source_repository: expected OWNER\/REPO/);
  assert.match(errors([{ owner: "acme", refs: [] }])[0]!, /refs: expected at least one ref/);
  assert.match(errors([{ owner: "acme", branch: "main" }])[0]!, /allowed\.0\.branch: unknown key/);
  assert.match(errors([{ issuer: GHA }])[0]!, /expected \{identity, issuer\}, \{identity_pattern, issuer\}, \{owner/);
  assert.match(validateRepoConfig({ deployments: { default: { signers: [{ key: "k1" }] } } }).ok ? "" : "refused", /refused/, "keys sign no deployment attestation");
});

test("the literal prefix of a pattern: what every match starts with", () => {
  assert.equal(literalPrefix("^https://github\\.com/acme/.*$"), "https://github.com/acme/");
  assert.equal(literalPrefix("^https?://x$"), "http");
  assert.equal(literalPrefix("^a|b$"), "");
  assert.equal(literalPrefix("^(a|b)c$"), "");
  assert.equal(literalPrefix("^\\w+$"), "");
  assert.equal(literalPrefix("no anchor"), "");
});

test("config lint: entries that can never match a GitHub Actions certificate", () => {
  const got = neverMatching({
    rules: {
      signers: {
        allowed: [
          { identity_pattern: "^https://gitlab\\.com/.*$", issuer: GHA },
          { identity_pattern: "^https://github\\.com/acme/.*$", issuer: GHA },
          { identity: "agent@example.com", issuer: GHA },
          { owner: "-acme", workflow: "agent.yml", refs: ["main"], source_ref: "refs/heads/main" },
          { owner: "acme", issuer: "https://token.actions.ghe.example" },
          { identity_pattern: "^https://gitlab\\.com/.*$", issuer: "https://gitlab.com" },
        ],
      },
    },
  }).map((l) => `${l.path.join(".")}: ${l.message}`);
  assert.equal(got.length, 6, got.join("\n"));
  assert.match(got[0]!, /^rules\.signers\.allowed\.0\.identity_pattern: .*can never match: every match starts with "https:\/\/gitlab\.com\/"/);
  assert.match(got[1]!, /^rules\.signers\.allowed\.2\.identity: .*can never match/);
  assert.match(got[2]!, /^rules\.signers\.allowed\.3\.owner: owner "-acme" is not a valid GitHub login/);
  assert.match(got[3]!, /^rules\.signers\.allowed\.3\.workflow: .*\.github\/workflows\/FILE\.yml/);
  assert.match(got[4]!, /^rules\.signers\.allowed\.3\.refs\.0: ref "main" can never match: .*refs\/heads\/main/);
  assert.match(got[5]!, /^rules\.signers\.allowed\.4\.issuer: .*GitHub Enterprise Server identity never matches/);
});
