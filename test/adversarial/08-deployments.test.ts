// Issue 13, class 8: deployments. An attestation counts only for the repository it was built from (unless the
// environment's config names others), and environment names are matched as GitHub matches them. Each case is a
// deployment_protection_rule delivery through the real App against the stand-in, with attestations signed by the
// harness's own Sigstore.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadDeploymentScenarios, runDeploymentScenario, type DeploymentScenario } from "../../src/demo/deployments.js";
import { ISSUER, sigstore } from "./support.js";
import { MAX_ATTESTATIONS } from "../../src/adapters/github/deployment-protection.js";

const base = loadDeploymentScenarios().scenarios.find((s) => s.name === "deploy-signed-release")!;
const RELEASE = "https://github.com/acme/widgets/.github/workflows/release.yml@refs/heads/main";
const SHARED = "https://github.com/acme/release-workflows/.github/workflows/build.yml@refs/heads/main";
const ARTIFACT = ((base.payload.deployment as { payload: { artifacts: string[] } }).payload.artifacts)[0]!;

async function attestation(o: { source: string; identity?: string; digest?: string }): Promise<{ digest: string; bundle: unknown }> {
  const identity = o.identity ?? RELEASE;
  const digest = o.digest ?? ARTIFACT;
  const { bundle } = await (await sigstore()).sign({
    payload: {
      kind: "dsse",
      statement: {
        subjects: [{ name: "widgets-1.4.0.tar.gz", digest: { sha256: digest.slice(7) } }],
        predicateType: "https://slsa.dev/provenance/v1",
        predicate: { buildDefinition: { buildType: "https://actions.github.io/buildtypes/workflow/v1", externalParameters: { workflow: { ref: "refs/heads/main", repository: o.source } } }, runDetails: { builder: { id: identity } } },
      },
    },
    signWith: { kind: "keyless", san: { uri: identity }, issuer: ISSUER, extensions: { sourceRepositoryURI: o.source, sourceRepositoryRef: "refs/heads/main", buildSignerURI: identity, githubWorkflowRef: "refs/heads/main" } },
  });
  return { digest, bundle };
}

interface Case {
  attestations: { digest: string; bundle: unknown }[];
  environment?: string;
  config?: string;
  agentAuthored?: boolean;
}

async function deployTo(c: Case): Promise<{ state: string | undefined; comment: string }> {
  const s: DeploymentScenario = structuredClone(base);
  s.repo.attestations = c.attestations;
  if (c.config) s.repo.files[".github/agent-gate.yml"] = c.config;
  if (c.environment) (s.payload as { environment: string }).environment = c.environment;
  const out = await runDeploymentScenario(s, (await sigstore()).trustedRoot);
  return { state: out.state, comment: out.comment };
}

const config = (extra = ""): string => `version: 1
deployments:
  default:
    builders:
      - ${RELEASE}
      - ${SHARED}
${extra}  environments:
    staging:
      regions: [eu-west-1, eu-central-1]
`;

test("control: an attestation built from this repository by its trusted release workflow is approved", async () => {
  const r = await deployTo({ attestations: [await attestation({ source: "https://github.com/acme/widgets" })], config: config() });
  assert.equal(r.state, "approved", r.comment);
});

test("a shared release workflow's attestation of ANOTHER repository's build is not this repository's artifact", async () => {
  const r = await deployTo({ attestations: [await attestation({ source: "https://github.com/acme/other", identity: SHARED })], config: config() });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, /built from acme\/other, not acme\/widgets/);
});

test("a fork's build signed by the same workflow path is refused", async () => {
  const r = await deployTo({ attestations: [await attestation({ source: "https://github.com/mallory/widgets", identity: RELEASE })], config: config() });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, /built from mallory\/widgets/);
});

test("a certificate that names no GitHub repository does not count", async () => {
  const r = await deployTo({ attestations: [await attestation({ source: "https://git.example/acme/widgets" })], config: config() });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, /unknown repository/);
});

test("one genuine attestation beside a foreign one is still refused: the foreign build is named", async () => {
  const r = await deployTo({ attestations: [await attestation({ source: "https://github.com/acme/widgets" }), await attestation({ source: "https://github.com/acme/other", identity: SHARED })], config: config() });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, /built from acme\/other/);
});

test("the environment can name another source repository, case-insensitively", async () => {
  const r = await deployTo({ attestations: [await attestation({ source: "https://github.com/acme/other", identity: SHARED })], config: config("    source_repositories: [ACME/Other]\n") });
  assert.equal(r.state, "approved", r.comment);
});

test('"Production" is production: the extra approval for agent-authored commits cannot be skipped by case', async () => {
  const att = await attestation({ source: "https://github.com/acme/widgets" });
  for (const environment of ["production", "Production", "PRODUCTION"]) {
    const r = await deployTo({ attestations: [att], config: config(), environment });
    assert.equal(r.state, "rejected", `${environment}: ${r.comment}`);
    assert.match(r.comment, /needs 1 human approval because the commit is agent-authored/);
  }
});

test("an environment's settings apply whatever the case of its name in the config", async () => {
  const cfg = config().replace("    staging:\n      regions: [eu-west-1, eu-central-1]\n", "    Staging:\n      regions: [us-east-1]\n");
  const r = await deployTo({ attestations: [await attestation({ source: "https://github.com/acme/widgets" })], config: cfg });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, /region/);
});

test("a config naming one environment twice in different case is refused, never half-applied", async () => {
  const cfg = config().replace("    staging:\n", "    Staging:\n      approvals: 3\n    staging:\n");
  const r = await deployTo({ attestations: [await attestation({ source: "https://github.com/acme/widgets" })], config: cfg });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, /case-insensitively/);
});

test("every attestation of the artifact is judged: a foreign build listed 25th (past the first 20) is found", async () => {
  const genuine = await attestation({ source: "https://github.com/acme/widgets" });
  const foreign = await attestation({ source: "https://github.com/acme/other", identity: SHARED });
  const r = await deployTo({ attestations: [...Array.from({ length: 24 }, () => genuine), foreign], config: config() });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, /built from acme\/other/);
});

test("an artifact with more attestations than agent-gate verifies is rejected, saying how many and the cap, never judged on part", async () => {
  const genuine = await attestation({ source: "https://github.com/acme/widgets" });
  const r = await deployTo({ attestations: Array.from({ length: MAX_ATTESTATIONS + 1 }, () => genuine), config: config() });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, new RegExp(`TOO_MANY_ATTESTATIONS: GitHub lists more than ${MAX_ATTESTATIONS} attestations of artifact .*\\(${MAX_ATTESTATIONS + 1} read\\); agent-gate verifies at most ${MAX_ATTESTATIONS}`));
});

test('"Production" spelt so in the config is production: its settings and the default extra approval both apply, never a policy failure', async () => {
  const att = await attestation({ source: "https://github.com/acme/widgets" });
  const cfg = `${config()}    Production:\n      approvals: 2\n`;
  for (const environment of ["production", "Production"]) {
    const r = await deployTo({ attestations: [att], config: cfg, environment });
    assert.equal(r.state, "rejected", `${environment}: ${r.comment}`);
    assert.doesNotMatch(r.comment, /POLICY_EVAL_FAILED/);
    assert.match(r.comment, /needs 3 human approvals because the commit is agent-authored/, environment);
  }
});
