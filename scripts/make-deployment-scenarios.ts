// Makes the recorded deployment scenarios (fixtures/deployments/): a repository's config and artifact attestations
// for the stand-in, a `deployment_protection_rule` delivery built from GitHub's webhook examples, and the answer
// expected. Attestations are SLSA provenance DSSE bundles signed against a trusted root of our own; they are
// verified at their signed (log) time, so the committed fixtures stay valid.
// Run: node --import tsx scripts/make-deployment-scenarios.ts
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { StandInAttestation, StandInRepo } from "../src/demo/github/model.js";
import type { DeploymentScenario } from "../src/demo/deployments.js";
import { createTestSigstore } from "../test/support/sigstore/index.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
const example = examples.find((e) => e.name === "deployment")!.examples[0]!;

const OUT = new URL("../fixtures/deployments/", import.meta.url);
const SIGNED_AT = new Date("2026-11-20T10:00:00Z");
const OWNER = "acme";
const REPO = "widgets";
const REPO_ID = 424242;
const SHA = createHash("sha1").update("release 1.4.0").digest("hex");
const RELEASE = `https://github.com/${OWNER}/${REPO}/.github/workflows/release.yml@refs/heads/main`;
const AGENT_WORKFLOW = `https://github.com/${OWNER}/${REPO}/.github/workflows/agent.yml@refs/heads/main`;
const ISSUER = "https://token.actions.githubusercontent.com";
const digest = (label: string): string => `sha256:${createHash("sha256").update(label).digest("hex")}`;
const ARTIFACT = digest("widgets-1.4.0.tar.gz");

const CONFIG = `# acme/widgets default branch: what the deployment gate enforces
version: 1
deployments:
  default:
    builders:
      - ${RELEASE}
  environments:
    staging:
      regions: [eu-west-1, eu-central-1]
`;

const sigstore = await createTestSigstore({ now: SIGNED_AT, name: "agent-gate-deploy-demo" });

async function attestation(opts: { subject?: string; identity?: string } = {}): Promise<StandInAttestation> {
  const subject = opts.subject ?? ARTIFACT;
  const identity = opts.identity ?? RELEASE;
  const { bundle } = await sigstore.sign({
    payload: {
      kind: "dsse",
      statement: {
        subjects: [{ name: "widgets-1.4.0.tar.gz", digest: { sha256: subject.slice(7) } }],
        predicateType: "https://slsa.dev/provenance/v1",
        predicate: { buildDefinition: { buildType: "https://actions.github.io/buildtypes/workflow/v1", externalParameters: { workflow: { ref: "refs/heads/main", repository: `https://github.com/${OWNER}/${REPO}` } } }, runDetails: { builder: { id: identity } } },
      },
    },
    signWith: { kind: "keyless", san: { uri: identity }, issuer: ISSUER, extensions: { sourceRepositoryURI: `https://github.com/${OWNER}/${REPO}`, sourceRepositoryRef: "refs/heads/main", buildSignerURI: identity, githubWorkflowRef: "refs/heads/main" } },
  });
  return { digest: ARTIFACT, bundle };
}

function repo(attestations: StandInAttestation[]): StandInRepo {
  return { owner: OWNER, name: REPO, id: REPO_ID, defaultBranch: "main", files: { ".github/agent-gate.yml": CONFIG }, pulls: [], attestations };
}

function delivery(deploymentPayload: Record<string, unknown>, environment = "staging"): Record<string, unknown> {
  const repository: Record<string, unknown> = { ...(structuredClone(example.repository) as Record<string, unknown>), id: REPO_ID, name: REPO, full_name: `${OWNER}/${REPO}`, default_branch: "main" };
  repository.owner = { ...(repository.owner as Record<string, unknown>), login: OWNER };
  return {
    action: "requested",
    environment,
    event: "workflow_dispatch",
    deployment_callback_url: `https://api.github.com/repos/${OWNER}/${REPO}/actions/runs/8080/deployment_protection_rule`,
    deployment: { ...(structuredClone(example.deployment) as Record<string, unknown>), id: 31, sha: SHA, ref: "main", environment, original_environment: environment, payload: deploymentPayload },
    pull_requests: [],
    repository,
    installation: { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" },
    sender: structuredClone(example.sender),
  };
}

const staging = { artifacts: [ARTIFACT], region: "eu-west-1" };
const signed = await attestation();
const scenarios: DeploymentScenario[] = [
  {
    name: "deploy-signed-release",
    title: "Deployment: a release built and attested by the release workflow, on a commit the PR gate passed",
    description: "The artifact's SLSA provenance is signed by the trusted release workflow and names its digest: approved.",
    repo: repo([signed]), prGate: "success", payload: delivery(staging),
    expect: { state: "approved", commentIncludes: ["approved the deployment to staging"] },
  },
  {
    name: "deploy-unsigned",
    title: "Deployment: an artifact nobody attested",
    description: "No attestation exists for the digest: rejected.",
    repo: repo([]), prGate: "success", payload: delivery(staging),
    expect: { state: "rejected", commentIncludes: ["has no verified attestation", "no attestation found (unsigned)"] },
  },
  {
    name: "deploy-agent-workflow-builder",
    title: "Deployment: provenance signed by the agent's workflow instead of the release workflow",
    description: "A valid signature from an identity the environment does not trust: rejected.",
    repo: repo([await attestation({ identity: AGENT_WORKFLOW })]), prGate: "success", payload: delivery(staging),
    expect: { state: "rejected", commentIncludes: ["IDENTITY_MISMATCH"] },
  },
  {
    name: "deploy-subject-mismatch",
    title: "Deployment: an attestation listed for the artifact that is about another artifact",
    description: "The statement's subject digest is not the deployed artifact's: rejected.",
    repo: repo([{ ...(await attestation({ subject: digest("widgets-1.3.9.tar.gz") })), digest: ARTIFACT }]), prGate: "success", payload: delivery(staging),
    expect: { state: "rejected", commentIncludes: ["SUBJECT_MISMATCH"] },
  },
  {
    name: "deploy-failed-pr-gate",
    title: "Deployment: a commit the PR gate blocked",
    description: "The agent-gate check on the commit failed: rejected.",
    repo: repo([signed]), prGate: "failure", payload: delivery(staging),
    expect: { state: "rejected", commentIncludes: ["has not passed the pull-request gate (conclusion: failure)"] },
  },
  {
    name: "deploy-never-gated",
    title: "Deployment: a commit that never went through the PR gate",
    description: "No agent-gate decision exists for the commit (pushed straight to the branch): rejected.",
    repo: repo([signed]), prGate: null, payload: delivery(staging),
    expect: { state: "rejected", commentIncludes: ["has not passed the pull-request gate (conclusion: none)"] },
  },
  {
    name: "deploy-wrong-region",
    title: "Deployment: staging asked to deploy to a region outside its data residency",
    description: "staging may deploy only to eu-west-1 and eu-central-1: rejected.",
    repo: repo([signed]), prGate: "success", payload: delivery({ artifacts: [ARTIFACT], region: "us-east-1" }),
    expect: { state: "rejected", commentIncludes: ["staging may not deploy to region us-east-1"] },
  },
];

mkdirSync(OUT, { recursive: true });
writeFileSync(new URL("deployments.json", OUT), JSON.stringify({ trustedRoot: sigstore.trustedRoot, scenarios }, null, 1) + "\n");
console.log(`wrote ${scenarios.length} deployment scenarios to ${OUT.pathname}`);
