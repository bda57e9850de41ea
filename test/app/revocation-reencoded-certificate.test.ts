// A revoked certificate stays revoked when someone re-posts its bundle with the leaf re-encoded (its CA's ECDSA
// signature (r, s) as (r, n - s)): on GitHub's own Sigstore instance (no transparency log) that bundle verifies under
// another DER fingerprint. End to end through the deployment gate: the real verifier reads the real fixture's bundle
// (fixtures/sigstore-github/01), the policy (wasm) matches the list's entry against the certificate's TBS fingerprint.
import { test } from "node:test";
import { INSTALLED_ON_ALL } from "../support/github.js";
import { loadRepoConfig } from "../../src/app/load-config.js";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Octokit } from "@octokit/rest";
import { DeploymentGate } from "../../src/app/deployment-gate.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import type { AuditLog } from "../../src/adapters/storage/audit-log.js";
import type { AuditRecord } from "../../src/core/audit.js";
import { REVOCATIONS_PATH } from "../../src/config/revocations.js";
import { sha256Hex } from "../../src/core/digest.js";
import { P384_N, withReencodedLeaf } from "../support/reencoded-certificate.js";

const DIR = "fixtures/sigstore-github/01-gh-private-attest-demo-wheel";
const read = (f: string): unknown => JSON.parse(readFileSync(join(DIR, f), "utf8"));
const fixture = read("case.json") as { identity: string; artifactDigest: { sha256: string } };
const original = read("bundle.sigstore.json") as { verificationMaterial: { certificate: { rawBytes: string } } };
const forged = withReencodedLeaf(original, P384_N);
const leaf = Buffer.from(original.verificationMaterial.certificate.rawBytes, "base64");
const DER_FP = sha256Hex(leaf);
const TBS_FP = sha256Hex(leaf.subarray(4, 8 + leaf.readUInt16BE(6)));
const ARTIFACT = `sha256:${fixture.artifactDigest.sha256}`;
const SHA = "1".repeat(40);

const payload = {
  action: "requested",
  environment: "production",
  deployment_callback_url: "https://api.github.com/repos/actions/attest-demo/actions/runs/77/deployment_protection_rule",
  deployment: { id: 5, sha: SHA, ref: "main", environment: "production", payload: JSON.stringify({ artifacts: [ARTIFACT] }) },
  repository: { id: 42, name: "attest-demo", owner: { login: "actions" }, default_branch: "main" },
  installation: { id: 1 },
};
const CONFIG = `deployments:\n  default:\n    builders: [https://github.com/actions/runner/github-hosted]\n    signers:\n      - identity: ${fixture.identity}\n        issuer: https://token.actions.githubusercontent.com\n  environments:\n    production:\n      agent_extra_approvals: 0\n`;

/** GitHub: the repository's config, the owner's revocation list (if any), and `bundle` as the artifact's attestation. */
function github(list: string | undefined, bundle: unknown): Octokit {
  const files: Record<string, string> = { "attest-demo:.github/agent-gate.yml": CONFIG, ...(list !== undefined ? { [`.github:${REVOCATIONS_PATH}`]: list } : {}) };
  return {
    request: (route: string, params: Record<string, unknown>) => {
      if (route.startsWith("POST ")) return Promise.resolve({ data: undefined, headers: {} });
      if (route === "GET /installation/repositories") return Promise.resolve(INSTALLED_ON_ALL);
      if (route.startsWith("GET /repos/{owner}/{repo}/contents/")) {
        const text = files[`${String(params["repo"])}:${String(params["path"])}`];
        if (text === undefined) return Promise.reject(Object.assign(new Error("Not Found"), { status: 404 }));
        return Promise.resolve({ data: { type: "file", encoding: "base64", content: Buffer.from(text).toString("base64"), size: text.length }, headers: { etag: '"e"' } });
      }
      if (route.startsWith("GET /repos/{owner}/{repo}/attestations/")) return Promise.resolve({ data: { attestations: [{ bundle }] }, headers: {} });
      return Promise.resolve({ data: [], headers: {} });
    },
  } as unknown as Octokit;
}

/** The config digest the recorded decision was made under: the one in force at each deployment (set by `judge`). */
let recordedUnder = "";

/** The pull-request gate's recorded decision for the deployed commit (nothing in it is revoked). */
const auditLog = {
  onHead: () =>
    Promise.resolve([{
      decision_id: "d-pr",
      agent_gate: { conclusion: "success", pull_request: 7 },
      input: { kind: "pull_request", config_digest: recordedUnder, agent: { detected: true }, prompters: [], commits: [{ sha: SHA, attestations: [{ tier: "sigstore", signer: { type: "certificate", identity: "https://github.com/actions/agents/.github/workflows/agent.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com" } }] }] },
    } as unknown as AuditRecord]),
} as unknown as AuditLog;

test("a certificate revoked by its TBS fingerprint stays revoked when its bundle is re-posted re-encoded", async () => {
  const engine = await PolicyEngine.load(builtinBundle());
  const verifier = createVerifier({ trustedRoot: read("trusted_root.json"), trustedRootName: "github" });
  const gate = new DeploymentGate({ verifier, engine, auditLog });
  const judge = async (list: string | undefined, bundle: unknown) => {
    recordedUnder = await loadRepoConfig(new GitHubConnector().installation(github(list, bundle)), "actions", "attest-demo").then((l) => l.facts.digest, () => "broken");
    const r = await gate.handle(new GitHubConnector().installation(github(list, bundle)), payload);
    const attestation = r.input?.artifacts[0]?.attestations[0];
    assert.equal(attestation?.verified, true, `the attestation verifies: ${r.comment}`);
    return { r, signer: attestation.signer, revoked: (r.decision?.deny ?? []).filter((d) => d.rule === "revoked").map((d) => d.msg) };
  };

  const clean = await judge(undefined, forged);
  assert.equal(clean.r.state, "approved", clean.r.comment);
  assert.notEqual(clean.signer.certificate_fingerprint, `sha256:${DER_FP}`, "the re-encoded leaf has another DER fingerprint");
  assert.equal(clean.signer.certificate_tbs_fingerprint, `sha256:${TBS_FP}`);

  const byTbs = `certificates:\n  - fingerprint: sha256:${TBS_FP}\n    reason: leaked\n`;
  for (const bundle of [original, forged]) {
    const { r, revoked } = await judge(byTbs, bundle);
    assert.equal(r.state, "rejected");
    assert.deepEqual(revoked, [`artifact \`sha256:${fixture.artifactDigest.sha256.slice(0, 12)}\`: certificate sha256:${TBS_FP} is revoked by the organisation: leaked`]);
  }

  // A list from before the TBS fingerprint names the DER's: those bytes stay revoked.
  const byDer = `certificates:\n  - fingerprint: sha256:${DER_FP}\n`;
  assert.equal((await judge(byDer, original)).revoked.length, 1);
  assert.deepEqual((await judge(`certificates:\n  - fingerprint: sha256:${"0".repeat(64)}\n`, forged)).revoked, [], "another certificate revokes nothing");
});
