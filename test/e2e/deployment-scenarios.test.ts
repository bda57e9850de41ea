// The recorded deployment scenarios (fixtures/deployments/, shown by `npm run demo`) through Probot's HTTP
// middleware with signed deliveries: each delivery matches GitHub's webhook schema, every REST exchange (the
// callback included) matches the REST description, and each answer is the one recorded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { agentGateApp } from "../../src/index.js";
import { composeDeploymentGate, composeGate } from "../../src/app/compose.js";
import { checkDeployment, loadDeploymentScenarios, prGateCheckRun } from "../../src/demo/deployments.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";

const require = createRequire(import.meta.url);
const webhooks = JSON.parse(readFileSync(require.resolve("@octokit/openapi-webhooks/generated/api.github.com.json"), "utf8")) as Record<string, unknown>;
const ajv = new Ajv({ strict: false, validateFormats: false });
ajv.addSchema(webhooks, "wh");
const validateDelivery = ajv.compile({ $ref: "wh#/components/schemas/webhook-deployment-protection-rule-requested" });
const { trustedRoot, scenarios } = loadDeploymentScenarios();

test("the recorded deployment scenarios cover an approval and each rejection the gate must give", () => {
  assert.equal(scenarios.filter((s) => s.expect.state === "approved").length, 1);
  assert.ok(scenarios.filter((s) => s.expect.state === "rejected").length >= 6);
});

for (const s of scenarios) {
  test(`deployment scenario ${s.name}: ${s.title}`, async () => {
    assert.ok(validateDelivery(s.payload), `the delivery matches GitHub's webhook schema: ${JSON.stringify(validateDelivery.errors?.slice(0, 3))}`);
    const gh = validatedGitHub([structuredClone(s.repo)]);
    const run = prGateCheckRun(s, (s.payload.deployment as { sha: string }).sha);
    if (run) gh.standIn.checkRuns.push(run);
    const bundleAuth: (string | null)[] = [];
    const bundleFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const request = input instanceof Request ? input : new Request(input, init);
      bundleAuth.push(request.headers.get("authorization"));
      return gh.standIn.fetch(request);
    };
    const app = await startApp(agentGateApp({ gate: await composeGate({ trustedRoot }), deploymentGate: await composeDeploymentGate({ trustedRoot, bundleFetch }) }), gh.fetch);
    try {
      const res = await app.deliver("deployment_protection_rule", s.payload);
      assert.equal(res.status, 200, res.body);
    } finally {
      await app.close();
    }
    assert.deepEqual(gh.problems, [], "every exchange matches GitHub's REST description");
    assert.ok(bundleAuth.every((a) => a === null), "bundle_url is fetched without the token");
    const { problems } = checkDeployment(s, gh.standIn.deploymentReviews.map((r) => r.body));
    assert.deepEqual(problems, []);
  });
}
