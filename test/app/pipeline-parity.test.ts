// The evaluation pipeline (app/evaluate-pull-request.ts), called with plain values, gives the check run the App
// published, for every step of every recorded scenario: the gate adds effects, never a decision of its own. Steps
// whose commit heads several pull requests are combined by the gate (app/shared-head.ts); for those the pipeline's
// verdicts of each pull request are combined here the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { loadScenarios } from "../../src/demo/scenario.js";
import { inProcessApp, applyMutation } from "../../src/demo/run.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import { openPullsWithHead, pullStanding } from "../../src/adapters/github/pull-request-source.js";
import { loadRepoConfig } from "../../src/app/load-config.js";
import { checkHead, evaluatePullRequest, explain, factsOf, type Decided } from "../../src/app/evaluate-pull-request.js";
import { withCommitEvidence } from "../../src/app/commit-evidence.js";
import { DEMO_GITHUB_SIGNING_KEYS } from "../../src/demo/github/web-flow-key.js";
import { EvidenceVerifier, verifyEvidence } from "../../src/app/evidence.js";
import { combinedOutput } from "../../src/app/shared-head.js";
import { inspectConfigChange, requesterOf } from "../../src/app/config-change.js";
import { withHeadChecks } from "../../src/app/required-checks.js";
import type { Evaluation } from "../../src/app/gate-types.js";

const { trustedRoot, scenarios } = loadScenarios();
const ID = "00000000-0000-4000-8000-000000000000";
const strip = (s: string | null | undefined): string => (s ?? "").replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<id>").replace(/\b\d+ ms\b/g, "<n> ms");

for (const scenario of scenarios) {
  test(`pipeline = App: ${scenario.name}`, async () => {
    const { standIn, deliver } = await inProcessApp(scenario, trustedRoot);
    const octokit = new Octokit({ auth: "pipeline", request: { fetch: standIn.fetch } });
    const verifier = createVerifier({ trustedRoot });
    const evidence = new EvidenceVerifier(verifier);
    const engine = await PolicyEngine.load(builtinBundle());
    const repo = scenario.repos[0]!;
    for (const step of scenario.steps) {
      applyMutation(standIn, scenario, step);
      await deliver(step);
      const head = step.expect.headSha;
      const published = standIn.checkRuns.filter((r) => r.head_sha === head && r.name === "agent-gate").at(-1);
      assert.ok(published, `${step.event}: the App published a check run on ${head.slice(0, 7)}`);
      // The same values, straight through the pipeline.
      const pullNumber = ((step.payload.pull_request as { number?: number } | undefined)?.number ?? step.mutate?.pull ?? repo.pulls[0]!.number);
      const github = new GitHubConnector().installation(octokit);
      const payload = await github.pull(repo.owner, repo.name, pullNumber);
      const loaded = await loadRepoConfig(github, repo.owner, repo.name).catch((error: unknown) => ({ error }));
      const payloads = await openPullsWithHead(github, repo.owner, repo.name, payload, head);
      const evaluations: Evaluation[] = [];
      for (const p of payloads) {
        let outcome: { decided: Decided } | { error: unknown };
        try {
          if ("error" in loaded) throw loaded.error;
          const snapshot = await github.snapshot(repo.owner, repo.name, p);
          checkHead(snapshot, head);
          // A config change's section: without an audit log here, so no impact analysis (compared below).
          const configChange = await inspectConfigChange(github, { owner: repo.owner, repo: repo.name, headSha: head, files: snapshot.files, requester: requesterOf(snapshot.pull) }, { last: loaded.config.config_changes.impact_last });
          // The head's check runs, when the config requires checks, as the gate reads them (the demo App is App 1).
          const facts = await withHeadChecks(github, factsOf(snapshot, loaded, new Date()), loaded.config, 1);
          const verified = withCommitEvidence(verifyEvidence(evidence, facts.bundles, loaded.config, `${repo.owner}/${repo.name}`), facts.commits, verifier, loaded.config, DEMO_GITHUB_SIGNING_KEYS);
          outcome = { decided: await evaluatePullRequest(facts, loaded, verified, engine, { now: new Date(), decisionId: ID, ...(configChange ? { configChange } : {}) }) };
        } catch (error) {
          outcome = { error };
        }
        evaluations.push(explain(outcome, ID, 0, () => undefined));
      }
      const standings = await Promise.all(payloads.map((p) => pullStanding(github, repo.owner, repo.name, p)));
      const { output } = combinedOutput(evaluations, standings);
      assert.equal(output.conclusion, published.conclusion, `${step.event}: conclusion`);
      assert.equal(strip(output.title), strip(published.output.title), `${step.event}: title`);
      // An audited scenario's App witnesses its audit log's head in the footer and replays the log in its config-change
      // section, which moves with every decision; the pipeline here has no log.
      const summary = (s: string | null | undefined): string => (scenario.audit ? strip(s).replace(/\n\n<sub>audit log head [^<]*<\/sub>/, "").replace(/(### Config change\n[^]*?\n\n(?:✅|❌)[^\n]*)\n[^]*?(?=\n\n(?:\| commit \||<sub>|### ))/, "$1 …") : strip(s));
      assert.equal(summary(output.summary), summary(published.output.summary), `${step.event}: summary`);
      assert.equal(strip(output.text), strip(published.output.text), `${step.event}: text`);
    }
  });
}
