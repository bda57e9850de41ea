// `audit verify --witness github --repo OWNER/REPO`: the audit log checked against what GitHub keeps outside our
// database. Every pull-request record of the repository names a head commit; each such commit has agent-gate's
// check run, whose summary's last line witnesses the log's head before that decision (render/witness.ts). Each
// witness becomes a checkpoint the chain must pass through: a record, head pointer or checkpoint rewritten in the
// database shows as CHECKPOINT_MISMATCH (or TRUNCATED) at the witnessed seq. The commits read are the log's and,
// independently of the log, the heads of the repository's latest pull requests (so deleted records cannot hide
// their witnesses). A recorded head commit without any agent-gate check run is itself a finding
// (WITNESS_MISSING): the App records a decision only after writing its check run.
import { Octokit } from "@octokit/rest";
import type { InstallationGitHub } from "../adapters/github/facts-port.js";
import { GitHubConnector } from "../adapters/github/octokit-github.js";
import { fromGitHubError } from "../adapters/github/errors.js";
import type { SqlAuditLog } from "../adapters/storage/index.js";
import type { SourcedCheckpoint } from "../core/audit.js";
import { AgentGateError, describeError } from "../core/errors.js";
import { parseWitness } from "../render/witness.js";

/** At most this many head commits of the log are read back per run (newest first); the report says when there were more. */
export const MAX_WITNESS_COMMITS = 2_000;
/** Pages (of 100, newest first) of the repository's pull requests whose heads are read too. */
export const PULL_PAGES = 10;

export interface WitnessReport {
  readonly repository: string;
  readonly commits: number; // head commits of the repository's pull-request records that were read back
  readonly skipped: number; // older head commits beyond MAX_WITNESS_COMMITS
  /** The last pull-request page read was full: older pull requests' heads were not read. */
  readonly morePulls: boolean;
  readonly pullsRead: number; // pull requests listed (newest first)
  readonly runs: number; // agent-gate check runs read
  readonly checkpoints: SourcedCheckpoint[];
  /** A recorded head commit with no agent-gate check run on GitHub: the earliest such record. */
  readonly missing?: { readonly seq: number; readonly headSha: string };
}

export interface WitnessSource {
  readonly api: string;
  readonly token: string | undefined;
  readonly fetch: typeof globalThis.fetch;
}

export function githubOf(src: WitnessSource, appId?: number): InstallationGitHub {
  const octokit = new Octokit({ ...(src.token ? { auth: src.token } : {}), baseUrl: src.api, request: { fetch: src.fetch }, retry: { enabled: false } });
  return new GitHubConnector({ appId }).installation(octokit);
}

/** How much is read per run: head commits of the log, and pages of pull requests. */
export interface WitnessLimits {
  readonly commits: number;
  readonly pullPages: number;
}
export const WITNESS_LIMITS: WitnessLimits = { commits: MAX_WITNESS_COMMITS, pullPages: PULL_PAGES };

/** Why a report is a partial check (older commits or pull requests not read), or undefined when it read everything. */
export function partialReason(w: WitnessReport): string | undefined {
  const parts = [
    ...(w.skipped > 0 ? [`${w.skipped} older recorded head commit(s) of ${w.repository} not read (only the newest were)`] : []),
    ...(w.morePulls ? [`pull requests of ${w.repository} older than the latest ${w.pullsRead} not read (the last page read was full)`] : []),
  ];
  return parts.length > 0 ? parts.join("; ") : undefined;
}

/**
 * Reads the witnesses of `repository`'s recorded decisions from GitHub: the footers of check runs that the App
 * `appId` created (no other).  Any failed read throws: no partial verdict. What was left unread past the limits is
 * reported (`skipped`, `morePulls`): the caller decides that a partial check is not a pass.
 */
export async function githubWitnesses(log: Pick<SqlAuditLog, "list">, repository: string, github: Pick<InstallationGitHub, "checkRuns" | "openPullsPage">, appId: number, limits: WitnessLimits = WITNESS_LIMITS): Promise<WitnessReport> {
  const [owner, repo] = repository.split("/") as [string, string];
  const firstSeq = new Map<string, number>(); // head commit -> its first pull-request record
  for (let after = 0; ; ) {
    const page = await log.list({ afterSeq: after, limit: 500 });
    for (const r of page) {
      const a = r.agent_gate;
      if (a.kind === "pull_request" && a.repository === repository && !firstSeq.has(a.head_sha)) firstSeq.set(a.head_sha, r.seq);
    }
    if (page.length < 500) break;
    after = page.at(-1)!.seq;
  }
  const heads = [...firstSeq.entries()].sort((x, y) => y[1] - x[1]);
  const read: [string, number | undefined][] = heads.slice(0, limits.commits);
  const known = new Set(read.map(([sha]) => sha));
  let morePulls = false;
  let pullsRead = 0;
  for (let page = 1; page <= limits.pullPages; page++) {
    let pulls;
    try {
      pulls = await github.openPullsPage(owner, repo, page, "all");
    } catch (err) {
      throw fromGitHubError(err) ?? new AgentGateError("GITHUB_UNAVAILABLE", `cannot list the pull requests of ${repository}: ${describeError(err)}`, "transient");
    }
    pullsRead += pulls.length;
    for (const p of pulls) {
      if (known.has(p.headSha)) continue;
      known.add(p.headSha);
      read.push([p.headSha, undefined]);
    }
    if (pulls.length < 100) break;
    if (page === limits.pullPages) morePulls = true;
  }
  const checkpoints: SourcedCheckpoint[] = [];
  let runs = 0;
  let missing: WitnessReport["missing"];
  for (const [sha, seq] of read) {
    let found;
    try {
      found = await github.checkRuns(owner, repo, sha);
    } catch (err) {
      throw fromGitHubError(err) ?? new AgentGateError("GITHUB_UNAVAILABLE", `cannot read the check runs of ${repository}@${sha.slice(0, 12)}: ${describeError(err)}`, "transient");
    }
    // Only the App's own check runs witness: a workflow's token (or another App) can create a check run of the same
    // name with any footer, which would raise false alarms or, for whoever rewrote the log, fake a witness.
    found = found.filter((run) => run.app?.id === appId);
    runs += found.length;
    if (seq !== undefined && found.length === 0 && (!missing || seq < missing.seq)) missing = { seq, headSha: sha };
    for (const run of found) {
      const w = parseWitness(run.output.summary);
      if (w && w.seq > 0) checkpoints.push({ ...w, source: `the witness in check run ${run.id} on ${repository}@${sha.slice(0, 12)}` });
    }
  }
  return { repository, commits: read.length, skipped: Math.max(0, heads.length - limits.commits), morePulls, pullsRead, runs, checkpoints, ...(missing ? { missing } : {}) };
}
