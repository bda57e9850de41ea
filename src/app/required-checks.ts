// Required checks (issue 18 item 4): when rules.required_checks names checks, the head commit's check runs are read
// (every App's, re-runs included, whole or marked cut short) and given to the policy, which decides. agent-gate's
// own runs are left out, by name and by the App's id where it is known: its verdict never waits for itself.
import type { ConfigFiles, GitHubFacts } from "../adapters/github/facts-port.js";
import type { CompletedCheck } from "../adapters/github/triggers.js";
import { loadRepoConfig } from "./load-config.js";
import { CHECK_NAME } from "../adapters/github/check-runs.js";
import type { RepoConfig } from "../config/repo-config.js";
import type { Facts, HeadChecks } from "../core/facts.js";

/** Whether the policy needs the head's check runs: some check is required and the rule is not off. */
export function readsHeadChecks(config: RepoConfig): boolean {
  const rc = config.rules.required_checks;
  return rc.enabled !== false && rc.mode !== "off" && rc.checks.length > 0;
}

/** The head commit's check runs, agent-gate's own left out. */
export async function headChecks(github: Pick<GitHubFacts, "commitCheckRuns">, owner: string, repo: string, sha: string, own: { name?: string; appId?: number } = {}): Promise<HeadChecks> {
  const name = own.name ?? CHECK_NAME;
  const read = await github.commitCheckRuns(owner, repo, sha);
  const runs = read.runs
    .filter((r) => r.name !== name && (own.appId === undefined || r.app?.id !== own.appId))
    .map((r) => ({ id: r.id, name: r.name, status: r.status, conclusion: r.conclusion, ...(r.app ? { app: { id: r.app.id, ...(r.app.slug !== undefined ? { slug: r.app.slug } : {}) } } : {}) }));
  return { sha, runs, list: { listed: read.listed, ...(read.reported !== undefined ? { reported: read.reported } : {}), limit: read.limit, truncated: read.truncated } };
}

/** The facts with the head's check runs when the config requires checks; unchanged otherwise. */
export async function withHeadChecks(github: Pick<GitHubFacts, "commitCheckRuns">, facts: Facts, config: RepoConfig, appId?: number): Promise<Facts> {
  if (!readsHeadChecks(config)) return facts;
  const { owner, name } = facts.repository;
  return { ...facts, checks: await headChecks(github, owner, name, facts.pullRequest.headSha, appId !== undefined ? { appId } : {}) };
}

/**
 * Whether a check that started or completed (check_run.created or .completed of another App), or any of several folded
 * into one job (app/fold.ts), is one the repository's config requires: only then are the pull requests its commit
 * heads judged again. A config that cannot be read re-evaluates (the evaluation then fails closed and says why, or
 * retries a transient failure).
 */
export async function waitsForCheck(github: ConfigFiles, owner: string, repo: string, checks: readonly CompletedCheck[]): Promise<boolean> {
  // Only whether the config requires the check: not the owner's revocation list (a request more for every other
  // App's check run, a counted 404 where there is none); the judgement that follows reads it.
  const loaded = await loadRepoConfig(github, owner, repo, { revocations: false }).catch(() => undefined);
  if (!loaded) return true;
  if (!readsHeadChecks(loaded.config)) return false;
  return loaded.config.rules.required_checks.checks.some((e) =>
    checks.some((check) => {
      if (typeof e === "string") return e === check.name;
      return e.name === check.name && (e.app === undefined || e.app === check.appSlug) && (e.app_id === undefined || e.app_id === check.appId);
    }),
  );
}
