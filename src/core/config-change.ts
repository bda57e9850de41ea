// A pull request that changes a config (issue 18 item 2): the files it changes, whether the new files are valid (each
// problem with its file, line and column), and what the change would do to recent decisions. Pure values, shared by
// the gate (app/config-change.ts), the policy input (`config_change`) and the check run (render).

/** Problems carried in the policy input at most; the check run shows the first few and counts the rest. */
export const MAX_CONFIG_CHANGE_PROBLEMS = 20;

export interface ConfigProblem {
  /** The path in the pull request's repository the problem is in. */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export interface ConfigChangeImpact {
  readonly repository: string;
  readonly replayed: number;
  readonly skipped: number;
  readonly changed: readonly {
    readonly pull_request: number | null;
    readonly head_sha: string;
    readonly old: "success" | "failure";
    readonly new: "success" | "failure";
    readonly rules: readonly string[];
  }[];
}

/**
 * Repositories other than the pull request's own that read the changed files, as counts only: the check run of a
 * pull request (on a public `.github` repository, say) is read by people who may not see those repositories, so
 * their pull requests, heads, rules, config errors and even names stay out of it (`agent-gate config impact` lists
 * them for someone with access).
 */
export interface OtherRepositories {
  /** Repositories analysed (their chain merged with the new files, their decisions replayed). */
  readonly analysed: number;
  readonly replayed: number;
  readonly skipped: number;
  /** Verdicts that would change, and in how many of the repositories. */
  readonly changed: number;
  readonly changedIn: number;
  /** Repositories whose config the change makes invalid. */
  readonly invalid: number;
}

export interface ConfigChangeReport {
  /** The config files the pull request changes, as paths in its repository. */
  readonly files: readonly string[];
  readonly valid: boolean;
  readonly problems: readonly ConfigProblem[];
  /** The pull request's own repository's recorded decisions replayed under the new config; absent when it does not read the changed files or no analysis ran. */
  readonly impact?: ConfigChangeImpact;
  /** Other repositories that read the changed files, counted; absent when there are none or no analysis ran. */
  readonly others?: OtherRepositories;
  /** Why the impact analysis did not look at everything it should have (a deadline, a cap, an error). */
  readonly incomplete?: string;
  /** Why no impact analysis ran at all (the new config is invalid, no audit log, an author without write access, a fork). */
  readonly notRun?: string;
}

/** What the policy sees of a config change: `input.config_change`. */
export function configChangeInput(r: ConfigChangeReport): { files: string[]; valid: boolean; problems: ConfigProblem[] } {
  return { files: [...r.files], valid: r.valid, problems: r.problems.slice(0, MAX_CONFIG_CHANGE_PROBLEMS).map((p) => ({ ...p })) };
}
