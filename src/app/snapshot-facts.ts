// GitHub's answers (a PullRequestSnapshot) -> the Facts of one evaluation. Pure mapping plus agent detection and
// claim parsing; nothing here decides anything.
import type { PullRequestSnapshot } from "../adapters/github/pull-request-source.js";
import { detectCommitAgent, detectPullRequestAgent, type AgentDetectionConfig } from "../core/agents.js";
import { FACTS_VERSION, type CommitFacts, type ConfigFacts, type EvidenceProblem, type Facts, type FileFacts, type FoundBundle, type ListCompleteness, type Requester, type ReviewFacts } from "../core/facts.js";
import { ProvenanceBudget, extractProvenanceBlocks } from "../core/provenance-block.js";
import { bodyRequesters, coAuthorRequester } from "../core/requesters.js";
import { bodyMarkerClaims, trailerClaims } from "../core/trailers.js";
import { LIMITS } from "../adapters/github/pull-request-source.js";

const FILE_STATUSES = new Set(["added", "modified", "removed", "renamed", "copied", "changed", "unchanged"]);
const REVIEW_STATES = new Set(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]);


export function factsFromSnapshot(snap: PullRequestSnapshot, config: ConfigFacts, agents: AgentDetectionConfig, now: Date): Facts {
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
      ...(c.commit.verification ? { gitSignature: c.commit.verification } : {}),
      detection: detectCommitAgent({ sha: c.sha, author, committer, claims }, agents),
    };
  });

  const bodyClaims = bodyMarkerClaims(body);
  const labels = pull.labels.map((l) => l.name);
  const author = { login: pull.user.login, id: pull.user.id };

  const bundles: FoundBundle[] = [];
  const evidenceProblems: EvidenceProblem[] = [];
  const othersProblems: EvidenceProblem[] = [];
  // Two budgets: one for the description and the comments of people who can already change the pull request (its
  // author, the repository's members and collaborators, Apps), one for everyone else. A stranger's blocks cannot
  // use up what the agent's own evidence needs, and the trusted blocks come first in the order they are verified.
  const trustedBudget = new ProvenanceBudget();
  const othersBudget = new ProvenanceBudget();
  const found = extractProvenanceBlocks(body, { kind: "pr-body" }, trustedBudget);
  found.bundles.forEach((b, index) => bundles.push({ json: b.json, location: { kind: "pr-body" }, index }));
  for (const p of found.problems) evidenceProblems.push({ location: "pr-body", message: p.message });
  const fromOthers: FoundBundle[] = [];
  for (const comment of snap.comments) {
    const trusted = commenterIsTrusted(comment, pull.user.id);
    const inComment = extractProvenanceBlocks(comment.body ?? "", { kind: "comment", id: comment.id }, trusted ? trustedBudget : othersBudget);
    const into = trusted ? bundles : fromOthers;
    inComment.bundles.forEach((b, index) =>
      into.push({
        json: b.json,
        location: { kind: "pr-comment", commentId: comment.id, ...(comment.user ? { author: { login: comment.user.login, id: comment.user.id } } : {}), ...(comment.author_association ? { association: comment.author_association } : {}) },
        index,
        ...(trusted ? {} : { fromStranger: true as const }),
      }),
    );
    // Strangers' unreadable blocks are listed after the trusted ones: noise cannot push those out of the first ten.
    for (const p of inComment.problems) (trusted ? evidenceProblems : othersProblems).push({ location: "pr-comment", commentId: comment.id, ...(comment.user ? { author: comment.user.login } : {}), message: p.message });
  }
  bundles.push(...fromOthers);
  evidenceProblems.push(...othersProblems);

  const requesters: Requester[] = bodyRequesters(body);
  for (const m of bodyClaims) if (m.requestedBy) requesters.push({ login: m.requestedBy, source: `PR body marker (${m.agent})` });
  for (const c of commits) {
    for (const claim of c.claims) {
      if (claim.kind !== "co-authored-by") continue;
      const r = coAuthorRequester(claim, c.sha);
      if (r) requesters.push(r);
    }
  }

  const files: FileFacts[] = snap.files.map((f) => ({
    path: f.filename,
    ...(f.previous_filename ? { previousPath: f.previous_filename } : {}),
    status: (FILE_STATUSES.has(f.status) ? f.status : "changed") as FileFacts["status"],
    additions: f.additions,
    deletions: f.deletions,
    ...(isSubmodule(f.patchHead) ? { submodule: true } : {}),
    ...(f.patchHead === undefined && f.additions === 0 && f.deletions === 0 && f.status !== "renamed" && f.status !== "unchanged" ? { binary: true } : {}),
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
    completeness: {
      commits: list(snap, "commits", pull.commits),
      files: list(snap, "files", pull.changed_files),
      reviews: list(snap, "reviews", snap.reported?.reviews),
      comments: list(snap, "comments", pull.comments),
    },
    evidenceProblems,
    requesters: dedupe(requesters),
  };
  return facts;
}

const TRUSTED_ASSOCIATIONS = new Set(["OWNER", "MEMBER", "COLLABORATOR"]);

/** Who may already change the pull request: its author, the repository's members and collaborators, and Apps. */
function commenterIsTrusted(comment: PullRequestSnapshot["comments"][number], authorId: number): boolean {
  if (!comment.user) return false;
  return comment.user.id === authorId || comment.user.type === "Bot" || TRUSTED_ASSOCIATIONS.has(comment.author_association ?? "");
}

function list(snap: PullRequestSnapshot, name: "commits" | "files" | "reviews" | "comments", reported: number | undefined): ListCompleteness {
  return { listed: snap.listed[name], ...(reported !== undefined ? { reported } : {}), limit: LIMITS[name], truncated: snap.truncated.includes(name) };
}

function dedupe(requesters: readonly Requester[]): Requester[] {
  const seen = new Set<string>();
  return requesters.filter((r) => {
    const key = r.login.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A gitlink's diff is one line each side: "Subproject commit <sha>". */
function isSubmodule(patchHead: string | undefined): boolean {
  return patchHead !== undefined && patchHead.startsWith("@@ ") && /\n[-+]Subproject commit [0-9a-f]{40}/.test(patchHead);
}
