// A deployment of agent work whose recorded pull-request evidence the organisation revoked is rejected, naming the
// item: the gate reads the pull-request decision from the audit log and hands its attestations to the policy as
// pr_evidence; the list is the owner's .github repository's, whatever the repository's config says.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Octokit } from "@octokit/rest";
import { DeploymentGate } from "../../src/app/deployment-gate.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import type { BundleVerifier } from "../../src/adapters/sigstore/verifier.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import type { AuditLog } from "../../src/adapters/storage/audit-log.js";
import type { AuditRecord } from "../../src/core/audit.js";
import { REVOCATIONS_PATH } from "../../src/config/revocations.js";
import { MAX_ATTESTATIONS } from "../../src/adapters/github/deployment-protection.js";
import { loadRepoConfig } from "../../src/app/load-config.js";
import { INSTALLED_ON_ALL } from "../support/github.js";

const SHA = "1".repeat(40);
const payload = {
  action: "requested",
  environment: "production",
  deployment_callback_url: "https://api.github.com/repos/acme/web/actions/runs/77/deployment_protection_rule",
  deployment: { id: 5, sha: SHA, ref: "main", environment: "production", payload: "{}" },
  repository: { id: 42, name: "web", owner: { login: "acme" }, default_branch: "main" },
  installation: { id: 1 },
};

function github(files: Record<string, string>): { octokit: Octokit; posts: Record<string, unknown>[] } {
  const posts: Record<string, unknown>[] = [];
  const octokit = {
    request: (route: string, params: Record<string, unknown>) => {
      if (route.startsWith("POST ")) return (posts.push(params), Promise.resolve({ data: undefined, headers: {} }));
      if (route.startsWith("GET /repos/{owner}/{repo}/contents/")) {
        const text = files[`${String(params["repo"])}:${String(params["path"])}`];
        if (text === undefined) return Promise.reject(Object.assign(new Error("Not Found"), { status: 404 }));
        return Promise.resolve({ data: { type: "file", encoding: "base64", content: Buffer.from(text).toString("base64"), size: text.length }, headers: { etag: '"e"' } });
      }
      if (route.includes("/approvals")) return Promise.resolve({ data: [], headers: {} });
      // Which pull request was merged as the deployed commit is always asked (deployment-gate.md): none here.
      if (route === "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls") return Promise.resolve({ data: [], headers: {} });
      if (route === "GET /installation/repositories") return Promise.resolve(INSTALLED_ON_ALL);
      return Promise.resolve({ data: { attestations: [] }, headers: {} });
    },
  } as unknown as Octokit;
  return { octokit, posts };
}

/**
 * The config digest the recorded decision below was made under: the one in force at each deployment (set by `judged`),
 * so that the deployment gate uses the record as it is (one under another config is judged again: deployment-gate.md).
 */
let recordedUnder = "";
async function judged(octokit: Octokit): Promise<Octokit> {
  recordedUnder = await loadRepoConfig(new GitHubConnector().installation(octokit), "acme", "web").then((l) => l.facts.digest, () => "broken");
  return octokit;
}

/** The pull-request gate's recorded decision for the deployed commit: agent work attested with the model below. */
const auditLog = {
  onHead: () =>
    Promise.resolve([{
      decision_id: "d-pr",
      agent_gate: { conclusion: "success", pull_request: 7 },
      input: { kind: "pull_request", config_digest: recordedUnder, agent: { detected: true }, prompters: [], commits: [{ sha: SHA, attestations: [{ tier: "sigstore", signer: { type: "certificate", identity: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com" }, model: { id: "anthropic/claude-sonnet-4-5", version: "20250929" } }] }] },
    } as unknown as AuditRecord]),
} as unknown as AuditLog;

const verifier: BundleVerifier = { verify: () => ({ ok: false, code: "BUNDLE_MALFORMED", message: "none" }) };
// Nothing else stands in the way: no artifacts required, no approvals needed.
const CONFIG = "deployments:\n  default:\n    require_artifacts: false\n    predicate_types: []\n  environments:\n    production:\n      agent_extra_approvals: 0\n";

test("a deployment whose pull request rested on a revoked model is rejected, naming it; without the list it is approved", async () => {
  const engine = await PolicyEngine.load(builtinBundle());
  const gate = new DeploymentGate({ verifier, engine, auditLog });
  const clean = github({ "web:.github/agent-gate.yml": CONFIG });
  const approved = await gate.handle(new GitHubConnector().installation(await judged(clean.octokit)), payload);
  assert.equal(approved.state, "approved", approved.comment);
  assert.equal(approved.input?.pr_evidence.length, 1);

  const list = "models:\n  - model: anthropic/claude-sonnet-4-5\n    reason: compromised\n";
  const revoked = github({ "web:.github/agent-gate.yml": CONFIG, [`.github:${REVOCATIONS_PATH}`]: list });
  const rejected = await gate.handle(new GitHubConnector().installation(await judged(revoked.octokit)), payload);
  assert.equal(rejected.state, "rejected");
  assert.match(rejected.comment, /its pull request's evidence names model anthropic\/claude-sonnet-4-5, revoked by the organisation: compromised/);
  assert.equal(revoked.posts.at(-1)?.["state"], "rejected");

  const broken = github({ "web:.github/agent-gate.yml": CONFIG, [`.github:${REVOCATIONS_PATH}`]: "models: nope\n" });
  const failed = await gate.handle(new GitHubConnector().installation(await judged(broken.octokit)), payload);
  assert.equal(failed.state, "rejected", "a broken list fails closed");
  assert.match(failed.comment, /CONFIG_INVALID/);
});

// An artifact's attestations are all judged: one revoked attestation anywhere in GitHub's list, past its first page
// and past the 20 the gate once kept, rejects the deployment; more than the gate verifies rejects, never a prefix.
const ARTIFACT = `sha256:${"a".repeat(64)}`;
const RELEASE = "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main";
const REVOKED_CERT = "f".repeat(64);

function pagedAttestations(files: Record<string, string>, count: number): { octokit: Octokit; posts: Record<string, unknown>[] } {
  const inner = github(files);
  const request = inner.octokit.request as unknown as (route: string, params: Record<string, unknown>) => Promise<unknown>;
  const octokit = {
    request: (route: string, params: Record<string, unknown>) => {
      if (!route.startsWith("GET /repos/{owner}/{repo}/attestations/")) return request(route, params);
      const after = params["after"] as string | undefined;
      const from = after === undefined ? 0 : Number(after.slice(2));
      const next = from + 10 < count ? { link: `<https://api.github.com/repositories/42/attestations/${ARTIFACT}?per_page=100&after=c_${from + 10}>; rel="next"` } : {};
      const page = Array.from({ length: Math.max(0, Math.min(10, count - from)) }, (_, i) => ({ bundle: { n: from + i } }));
      return Promise.resolve({ data: { attestations: page }, headers: next });
    },
  } as unknown as Octokit;
  return { octokit, posts: inner.posts };
}

/** Every bundle verifies as the release workflow's provenance of the artifact; bundle 21 (the 22nd) under a revoked certificate. */
const release: BundleVerifier = {
  verify: ({ bundle }) => {
    const n = (bundle as { n: number }).n;
    return {
      ok: true, bundleDigest: "0".repeat(64), mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", contentKind: "dsse", tlogEntries: [], timestamps: [],
      signer: { type: "certificate", identity: RELEASE, issuer: "https://token.actions.githubusercontent.com", extensions: { sourceRepositoryURI: "https://github.com/acme/web" }, certificateFingerprint: n === 21 ? REVOKED_CERT : "e".repeat(64) },
      statement: { _type: "https://in-toto.io/Statement/v1", subject: [{ name: "web.tgz", digest: { sha256: "a".repeat(64) } }], predicateType: "https://slsa.dev/provenance/v1", predicate: { runDetails: { builder: { id: RELEASE } } } },
    };
  },
};

test("a revoked attestation of the artifact past the first page and past the 20th is found; more than the cap rejects", async () => {
  const engine = await PolicyEngine.load(builtinBundle());
  const gate = new DeploymentGate({ verifier: release, engine, auditLog });
  const config = `deployments:\n  default:\n    builders: [${RELEASE}]\n  environments:\n    production:\n      agent_extra_approvals: 0\n`;
  const deploy = { ...payload, deployment: { ...payload.deployment, payload: JSON.stringify({ artifacts: [ARTIFACT] }) } };
  const files = { "web:.github/agent-gate.yml": config };

  const clean = await gate.handle(new GitHubConnector().installation(await judged(pagedAttestations(files, 25).octokit)), deploy);
  assert.equal(clean.state, "approved", clean.comment);
  assert.equal(clean.input?.artifacts[0]?.attestations.length, 25, "all 25 attestations judged");

  const list = `certificates:\n  - fingerprint: sha256:${REVOKED_CERT}\n    reason: key leaked\n`;
  const revoked = await gate.handle(new GitHubConnector().installation(await judged(pagedAttestations({ ...files, [`.github:${REVOCATIONS_PATH}`]: list }, 25).octokit)), deploy);
  assert.equal(revoked.state, "rejected");
  const denial = revoked.decision?.deny.find((d) => d.rule === "revoked");
  assert.match(denial?.msg ?? "", new RegExp(`artifact \`sha256:aaaaaaaaaaaa\`: certificate sha256:${REVOKED_CERT} is revoked by the organisation: key leaked`));
  assert.match(revoked.comment, /is revoked by the organisation: key leaked/);

  const many = pagedAttestations(files, MAX_ATTESTATIONS + 5);
  const tooMany = await gate.handle(new GitHubConnector().installation(await judged(many.octokit)), deploy);
  assert.equal(tooMany.state, "rejected");
  assert.match(tooMany.comment, new RegExp(`TOO_MANY_ATTESTATIONS: GitHub lists more than ${MAX_ATTESTATIONS} attestations of artifact .*aaaaaaaaaaaa \\(${MAX_ATTESTATIONS + 5} read\\); agent-gate verifies at most ${MAX_ATTESTATIONS} per artifact`));
  assert.equal(many.posts.at(-1)?.["state"], "rejected");
});
