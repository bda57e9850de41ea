// The pull-request gate's recorded decisions on one head commit, as the deployment gate reads them: the latest of
// each pull request, of this repository only (by id where the record says it: a repository created later under an
// old name is another repository), each made under the current config (else judged again now), and the merged pull
// request's own decision judged now when none is recorded. Every judgement counts against the deployment's budget.
import type { AuditLog } from "../adapters/storage/audit-log.js";
import type { AuditRecord } from "../core/audit-record.js";
import { MAX_HEAD_RECORDS } from "../core/recorded-pr-gate.js";
import { AgentGateError, publicError } from "../core/errors.js";
import type { GitHubFacts } from "../adapters/github/facts-port.js";
import type { DeploymentRequest } from "../adapters/github/deployment-protection.js";
import { short } from "./deployment-artifacts.js";

/** Pull requests whose verdict on one commit one deployment judges again at most (each is a whole evaluation). */
export const MAX_REJUDGED_PULLS = 5;

/** Judges a pull request at a commit now, under the current config, and records the decision (PullRequestGate.rejudge). */
export type Rejudge = (github: GitHubFacts, at: { owner: string; repo: string; pullNumber: number; headSha: string; installationId: number }) => Promise<unknown>;

/** What is left of one deployment's judgements (shared by the deployed commit and the merged pull request's head). */
export interface RejudgeBudget {
  rejudges: number;
  readonly signal: AbortSignal;
}

export class HeadRecords {
  all: AuditRecord[] = [];

  constructor(
    private readonly log: Pick<AuditLog, "onHead">,
    private readonly req: DeploymentRequest,
    private readonly sha: string,
    private readonly configDigest: string,
    private readonly budget: RejudgeBudget,
    private readonly judge: { readonly rejudge: Rejudge; readonly github: GitHubFacts } | undefined,
  ) {}

  /** The latest recorded decision of each pull request of this repository `sha` heads (at most MAX_HEAD_RECORDS, else rejected). */
  async read(): Promise<void> {
    const { req, sha } = this;
    const records = await this.log.onHead({ repository: `${req.owner}/${req.repo}`, headSha: sha, kind: "pull_request" }, MAX_HEAD_RECORDS + 1);
    if (records.length > MAX_HEAD_RECORDS) {
      throw new AgentGateError("PR_GATE_RECORDS_TOO_MANY", `commit ${sha.slice(0, 12)} was judged as the head of more than ${MAX_HEAD_RECORDS} pull requests (each has a recorded decision); at most ${MAX_HEAD_RECORDS} are read and combined, so the deployment is rejected`);
    }
    this.all = records.filter((r) => sameRepository(r, req.repositoryId));
  }

  /** Whether pull request `pullNumber` has a recorded decision here. */
  judged(pullNumber: number): boolean {
    return this.all.some((r) => r.agent_gate.pull_request === pullNumber);
  }

  /**
   * Judges pull request `pullNumber` (none of its decisions recorded) at `sha` now and reads the records again:
   * undefined once its decision is recorded, else why it is not.
   */
  async judgeNow(pullNumber: number): Promise<string | undefined> {
    if (!this.judge) return "this agent-gate cannot judge a pull request while answering a deployment";
    if (this.budget.rejudges < 1) return `at most ${MAX_REJUDGED_PULLS} pull requests are judged for one deployment`;
    this.budget.rejudges -= 1;
    this.budget.signal.throwIfAborted();
    try {
      await this.judge.rejudge(this.judge.github, { owner: this.req.owner, repo: this.req.repo, pullNumber, headSha: this.sha, installationId: this.req.installationId });
    } catch (err) {
      this.budget.signal.throwIfAborted();
      return `judging it now failed (${publicError(err).code})`;
    }
    this.budget.signal.throwIfAborted();
    await this.read();
    return this.judged(pullNumber) ? undefined : "its decision made now was not recorded";
  }

  /** A verdict made under another config (or revocation list) than the current one never approves: judged again now, or rejected. */
  async refreshStale(): Promise<void> {
    const stale = staleRecords(this.all, this.configDigest);
    if (stale.length === 0) return;
    await this.rejudgeStale(stale);
    await this.read();
    const left = staleRecords(this.all, this.configDigest);
    if (left.length > 0) throw this.configStale(left, "its decision under the current config was not recorded");
  }

  /** Judges the pull requests of stale records again (recorded by `rejudge`), or rejects saying why it cannot. */
  private async rejudgeStale(stale: readonly AuditRecord[]): Promise<void> {
    const { req, sha, budget } = this;
    if (!this.judge) throw this.configStale(stale, "this agent-gate cannot judge a pull request again while answering a deployment");
    if (stale.length > budget.rejudges) throw this.configStale(stale, `at most ${MAX_REJUDGED_PULLS} are judged again for one deployment`);
    budget.rejudges -= stale.length;
    for (const r of stale) {
      const pullNumber = r.agent_gate.pull_request;
      if (pullNumber === null) throw this.configStale([r], "the record names no pull request");
      budget.signal.throwIfAborted();
      try {
        await this.judge.rejudge(this.judge.github, { owner: req.owner, repo: req.repo, pullNumber, headSha: sha, installationId: req.installationId });
      } catch (err) {
        throw this.configStale([r], `judging it again failed (${publicError(err).code})`, publicError(err).transient);
      }
    }
  }

  private configStale(stale: readonly AuditRecord[], why: string, transient = false): AgentGateError {
    const { req, sha, configDigest } = this;
    const made = (r: AuditRecord): string => {
      const d = configDigestOf(r);
      return `#${r.agent_gate.pull_request ?? "?"} (judged under ${typeof d === "string" ? short(d) : "no known config"})`;
    };
    const names = stale.slice(0, 10).map(made).join(", ") + (stale.length > 10 ? ` and ${stale.length - 10} more` : "");
    return new AgentGateError("PR_GATE_CONFIG_STALE", `the verdict on commit ${sha.slice(0, 12)} of ${req.owner}/${req.repo} of pull request ${names} was made under another config than the current ${short(configDigest)}, and ${why}: rejected until it is judged under the current config (re-run the deployment; for an open pull request, Re-evaluate its agent-gate check first)`, transient ? "transient" : "invalid-input");
  }
}

/** The records whose decision was made under another config digest than `configDigest` (or under none known). */
export function staleRecords(records: readonly AuditRecord[], configDigest: string): AuditRecord[] {
  const latest = new Map<string, AuditRecord>();
  for (const r of records) if (!latest.has(String(r.agent_gate.pull_request))) latest.set(String(r.agent_gate.pull_request), r);
  return [...latest.values()].filter((r) => configDigestOf(r) !== configDigest);
}

/** The config digest a record's decision was made under, as its input says (anything but a string: none known). */
const configDigestOf = (r: AuditRecord): unknown => (r.input as { config_digest?: unknown } | null | undefined)?.config_digest;

/** A record of this repository: one whose input names another repository id is another repository's (same name, later). */
export function sameRepository(record: AuditRecord, repositoryId: number): boolean {
  const id = (record.input as { repository?: { id?: unknown } } | null | undefined)?.repository?.id;
  return typeof id !== "number" || id === repositoryId;
}

/** Why a deployment has no decision of the pull request merged as it: for the rejection's comment. */
export function neverJudged(req: DeploymentRequest, pullNumber: number, head: string, why: string): string {
  return `pull request #${pullNumber}, merged as ${req.sha.slice(0, 12)}, was never judged by agent-gate: no decision of it on its head ${head.slice(0, 12)} is recorded (its delivery may have been worked only after the merge), and ${why}; another pull request's verdict on that head is not its verdict. Re-run the deployment to have the App judge it then, or deploy a commit whose pull request agent-gate judged`;
}
