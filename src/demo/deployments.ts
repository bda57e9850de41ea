// Recorded deployment scenarios (fixtures/deployments/, made by scripts/make-deployment-scenarios.ts): the GitHub
// state a stand-in serves (config, attestations, the PR gate's check run), a `deployment_protection_rule`
// delivery, and the answer agent-gate must give through the callback. Run through the real App in-process.
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Probot } from "probot";
import { pino } from "pino";
import { z } from "zod";
import { agentGateApp } from "../index.js";
import { composeDeploymentGate, composeGate, type DeploymentComposeOptions } from "../app/compose.js";
import { DEMO_GITHUB_SIGNING_KEYS } from "./github/web-flow-key.js";
import { GitHubStandIn } from "./github/stand-in.js";
import type { StandInCheckRun, StandInRepo } from "./github/model.js";
import { CHECK_NAME } from "../adapters/github/check-runs.js";
import { unthrottled } from "./run.js";

export interface DeploymentScenario {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly repo: StandInRepo;
  /** The agent-gate check run's conclusion on the deployed commit; null: the commit never went through the gate. */
  readonly prGate: string | null;
  readonly payload: Record<string, unknown>;
  readonly expect: { readonly state: "approved" | "rejected"; readonly commentIncludes: readonly string[] };
}

export interface DeploymentOutcome {
  readonly scenario: DeploymentScenario;
  readonly state: string | undefined;
  readonly comment: string;
  readonly statusComments: readonly string[];
  readonly problems: string[];
}

const Shape = z.object({
  trustedRoot: z.record(z.string(), z.unknown()),
  scenarios: z.array(
    z
      .object({
        name: z.string(),
        title: z.string(),
        description: z.string(),
        repo: z.record(z.string(), z.unknown()),
        prGate: z.string().nullable(),
        payload: z.record(z.string(), z.unknown()),
        expect: z.object({ state: z.enum(["approved", "rejected"]), commentIncludes: z.array(z.string()) }),
      })
      .loose(),
  ),
});

export const DEPLOYMENT_DIR = new URL("../../fixtures/deployments/", import.meta.url);

export function loadDeploymentScenarios(dir: URL = DEPLOYMENT_DIR): { trustedRoot: unknown; scenarios: DeploymentScenario[] } {
  const raw = JSON.parse(readFileSync(join(dir.pathname, "deployments.json"), "utf8")) as unknown;
  const parsed = Shape.safeParse(raw);
  if (!parsed.success) throw new Error(`deployments.json: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
  return raw as { trustedRoot: unknown; scenarios: DeploymentScenario[] };
}

/** The agent-gate check run the PR gate left on the deployed commit. */
export function prGateCheckRun(s: DeploymentScenario, sha: string): StandInCheckRun | undefined {
  if (s.prGate === null) return undefined;
  return {
    id: 501, owner: s.repo.owner, repo: s.repo.name, head_sha: sha, name: CHECK_NAME, status: "completed", conclusion: s.prGate, external_id: "pr-gate-decision",
    output: { title: s.prGate, summary: "", text: "", annotations_count: 0 }, annotations: [], actions: [], started_at: "2026-11-20T10:00:00Z", completed_at: "2026-11-20T10:00:05Z", writes: [],
  };
}

/** What the answer must show; [] when it does. */
export function checkDeployment(s: DeploymentScenario, answers: readonly Record<string, unknown>[]): { state: string | undefined; comment: string; problems: string[] } {
  const problems: string[] = [];
  const final = answers.filter((a) => a.state !== undefined);
  if (final.length !== 1) problems.push(`${final.length} answers through the callback, expected one`);
  const answer = final.at(-1);
  const state = typeof answer?.state === "string" ? answer.state : undefined;
  const comment = typeof answer?.comment === "string" ? answer.comment : "";
  if (state !== s.expect.state) problems.push(`answered ${state ?? "nothing"}, expected ${s.expect.state}`);
  if (comment.length > 1024) problems.push(`comment of ${comment.length} characters, GitHub takes 1,024`);
  for (const t of s.expect.commentIncludes) if (!comment.includes(t)) problems.push(`comment lacks "${t}"`);
  return { state, comment, problems };
}

/** Runs one deployment scenario through the real App (Probot's own receive) against a fresh stand-in. */
export async function runDeploymentScenario(s: DeploymentScenario, trustedRoot: unknown, record: Pick<DeploymentComposeOptions, "onDecision" | "engine" | "auditHead"> = {}): Promise<DeploymentOutcome> {
  const standIn = new GitHubStandIn([structuredClone(s.repo)]);
  const sha = (s.payload.deployment as { sha: string }).sha;
  const run = prGateCheckRun(s, sha);
  if (run) standIn.checkRuns.push(run);
  const gate = await composeGate({ trustedRoot, tlogEntryUrl: () => undefined, githubSigningKeys: DEMO_GITHUB_SIGNING_KEYS });
  const deploymentGate = await composeDeploymentGate({ ...record, trustedRoot, bundleFetch: standIn.fetch });
  const probot = new Probot({ appId: 1, privateKey: key(), log: pino({ level: "silent" }), Octokit: unthrottled(), request: { fetch: standIn.fetch } });
  await probot.load(agentGateApp({ gate, deploymentGate }));
  await probot.receive({ id: `deploy-${s.name}`, name: "deployment_protection_rule", payload: s.payload } as never);
  const bodies = standIn.deploymentReviews.map((r) => r.body);
  const checked = checkDeployment(s, bodies);
  return { scenario: s, ...checked, statusComments: bodies.filter((b) => b.state === undefined).map((b) => String(b.comment)) };
}

let pem: string | undefined;
function key(): string {
  pem ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return pem;
}
