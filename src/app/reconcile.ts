// Reconciliation, on start and on a schedule, within a bounded number of GitHub requests:
// 1. deliveries GitHub failed to bring (the App was down, failed, or was slow past ten seconds) are found in the
//    App's delivery history and redelivered as each page is read, unless the App persisted them after all (one it
//    refused with a 4xx is never redelivered: it would be refused again); a run the budget stops saves its place in
//    the history and the next run continues from there (reconcile-deliveries.ts);
// 2. open pull requests whose head commit lacks a completed `agent-gate` check (or shows one that could not be
//    evaluated) are evaluated again;
//    With `verdictConfig`, a completed check whose verdict was made under another config digest than the repository's
//    now (a config push whose delivery never came, or a sweep that was lost) is evaluated again too: the config is read
//    once per repository that has such a check, with conditional requests, within the budget;
// 3. with `revocations`, each installation's owner whose revocation list differs from the one last swept is swept
//    (app/revocation-sweep.ts): a push to its `.github` repository whose delivery never came is caught here.
import { CHECK_NAME } from "../adapters/github/check-runs.js";
import type { AppGitHub, InstallationGitHub } from "../adapters/github/facts-port.js";
import { describeError } from "../core/errors.js";
import { currentConfigDigest } from "./config-sweep.js";
import type { Intake, InstallationAuth } from "./intake.js";
import { redeliverFailed, type DeliveryProgress, type DeliveryStore } from "./reconcile-deliveries.js";

export { redeliverable } from "./reconcile-deliveries.js";

export interface ReconcileOptions {
  /** The App's own (JWT) GitHub, for /app endpoints. */
  readonly appAuth: () => Promise<AppGitHub>;
  readonly auth: InstallationAuth;
  readonly store: DeliveryStore;
  readonly intake: Intake;
  /** At most this many GitHub requests per run (redeliveries included; the delivery history is read first). */
  readonly budget?: number;
  /** How far back the delivery history is read (GitHub keeps about three days). */
  readonly lookBackMs?: number;
  readonly checkName?: string;
  /** The run's job attempt: its GitHub calls end with it (deadline, or the process stopping). */
  readonly signal?: AbortSignal;
  /**
   * The config digest a head's shown verdict was made under (PullRequestGate.verdictConfig): a settled check made under
   * another digest than the repository's now is evaluated again.
   */
  readonly verdictConfig?: (repository: string, headSha: string) => Promise<string | undefined>;
  /** Sweeps an owner's revocation list if it changed since the last sweep (one conditional request when it did not). */
  readonly revocations?: (github: InstallationGitHub, owner: string, installationId: number) => Promise<{ readonly unchanged: boolean; readonly reEvaluated: readonly string[]; readonly truncated: boolean; readonly errors: readonly string[] }>;
}

export interface ReconcileReport {
  readonly requests: number;
  readonly deliveriesSeen: number;
  /** How far this run got in the delivery history, and where the next run continues (reconcile-deliveries.ts). */
  readonly deliveryHistory?: DeliveryProgress;
  readonly redelivered: string[];
  readonly pullsSeen: number;
  readonly reEvaluated: string[];
  /**
   * The budget ran out before everything was looked at. The delivery history is continued by the next run where this
   * one stopped (`deliveryHistory.continuesBelow`); open pull requests are listed again from the first.
   */
  readonly truncated: boolean;
  readonly errors: string[];
  /** Owners whose changed revocation list was swept, and the pull requests it re-evaluated. */
  readonly revocationSweeps?: string[];
}

/** Thrown when the budget has no room for a repository's config read: the run stops there, as at any other request. */
const OUT_OF_BUDGET = new Error("the reconciliation budget is spent");

class Budget {
  used = 0;
  constructor(private readonly max: number) {}
  take(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }
  get spent(): boolean {
    return this.used >= this.max;
  }
}

export async function reconcile(opts: ReconcileOptions, runId: string): Promise<ReconcileReport> {
  const budget = new Budget(opts.budget ?? 500);
  const errors: string[] = [];
  const redelivered: string[] = [];
  const reEvaluated: string[] = [];
  const revocationSweeps: string[] = [];
  let pullsSeen = 0;

  // An installation's client is made for this run, so it ends with it; the App's own is shared by the process.
  const auth = (installationId: number): ReturnType<ReconcileOptions["auth"]> => opts.auth(installationId, opts.signal);
  let app: AppGitHub;
  try {
    app = await opts.appAuth();
  } catch (err) {
    return { requests: 0, deliveriesSeen: 0, redelivered, pullsSeen, reEvaluated, truncated: false, errors: [`the App's own token: ${describeError(err)}`] };
  }

  // 1. Failed deliveries, redelivered as the history is read; a pass the budget stops is continued by the next run.
  const step = await redeliverFailed({ app, store: opts.store, take: () => budget.take(), since: Date.now() - (opts.lookBackMs ?? 3 * 24 * 3600_000), redelivered, errors });
  const deliveriesSeen = step.seen;

  // 2. Open pull requests whose head lacks a completed check.
  try {
    const installations: { id: number }[] = [];
    for (let page = 1; budget.take(); page++) {
      const ids = await app.installationsPage(page);
      installations.push(...ids.map((id) => ({ id })));
      if (ids.length < 100) break;
    }
    outer: for (const inst of installations) {
      const github = await auth(inst.id);
      const repos: { owner: string; name: string }[] = [];
      for (let page = 1; ; page++) {
        if (!budget.take()) break outer;
        const found = await github.installationRepositoriesPage(page);
        repos.push(...found);
        if (found.length < 100) break;
      }
      if (opts.revocations) {
        for (const owner of new Set(repos.map((r) => r.owner))) {
          if (!budget.take()) break outer;
          try {
            const swept = await opts.revocations(github, owner, inst.id);
            if (!swept.unchanged) revocationSweeps.push(`${owner}: ${swept.reEvaluated.length} re-evaluated${swept.truncated ? ", more left for the next run" : ""}`);
            errors.push(...swept.errors.map((e) => `revocations of ${owner}: ${e}`));
          } catch (err) {
            errors.push(`revocations of ${owner}: ${describeError(err)}`);
          }
        }
      }
      for (const repo of repos) {
        // The repository's config digest now, read at its first settled check (a config read: two requests counted).
        let digest: Promise<string> | undefined;
        const current = (): Promise<string> => (digest ??= budget.take() && budget.take() ? currentConfigDigest(github, repo.owner, repo.name) : Promise.reject(OUT_OF_BUDGET));
        for (let page = 1; ; page++) {
          if (!budget.take()) break outer;
          const pulls = await github.openPullsPage(repo.owner, repo.name, page);
          for (const pull of pulls) {
            pullsSeen++;
            if (!budget.take()) break outer;
            const run = (await github.checkRuns(repo.owner, repo.name, pull.headSha, opts.checkName ?? CHECK_NAME))[0];
            const settled = run?.status === "completed" && !(run.output.title ?? "").startsWith("Could not be evaluated");
            // Settled, but under another config: judged again, and never stood in for by a job that may have read the old one.
            const stale = settled && opts.verdictConfig !== undefined && (await opts.verdictConfig(`${repo.owner}/${repo.name}`, pull.headSha)) !== (await current());
            if (settled && !stale) continue;
            await opts.intake.enqueueSweep(
              { kind: "pull_request", event: "reconcile", owner: repo.owner, repo: repo.name, installationId: inst.id, headSha: pull.headSha, pullNumbers: [pull.number] },
              `${runId}:${pull.headSha}`,
              stale ? "inputs" : "unsettled",
            );
            reEvaluated.push(`${repo.owner}/${repo.name}#${pull.number}@${pull.headSha.slice(0, 7)}`);
          }
          if (pulls.length < 100) break;
        }
      }
    }
  } catch (err) {
    if (err !== OUT_OF_BUDGET) errors.push(`open pull requests: ${describeError(err)}`);
  }
  return { requests: budget.used, deliveriesSeen, deliveryHistory: step.progress, redelivered, pullsSeen, reEvaluated, truncated: budget.spent, errors, ...(opts.revocations ? { revocationSweeps } : {}) };
}
