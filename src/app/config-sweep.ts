// The config sweep: when a push (or a changed default branch) may have changed the config some repositories are
// judged by, the open pull requests of each such repository whose check shows a verdict made under another config
// are evaluated again at once, so a tightened config fails them without a new push to each (and a config loosened,
// used, and put back is judged again too). As the revocation sweep does (app/revocation-sweep.ts), it runs in steps,
// each bounded and each a job of durable intake (or a turn of a loop, inline): a step that stops at its bound queues
// the step that continues where it stopped.
//   changed:    a repository's default branch changed (these files, or unknown which): the repository itself when its
//               own config may have changed, every repository of the owner when that is the `.github` repository, and
//               every repository whose recorded decisions read a changed file (a base in an `_extends` chain: the
//               audit log's config uses, paged);
//   owner:      every repository of the owner the installation reaches, paged;
//   repository: its config's digest now, and its open pull requests, paged completely: each whose head's last verdict
//               was made under another digest (or none recorded) is evaluated again.
import { CONFIG_PATH } from "../adapters/github/config-source.js";
import { fromGitHubError } from "../adapters/github/errors.js";
import type { ConfigFiles, GitHubFacts } from "../adapters/github/facts-port.js";
import type { PullRequestTrigger } from "../adapters/github/triggers.js";
import type { ConfigUse, ConfigUsesStore } from "../adapters/storage/config-uses.js";
import { configFileKey } from "../adapters/storage/recorder.js";
import { publicError } from "../core/errors.js";
import type { ConfigChange } from "./config-trigger.js";
import { loadRepoConfig } from "./load-config.js";
import { UNAVAILABLE_CONFIG } from "./pull-request-gate.js";

export type ConfigSweepStep =
  | (ConfigChange & { readonly step: "changed"; readonly usesAfter?: ConfigUse })
  | { readonly step: "owner"; readonly owner: string; readonly installationId: number; readonly page: number }
  | { readonly step: "repository"; readonly owner: string; readonly repo: string; readonly installationId: number; readonly page: number };

/** Pages (of 100) one step reads: repositories of an installation, open pull requests of a repository. */
export const SWEEP_PAGES_PER_STEP = 5;
/** Config uses (repositories reading a changed file) one step takes. */
export const SWEEP_USES_PER_STEP = 500;

export interface ConfigSweepDeps {
  /** The audit log's config uses; without it a changed base is not known (only a repository's own and the owner's). */
  readonly uses?: ConfigUsesStore | undefined;
  /** The config digest the head's shown verdict was made under (PullRequestGate.verdictConfig). */
  readonly verdictConfig: (repository: string, headSha: string) => Promise<string | undefined>;
  /** Evaluates one head again (inline), or queues it (durable: Intake.enqueueSweep with why "inputs"). */
  readonly evaluate: (trigger: PullRequestTrigger, triggerId: string) => Promise<unknown>;
  /** Runs or queues a further step. */
  readonly next: (step: ConfigSweepStep) => Promise<unknown>;
  /** Unique to this run of the step (a job's id): its evaluations' trigger ids, so none is taken for an earlier one's. */
  readonly sweepId: string;
  readonly pagesPerStep?: number;
  readonly usesPerStep?: number;
}

export interface ConfigStepReport {
  readonly step: ConfigSweepStep["step"];
  readonly target: string;
  /** The config digest now (repository steps). */
  readonly digest?: string;
  readonly reEvaluated: string[];
  /** Further steps run or queued (a continuation among them when the bound cut this one short). */
  readonly queued: number;
  /** The bound cut this step short: a continuation was queued. */
  readonly continued: boolean;
}

/** Runs one step of a sweep through one installation's GitHub. */
export async function runConfigStep(github: ConfigFiles & Pick<GitHubFacts, "openPullsPage" | "installationRepositoriesPage">, step: ConfigSweepStep, deps: ConfigSweepDeps): Promise<ConfigStepReport> {
  const pages = Math.max(1, deps.pagesPerStep ?? SWEEP_PAGES_PER_STEP);
  let queued = 0;
  const next = async (s: ConfigSweepStep): Promise<void> => {
    queued++;
    await deps.next(s);
  };
  if (step.step === "changed") {
    const repository = `${step.owner}/${step.repo}`;
    const chosen = new Set<string>();
    const sweep = async (owner: string, repo: string): Promise<void> => {
      const key = `${owner}/${repo}`.toLowerCase();
      if (chosen.has(key)) return;
      chosen.add(key);
      await next({ step: "repository", owner, repo, installationId: step.installationId, page: 1 });
    };
    if (step.usesAfter === undefined && (step.files === null || step.files.includes(CONFIG_PATH))) {
      await sweep(step.owner, step.repo);
      if (step.repo.toLowerCase() === ".github") await next({ step: "owner", owner: step.owner, installationId: step.installationId, page: 1 });
    }
    let continued = false;
    if (deps.uses && (step.files === null || step.files.length > 0)) {
      const limit = Math.max(1, deps.usesPerStep ?? SWEEP_USES_PER_STEP);
      const query = step.files === null ? { inRepository: repository } : { files: step.files.map((f) => configFileKey(`${repository}:${f}`)) };
      const rows = await deps.uses.page(query, step.usesAfter, limit + 1);
      for (const use of rows.slice(0, limit)) {
        const [owner, repo] = use.repository.split("/");
        // Bases are the repository's owner's alone (load-config.ts: extendsTarget), so one installation reaches them all.
        if (owner === undefined || repo === undefined || owner.toLowerCase() !== step.owner.toLowerCase()) continue;
        await sweep(owner, repo);
      }
      if (rows.length > limit) {
        continued = true;
        await next({ ...step, usesAfter: rows[limit - 1]! });
      }
    }
    return { step: step.step, target: repository, reEvaluated: [], queued, continued };
  }
  if (step.step === "owner") {
    for (let page = step.page; page < step.page + pages; page++) {
      const repos = await github.installationRepositoriesPage(page);
      for (const r of repos) {
        if (r.owner.toLowerCase() === step.owner.toLowerCase()) await next({ step: "repository", owner: r.owner, repo: r.name, installationId: step.installationId, page: 1 });
      }
      if (repos.length < 100) return { step: step.step, target: step.owner, reEvaluated: [], queued, continued: false };
    }
    await next({ ...step, page: step.page + pages });
    return { step: step.step, target: step.owner, reEvaluated: [], queued, continued: true };
  }
  const { owner, repo } = step;
  const repository = `${owner}/${repo}`;
  const digest = await currentConfigDigest(github, owner, repo);
  const reEvaluated: string[] = [];
  for (let page = step.page; page < step.page + pages; page++) {
    const pulls = await github.openPullsPage(owner, repo, page).catch(gone);
    for (const p of pulls) {
      // Judged under this very config already (this sweep's own evaluation of a head two pull requests share, too).
      if ((await deps.verdictConfig(repository, p.headSha)) === digest) continue;
      const trigger: PullRequestTrigger = { kind: "pull_request", event: "config", owner, repo, installationId: step.installationId, headSha: p.headSha, pullNumbers: [p.number] };
      await deps.evaluate(trigger, `config:${deps.sweepId}:${repository}#${p.number}`);
      reEvaluated.push(`${repository}#${p.number}@${p.headSha.slice(0, 7)}`);
    }
    if (pulls.length < 100) return { step: step.step, target: repository, digest, reEvaluated, queued, continued: false };
  }
  await next({ ...step, page: step.page + pages });
  return { step: step.step, target: repository, digest, reEvaluated, queued, continued: true };
}

/**
 * The digest the gate would judge the repository's pull requests under now (config chain and revocation list, as
 * LoadedConfig.facts.digest); UNAVAILABLE_CONFIG when the config is broken, as the gate records it then. A failure
 * that is GitHub's (transient) throws: the caller tries again.
 */
export async function currentConfigDigest(github: ConfigFiles, owner: string, repo: string): Promise<string> {
  try {
    return (await loadRepoConfig(github, owner, repo)).facts.digest;
  } catch (err) {
    if (publicError(fromGitHubError(err) ?? err).transient) throw err;
    return UNAVAILABLE_CONFIG;
  }
}

/** A repository the installation no longer reaches has no open pull requests to judge. */
function gone(err: unknown): { number: number; headSha: string }[] {
  if ((err as { status?: number } | null)?.status === 404) return [];
  throw err;
}

/**
 * Runs a sweep to its end in this process (no durable intake): the steps one after another, each repository once.
 * Bounded by `maxSteps`; what is left past it is reported (`cut`), never silently dropped.
 */
export async function runConfigSweep(github: Parameters<typeof runConfigStep>[0], first: ConfigSweepStep, deps: Omit<ConfigSweepDeps, "next" | "sweepId"> & { readonly sweepId: () => string }, maxSteps = 1000): Promise<{ steps: number; reEvaluated: string[]; cut: number }> {
  const work: ConfigSweepStep[] = [first];
  const done = new Set<string>();
  const reEvaluated: string[] = [];
  let steps = 0;
  while (work.length > 0 && steps < maxSteps) {
    const step = work.shift()!;
    const key = step.step === "repository" ? `${step.owner}/${step.repo}#${step.page}`.toLowerCase() : undefined;
    if (key !== undefined && done.has(key)) continue;
    if (key !== undefined) done.add(key);
    steps++;
    const report = await runConfigStep(github, step, { ...deps, sweepId: deps.sweepId(), next: (s) => Promise.resolve(void work.push(s)) });
    reEvaluated.push(...report.reEvaluated);
  }
  return { steps, reEvaluated, cut: work.length };
}
