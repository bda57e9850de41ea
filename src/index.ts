// The Probot app function: the composition root. It turns deliveries into triggers and hands them to the gate;
// everything else (gathering, verifying, deciding, reporting) lives in app/ use-cases and adapters.
// With durable intake (the server), a delivery is persisted as a job and acknowledged; workers evaluate it.
// Without (the demo, `evaluate`, the end-to-end tests), the delivery is evaluated before it is acknowledged.
import type { ApplicationFunction, Probot } from "probot";
import type { Octokit } from "@octokit/rest";
import { toTrigger } from "./adapters/github/triggers.js";
import { CHECK_NAME } from "./adapters/github/check-runs.js";
import { boundedBy } from "./adapters/github/attempt-deadline.js";
import { GitHubConnector } from "./adapters/github/octokit-github.js";
import { OrgRepoScope } from "./adapters/github/org-repo-scope.js";
import { describeError } from "./core/errors.js";
import type { GateResult, PullRequestGate } from "./app/pull-request-gate.js";
import { InlineFolds } from "./app/fold.js";
import type { DeploymentGate } from "./app/deployment-gate.js";
import { RECONCILE_QUEUE, type Intake, type InstallationAuth } from "./app/intake.js";
import type { AppGitHub, InstallationGitHub } from "./adapters/github/facts-port.js";
import { reconcile, type ReconcileReport } from "./app/reconcile.js";
import type { PruneReport } from "./adapters/storage/gate-store.js";
import { revocationPush, sweepOwner, type RevocationStores } from "./app/revocation-trigger.js";
import { defaultBranchChanged, defaultBranchPush, mayTouchConfig, type ConfigChange } from "./app/config-trigger.js";
import { runConfigStep, runConfigSweep, type ConfigSweepStep } from "./app/config-sweep.js";
import type { ConfigUsesStore } from "./adapters/storage/config-uses.js";
import { randomUUID } from "node:crypto";

// With deployment_protection_rule, push and repository below, exactly app.yml's default_events (test/app/subscribed-events.test.ts).
const EVENTS = ["pull_request", "pull_request_review", "issue_comment", "check_suite", "check_run", "merge_group"] as const;
// GitHub sends these to every App unasked (app.yml cannot name them): what an installation covers changed.
export const INSTALLATION_EVENTS = ["installation", "installation_repositories"] as const;

export interface DurableOptions {
  readonly intake: Intake;
  /** Evaluations this process runs at once. */
  readonly concurrency: number;
  /** Seconds between reconciliation runs (one per window across every process); 0 disables the schedule. */
  readonly reconcileEverySeconds: number;
  /** GitHub requests one reconciliation run may make. */
  readonly reconcileBudget: number;
  /**
   * Days the gate's own state (deliveries taken in, evaluations, check runs by head) is kept; each reconciliation
   * run prunes what is older. Undefined: kept forever.
   */
  readonly stateRetentionDays?: number;
  readonly onReconciled?: (report: ReconcileReport) => void;
  readonly onPruned?: (report: PruneReport) => void;
}

export interface AppDeps {
  gate: PullRequestGate;
  /** The custom deployment protection rule; without it `deployment_protection_rule` deliveries are not handled. */
  deploymentGate?: DeploymentGate;
  /** Durable intake, workers and reconciliation; without it deliveries are evaluated inline. */
  durable?: DurableOptions;
  /** Called for every delivery taken in (metrics). */
  onEvent?: (name: string, action: string | undefined) => void;
  /** The App's id: a check run of its own that completes never triggers an evaluation (default: known by name only). */
  appId?: number;
  /**
   * The organisation's revocation list (docs/revocation.md): the audit log's evidence index and the sweep state. With
   * them a push to an owner's `.github` repository that changes the list re-evaluates the open pull requests whose
   * recorded evidence it names (inline, or queued with durable intake), and reconciliation catches a missed push.
   */
  revocations?: RevocationStores;
  /**
   * The audit log's record of which repositories' decisions read which config file (docs/policy.md, "When the
   * config changes"): with it a push to a file some repository's `_extends` chain reads re-judges that repository's open
   * pull requests; without it only a repository's own config and the owner's `.github` config are known.
   */
  configUses?: ConfigUsesStore;
  /** Makes the GitHub port of each client Probot hands over (default: one per App, holding its caches, with `appId`). */
  github?: GitHubConnector;
  /**
   * Owners declared to have no `.github` repository (AGENT_GATE_OWNERS_WITHOUT_ORG_REPO): one that reads as missing is
   * taken as missing even where the installation could not see it (org-repo-scope.ts). Only with the default `github`.
   */
  ownersWithoutOrgRepo?: readonly string[];
}

export function agentGateApp(deps: AppDeps): ApplicationFunction {
  return async (app: Probot) => {
    const durable = deps.durable;
    // The App's id, when known, keeps check-run lookups to its own runs (another App's run named agent-gate is never adopted).
    const github = deps.github ?? new GitHubConnector({ appId: deps.appId, orgRepoScope: new OrgRepoScope({ ownersWithout: deps.ownersWithoutOrgRepo ?? [] }) });
    // What the owner's installation covers is read again at the next need: `.github` may have left it (or joined).
    app.on([...INSTALLATION_EVENTS], (context) => {
      const account = (context.payload as { installation?: { account?: { login?: unknown } | null } }).installation?.account;
      if (typeof account?.login === "string") github.orgRepoScope.forget(account.login);
      return Promise.resolve();
    });
    // Inline, a delivery that only asks for its head to be judged again is answered by an evaluation of that head that
    // waits behind the one running (app/fold.ts), as durable intake folds it into a job that waits to start.
    const folds = new InlineFolds<GateResult[]>();
    app.on([...EVENTS], async (context) => {
      deps.onEvent?.(context.name, (context.payload as { action?: string }).action);
      // Durable: a payload that is no trigger is refused with 422 (never processable), not failed with 500.
      const trigger = durable ? durable.intake.toTrigger(context.id, context.name, context.payload, deps.appId) : toTrigger(context.name, context.payload, CHECK_NAME, deps.appId);
      if (!trigger) return;
      const log = context.log.child({ delivery: context.id, event: trigger.event, repo: `${trigger.owner}/${trigger.repo}` });
      const pull = "pull_request" in context.payload ? context.payload.pull_request : undefined;
      if (durable) {
        // Persisted before GitHub hears 2xx: a crash after this loses nothing; one before it fails the delivery,
        // which reconciliation redelivers.
        await durable.intake.acceptTrigger(context.id, trigger);
        log.debug("queued");
        return;
      }
      try {
        const result = await folds.run(trigger, (t) => deps.gate.handle(github.installation(context.octokit), t, { deliveryId: context.id, pullPayload: pull }));
        log.info({ results: result.map((r) => ({ sha: r.headSha, conclusion: r.conclusion, decision: r.decisionId, ...(r.error !== undefined ? { err: r.error } : {}) })) }, "evaluated");
      } catch (err) {
        // The gate already completed the check as failure where it could; this is the last resort log line.
        log.error({ err: describeError(err) }, "evaluation failed");
        throw err;
      }
    });
    // Always subscribed (app.yml lists push): a push to a default branch may change a revocation list (docs/revocation.md)
    // or a config some repositories are judged by (app/config-sweep.ts); either is swept, as a job with durable intake.
    app.on("push", async (context) => {
      const revocations = deps.revocations;
      const pushed = revocations ? revocationPush(context.payload) : undefined;
      const change = defaultBranchPush(context.payload);
      const config = change && mayTouchConfig(change, deps.configUses !== undefined) ? change : undefined;
      if (!(revocations && pushed) && !config) return;
      deps.onEvent?.(context.name, undefined);
      const log = context.log.child({ delivery: context.id, event: "push", owner: (pushed ?? config)!.owner });
      if (durable) {
        // A sweep makes a GitHub request per pull request: a job, never work done before GitHub hears 2xx.
        // Never folded into a sweep already running (a singleton window did): it may have read the list before this push.
        if (pushed) await durable.intake.enqueueRevocationSweep(pushed);
        if (config) await durable.intake.enqueueConfigSweep({ step: "changed", ...config });
        log.info({ revocations: pushed !== undefined, config: config !== undefined }, "sweep queued");
        return;
      }
      const installation = github.installation(context.octokit);
      if (revocations && pushed) {
        const report = await sweepOwner(installation, pushed.owner, pushed.installationId, revocations, (trigger, triggerId) => deps.gate.handle(installation, trigger, { triggerId, receivedAt: new Date() }));
        log.info({ sweep: { ...report, deployments: report.deployments.length } }, "revocation list swept");
      }
      if (config) await sweepConfigInline(deps, installation, config, log);
    });
    // A repository's default branch changed: every file the gate reads from it may be another one now.
    app.on("repository.edited", async (context) => {
      const change = defaultBranchChanged(context.payload);
      if (!change) return;
      deps.onEvent?.(context.name, context.payload.action);
      const log = context.log.child({ delivery: context.id, event: "repository.edited", repo: `${change.owner}/${change.repo}` });
      if (durable) {
        await durable.intake.enqueueConfigSweep({ step: "changed", ...change });
        log.info("config sweep queued");
        return;
      }
      await sweepConfigInline(deps, github.installation(context.octokit), change, log);
    });
    const deploymentGate = deps.deploymentGate;
    if (deploymentGate) {
      app.on("deployment_protection_rule.requested", async (context) => {
        deps.onEvent?.(context.name, context.payload.action);
        const log = context.log.child({ delivery: context.id, event: "deployment_protection_rule.requested" });
        if (durable) {
          await durable.intake.acceptDeployment(context.id, context.payload);
          return;
        }
        try {
          const r = await deploymentGate.handle(github.installation(context.octokit), context.payload, { deliveryId: context.id });
          log.info({ state: r.state, decision: r.decisionId, ...(r.error !== undefined ? { err: r.error } : {}) }, "deployment answered");
        } catch (err) {
          log.error({ err: describeError(err) }, "deployment evaluation failed");
          throw err;
        }
      });
    }
    if (durable) await startDurable(app, deps, durable, github);
  };
}

/** After a reconciliation run (one at a time across the deployment): forgets state past its retention. */
async function prune(app: Probot, intake: Intake, durable: DurableOptions): Promise<void> {
  const days = durable.stateRetentionDays;
  if (days === undefined) return;
  try {
    const report = await intake.store.prune(new Date(Date.now() - days * 86_400_000));
    if (report.deliveries + report.evaluations + report.checkRuns > 0) app.log.info({ pruned: report, retentionDays: days }, "pruned gate state past its retention");
    durable.onPruned?.(report);
  } catch (err) {
    // Not a reason to run reconciliation again: the next run prunes. The App's role needs DELETE on the gate's
    // tables (docs/operations.md).
    app.log.warn({ err: describeError(err) }, "could not prune gate state past its retention (does the App's role have DELETE on intake_deliveries, gate_check_runs and gate_evaluations?)");
  }
}

async function startDurable(app: Probot, deps: AppDeps, durable: DurableOptions, github: GitHubConnector): Promise<void> {
  // Each call makes a new client, so a job attempt's deadline bounds only that attempt's requests.
  const auth: InstallationAuth = async (installationId, signal) => {
    const octokit = (await app.auth(installationId)) as unknown as Octokit;
    return github.installation(signal ? boundedBy(octokit, signal) : octokit);
  };
  const appAuth = async (): Promise<AppGitHub> => github.app(await app.auth());
  const { intake } = durable;
  await intake.start({ auth, gate: deps.gate, ...(deps.deploymentGate ? { deploymentGate: deps.deploymentGate } : {}), concurrency: durable.concurrency });
  const revocations = deps.revocations;
  // Re-evaluations a sweep asks for are jobs like reconciliation's (a head whose job waits to start is not queued twice).
  const sweep = (github: InstallationGitHub, owner: string, installationId: number) =>
    sweepOwner(github, owner, installationId, revocations!, (trigger, triggerId) => intake.enqueueSweep(trigger, triggerId, "inputs"));
  await intake.queue.work<{ requestedAt: string; revocations?: { owner: string; installationId: number }; config?: ConfigSweepStep }>(RECONCILE_QUEUE, 1, async (job) => {
    const step = job.data.config;
    if (step) {
      // A step of a config sweep: its evaluations and further steps are jobs (a head whose job waits is not queued twice).
      const report = await runConfigStep(await auth(step.installationId, job.signal), step, { uses: deps.configUses, verdictConfig: (r, h) => deps.gate.verdictConfig(r, h), evaluate: (t, id) => intake.enqueueSweep(t, id, "inputs"), next: (s) => intake.enqueueConfigSweep(s), sweepId: job.id });
      if (report.reEvaluated.length > 0 || report.queued > 0) app.log.info({ configSweep: { ...report, reEvaluated: report.reEvaluated.length } }, "config sweep step");
      return;
    }
    const pushed = job.data.revocations;
    if (pushed) {
      // A push changed an owner's revocation list: that owner alone, now (the scheduled run catches the rest).
      if (!revocations) return;
      const report = await sweep(await auth(pushed.installationId, job.signal), pushed.owner, pushed.installationId);
      app.log.info({ sweep: { ...report, deployments: report.deployments.length } }, "revocation list swept");
      return;
    }
    const report = await reconcile({ appAuth, auth, store: intake.store, intake, budget: durable.reconcileBudget, signal: job.signal, verdictConfig: (r, h) => deps.gate.verdictConfig(r, h), ...(revocations ? { revocations: sweep } : {}) }, job.id);
    const summary = { ...report, redelivered: report.redelivered.length, reEvaluated: report.reEvaluated.length };
    // A run that could not look everywhere is a warning: what it missed waits for the next run.
    if (report.errors.length > 0 || report.truncated) app.log.warn({ reconcile: summary }, "reconciliation incomplete");
    else app.log.info({ reconcile: summary }, "reconciled");
    durable.onReconciled?.(report);
    await prune(app, intake, durable);
  });
  const every = durable.reconcileEverySeconds;
  // On start, then on a schedule; the singleton window makes it one run per window for the whole deployment.
  const request = (): void =>
    void intake.queue
      .send(RECONCILE_QUEUE, { requestedAt: new Date().toISOString() }, { singletonKey: "reconcile", singletonSeconds: Math.max(1, every || 60) })
      .catch((err: unknown) => app.log.warn({ err: describeError(err) }, "could not schedule reconciliation"));
  request();
  if (every > 0) setInterval(request, every * 1000).unref();
}


/** Without durable intake: the whole config sweep before the delivery is answered, as the revocation sweep runs there. */
async function sweepConfigInline(deps: AppDeps, github: InstallationGitHub, change: ConfigChange, log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void }): Promise<void> {
  const report = await runConfigSweep(github, { step: "changed", ...change }, {
    uses: deps.configUses,
    verdictConfig: (r, h) => deps.gate.verdictConfig(r, h),
    evaluate: (trigger, triggerId) => deps.gate.handle(github, trigger, { triggerId, receivedAt: new Date() }),
    sweepId: randomUUID,
  });
  const summary = { ...report, reEvaluated: report.reEvaluated.length };
  if (report.cut > 0) log.warn({ configSweep: summary }, "config sweep cut short: the steps left were not run");
  else log.info({ configSweep: summary }, "config swept");
}
