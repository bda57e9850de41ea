// Runs recorded scenarios through the real App (Probot, in-process) against a GitHub stand-in serving the
// scenario's state, and reports the check run each head commit ends with.
import { Probot, ProbotOctokit } from "probot";
import { pino } from "pino";
import { generateKeyPairSync } from "node:crypto";
import { agentGateApp } from "../index.js";
import { composeGate, type ComposeOptions } from "../app/compose.js";
import { DEMO_GITHUB_SIGNING_KEYS } from "./github/web-flow-key.js";
import { GitHubStandIn } from "./github/stand-in.js";
import type { StandInCheckRun } from "./github/model.js";
import { CHECK_NAME } from "../adapters/github/check-runs.js";
import { seedCheckRun } from "./github/check-runs.js";
import type { Scenario, ScenarioStep } from "./scenario.js";
import { checkRunPage } from "./page.js";
import { openDemoRecorder, type DemoRecorder } from "./record.js";
import { SqlAuditLog } from "../adapters/storage/audit-log.js";
import { revocationStores } from "../app/revocation-trigger.js";

export interface StepOutcome {
  readonly step: ScenarioStep;
  readonly run: StandInCheckRun | undefined;
  readonly problems: string[]; // expectations not met
}

export type Deliver = (step: ScenarioStep) => Promise<void>;

/** Applies a step's changes to the stand-in's state before its delivery. */
export function applyMutation(standIn: GitHubStandIn, scenario: Scenario, step: ScenarioStep): void {
  // Files changed on a repository's default branch (a push to the organisation's .github repository).
  for (const change of step.repoFiles ?? []) {
    const target = standIn.repo(change.owner, change.repo);
    if (!target) throw new Error(`${scenario.name}: no repository ${change.owner}/${change.repo}`);
    for (const [path, text] of Object.entries(change.files)) {
      if (text === null) delete target.files[path];
      else target.files[path] = text;
    }
  }
  const m = step.mutate;
  if (!m) return;
  const repo = scenario.repos[0]!;
  const pull = standIn.pull(repo.owner, repo.name, m.pull);
  if (!pull) throw new Error(`${scenario.name}: no pull request #${m.pull}`);
  if (m.addReviews) pull.reviews.push(...structuredClone(m.addReviews));
  if (m.commits) pull.commits = structuredClone(m.commits);
  if (m.files) pull.files = structuredClone(m.files);
  if (m.headSha) pull.head.sha = m.headSha;
  // Other Apps' checks (tests) created, progressing or re-run, as the step's delivery then reports one completing.
  for (const seed of m.checkRuns ?? []) seedCheckRun(standIn.checkRuns, repo, seed);
}

/** Markdown source as a reader sees its characters: numeric entities decoded, invisible joiners dropped. */
export function readable(markdown: string): string {
  return markdown.replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n))).replace(/\u2060/g, "");
}

/** What a step's check run must show; [] when it does. */
export function checkExpectations(step: ScenarioStep, run: StandInCheckRun | undefined): string[] {
  const e = step.expect;
  if (!run) return [`no agent-gate check run on ${e.headSha.slice(0, 7)}`];
  const problems: string[] = [];
  if (run.status !== "completed") problems.push(`check run is ${run.status}, expected completed`);
  if (run.conclusion !== e.conclusion) problems.push(`conclusion ${run.conclusion}, expected ${e.conclusion}`);
  if (e.titleIncludes && !(run.output.title ?? "").includes(e.titleIncludes)) problems.push(`title "${run.output.title}" lacks "${e.titleIncludes}"`);
  const shown = readable(`${run.output.summary}\n${run.output.text}`);
  for (const s of e.summaryIncludes ?? []) if (!shown.includes(s)) problems.push(`summary lacks "${s}"`);
  if (e.summaryExcludes?.length) {
    // What must not come alive is judged on the page GitHub would render, not on the markdown source.
    const html = checkRunPage({ scenario: "", title: run.output.title ?? "", conclusion: run.conclusion ?? "", summary: run.output.summary ?? "", text: run.output.text ?? "" });
    for (const s of e.summaryExcludes) if (html.includes(s)) problems.push(`the rendered check run contains "${s}"`);
  }
  return problems;
}

/** Runs one scenario; `deliver` sends a step's webhook to an App wired to `standIn`. */
export async function runScenario(scenario: Scenario, standIn: GitHubStandIn, deliver: Deliver): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const step of scenario.steps) {
    applyMutation(standIn, scenario, step);
    await deliver(step);
    const runs = standIn.checkRuns.filter((r) => r.head_sha === step.expect.headSha && r.name === CHECK_NAME);
    const latest = runs.at(-1);
    const run = latest ? structuredClone(latest) : undefined; // the run as it stood after this step
    const problems = checkExpectations(step, run);
    if (runs.length > 1) problems.push(`${runs.length} agent-gate check runs on ${step.expect.headSha.slice(0, 7)}, expected one`);
    outcomes.push({ step, run, problems });
  }
  return outcomes;
}

/**
 * An in-process App (Probot's own receive) against a fresh stand-in holding the scenario's state; `gateOptions`
 * adds to the gate's parts (demo --record: the engine, the audit recorder and the witness of the log's head).
 */
export async function inProcessApp(scenario: Scenario, trustedRoot: unknown, gateOptions: ComposeOptions = {}): Promise<{ standIn: GitHubStandIn; deliver: Deliver }> {
  const standIn = new GitHubStandIn(structuredClone(scenario.repos));
  // An audited scenario without a recorder of the caller's (demo --record) records in the run's shared log.
  const audited = scenario.audit === true && !gateOptions.onDecision ? await scenarioRecorder() : undefined;
  const options: ComposeOptions = audited
    ? { engine: audited.engine, onDecision: audited.onDecision, auditHead: audited.auditHead, auditLog: audited.storage.audit, history: audited.storage, ...gateOptions }
    : gateOptions;
  // The stand-in's App is id 1: its own check runs are left out of required checks, and their completions never trigger.
  // The stand-in plays GitHub: the commits it shows as GitHub's own are signed with its web-flow key, not GitHub's.
  const gate = await composeGate({ githubSigningKeys: DEMO_GITHUB_SIGNING_KEYS, ...options, trustedRoot, tlogEntryUrl: () => undefined, appId: 1 });
  const probot = new Probot({
    appId: 1,
    privateKey: demoKey(),
    log: pino({ level: "silent" }),
    Octokit: unthrottled(),
    request: { fetch: standIn.fetch },
  });
  // With an audit log, a push that changes an owner's revocation list sweeps the decisions it recorded.
  const log = options.auditLog;
  await probot.load(agentGateApp({ gate, appId: 1, ...(log instanceof SqlAuditLog ? { revocations: revocationStores(log.db) } : {}) }));
  const deliver: Deliver = async (step) => {
    const name = step.event.split(".")[0]!;
    await probot.receive({ id: step.deliveryId, name, payload: step.payload } as never);
  };
  return { standIn, deliver };
}

let shared: Promise<DemoRecorder> | undefined;

/** The audit log in memory that audited scenarios record in, opened on first use (initdb takes a few seconds). */
function scenarioRecorder(): Promise<DemoRecorder> {
  shared ??= openDemoRecorder("memory://");
  return shared;
}

/** Closes the audited scenarios' shared log, if one was opened (a run's last step). */
export async function closeScenarioAudit(): Promise<void> {
  const open = shared;
  shared = undefined;
  if (open) await (await open).close();
}

/**
 * Probot's Octokit without retries or throttling, for a zero-latency stand-in: Probot spaces writes one second
 * apart per installation (GitHub's pacing, kept in production); here it would only measure the wait. Probot
 * applies its own throttle defaults over a plain `.defaults({...})`, so this takes the last word with a function.
 */
export function unthrottled(): typeof ProbotOctokit {
  return ProbotOctokit.defaults((options: Record<string, unknown>) => ({ ...options, retry: { enabled: false }, throttle: { enabled: false } }));
}

let key: string | undefined;
function demoKey(): string {
  key ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return key;
}
