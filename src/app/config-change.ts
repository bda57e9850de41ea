// Config changes checked where they are made (issue 18 item 2). A pull request that changes this repository's
// .github/agent-gate.yml, the organisation's (this is the owner's `.github` repository), or a file other
// repositories' configs extend (known from the config files the audit log recorded with their decisions) gets:
//   - the new files read from its head commit and validated, each problem with file, line and column, and this
//     repository's own chain merged with them (always: it needs no history);
//   - an impact analysis: the last N recorded decisions of every repository the changed file applies to, replayed
//     under the config that repository would have with the new files (app/config-impact.ts). It reads other pull
//     requests' recorded facts under a config the pull request chooses, so it runs only for a pull request from a
//     branch of this repository whose author has write access; and the check run (which anyone who can see this
//     repository reads) names only this repository's pull requests: other repositories are counts, never names,
//     pull requests, heads, rules or config errors. A trusted analysis of a head is reused for a few minutes.
// All of it is information: the pull request is judged by the default branch's config, never by the files it
// proposes. Only `input.config_change.valid` reaches the policy (require_valid_config_changes). Bounded: repositories
// analysed, decisions per repository, files looked up, and a deadline; what was cut short is said, never hidden.
import { CONFIG_PATH, type ConfigText } from "../adapters/github/config-source.js";
import type { Account, ConfigFiles, GitHubFacts } from "../adapters/github/facts-port.js";
import type { PullData } from "../adapters/github/pull-request-source.js";
import { LruCache } from "../adapters/lru.js";
import type { PolicyEngine } from "../adapters/opa/engine.js";
import type { AuditLog } from "../adapters/storage/audit-log.js";
import { configFileKey } from "../adapters/storage/recorder.js";
import { readConfigDocument, validateRepoConfig } from "../config/repo-config.js";
import type { ConfigChangeImpact, ConfigChangeReport, ConfigProblem, OtherRepositories } from "../core/config-change.js";
import { MAX_CONFIG_CHANGE_PROBLEMS } from "../core/config-change.js";
import { AgentGateError, publicError } from "../core/errors.js";
import { configImpact, DEFAULT_IMPACT_LAST, type DecisionHistory } from "./config-impact.js";
import { gatePolicyData } from "./evaluate-pull-request.js";
import { loadRepoConfig } from "./load-config.js";

/** Repositories whose decisions one config change replays at most; the rest are counted as not analysed. */
export const MAX_IMPACT_REPOSITORIES = 10;
/** Time the whole analysis (reads and replays) may take. */
export const IMPACT_DEADLINE_MS = 10_000;
/** Changed files looked up in the audit log's index of config files (YAML files only). */
const MAX_LOOKED_UP = 500;

export interface ConfigChangeOptions {
  /** The audit log and bundle store; without it only this repository's own config (files and chain) is validated, nothing replayed. */
  readonly history?: DecisionHistory & { readonly audit: Pick<AuditLog, "recent" | "configUsers"> };
  /** Decisions per repository (the default branch's config_changes.impact_last). */
  readonly last?: number;
  readonly deadlineMs?: number;
  readonly maxRepositories?: number;
  readonly now?: () => number;
  /** Reports of analyses that ran, reused for the same head and files (the gate keeps one). */
  readonly cache?: ImpactCache;
  /** Told every error whose message the report withholds (publicError), so that the caller logs it: nothing is lost. */
  readonly onWithheld?: (err: unknown) => void;
}

/** Who opened the pull request, and from where. */
export interface Requester {
  readonly author: Account;
  /** The head branch is in another repository (a fork), or in one that is gone. */
  readonly fork: boolean;
}

/** The requester of a pull request as GitHub gives it: a head repository other than the base, or none, is a fork. */
export function requesterOf(pull: Pick<PullData, "user" | "head" | "base">): Requester {
  return { author: { login: pull.user.login, id: pull.user.id }, fork: pull.head.repo === null || pull.head.repo.id !== pull.base.repo.id };
}

/**
 * Reports of analyses that ran, by repository, head commit, the changed files' digests and N: the events of one head
 * (reviews, re-runs, other Apps' checks) replay nothing again for `ttlMs` (5 minutes). Decisions recorded meanwhile
 * show after that. An analysis in which a read failed is not kept: the next event tries again.
 */
export class ImpactCache {
  private readonly entries: LruCache<string, { report: ConfigChangeReport; at: number }>;

  constructor(
    readonly ttlMs = 5 * 60_000,
    maxEntries = 200,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new LruCache(maxEntries);
  }

  get(key: string): ConfigChangeReport | undefined {
    const e = this.entries.get(key);
    return e && this.now() - e.at < this.ttlMs ? e.report : undefined;
  }

  set(key: string, report: ConfigChangeReport): void {
    this.entries.set(key, { report, at: this.now() });
  }
}

export interface ChangedFile {
  readonly filename: string;
  readonly previous_filename?: string | undefined;
}

/** What the inspection reads: config files on default branches and at the pull request's head, the author's permission. */
export type Reader = Pick<GitHubFacts, "configFile" | "configFileAt" | "permission">;

const isYaml = (p: string): boolean => /\.ya?ml$/i.test(p);

/**
 * The config files a pull request changes, as paths in its repository, and the repositories each applies to. Null
 * when it changes none (the usual case: one indexed lookup at most, and none for a pull request without YAML files).
 */
async function changedConfigs(owner: string, repo: string, files: readonly ChangedFile[], history: ConfigChangeOptions["history"]): Promise<{ paths: string[]; repositories: string[] } | null> {
  const repository = `${owner}/${repo}`.toLowerCase();
  const touched = [...new Set(files.flatMap((f) => [f.filename, ...(f.previous_filename ? [f.previous_filename] : [])]))];
  const paths = new Set<string>();
  const repositories = new Set<string>();
  if (touched.includes(CONFIG_PATH)) {
    paths.add(CONFIG_PATH);
    repositories.add(`${owner}/${repo}`);
  }
  const yaml = touched.filter(isYaml).slice(0, MAX_LOOKED_UP);
  if (history && yaml.length > 0) {
    const keys = new Map(yaml.map((p) => [configFileKey(`${repository}:${p}`), p]));
    for (const use of await history.audit.configUsers([...keys.keys()], 1000)) {
      const path = keys.get(use.file);
      if (path === undefined) continue;
      paths.add(path);
      repositories.add(use.repository);
    }
  }
  return paths.size === 0 ? null : { paths: [...paths].sort(), repositories: [...repositories].sort() };
}

/** The problems of one file alone, with line and column. */
function fileProblems(path: string, file: ConfigText): ConfigProblem[] {
  const doc = readConfigDocument(file.text, path);
  const checked = doc.ok ? validateRepoConfig(doc.value, doc.locate, path) : doc;
  if (checked.ok) return [];
  return checked.errors.map((e) => ({ file: path, ...(e.line !== undefined ? { line: e.line, column: e.col ?? 1 } : {}), message: e.path ? `${e.path}: ${e.message}` : e.message }));
}

/** The config files as they would be with the pull request merged: its changed files from the head, the rest as they are. */
function proposed(github: Reader, owner: string, repo: string, headSha: string, changed: ReadonlySet<string>): ConfigFiles {
  const file = (o: string, r: string, path: string): Promise<ConfigText | null> =>
    o.toLowerCase() === owner.toLowerCase() && r.toLowerCase() === repo.toLowerCase() && changed.has(path) ? github.configFileAt(owner, repo, path, headSha) : github.configFile(o, r, path);
  return {
    configFile: file,
    async repoConfig(o, r) {
      const own = await file(o, r, CONFIG_PATH);
      if (own || r === ".github") return own;
      return file(o, ".github", CONFIG_PATH);
    },
  };
}

/** Shown in the check run (GitHub's): a server-internal message (the audit log's database) is withheld. */
const messageOf = (err: unknown, opts: Pick<ConfigChangeOptions, "onWithheld">): string => {
  const shown = publicError(err);
  if (shown.withheld) opts.onWithheld?.(err);
  return `${shown.code}: ${shown.message}`;
};

const TRUSTED = "the analysis replays other pull requests' recorded decisions under a config the pull request chooses, so it runs only for a pull request from a branch of this repository whose author has write access";

/** Why the impact analysis must not run for this pull request; undefined when it may. A failed read throws. */
async function untrusted(reader: Reader, owner: string, repo: string, who: Requester): Promise<string | undefined> {
  if (who.fork) return `this pull request comes from a fork; ${TRUSTED}`;
  const level = await reader.permission(owner, repo, who.author);
  if (level === "write" || level === "admin") return undefined;
  return `${who.author.login} has ${level === "none" ? "no" : level} access to ${owner}/${repo}; ${TRUSTED}`;
}

/** Validates the new config files of a pull request and replays recent decisions under them; undefined when it changes none. */
export async function inspectConfigChange(reader: Reader, at: { owner: string; repo: string; headSha: string; files: readonly ChangedFile[]; requester: Requester }, opts: ConfigChangeOptions = {}): Promise<ConfigChangeReport | undefined> {
  const { owner, repo, headSha } = at;
  // Each new file is read from the head once, for its own validation and for every chain it is in.
  const read = new Map<string, Promise<ConfigText | null>>();
  const github: Reader = {
    configFile: (o, r, path) => reader.configFile(o, r, path),
    configFileAt: (o, r, path, sha) => {
      const key = `${o}/${r}:${path}@${sha}`;
      if (!read.has(key)) read.set(key, reader.configFileAt(o, r, path, sha));
      return read.get(key)!;
    },
    permission: (o, r, user) => reader.permission(o, r, user),
  };
  const now = opts.now ?? Date.now;
  const deadline = now() + (opts.deadlineMs ?? IMPACT_DEADLINE_MS);
  let found: Awaited<ReturnType<typeof changedConfigs>>;
  try {
    found = await changedConfigs(owner, repo, at.files, opts.history);
  } catch (err) {
    // Without the lookup only the repository's own config is known to be changed: say the analysis is incomplete.
    found = at.files.some((f) => f.filename === CONFIG_PATH || f.previous_filename === CONFIG_PATH) ? { paths: [CONFIG_PATH], repositories: [`${owner}/${repo}`] } : null;
    if (found) return withOwnChain(github, at, found, { files: found.paths, ...(await validate(github, at, found.paths, opts)), incomplete: `the audit log could not be read: ${messageOf(err, opts)}` });
    return undefined;
  }
  if (!found) return undefined;
  const checked = await validate(github, at, found.paths, opts);
  const base = { files: found.paths, ...checked };
  if (!checked.valid) return { ...base, notRun: "the new config is invalid" };
  // No replay (no log, or a requester it must not run for): this repository's own chain is still merged, as it needs no history.
  if (!opts.history) return withOwnChain(github, at, found, { ...base, notRun: "no audit log is configured, so there are no recorded decisions to replay" });
  const refused = await untrusted(github, owner, repo, at.requester);
  if (refused) return withOwnChain(github, at, found, { ...base, notRun: refused }, refused);
  const digests = await Promise.all(found.paths.map(async (p) => `${p}=${(await github.configFileAt(owner, repo, p, headSha))?.digest ?? "deleted"}`));
  const key = JSON.stringify([`${owner}/${repo}`.toLowerCase(), headSha, opts.last ?? DEFAULT_IMPACT_LAST, found.repositories, digests]);
  const cached = opts.cache?.get(key);
  if (cached) return cached;
  const { failed, ...analysis } = await analyse(github, at, found, base.problems, { ...opts, history: opts.history }, deadline);
  const report = { ...base, ...analysis };
  if (!failed) opts.cache?.set(key, report); // a read that failed is tried again with the next event
  return report;
}

/**
 * The report with this repository's own chain merged with the new files (the replay's first step, which needs no
 * recorded decisions): a chain that no longer loads (a base gone, bases that do not merge) makes the change invalid.
 * Its errors name the bases it reads; for a requester the analysis must not run for (`untrustedWhy`), who chooses
 * which of the owner's repositories the chain reads, only that it does not load is said. A read that failed throws:
 * the evaluation fails, and validity is never assumed.
 */
async function withOwnChain(github: Reader, at: { owner: string; repo: string; headSha: string; requester: Requester }, found: { paths: string[]; repositories: string[] }, report: ConfigChangeReport, untrustedWhy?: string): Promise<ConfigChangeReport> {
  const self = `${at.owner}/${at.repo}`;
  if (!report.valid || !found.repositories.some((r) => r.toLowerCase() === self.toLowerCase())) return report;
  try {
    await loadRepoConfig(proposed(github, at.owner, at.repo, at.headSha, new Set(found.paths)), at.owner, at.repo);
    return report;
  } catch (err) {
    if (!(err instanceof AgentGateError && err.code === "CONFIG_INVALID")) throw err;
    // Who asked matters only for what a failure may show: GitHub is asked only then, never for a chain that loads.
    const why = untrustedWhy ?? (await untrusted(github, at.owner, at.repo, at.requester));
    const message = why === undefined ? `with this change the config of ${self} is invalid: ${err.message}` : `with this change the config of ${self} is invalid: its \`_extends\` chain does not load (the reason is not shown here, as ${why.split(";")[0]}; \`agent-gate config validate --repo\` with access says why)`;
    return { ...report, valid: false, problems: [...report.problems, { file: found.paths.includes(CONFIG_PATH) ? CONFIG_PATH : found.paths[0]!, message }].slice(0, MAX_CONFIG_CHANGE_PROBLEMS) };
  }
}

type Analysis = Pick<ConfigChangeReport, "valid" | "problems" | "impact" | "others" | "incomplete"> & { readonly failed: boolean };

/**
 * Each repository's chain merged with the new files and its decisions replayed: this repository's in full, the
 * others' only counted (the check run is no place for them). This repository first, then at most `maxRepositories`.
 */
async function analyse(github: Reader, at: { owner: string; repo: string; headSha: string }, found: { paths: string[]; repositories: string[] }, own: readonly ConfigProblem[], opts: ConfigChangeOptions & { history: NonNullable<ConfigChangeOptions["history"]> }, deadline: number): Promise<Analysis> {
  const { owner, repo, headSha } = at;
  const self = `${owner}/${repo}`.toLowerCase();
  const now = opts.now ?? Date.now;
  let impact: ConfigChangeImpact | undefined;
  const others = { analysed: 0, replayed: 0, skipped: 0, changed: 0, changedIn: 0, invalid: 0 } satisfies OtherRepositories;
  const problems: ConfigProblem[] = [];
  let [failed, late, ownFailed] = [0, false, false];
  const cap = opts.maxRepositories ?? MAX_IMPACT_REPOSITORIES;
  const ordered = [...found.repositories].sort((a, b) => Number(b.toLowerCase() === self) - Number(a.toLowerCase() === self)).slice(0, cap);
  const why: string[] = found.repositories.length > cap ? [`${found.repositories.length - cap} of ${found.repositories.length} repositories not analysed (at most ${cap})`] : [];
  const changed = new Set(found.paths);
  const files = proposed(github, owner, repo, headSha, changed);
  const engines = new Map<string, PolicyEngine | string>();
  for (const [i, repository] of ordered.entries()) {
    if (now() > deadline) {
      why.push(`the time allowed (${Math.round((opts.deadlineMs ?? IMPACT_DEADLINE_MS) / 1000)} s) ran out with ${ordered.length - i} of ${ordered.length} repositories not analysed`);
      break;
    }
    const isSelf = repository.toLowerCase() === self;
    const [o, r] = repository.split("/") as [string, string];
    try {
      // The repository's whole chain with the new files: a base that no longer merges, or that is gone, is a problem.
      const loaded = await loadRepoConfig(files, o, r).catch((err: unknown) => {
        if (err instanceof AgentGateError && err.code === "CONFIG_INVALID") {
          if (isSelf) problems.push({ file: found.paths[0]!, message: `with this change the config of ${repository} is invalid: ${err.message}` });
          else others.invalid++; // another repository's errors are its own: counted, never copied
          return undefined;
        }
        throw err;
      });
      if (!loaded) continue;
      const prefix = `${owner}/${repo}:`.toLowerCase();
      const uses = loaded.files.some((f) => f.toLowerCase().startsWith(prefix) && changed.has(f.slice(prefix.length).replace(/ \((default branch|at [0-9a-f]{7})\)$/, "")));
      if (!uses && !isSelf) continue; // it no longer reads the file
      const report = await configImpact(opts.history, repository, gatePolicyData(loaded, repository), { last: opts.last ?? DEFAULT_IMPACT_LAST, deadline, engines, now });
      if (isSelf) {
        impact = { repository, replayed: report.replayed, skipped: report.skipped.length, changed: report.changed.map((c) => ({ pull_request: c.pull_request, head_sha: c.head_sha, old: c.old, new: c.new, rules: c.rules })) };
        if (report.incomplete) why.push(report.incomplete);
      } else {
        others.analysed++;
        others.replayed += report.replayed;
        others.skipped += report.skipped.length;
        others.changed += report.changed.length;
        if (report.changed.length > 0) others.changedIn++;
        if (report.incomplete) late = true;
      }
    } catch (err) {
      if (isSelf) {
        why.push(`${repository}: ${messageOf(err, opts)}`);
        ownFailed = true;
      } else failed++;
    }
  }
  if (late) why.push("the time allowed ran out while replaying another repository's recorded decisions");
  if (failed > 0) why.push(`${failed === 1 ? "1 other repository" : `${failed} other repositories`} could not be analysed (its config or recorded decisions could not be read; \`agent-gate config impact\` with access to it says why)`);
  if (others.invalid > 0) {
    const n = others.invalid === 1 ? "1 other repository that reads it is" : `${others.invalid} other repositories that read it are`;
    problems.push({ file: found.paths[0]!, message: `with this change the config of ${n} invalid (not named here; \`agent-gate config validate\` with access to them says why)` });
  }
  const all = [...own, ...problems].slice(0, MAX_CONFIG_CHANGE_PROBLEMS);
  const counted = others.analysed + others.invalid + failed > 0;
  return { valid: all.length === 0, problems: all, ...(impact ? { impact } : {}), ...(counted ? { others } : {}), ...(why.length ? { incomplete: why.join("; ") } : {}), failed: ownFailed || failed > 0 };
}

/**
 * Each changed file read from the head and checked alone. A file that is not a readable config (too large, not a
 * file, bad encoding) is a problem; a read that failed (GitHub down, rate limited) throws: the evaluation fails as
 * for any other read, transient ones are retried, and validity is never assumed.
 */
async function validate(github: Reader, at: { owner: string; repo: string; headSha: string }, paths: readonly string[], opts: Pick<ConfigChangeOptions, "onWithheld"> = {}): Promise<{ valid: boolean; problems: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  for (const path of paths) {
    try {
      const file = await github.configFileAt(at.owner, at.repo, path, at.headSha);
      if (file) problems.push(...fileProblems(path, file));
    } catch (err) {
      if (!(err instanceof AgentGateError && (err.code === "CONFIG_TOO_LARGE" || err.code === "CONFIG_UNREADABLE"))) throw err;
      problems.push({ file: path, message: `could not be read at ${at.headSha.slice(0, 7)}: ${messageOf(err, opts)}` });
    }
    if (problems.length >= MAX_CONFIG_CHANGE_PROBLEMS) break;
  }
  return { valid: problems.length === 0, problems: problems.slice(0, MAX_CONFIG_CHANGE_PROBLEMS) };
}
