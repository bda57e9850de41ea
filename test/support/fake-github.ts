// A fake of the GitHub port (src/adapters/github/facts-port.ts): plain values in, recorded calls out, no HTTP. App
// tests use it to judge cases by value; the stand-in tests keep exercising the real Octokit adapter over HTTP.
// `fromStandInRepo` turns a recorded scenario's repository into the fake's values the way the stand-in serves it.
import { createHash } from "node:crypto";
import type { CheckRunData, CheckRunOutput, CommitCheckRunData, CommitCheckRuns } from "../../src/adapters/github/check-runs.js";
import { CHECK_NAME } from "../../src/adapters/github/check-runs.js";
import { CONFIG_PATH, type ConfigText } from "../../src/adapters/github/config-source.js";
import type { Approver, AttestationSourceOptions, DeploymentRequest, FetchedAttestation } from "../../src/adapters/github/deployment-protection.js";
import type { Account, InstallationGitHub } from "../../src/adapters/github/facts-port.js";
import { unboundPage } from "../../src/adapters/github/files-binding.js";
import type { CommentData, CommitData, FileData, MergedPullData, PullData, PullRequestSnapshot, ReviewData } from "../../src/adapters/github/pull-request-source.js";
import type { RepoPermission } from "../../src/core/facts.js";
import type { Account as StandInAccount, StandInRepo } from "../../src/demo/github/model.js";
import templates from "../../src/demo/github/templates.js";

export interface FakePull {
  readonly pull: PullData;
  readonly commits: readonly CommitData[];
  readonly files: readonly FileData[];
  readonly reviews: readonly ReviewData[];
  readonly comments: readonly CommentData[];
  /** Lists the fake reports as cut short at agent-gate's limits. */
  readonly truncated?: readonly string[];
  /** Merged (or squashed) as this commit: what pullMergedAs finds. */
  readonly mergedAs?: string;
}

export interface FakeState {
  readonly owner: string;
  readonly repo: string;
  pulls: FakePull[];
  /** Files on the default branch by path, e.g. .github/agent-gate.yml; `orgFiles` for the owner's .github repository. */
  files?: Record<string, string>;
  orgFiles?: Record<string, string>;
  /** Files as a commit has them (a pull request's head), by commit then path; a path absent there is the default branch's. */
  filesAt?: Record<string, Record<string, string | null>>;
  /** Repository permission by login; anyone else has `defaultPermission` (default "none"). */
  permissions?: Record<string, RepoPermission>;
  defaultPermission?: RepoPermission;
  /** Check runs another App or an earlier process wrote, by head commit. */
  checkRuns?: Record<string, CheckRunData[]>;
  /** Other Apps' check runs on a commit (tests, lint), by commit, as commitCheckRuns lists them beside agent-gate's own. */
  commitChecks?: Record<string, CommitCheckRunData[]>;
  attestations?: Record<string, FetchedAttestation[]>;
  approvals?: Approver[];
  /** A read or write that fails with this error (e.g. a 502 from GitHub), by method name. */
  failing?: Partial<Record<keyof InstallationGitHub, Error>>;
}

export interface FakeCall {
  readonly method: keyof InstallationGitHub;
  readonly args: readonly unknown[];
}

export interface FakeRun {
  readonly id: number;
  readonly headSha: string;
  status: "in_progress" | "completed";
  output?: CheckRunOutput;
}

export class FakeGitHub implements InstallationGitHub {
  readonly calls: FakeCall[] = [];
  readonly runs: FakeRun[] = [];
  readonly deploymentReviews: { state?: "approved" | "rejected"; comment: string }[] = [];
  private nextRunId = 1;

  constructor(readonly state: FakeState) {}

  /** The calls made, by method name, in order. */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  /** The writes made (check runs, deployment reviews), by method name, in order. */
  writes(): string[] {
    return this.methods().filter((m) => m === "startCheckRun" || m === "completeCheckRun" || m === "reviewDeployment");
  }

  private async call<T>(method: keyof InstallationGitHub, args: readonly unknown[], answer: () => T): Promise<T> {
    this.calls.push({ method, args });
    await Promise.resolve(); // answered later, as a request is
    const failure = this.state.failing?.[method];
    if (failure !== undefined) throw failure;
    return answer();
  }

  private ours(owner: string, repo: string): boolean {
    return owner.toLowerCase() === this.state.owner.toLowerCase() && repo.toLowerCase() === this.state.repo.toLowerCase();
  }

  private findPull(n: number): FakePull | undefined {
    return this.state.pulls.find((p) => p.pull.number === n);
  }

  repoConfig(owner: string, repo: string): Promise<ConfigText | null> {
    return this.call("repoConfig", [owner, repo], () => this.file(owner, repo, CONFIG_PATH) ?? (repo === ".github" ? null : this.file(owner, ".github", CONFIG_PATH)));
  }

  configFile(owner: string, repo: string, path: string): Promise<ConfigText | null> {
    return this.call("configFile", [owner, repo, path], () => this.file(owner, repo, path));
  }

  configFileAt(owner: string, repo: string, path: string, sha: string): Promise<ConfigText | null> {
    return this.call("configFileAt", [owner, repo, path, sha], () => {
      const at = this.state.filesAt?.[sha];
      if (!at || !(path in at)) return this.file(owner, repo, path);
      const text = at[path];
      return text == null ? null : { text, source: `${owner}/${repo}:${path} (at ${sha.slice(0, 7)})`, repo, path, digest: `sha256:${createHash("sha256").update(text).digest("hex")}` };
    });
  }

  private file(owner: string, repo: string, path: string): ConfigText | null {
    const files = this.ours(owner, repo) ? this.state.files : owner.toLowerCase() === this.state.owner.toLowerCase() && repo === ".github" ? this.state.orgFiles : undefined;
    const text = files?.[path];
    if (text === undefined) return null;
    return { text, source: `${owner}/${repo}:${path} (default branch)`, repo, path, digest: `sha256:${createHash("sha256").update(text).digest("hex")}` };
  }

  pull(owner: string, repo: string, pullNumber: number): Promise<unknown> {
    return this.call("pull", [owner, repo, pullNumber], () => {
      const found = this.ours(owner, repo) ? this.findPull(pullNumber) : undefined;
      if (!found) throw Object.assign(new Error(`Not Found: pull request ${owner}/${repo}#${pullNumber}`), { status: 404 });
      return structuredClone(found.pull);
    });
  }

  pullsForCommit(owner: string, repo: string, sha: string): Promise<number[]> {
    return this.call("pullsForCommit", [owner, repo, sha], () => this.state.pulls.filter((p) => p.pull.state === "open" && p.pull.head.sha === sha).map((p) => p.pull.number));
  }

  snapshot(owner: string, repo: string, pullPayload: unknown): Promise<PullRequestSnapshot> {
    return this.call("snapshot", [owner, repo, pullPayload], () => {
      const pull = pullPayload as PullData;
      const found = this.findPull(pull.number);
      if (!found) throw Object.assign(new Error(`Not Found: pull request #${pull.number}`), { status: 404 });
      const permissions: Record<number, RepoPermission> = {};
      for (const r of found.reviews) {
        if (r.state === "APPROVED" && r.commit_id === pull.head.sha && r.user && r.user.type !== "Bot") permissions[r.user.id] = this.permissionOf(r.user.login);
      }
      const { commits, files, reviews, comments } = structuredClone(found);
      return { pull, commits, files, reviews, comments, truncated: [...(found.truncated ?? [])], listed: { commits: commits.length, files: files.length, reviews: reviews.length, comments: comments.length }, ...filesBound(files, pull.head.sha), permissions };
    });
  }

  private permissionOf(login: string): RepoPermission {
    const listed = Object.entries(this.state.permissions ?? {}).find(([l]) => l.toLowerCase() === login.toLowerCase());
    return listed?.[1] ?? this.state.defaultPermission ?? "none";
  }

  permission(owner: string, repo: string, user: Account): Promise<RepoPermission> {
    return this.call("permission", [owner, repo, user], () => this.permissionOf(user.login));
  }

  checkRuns(owner: string, repo: string, sha: string, checkName: string = CHECK_NAME): Promise<CheckRunData[]> {
    return this.call("checkRuns", [owner, repo, sha, checkName], () => {
      const ours: CheckRunData[] = this.runs
        .filter((r) => r.headSha === sha)
        .map((r) => ({ id: r.id, status: r.status, conclusion: r.output?.conclusion ?? null, output: { title: r.output?.title ?? "Evaluating" } }));
      return [...ours.reverse().slice(0, 1), ...(this.state.checkRuns?.[sha] ?? [])];
    });
  }

  commitCheckRuns(owner: string, repo: string, sha: string): Promise<CommitCheckRuns> {
    return this.call("commitCheckRuns", [owner, repo, sha], () => {
      // agent-gate's own runs are listed too, as GitHub lists them (App id 1 in the fakes): the gate must leave them out.
      const ours: CommitCheckRunData[] = this.runs.filter((r) => r.headSha === sha).map((r) => ({ id: r.id, name: CHECK_NAME, status: r.status, conclusion: r.output?.conclusion ?? null, app: { id: 1, slug: "agent-gate" } }));
      const runs = [...ours, ...structuredClone(this.state.commitChecks?.[sha] ?? [])];
      return { runs, listed: runs.length, reported: runs.length, limit: 1000, truncated: false };
    });
  }

  pullMergedAs(owner: string, repo: string, sha: string): Promise<MergedPullData | undefined> {
    return this.call("pullMergedAs", [owner, repo, sha], () => {
      const p = this.state.pulls.find((x) => x.mergedAs === sha);
      return p ? { merged_at: "2026-11-27T00:00:00Z", merge_commit_sha: sha, number: p.pull.number, user: { login: p.pull.user.login, id: p.pull.user.id }, labels: p.pull.labels, head: { sha: p.pull.head.sha, ref: p.pull.head.ref } } : undefined;
    });
  }

  attestations(owner: string, repo: string, digest: string, _opts?: AttestationSourceOptions): Promise<FetchedAttestation[]> {
    return this.call("attestations", [owner, repo, digest], () => structuredClone(this.state.attestations?.[digest] ?? []));
  }

  deploymentApprovals(req: DeploymentRequest): Promise<Approver[]> {
    return this.call("deploymentApprovals", [req.runId], () => structuredClone(this.state.approvals ?? []));
  }

  installationRepositoriesPage(page: number): Promise<{ owner: string; name: string }[]> {
    return this.call("installationRepositoriesPage", [page], () => (page === 1 ? [{ owner: this.state.owner, name: this.state.repo }] : []));
  }

  openPullsPage(owner: string, repo: string, page: number): Promise<{ number: number; headSha: string }[]> {
    return this.call("openPullsPage", [owner, repo, page], () => (page === 1 ? this.state.pulls.filter((p) => p.pull.state === "open").map((p) => ({ number: p.pull.number, headSha: p.pull.head.sha })) : []));
  }

  startCheckRun(owner: string, repo: string, headSha: string, opts: { existingId?: number; lookup: boolean }): Promise<number> {
    return this.call("startCheckRun", [owner, repo, headSha, opts], () => {
      const known = opts.existingId ?? (opts.lookup ? this.runs.filter((r) => r.headSha === headSha).at(-1)?.id : undefined);
      const run = known === undefined ? undefined : this.runs.find((r) => r.id === known);
      if (run) {
        run.status = "in_progress";
        return run.id;
      }
      const id = known ?? this.nextRunId++;
      this.runs.push({ id, headSha, status: "in_progress" });
      return id;
    });
  }

  completeCheckRun(owner: string, repo: string, id: number, out: CheckRunOutput): Promise<void> {
    return this.call("completeCheckRun", [owner, repo, id, out], () => {
      const run = this.runs.find((r) => r.id === id);
      if (!run) throw Object.assign(new Error(`Not Found: check run ${id}`), { status: 404 });
      run.status = "completed";
      run.output = out;
    });
  }

  reviewDeployment(req: DeploymentRequest, body: { state?: "approved" | "rejected"; comment: string }): Promise<void> {
    return this.call("reviewDeployment", [req.runId, body], () => void this.deploymentReviews.push(structuredClone(body)));
  }
}

/**
 * The fake lists a pull request's files in one read, always at its head; a read naming no head (only removed files,
 * or none) is bound as the adapter binds it when GitHub's comparison agrees (files-binding.ts).
 */
function filesBound(files: readonly FileData[], head: string): { filePages: number[]; filesCompared?: string } {
  return { filePages: [files.length], ...(unboundPage(files, head) ? { filesCompared: head } : {}) };
}

const account = (a: StandInAccount): { login: string; id: number; type: string } => ({ login: a.login, id: a.id, type: a.type ?? (a.login.endsWith("[bot]") ? "Bot" : "User") });

/** A recorded scenario's repository as the fake's values, read the way the stand-in serves it (its defaults too). */
export function fromStandInRepo(repo: StandInRepo): FakeState {
  const examplePatch = (templates.file as { patch?: string }).patch ?? "";
  const exampleVerification = (templates.commit as { commit: { verification: NonNullable<StandInRepo["pulls"][number]["commits"][number]["verification"]> } }).commit.verification;
  const association = (a: StandInAccount): string =>
    a.login.toLowerCase() === repo.owner.toLowerCase() ? "OWNER" : Object.keys(repo.collaborators ?? {}).some((l) => l.toLowerCase() === a.login.toLowerCase()) ? "COLLABORATOR" : "NONE";
  const pulls: FakePull[] = repo.pulls.map((p) => {
    const headRepo = p.head.repo ?? { owner: repo.owner, name: repo.name, id: repo.id };
    const pull: PullData = {
      number: p.number,
      title: p.title,
      body: p.body,
      state: p.merged ? "closed" : (p.state ?? "open"),
      draft: p.draft ?? false,
      user: account(p.user),
      labels: (p.labels ?? []).map((name) => ({ name })),
      comments: p.comments.length,
      commits: p.commits.length,
      changed_files: p.files.length,
      head: { sha: p.head.sha, ref: p.head.ref, repo: { full_name: `${headRepo.owner}/${headRepo.name}`, id: headRepo.id } },
      base: { sha: p.base.sha, ref: p.base.ref, repo: { full_name: `${repo.owner}/${repo.name}`, id: repo.id, default_branch: repo.defaultBranch, private: repo.private ?? false } },
    };
    const commits = p.commits.map((c): CommitData => {
      const committer = c.committer ?? c.author;
      const date = c.author.date ?? "2026-11-26T05:00:00Z";
      // GitHub's verification as the adapter keeps it (null fields dropped); the stand-in's default is its example's.
      const v = c.verification ?? exampleVerification;
      const verification = { verified: v.verified, reason: v.reason, ...(v.signature != null ? { signature: v.signature } : {}), ...(v.payload != null ? { payload: v.payload } : {}), ...(v.verified_at != null ? { verifiedAt: v.verified_at } : {}) };
      return {
        sha: c.sha,
        commit: { message: c.message, tree: { sha: c.tree }, author: { name: c.author.name, email: c.author.email, date }, committer: { name: committer.name, email: committer.email, date: committer.date ?? date }, verification },
        author: c.author.account ? account(c.author.account) : null,
        committer: committer.account ? account(committer.account) : null,
        parents: (c.parents ?? []).map((sha) => ({ sha })),
      };
    });
    const files = p.files.map((f): FileData => ({
      filename: f.filename,
      status: f.status ?? "modified",
      readAt: f.status === "removed" ? p.base.sha : p.head.sha,
      additions: f.additions,
      deletions: f.deletions,
      ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}),
      ...(f.patch === null ? {} : { patchHead: (f.patch ?? examplePatch).slice(0, 200) }),
    }));
    const reviews = p.reviews.map((r, i): ReviewData => ({ id: r.id ?? i + 1, user: account(r.user), state: r.state, commit_id: r.commit_id, submitted_at: r.submitted_at ?? "2026-11-26T06:00:00Z" }));
    const comments = p.comments.map((c, i): CommentData => ({ id: c.id ?? i + 1, user: account(c.user), body: c.body, author_association: c.author_association ?? association(c.user) }));
    return { pull, commits, files, reviews, comments, ...(p.merged ? { mergedAs: p.merged.commitSha } : {}) };
  });
  const permissions = Object.fromEntries(Object.entries(repo.collaborators ?? {}).map(([login, role]) => [login, role === "maintain" ? "write" : role === "triage" ? "read" : role] as const));
  const filesAt = Object.fromEntries(repo.pulls.flatMap((p) => (p.headFiles ? [[p.head.sha, { ...p.headFiles }]] : [])));
  return { owner: repo.owner, repo: repo.name, pulls, files: { ...repo.files }, ...(Object.keys(filesAt).length ? { filesAt } : {}), permissions, defaultPermission: repo.private ? "none" : "read" };
}
