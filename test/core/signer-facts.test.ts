// workflowOf: the workflow and ref a GitHub Actions certificate identity names, parsed exactly. A ref may contain
// "@" (git accepts refs/heads/dev@refs/heads/main), so an identity must never be read as naming a ref it does not;
// anything that is not exactly https://github.com/OWNER/REPO/.github/workflows/FILE@REF names no workflow at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { signerFacts, workflowOf } from "../../src/core/signer-facts.js";

const BASE = "https://github.com/acme/agents/.github/workflows/agent.yml";

test("a real GitHub workflow identity: owner, repository, path and ref", () => {
  assert.deepEqual(workflowOf(`${BASE}@refs/heads/main`), { owner: "acme", name: "agents", repository: "acme/agents", path: ".github/workflows/agent.yml", ref: "refs/heads/main" });
  assert.equal(workflowOf("https://github.com/too-legit/attest/.github/workflows/integration.yaml@refs/tags/v1.2")?.ref, "refs/tags/v1.2");
  assert.equal(workflowOf("https://github.com/acme/agents/.github/workflows/agent.yml@refs/pull/7/merge")?.ref, "refs/pull/7/merge");
  const sha = "09b495c3f12c7881b3cc17209a327792065c1a1d"; // a reusable workflow pinned by commit (fixture 06)
  assert.equal(workflowOf(`https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@${sha}`)?.ref, sha);
});

test("a branch whose name holds @refs/heads/main stays that branch: the ref is everything after the first @", () => {
  assert.equal(workflowOf(`${BASE}@refs/heads/dev@refs/heads/main`)?.ref, "refs/heads/dev@refs/heads/main");
  assert.equal(workflowOf(`${BASE}@refs/heads/a@b@refs/tags/v1`)?.ref, "refs/heads/a@b@refs/tags/v1");
  const facts = signerFacts({ type: "certificate", identity: `${BASE}@refs/heads/dev@refs/heads/main`, extensions: {} });
  assert.equal(facts.workflow?.ref, "refs/heads/dev@refs/heads/main");
  assert.equal(facts.workflow?.path, ".github/workflows/agent.yml");
});

test("identities that are not exactly a GitHub workflow URL name no workflow and no ref", () => {
  for (const identity of [
    `${BASE}@`, // trailing @: no ref
    `${BASE}`, // no ref
    "https://github.com/acme/agents/.github/workflows/a@b.yml@refs/heads/main", // @ in the file name
    "https://github.com/acme/agents@refs/heads/x/.github/workflows/agent.yml@refs/heads/main", // @ before the path
    "https://github.com/acme/agents/.github/workflows/sub/agent.yml@refs/heads/main", // GitHub runs no sub-folder
    "https://github.com/acme/agents/.github/workflows/../../evil.yml@refs/heads/main",
    "https://github.com/acme/agents/src/agent.yml@refs/heads/main", // not a workflow path
    "https://github.com/acme/agents/.github/workflows/agent.sh@refs/heads/main",
    "https://github.com/acme/agents/.GitHub/Workflows/agent.yml@refs/heads/main", // case: GitHub's path is exact
    "HTTPS://GITHUB.COM/acme/agents/.github/workflows/agent.yml@refs/heads/main",
    "https://github.com/acme/agents/.github/workflows/agent.yml%40refs/heads/main", // percent-encoded @: no ref
    "https://github.com/acme/agents/.github/workflows/agent%2Eyml@refs/heads/main",
    `${BASE}@main`, // not a full ref nor a SHA
    `${BASE}@refs/heads/main extra`, // whitespace
    `${BASE}@refs/heads/main\n`,
    `${BASE}@refs/heads/ma\u0000in`,
    "https://github.com/acme/agents/.github/workflows/ag\u0007ent.yml@refs/heads/main", // a control character
    "https://github.com/acme/.github/workflows/agent.yml@refs/heads/main", // no repository
    "https://github.com/-acme/agents/.github/workflows/agent.yml@refs/heads/main",
    "https://github.com.evil.example/acme/agents/.github/workflows/agent.yml@refs/heads/main",
    "https://dotcom.releases.github.com",
    `${BASE}@refs/heads/${"x".repeat(2100)}`, // longer than any SAN read
  ]) {
    assert.equal(workflowOf(identity), undefined, identity);
  }
  assert.equal(workflowOf(undefined), undefined);
});

test("a key signer names no workflow, whatever its identity says", () => {
  assert.equal(signerFacts({ type: "key", identity: `${BASE}@refs/heads/main`, extensions: {} }).workflow, undefined);
});
