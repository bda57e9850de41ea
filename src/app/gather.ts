// GitHub's answers (a PullRequestSnapshot) -> the Facts of one evaluation. Pure mapping plus agent detection and
// claim parsing; nothing here decides anything.
import type { PullRequestSnapshot } from "../adapters/github/pull-request-source.js";
import { detectCommitAgent, detectPullRequestAgent, type AgentDetectionConfig } from "../core/agents.js";
import { FACTS_VERSION, type CommitFacts, type ConfigFacts, type Facts, type FileFacts, type FoundBundle, type ReviewFacts } from "../core/facts.js";
import { ProvenanceBudget, extractProvenanceBlocks, type BlockProblem } from "../core/provenance-block.js";
import { bodyMarkerClaims, trailerClaims } from "../core/trailers.js";

const FILE_STATUSES = new Set(["added", "modified", "removed", "renamed", "copied", "changed", "unchanged"]);
const REVIEW_STATES = new Set(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]);

export interface Gathered {
  facts: Facts;
  blockProblems: BlockProblem[];
}

export function gatherFacts(snap: PullRequestSnapshot, config: ConfigFacts, agents: AgentDetectionConfig, now: Date): Gathered {
  const { pull } = snap;
  const [baseOwner = "", baseName = ""] = pull.base.repo.full_name.split("/");
  const headFull = pull.head.repo?.full_name ?? pull.base.repo.full_name;
  const [headOwner = "", headName = ""] = headFull.split("/");
  const body = pull.body ?? "";

  const commits: CommitFacts[] = snap.commits.map((c) => {
    const author = { name: c.commit.author?.name ?? "", email: c.commit.author?.email ?? "", ...(c.author ? { user: { login: c.author.login, id: c.author.id } } : {}), ...(c.commit.author?.date ? { date: c.commit.author.date } : {}) };
    const committer = { name: c.commit.committer?.name ?? "", email: c.commit.committer?.email ?? "", ...(c.committer ? { user: { login: c.committer.login, id: c.committer.id } } : {}), ...(c.commit.committer?.date ? { date: c.commit.committer.date } : {}) };
    const claims = trailerClaims(c.commit.message);
    return {
      sha: c.sha,
      treeSha: c.commit.tree.sha,
      parents: c.parents.map((p) => p.sha),
      message: c.commit.message,
      author,
      committer,
      claims,
      detection: detectCommitAgent({ sha: c.sha, author, committer, claims }, agents),
    };
  });

  const bodyClaims = bodyMarkerClaims(body);
  const labels = pull.labels.map((l) => l.name);
  const author = { login: pull.user.login, id: pull.user.id };

  const bundles: FoundBundle[] = [];
  const blockProblems: BlockProblem[] = [];
  // One budget over the description and every comment: a pull request carries at most so many bytes of blocks.
  const budget = new ProvenanceBudget();
  const found = extractProvenanceBlocks(body, { kind: "pr-body" }, budget);
  found.bundles.forEach((b, index) => bundles.push({ json: b.json, location: { kind: "pr-body" }, index }));
  blockProblems.push(...found.problems);
  for (const comment of snap.comments) {
    const inComment = extractProvenanceBlocks(comment.body ?? "", { kind: "comment", id: comment.id }, budget);
    inComment.bundles.forEach((b, index) =>
      bundles.push({ json: b.json, location: { kind: "pr-comment", commentId: comment.id, ...(comment.user ? { author: { login: comment.user.login, id: comment.user.id } } : {}) }, index }),
    );
    blockProblems.push(...inComment.problems);
  }

  const files: FileFacts[] = snap.files.map((f) => ({
    path: f.filename,
    ...(f.previous_filename ? { previousPath: f.previous_filename } : {}),
    status: (FILE_STATUSES.has(f.status) ? f.status : "changed") as FileFacts["status"],
    additions: f.additions,
    deletions: f.deletions,
  }));

  const reviews: ReviewFacts[] = snap.reviews
    .filter((r) => r.user !== null && r.commit_id !== null)
    .map((r) => ({
      id: r.id,
      user: { login: r.user!.login, id: r.user!.id },
      state: (REVIEW_STATES.has(r.state) ? r.state : "COMMENTED") as ReviewFacts["state"],
      commitId: r.commit_id!,
      ...(r.submitted_at ? { submittedAt: r.submitted_at } : {}),
      ...(snap.permissions[r.user!.id] ? { permission: snap.permissions[r.user!.id] } : {}),
    }));

  const facts: Facts = {
    version: FACTS_VERSION,
    gatheredAt: now.toISOString(),
    repository: { owner: baseOwner, name: baseName, id: pull.base.repo.id, defaultBranch: pull.base.repo.default_branch, private: pull.base.repo.private },
    pullRequest: {
      number: pull.number,
      title: pull.title,
      body,
      author,
      headRef: pull.head.ref,
      headSha: pull.head.sha,
      baseRef: pull.base.ref,
      baseSha: pull.base.sha,
      headRepository: { owner: headOwner, name: headName, id: pull.head.repo?.id ?? pull.base.repo.id },
      fork: headFull.toLowerCase() !== pull.base.repo.full_name.toLowerCase(),
      draft: pull.draft ?? false,
      labels,
      bodyClaims,
    },
    commits,
    files,
    reviews,
    config,
    bundles,
    detection: detectPullRequestAgent({ author, headRef: pull.head.ref, labels, bodyClaims, commits }, agents),
    incomplete: { commits: snap.truncated.includes("commits"), files: snap.truncated.includes("files"), reviews: snap.truncated.includes("reviews") },
  };
  return { facts, blockProblems };
}
