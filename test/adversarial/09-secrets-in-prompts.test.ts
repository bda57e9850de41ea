// Class 9, "secrets in prompts": an agent run's signed statement may include the prompt text, and a person who
// pastes a credential into a prompt leaks it to the transparency log and to everyone who reads the PR. Each case is
// a prompt holding a credential format the old scanner missed (GitLab, Stripe, Azure, PyPI and Hugging Face
// tokens, Bearer and Basic headers, passwords in URLs and connection strings, unsigned JWTs, GCP service-account
// files); the scan must find it, the policy input must say `contains_secrets`, and nothing may echo the value.
// Every credential is assembled at run time, so the repository holds no literal that scanners flag.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { bindProvenance } from "../../src/core/binding.js";
import { scanSecrets } from "../../src/core/secrets.js";
import type { SecretKind } from "../../src/core/secrets.js";
import { SHA_A, SHA_B, TREE_A, TREE_B, agentStatement, verified } from "../core/fixtures.js";
import { agentPull, commit, openAndJudge, provenanceBlock, repo } from "./support.js";

const rep = (s: string, n: number): string => s.repeat(n);
const repository = { owner: "acme", name: "app", id: 100 };
const commits = [
  { sha: SHA_A, treeSha: TREE_A },
  { sha: SHA_B, treeSha: TREE_B },
];

// [the attack, the prompt, the secret in it, the kind the scan must name]
const PROMPTS: [string, string, string, SecretKind][] = [
  ["a GitLab personal access token to push with", "Clone the mirror with token TOKEN and push the fix.", "glpat-" + rep("x9Yz", 5), "gitlab-token"],
  ["a Stripe live key for an integration test", "Run the billing tests against Stripe with key TOKEN, then revert.", "sk_live_" + rep("4eC3", 6), "stripe-key"],
  ["an Azure AD client secret in a config snippet", "Set AZURE_CLIENT_SECRET to 'TOKEN' in the deploy job.", "bP88" + "Q~rcBcYjzzOhg1Hnn76Wm3jGgakZiZ.8vMgR", "azure-client-secret"],
  ["a PyPI upload token for the release script", "Publish with twine using TOKEN as the password.", "pypi-" + "AgEIcHlwaS5vcmc" + rep("0a1b2c3d", 8), "pypi-token"],
  ["a Bearer header copied from a curl command", "Reproduce: curl -H 'Authorization: Bearer TOKEN' https://api.internal/v1/users", "a1B2c3D4e5F6g7H8i9J0kLmN", "bearer-token"],
  ["a Basic authorization header", "The staging proxy wants Authorization: Basic TOKEN on every call.", "dXNlcjpodW50ZXIy", "authorization-header"],
  ["a database URL with its password", "Point the migration at postgres://app:TOKEN@db.internal:5432/app and run it.", "s3cr3t-Pa55", "url-password"],
  ["an Azure storage connection string", "Use DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=TOKEN;EndpointSuffix=core.windows.net", rep("Ab3+", 22) + "==", "connection-string-password"],
  ["a Hugging Face token for a model download", "Download the weights with TOKEN before the eval.", "hf_" + "abcdefghijklmnopqrstuvwxyzABCDEFGH", "huggingface-token"],
  ["an unsigned JWT session token", "Replay the request with the cookie session=TOKEN to see the bug.", "eyJhbGciOiJub25lIn0" + ".eyJzdWIiOiIxMjM0In0.", "jwt"],
  ["a GCP service-account file pasted whole", 'Authenticate with this key: {TOKEN, "project_id": "demo"}', '"type": "service_account"', "gcp-service-account"],
  ["a Slack app-level token", "Post the summary to Slack with TOKEN.", "xapp-1-" + "A0123456789" + "-1234567890123-" + rep("ab12", 16), "slack-token"],
];

describe("class 9: secrets in prompts, at the scan and in the policy input", () => {
  for (const [attack, template, secret, kind] of PROMPTS) {
    test(`a prompt holding ${attack} is found, and the policy input says contains_secrets`, () => {
      const prompt = template.replace("TOKEN", secret);
      assert.deepEqual(
        scanSecrets(prompt).map((f) => f.kind),
        [kind],
      );
      const r = bindProvenance({ repository, commits, bundles: [verified(agentStatement({ prompt: { text: prompt, includeText: true } }))] });
      const p = r.commits[1]!.by[0]!.prompt!;
      assert.equal(p.textIncluded, true);
      // What src/core/pull-request-input.ts turns into provenance.prompt.contains_secrets.
      assert.equal(p.secrets.length > 0, true, "contains_secrets");
      assert.deepEqual(
        p.secrets.map((f) => f.kind),
        [kind],
      );
      assert.equal(p.secrets[0]!.column, prompt.indexOf(secret) + 1, "the finding points at the secret");
      assert.ok(!JSON.stringify(r).includes(secret), "the binding result never holds the secret");
    });
  }
});

describe("class 9: through the real App, a signed bundle whose prompt holds a secret fails the check", () => {
  const cases = PROMPTS.filter(([, , , kind]) => kind === "gitlab-token" || kind === "url-password");
  for (const [attack, template, secret] of cases) {
    test(`an agent PR whose signed prompt holds ${attack} fails on the prompt rule, without showing it`, async () => {
      const prompt = template.replace("TOKEN", secret);
      const c = commit("c1");
      // The statement includes the prompt text (as `agent-gate attest --include-prompt` does); its digest is the text's.
      const block = await provenanceBlock({
        commits: [c],
        prompt,
        predicate: (p) => {
          const bd = p["buildDefinition"] as { externalParameters: { prompt: Record<string, unknown> } };
          bd.externalParameters.prompt["text"] = prompt;
          return p;
        },
      });
      const { conclusion, text } = await openAndJudge(repo([agentPull(1, [c], `Adds validation.\n\n${block}`)]), 1);
      assert.equal(conclusion, "failure");
      assert.match(text, /the prompt contains secret-like content/);
      assert.ok(!text.includes(secret), "the check run never shows the secret");
      assert.ok(!text.includes(prompt), "nor the prompt");
    });
  }
});
