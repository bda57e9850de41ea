// The deployment gate end to end: a `deployment_protection_rule` delivery built to GitHub's webhook schema (and
// validated against @octokit/openapi-webhooks), through Probot's HTTP middleware with a signed delivery, against
// the GitHub stand-in with every REST exchange validated (the callback included); attestation bundles are
// downloaded from bundle_url without a token and decoded from Snappy; Sigstore bundles are signed by a test world.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { DeploymentGate } from "../../src/app/deployment-gate.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import type { AuditLog } from "../../src/adapters/storage/audit-log.js";
import { decisionRecorder, openStorage } from "../../src/adapters/storage/index.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { runScenario } from "../../src/demo/run.js";
import type { StandInAttestation, StandInCheckRun, StandInDeploymentApproval, StandInPull, StandInRepo } from "../../src/demo/github/model.js";
import { createTestSigstore, type TestSigstore } from "../support/sigstore/index.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";
import type { PullRequestGate } from "../../src/app/pull-request-gate.js";

const require = createRequire(import.meta.url);
const RELEASE = "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main";
const OTHER = "https://github.com/acme/web/.github/workflows/agent.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const SLSA_V1 = "https://slsa.dev/provenance/v1";
const SHA = "2222222222222222222222222222222222222222";
const RUN_ID = 4242;
const hex = (s: string): string => createHash("sha256").update(s).digest("hex");
const ARTIFACT = `sha256:${hex("web-1.2.3.tar.gz")}`;
const OTHER_ARTIFACT = `sha256:${hex("something-else.tar.gz")}`;

const CONFIG = `deployments:
  default:
    builders:
      - ${RELEASE}
  environments:
    staging:
      regions: [eu-west-1, eu-central-1]
`;
/** The digest a recorded pull-request decision carries when made under CONFIG (one file: its text's digest). */
const CONFIG_DIGEST = `sha256:${hex(CONFIG)}`;

// ── the webhook payload, to GitHub's schema ──────────────────────────────────────────────────────────────────
const webhooks = JSON.parse(readFileSync(require.resolve("@octokit/openapi-webhooks/generated/api.github.com.json"), "utf8")) as Record<string, unknown>;
const ajv = new Ajv({ strict: false, validateFormats: false });
ajv.addSchema(webhooks, "wh");
const validateDelivery = ajv.compile({ $ref: "wh#/components/schemas/webhook-deployment-protection-rule-requested" });
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
const deploymentExample = examples.find((e) => e.name === "deployment")!.examples[0]!;

interface Target {
  owner: string;
  name: string;
  id: number;
  sha: string;
}
const WEB: Target = { owner: "acme", name: "web", id: 42, sha: SHA };

function deliveryPayload(opts: { payload?: Record<string, unknown>; environment?: string; target?: Target } = {}): Record<string, unknown> {
  const environment = opts.environment ?? "staging";
  const t = opts.target ?? WEB;
  const repository: Record<string, unknown> = { ...(structuredClone(deploymentExample.repository) as Record<string, unknown>), id: t.id, name: t.name, full_name: `${t.owner}/${t.name}`, default_branch: "main" };
  (repository.owner as Record<string, unknown>).login = t.owner;
  const deployment = {
    ...(structuredClone(deploymentExample.deployment) as Record<string, unknown>),
    id: 9,
    sha: t.sha,
    ref: "main",
    environment,
    original_environment: environment,
    payload: opts.payload ?? { artifacts: [ARTIFACT], region: "eu-west-1" },
  };
  return {
    action: "requested",
    environment,
    event: "workflow_dispatch",
    deployment_callback_url: `https://api.github.com/repos/${t.owner}/${t.name}/actions/runs/${RUN_ID}/deployment_protection_rule`,
    deployment,
    pull_requests: [],
    repository,
    installation: { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" },
    sender: structuredClone(deploymentExample.sender),
  };
}

// ── the world ────────────────────────────────────────────────────────────────────────────────────────────────
let world: TestSigstore;
let prGate: PullRequestGate;
let verifier: ReturnType<typeof createVerifier>;
let engine: PolicyEngine;

before(async () => {
  world = await createTestSigstore({ name: "deployments.test" });
  verifier = createVerifier({ trustedRoot: world.trustedRoot });
  engine = await PolicyEngine.load(builtinBundle());
  prGate = await composeGate({ trustedRoot: world.trustedRoot });
});

async function attestation(opts: { listedUnder?: string; subject?: string; identity?: string; builder?: string; source?: string } = {}): Promise<StandInAttestation> {
  const subject = opts.subject ?? ARTIFACT;
  const { bundle } = await world.sign({
    payload: {
      kind: "dsse",
      statement: {
        subjects: [{ name: "web-1.2.3.tar.gz", digest: { sha256: subject.slice(7) } }],
        predicateType: SLSA_V1,
        predicate: { buildDefinition: { buildType: "https://actions.github.io/buildtypes/workflow/v1", externalParameters: {} }, runDetails: { builder: { id: opts.builder ?? RELEASE } } },
      },
    },
    // GitHub Actions certificates name the repository the workflow ran in: an attestation counts only for it.
    signWith: { kind: "keyless", san: { uri: opts.identity ?? RELEASE }, issuer: ISSUER, extensions: { sourceRepositoryURI: opts.source ?? "https://github.com/acme/web", sourceRepositoryRef: "refs/heads/main" } },
  });
  return { digest: opts.listedUnder ?? subject, bundle };
}

function gateRun(conclusion: string, sha = SHA): StandInCheckRun {
  return {
    id: 501, owner: "acme", repo: "web", head_sha: sha, name: "agent-gate", status: "completed", conclusion, external_id: "01JDX3",
    output: { title: conclusion, summary: "", text: "", annotations_count: 0 }, annotations: [], actions: [], started_at: "2026-11-26T06:00:00Z", completed_at: "2026-11-26T06:00:05Z", writes: [],
  };
}

interface Case {
  attestations?: StandInAttestation[];
  prGate?: string | null; // the check run's conclusion; null: none
  payload?: Record<string, unknown>;
  auditLog?: Pick<AuditLog, "onHead">;
  outage?: boolean;
  environment?: string;
  approvals?: StandInDeploymentApproval[];
  pulls?: StandInPull[];
  /** The commit the PR gate's check run is on (default: the deployed commit). */
  gatedSha?: string;
  /** The repository's .github/agent-gate.yml (default CONFIG). */
  config?: string;
}

async function deploy(c: Case) {
  const repo: StandInRepo = { owner: "acme", name: "web", id: 42, defaultBranch: "main", files: { ".github/agent-gate.yml": c.config ?? CONFIG }, pulls: c.pulls ?? [], attestations: c.attestations ?? [], deploymentApprovals: c.approvals ?? [] };
  const gh = validatedGitHub([repo]);
  if (c.prGate !== null) gh.standIn.checkRuns.push(gateRun(c.prGate ?? "success", c.gatedSha));
  if (c.outage) gh.standIn.faults.push((req) => (req.url.includes("/attestations/") ? { status: 503, headers: { "content-type": "application/json" }, body: { message: "Service Unavailable" } } : undefined));
  const bundleRequests: { url: string; authorization: string | null }[] = [];
  const bundleFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    bundleRequests.push({ url: request.url, authorization: request.headers.get("authorization") });
    return gh.standIn.fetch(request);
  };
  const deploymentGate = new DeploymentGate({ verifier, engine, bundleFetch, ...(c.auditLog ? { auditLog: c.auditLog } : {}) });
  const payload = deliveryPayload({ ...(c.payload ? { payload: c.payload } : {}), ...(c.environment ? { environment: c.environment } : {}) });
  assert.ok(validateDelivery(payload), `the delivery matches GitHub's webhook schema: ${JSON.stringify(validateDelivery.errors?.slice(0, 3))}`);
  const app = await startApp(agentGateApp({ gate: prGate, deploymentGate }), gh.fetch);
  try {
    const res = await app.deliver("deployment_protection_rule", payload);
    assert.equal(res.status, 200, res.body);
  } finally {
    await app.close();
  }
  assert.deepEqual(gh.problems, [], "every request and response matches GitHub's REST description");
  for (const b of bundleRequests) assert.equal(b.authorization, null, `bundle_url is fetched without the token: ${b.url}`);
  const reviews = gh.standIn.deploymentReviews;
  assert.ok(reviews.length >= 1 && reviews.length <= 11, `between one and eleven callback posts, got ${reviews.length}`);
  assert.ok(reviews.filter((r) => r.body.state === undefined).length <= 10, "at most 10 status comments");
  for (const r of reviews) {
    assert.equal(r.runId, RUN_ID);
    assert.equal(r.body.environment_name, c.environment ?? "staging");
    assert.ok(typeof r.body.comment === "string" && r.body.comment.length <= 1024, "comments fit GitHub's 1,024 characters");
  }
  const answers = reviews.filter((r) => r.body.state !== undefined);
  assert.equal(answers.length, 1, "exactly one answer");
  const answer = answers[0]!.body as { state: string; comment: string };
  return { ...answer, bundleRequests, gh };
}

test("the webhook schema validator rejects a payload that lacks what GitHub always sends", () => {
  const { repository: _r, ...withoutRepository } = deliveryPayload();
  assert.equal(validateDelivery(withoutRepository), false);
  assert.ok(validateDelivery(deliveryPayload()));
});

test("a signed artifact from a trusted builder on a gated commit is approved", async () => {
  const r = await deploy({ attestations: [await attestation()] });
  assert.equal(r.state, "approved", r.comment);
  assert.equal(r.bundleRequests.length, 1, "the bundle came from bundle_url");
});

test("an unsigned artifact is rejected", async () => {
  const r = await deploy({ attestations: [] });
  assert.equal(r.state, "rejected");
  // The comment is markdown: the URL is shown, not linked (render/markdown text()).
  assert.match(r.comment, /has no verified attestation of type https&#58;\u2060\/\/slsa\.dev\/provenance\/v1/);
  assert.match(r.comment, /no attestation found \(unsigned\)/);
});

test("an attestation signed by another workflow is rejected", async () => {
  const r = await deploy({ attestations: [await attestation({ identity: OTHER, builder: OTHER })] });
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /IDENTITY_MISMATCH/);
});

test("an attestation whose subject is another artifact is rejected", async () => {
  const r = await deploy({ attestations: [await attestation({ subject: OTHER_ARTIFACT, listedUnder: ARTIFACT })] });
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /SUBJECT_MISMATCH/);
});

test("a commit that failed the PR gate is rejected", async () => {
  const r = await deploy({ attestations: [await attestation()], prGate: "failure" });
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /has not passed the pull-request gate \(conclusion: failure\)/);
});

test("a commit that skipped the PR gate is rejected", async () => {
  const r = await deploy({ attestations: [await attestation()], prGate: null });
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /has not passed the pull-request gate \(conclusion: none\)/);
});

test("a region the environment may not use is rejected", async () => {
  const r = await deploy({ attestations: [await attestation()], payload: { artifacts: [ARTIFACT], region: "us-east-1" } });
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /staging may not deploy to region us-east-1; allowed: eu-west-1, eu-central-1/);
});

test("an attestation API outage rejects, never approves", async () => {
  const r = await deploy({ attestations: [await attestation()], outage: true });
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /ATTESTATIONS_UNAVAILABLE/);
  assert.match(r.comment, /HTTP 503/);
});

test("the audit log's PR-gate decision is preferred over the check run", async () => {
  const onHead: AuditLog["onHead"] = (subject) => {
    assert.deepEqual(subject, { repository: "acme/web", headSha: SHA, kind: "pull_request" });
    return Promise.resolve([{ decision_id: "d-1", agent_gate: { conclusion: "failure", pull_request: 1 }, input: { config_digest: CONFIG_DIGEST, agent: { detected: false }, prompters: [] } }] as unknown as Awaited<ReturnType<AuditLog["onHead"]>>);
  };
  const r = await deploy({ attestations: [await attestation()], prGate: "success", auditLog: { onHead } });
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /conclusion: failure/);
});

test("a deployment payload naming a malformed digest is rejected with the reason", async () => {
  const r = await deploy({ attestations: [await attestation()], payload: { artifacts: ["latest"], region: "eu-west-1" } });
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /DEPLOYMENT_PAYLOAD_INVALID/);
});

test("with the audit log: a PR the gate passed (recorded there) deploys; the deployment's own decision is recorded", async () => {
  const { trustedRoot, scenarios } = loadScenarios();
  const scenario = scenarios.find((x) => x.name === "signed-agent-pr")!;
  const head = scenario.steps.at(-1)!.expect.headSha;
  const release = "https://github.com/acme/widgets/.github/workflows/release.yml@refs/heads/main";
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-deploy-"));
  const storage = await openStorage({ dataDir: join(dir, "data") });
  try {
    const recorder = decisionRecorder(storage.audit, { policy: engine.policy });
    const repos = structuredClone(scenario.repos);
    const repo = repos[0]!;
    repo.files[".github/agent-gate.yml"] += `deployments:\n  default:\n    builders:\n      - ${release}\n`;
    repo.attestations = [await attestation({ identity: release, builder: release, source: "https://github.com/acme/widgets" })];
    const gh = validatedGitHub(repos);
    const gate = await composeGate({ trustedRoot, onDecision: recorder });
    const deploymentGate = new DeploymentGate({ verifier, engine, bundleFetch: gh.standIn.fetch, auditLog: storage.audit, onDecision: recorder });
    const app = await startApp(agentGateApp({ gate, deploymentGate }), gh.fetch);
    try {
      await runScenario(scenario, gh.standIn, async (step) => {
        await app.deliver(step.event.split(".")[0]!, step.payload, { id: step.deliveryId });
      });
      assert.equal(gh.standIn.checkRuns.find((r) => r.head_sha === head)?.conclusion, "success");
      gh.standIn.checkRuns.length = 0; // only the audit log can tell now
      const payload = deliveryPayload({ target: { owner: repo.owner, name: repo.name, id: repo.id, sha: head } });
      assert.ok(validateDelivery(payload));
      const res = await app.deliver("deployment_protection_rule", payload);
      assert.equal(res.status, 200, res.body);
    } finally {
      await app.close();
    }
    assert.deepEqual(gh.problems, []);
    const answer = gh.standIn.deploymentReviews.find((r) => r.body.state !== undefined);
    assert.equal(answer?.body.state, "approved", String(answer?.body.comment));
    const record = await storage.audit.latest({ repository: `${repo.owner}/${repo.name}`, headSha: head, kind: "deployment" });
    assert.equal(record?.agent_gate.conclusion, "approved");
    assert.equal(record?.agent_gate.environment, "staging");
    assert.deepEqual(record?.agent_gate.signer_identities, [release]);
    assert.equal((await storage.audit.verify()).ok, true);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("production: an agent-authored deployment needs an extra human approval; a bot's or another environment's does not count", async () => {
  const att = await attestation();
  const payload = { artifacts: [ARTIFACT] };
  const none = await deploy({ attestations: [att], environment: "production", payload });
  assert.equal(none.state, "rejected");
  assert.match(none.comment, /the deployment to production needs 1 human approval because the commit is agent-authored \(has 0\)/);
  const bot = { login: "release-bot[bot]", id: 9001, type: "Bot" as const };
  const alice = { login: "alice", id: 5001, type: "User" as const };
  const notCounted = await deploy({
    attestations: [att], environment: "production", payload,
    approvals: [{ runId: RUN_ID, environment: "production", user: bot, state: "approved" }, { runId: RUN_ID, environment: "staging", user: alice, state: "approved" }],
  });
  assert.equal(notCounted.state, "rejected", notCounted.comment);
  const approvals = [{ runId: RUN_ID, environment: "production", user: alice, state: "approved" as const, comment: "ship it" }];
  // Without a recorded pull-request decision the prompters are unknown: alice could be one, so her approval does not count.
  const unknown = await deploy({ attestations: [att], environment: "production", payload, approvals });
  assert.equal(unknown.state, "rejected", unknown.comment);
  assert.match(unknown.comment, /the prompters are unknown \(no recorded pull-request decision for this commit says whom it kept from approving\), so no approval counts/);
  const record = (result: Record<string, unknown>) => [{ decision_id: "d-1", agent_gate: { conclusion: "success", pull_request: 1 }, input: { config_digest: CONFIG_DIGEST, agent: { detected: true }, prompters: [{ login: "carol" }] }, result }];
  const onHead = (result: Record<string, unknown>): AuditLog["onHead"] => () => Promise.resolve(record(result) as unknown as Awaited<ReturnType<AuditLog["onHead"]>>);
  const approved = await deploy({ attestations: [att], environment: "production", payload, approvals, auditLog: { onHead: onHead({ allow: true, deny: [], warn: [], excluded: { ids: [], logins: ["carol"] } }) } });
  assert.equal(approved.state, "approved", approved.comment);
  // A record made before decisions said whom they kept from approving (no `excluded`): its prompters are unknown.
  const older = await deploy({ attestations: [att], environment: "production", payload, approvals, auditLog: { onHead: onHead({ allow: true, deny: [], warn: [] }) } });
  assert.equal(older.state, "rejected", older.comment);
  assert.match(older.comment, /the prompters are unknown \(no recorded pull-request decision for this commit says whom it kept from approving\), so no approval counts/);
  // The signed prompter the decision names (excluded by account id alone) does not count either.
  const signed = await deploy({ attestations: [att], environment: "production", payload, approvals, auditLog: { onHead: onHead({ allow: true, deny: [], warn: [], excluded: { ids: [5001], logins: [] } }) } });
  assert.equal(signed.state, "rejected", signed.comment);
  assert.match(signed.comment, /needs 1 human approval because the commit is agent-authored \(has 0\)/);
});

test("a squash-merge commit is judged by the PR gate's decision on the head of the pull request merged as it", async () => {
  const head = "3333333333333333333333333333333333333333";
  const pull = (merged: boolean): StandInPull => ({
    number: 12, title: "Add caching", body: null, user: { login: "claude[bot]", id: 209825114, type: "Bot" },
    head: { ref: "claude/cache", sha: head }, base: { ref: "main", sha: "4444444444444444444444444444444444444444" },
    commits: [], files: [], reviews: [], comments: [], ...(merged ? { merged: { commitSha: SHA, at: "2026-11-26T07:00:00Z" } } : {}),
  });
  const att = await attestation();
  const passed = await deploy({ attestations: [att], pulls: [pull(true)], gatedSha: head });
  assert.equal(passed.state, "approved", passed.comment);
  const failed = await deploy({ attestations: [att], pulls: [pull(true)], gatedSha: head, prGate: "failure" });
  assert.equal(failed.state, "rejected");
  assert.match(failed.comment, /conclusion: failure/);
  // Production: the merged pull request tells who wrote it; a human's needs no extra approval, an agent's does.
  const human = { ...pull(true), user: { login: "alice", id: 5001, type: "User" as const }, head: { ref: "feature/cache", sha: head } };
  const byHuman = await deploy({ attestations: [att], pulls: [human], gatedSha: head, environment: "production", payload: { artifacts: [ARTIFACT] } });
  assert.equal(byHuman.state, "approved", byHuman.comment);
  const byAgent = await deploy({ attestations: [att], pulls: [pull(true)], gatedSha: head, environment: "production", payload: { artifacts: [ARTIFACT] } });
  assert.match(byAgent.comment, /needs 1 human approval because the commit is agent-authored/);
  // A pull request that was not merged as this commit lends it nothing.
  const unrelated = await deploy({ attestations: [att], pulls: [{ ...pull(false), merged: { commitSha: "5".repeat(40), at: "2026-11-26T07:00:00Z" } }], gatedSha: head });
  assert.equal(unrelated.state, "rejected");
  assert.match(unrelated.comment, /conclusion: none/);
});

// Issue 13, class 8: an attestation counts only for the repository it was built from; environment names are matched
// the way GitHub matches them.
test("an attestation built from another repository (same trusted workflow identity) is rejected", async () => {
  const r = await deploy({ attestations: [await attestation({ source: "https://github.com/acme/widgets" })] });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, /an attestation was built from acme\/widgets, not acme\/web/);
});

test("an attestation whose certificate names no source repository is rejected", async () => {
  const r = await deploy({ attestations: [await attestation({ source: "https://gitlab.example/acme/web" })] });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, /an unknown repository/);
});

test("a deployment to \"Production\" gets production's extra approval for agent-authored commits", async () => {
  const r = await deploy({ attestations: [await attestation()], environment: "Production", payload: { artifacts: [ARTIFACT] } });
  assert.equal(r.state, "rejected", r.comment);
  assert.match(r.comment, /needs 1 human approval because the commit is agent-authored/);
});

test("an attestation of another repository counts where the environment names it in source_repositories", async () => {
  const att = await attestation({ source: "https://github.com/acme/widgets" });
  const config = CONFIG.replace("      regions: [eu-west-1, eu-central-1]\n", "      regions: [eu-west-1, eu-central-1]\n      source_repositories: [acme/widgets]\n");
  const r = await deploy({ attestations: [att], config });
  assert.equal(r.state, "approved", r.comment);
});
