// The Probot app function: the composition root. It turns deliveries into triggers and hands them to the gate;
// everything else (gathering, verifying, deciding, reporting) lives in app/ use-cases and adapters.
import type { ApplicationFunction, Probot } from "probot";
import type { Octokit } from "@octokit/rest";
import { toTrigger } from "./adapters/github/triggers.js";
import { CHECK_NAME } from "./adapters/github/check-runs.js";
import { describeError } from "./core/errors.js";
import type { PullRequestGate } from "./app/pull-request-gate.js";
import type { DeploymentGate } from "./app/deployment-gate.js";

const EVENTS = ["pull_request", "pull_request_review", "check_suite", "check_run", "merge_group"] as const;

export interface AppDeps {
  gate: PullRequestGate;
  /** The custom deployment protection rule; without it `deployment_protection_rule` deliveries are not handled. */
  deploymentGate?: DeploymentGate;
}

export function agentGateApp(deps: AppDeps): ApplicationFunction {
  return (app: Probot) => {
    app.on([...EVENTS], async (context) => {
      const trigger = toTrigger(context.name, context.payload, CHECK_NAME);
      if (!trigger) return;
      const log = context.log.child({ delivery: context.id, event: trigger.event, repo: `${trigger.owner}/${trigger.repo}` });
      try {
        const result = await deps.gate.handle(context.octokit as unknown as Octokit, trigger, {
          deliveryId: context.id,
          pullPayload: "pull_request" in context.payload ? context.payload.pull_request : undefined,
        });
        log.info({ results: result.map((r) => ({ sha: r.headSha, conclusion: r.conclusion, decision: r.decisionId })) }, "evaluated");
      } catch (err) {
        // The gate already completed the check as failure where it could; this is the last resort log line.
        log.error({ err: describeError(err) }, "evaluation failed");
        throw err;
      }
    });
    const deploymentGate = deps.deploymentGate;
    if (deploymentGate) {
      app.on("deployment_protection_rule.requested", async (context) => {
        const log = context.log.child({ delivery: context.id, event: "deployment_protection_rule.requested" });
        try {
          const r = await deploymentGate.handle(context.octokit as unknown as Octokit, context.payload, { deliveryId: context.id });
          log.info({ state: r.state, decision: r.decisionId }, "deployment answered");
        } catch (err) {
          log.error({ err: describeError(err) }, "deployment evaluation failed");
          throw err;
        }
      });
    }
  };
}
