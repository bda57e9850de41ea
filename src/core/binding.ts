// Which commits of a pull request each verified statement covers. A statement counts only for the commits its
// subjects name (gitCommit, or gitTree when tree matching is allowed) in THIS repository; provenance copied from
// another repository or commit is rejected with that reason. A subject naming another branch ref but the same
// commit sha still counts: commits are content-addressed, so the sha alone fixes what was produced.
import type { SignerSummary, VerifiedBundle } from "./verification.js";
import { AGENT_COMMIT_BUILD_TYPE, AGENT_GATE_BUILD_TYPE, parseAgentProvenance, sha256Hex } from "./provenance.js";
import type { AgentProvenance } from "./provenance.js";
import { scanSecrets } from "./secrets.js";
import type { SecretFinding } from "./secrets.js";

export type BindingCode =
  | "STATEMENT_MISSING" // a message signature: no in-toto statement to read subjects from
  | "STATEMENT_INVALID"
  | "PREDICATE_TYPE_UNSUPPORTED"
  | "PREDICATE_INVALID"
  | "PROVENANCE_NOT_AGENT" // SLSA build provenance: says how an artifact was built, not who wrote a commit
  | "SUBJECT_NOT_A_COMMIT" // no subject carries a gitCommit/gitTree digest
  | "SUBJECT_NAME_INVALID" // the subject's name is not git+https://github.com/OWNER/REPO[@ref]
  | "SUBJECT_OTHER_REPOSITORY" // names this commit, but in another repository
  | "SUBJECT_OTHER_COMMIT" // names commits of this repository that are not in the pull request
  | "SUBJECT_TREE_ONLY" // names this commit's tree but not the commit, and tree matching is off
  | "TARGET_OTHER_REPOSITORY" // the agent was pointed at another repository
  | "PROMPT_DIGEST_MISMATCH" // the included prompt text does not hash to the signed digest
  | "PROMPT_TOO_LARGE"; // the included prompt text is longer than any GitHub text it can come from; not scanned

export interface BindingRejection {
  readonly bundleDigest: string;
  readonly code: BindingCode;
  readonly message: string;
}

export interface CoveringStatement {
  readonly bundleDigest: string;
  readonly matchedBy: "gitCommit" | "gitTree";
  readonly subjectName: string;
  readonly signer: SignerSummary;
  readonly tlog: VerifiedBundle["tlogEntries"];
  readonly timestamps: VerifiedBundle["timestamps"];
  readonly format: AgentProvenance["format"];
  readonly runtime: AgentProvenance["runtime"];
  readonly model: AgentProvenance["model"];
  readonly models?: AgentProvenance["models"];
  readonly subagents?: AgentProvenance["subagents"];
  readonly requestedBy?: AgentProvenance["requestedBy"];
  readonly tools: readonly string[];
  readonly mcpServers: readonly string[];
  /** Never the text: its digest, whether it was included (and matched), and secret-like content found in it. */
  readonly prompt?: { readonly sha256: string; readonly textIncluded: boolean; readonly secrets: readonly SecretFinding[] };
  readonly delegation?: AgentProvenance["delegation"];
  readonly target?: AgentProvenance["target"];
  readonly invocation: AgentProvenance["invocation"];
  readonly subjects: AgentProvenance["subjects"];
}

export interface CommitCoverage {
  readonly sha: string;
  readonly covered: boolean;
  /**
   * A verified agent statement names this commit of this repository, whether or not it covers it (a prompt digest
   * that does not match, another target): a signed claim that an agent made the commit, so an agent signal.
   */
  readonly named?: boolean;
  readonly by: readonly CoveringStatement[];
  readonly rejected: readonly BindingRejection[];
}

export interface BundleBinding {
  readonly bundleDigest: string;
  readonly covers: readonly string[]; // commit shas
  readonly rejected: readonly BindingRejection[];
}

export interface BindingInput {
  readonly repository: { readonly owner: string; readonly name: string; readonly id: number };
  /**
   * `expectsProvenance: false` (a human's commit) keeps rejections of bundles that bind to nothing off that
   * commit: they explain a missing attestation, and a human commit misses none. Default true.
   */
  readonly commits: readonly { readonly sha: string; readonly treeSha: string; readonly expectsProvenance?: boolean }[];
  readonly bundles: readonly VerifiedBundle[];
  readonly allowTreeMatch?: boolean;
}

export interface BindingResult {
  readonly commits: readonly CommitCoverage[];
  /** Bundles that bind to no commit of the pull request, with the reason. */
  readonly unbound: readonly BindingRejection[];
  readonly bundles: readonly BundleBinding[];
}

const GITHUB_PREFIX = /^(?:git\+)?https:\/\/github\.com\//i; // anchored literal: constant work
const isOwnerChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45;
const isRepoChar = (c: number): boolean => isOwnerChar(c) || c === 46 || c === 95;
const REF_MAX = 255;

/**
 * `owner/name`, lower-cased, from `git+https://github.com/O/R[.git][@ref]`, `https://github.com/O/R[.git]` or
 * `O/R`; undefined for anything else (another host, a path, garbage).
 * A hand-written scan, linear in the name (a signed subject name can be long): it accepts what
 * /^(?:(?:git\+)?https:\/\/github\.com\/)?([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100}?)(?:\.git)?(?:@(\S{1,255}))?\/?$/i
 * accepted, with the same groups.
 */
export function parseRepositoryName(name: string): { repository: string; ref?: string } | undefined {
  const t = name.trim();
  let i = GITHUB_PREFIX.exec(t)?.[0].length ?? 0;
  const owner = i;
  while (i < t.length && isOwnerChar(t.charCodeAt(i))) i++;
  if (i === owner || i - owner > 39 || t.charCodeAt(i) !== 47) return undefined; // owner then '/'
  const ownerName = t.slice(owner, i++);
  const repoStart = i;
  while (i < t.length && isRepoChar(t.charCodeAt(i))) i++;
  let repo = t.slice(repoStart, i);
  if (repo.length > 4 && repo.slice(-4).toLowerCase() === ".git") repo = repo.slice(0, -4); // the shortest name wins
  if (repo.length === 0 || repo.length > 100) return undefined;
  let ref: string | undefined;
  if (t.charCodeAt(i) === 64) {
    // '@' then 1..255 non-whitespace characters, and at most one '/' more
    const rest = t.slice(i + 1);
    if (rest.length === 0 || /\s/.test(rest) || rest.length > REF_MAX + 1 || (rest.length === REF_MAX + 1 && !rest.endsWith("/"))) return undefined;
    ref = rest.slice(0, REF_MAX);
  } else if (!(i === t.length || (i === t.length - 1 && t.charCodeAt(i) === 47))) return undefined; // end, or one '/'
  if (!name.includes("github.com/") && ref !== undefined) return undefined; // `O/R@x` alone is not a subject name
  return { repository: `${ownerName}/${repo}`.toLowerCase(), ...(ref !== undefined ? { ref } : {}) };
}

const short = (sha: string): string => sha.slice(0, 7);

type Match =
  | { kind: "covers"; matchedBy: "gitCommit" | "gitTree"; subjectName: string }
  | { kind: "reject"; code: BindingCode; message: string };

type Subject = { name: string; digest: Readonly<Record<string, string>> };

interface SubjectIndex {
  readonly byCommit: Map<string, number[]>;
  readonly byTree: Map<string, number[]>;
}

// Subjects by lower-cased gitCommit and gitTree, so matching a PR's commits is a lookup, not a scan.
function indexSubjects(subjects: readonly Subject[]): SubjectIndex {
  const byCommit = new Map<string, number[]>();
  const byTree = new Map<string, number[]>();
  subjects.forEach((s, i) => {
    const commit = s.digest["gitCommit"]?.toLowerCase();
    const tree = s.digest["gitTree"]?.toLowerCase();
    if (commit !== undefined) byCommit.set(commit, [...(byCommit.get(commit) ?? []), i]);
    if (tree !== undefined) byTree.set(tree, [...(byTree.get(tree) ?? []), i]);
  });
  return { byCommit, byTree };
}

function matchCommit(
  subjects: readonly Subject[],
  index: SubjectIndex,
  commit: { sha: string; treeSha: string },
  repository: string,
  allowTree: boolean,
): Match | undefined {
  const sha = commit.sha.toLowerCase();
  const tree = commit.treeSha.toLowerCase();
  const candidates = [...new Set([...(index.byCommit.get(sha) ?? []), ...(index.byTree.get(tree) ?? [])])].sort((a, b) => a - b);
  let rejection: Match | undefined;
  for (const i of candidates) {
    const s = subjects[i];
    if (!s) continue;
    const byCommit = s.digest["gitCommit"]?.toLowerCase() === sha;
    const repo = parseRepositoryName(s.name);
    const shown = JSON.stringify(s.name.slice(0, 200));
    if (!repo || !/^git\+https:\/\/github\.com\//i.test(s.name)) {
      rejection ??= { kind: "reject", code: "SUBJECT_NAME_INVALID", message: `subject ${shown} names commit ${short(sha)} but not as git+https://github.com/OWNER/REPO@ref` };
      continue;
    }
    if (repo.repository !== repository) {
      rejection = { kind: "reject", code: "SUBJECT_OTHER_REPOSITORY", message: `provenance names commit ${short(sha)} in ${repo.repository}, expected ${repository}` };
      continue;
    }
    if (byCommit) return { kind: "covers", matchedBy: "gitCommit", subjectName: s.name };
    if (allowTree) return { kind: "covers", matchedBy: "gitTree", subjectName: s.name };
    rejection ??= {
      kind: "reject",
      code: "SUBJECT_TREE_ONLY",
      message: `provenance names tree ${short(tree)} of commit ${short(sha)} but not the commit, and the policy does not allow tree matching`,
    };
  }
  return rejection;
}

function unboundReason(subjects: readonly Subject[], repository: string): { code: BindingCode; message: string } {
  const commits = subjects.filter((s) => s.digest["gitCommit"] !== undefined || s.digest["gitTree"] !== undefined);
  if (commits.length === 0) return { code: "SUBJECT_NOT_A_COMMIT", message: "no subject carries a gitCommit or gitTree digest" };
  const names = commits.map((s) => ({ repo: parseRepositoryName(s.name), digest: s.digest["gitCommit"] ?? s.digest["gitTree"] ?? "" }));
  const here = names.filter((n) => n.repo?.repository === repository);
  if (here.length > 0) {
    const listed = here.slice(0, 3).map((n) => `${short(n.digest)}${n.repo?.ref ? ` (${n.repo.ref.slice(0, 100)})` : ""}`).join(", ");
    return { code: "SUBJECT_OTHER_COMMIT", message: `provenance names ${listed}${here.length > 3 ? ", ..." : ""}, not a commit of this pull request` };
  }
  const elsewhere = names.find((n) => n.repo)?.repo?.repository;
  if (elsewhere) return { code: "SUBJECT_OTHER_REPOSITORY", message: `provenance is about ${elsewhere}, expected ${repository}` };
  return { code: "SUBJECT_NAME_INVALID", message: "no subject is named git+https://github.com/OWNER/REPO@ref" };
}

/** GitHub's own cap on a body or comment: a prompt (an issue, a comment) is never longer. Longer ones are not scanned. */
export const PROMPT_TEXT_MAX = 65_536;

function bundleProblem(p: AgentProvenance, repository: string): { code: BindingCode; message: string } | undefined {
  if (p.prompt?.text !== undefined && p.prompt.text.length > PROMPT_TEXT_MAX) {
    return { code: "PROMPT_TOO_LARGE", message: `the included prompt text is ${p.prompt.text.length} characters; expected at most ${PROMPT_TEXT_MAX} (GitHub's cap on the text a prompt comes from), so it is not scanned for secrets` };
  }
  if (p.prompt?.text !== undefined && sha256Hex(p.prompt.text) !== p.prompt.sha256) {
    return { code: "PROMPT_DIGEST_MISMATCH", message: `the included prompt text does not hash to the signed digest sha256:${p.prompt.sha256.slice(0, 12)}…` };
  }
  if (p.target) {
    // A target the statement names must name this repository; one that does not parse names no repository of ours.
    const target = parseRepositoryName(p.target.repository);
    if (!target) {
      const shown = JSON.stringify(p.target.repository.slice(0, 200));
      return { code: "TARGET_OTHER_REPOSITORY", message: `the agent's target repository ${shown} is not a GitHub repository URL; expected https://github.com/${repository}` };
    }
    if (target.repository !== repository) {
      return { code: "TARGET_OTHER_REPOSITORY", message: `the agent's target repository is ${target.repository}, expected ${repository}` };
    }
  }
  return undefined;
}

// Everything a covering statement says but the subject it matched by: computed once per bundle.
function covering(b: VerifiedBundle, p: AgentProvenance): Omit<CoveringStatement, "matchedBy" | "subjectName"> {
  return {
    bundleDigest: b.bundleDigest,
    signer: b.signer,
    tlog: b.tlogEntries,
    timestamps: b.timestamps,
    format: p.format,
    runtime: p.runtime,
    model: p.model,
    models: p.models,
    ...(p.subagents && p.subagents.length > 0 ? { subagents: p.subagents } : {}),
    ...(p.requestedBy ? { requestedBy: p.requestedBy } : {}),
    tools: p.tools.map((t) => t.name),
    mcpServers: p.mcpServers.map((m) => m.name),
    ...(p.prompt
      ? { prompt: { sha256: p.prompt.sha256, textIncluded: p.prompt.text !== undefined, secrets: p.prompt.text !== undefined ? scanSecrets(p.prompt.text) : [] } }
      : {}),
    ...(p.delegation ? { delegation: p.delegation } : {}),
    ...(p.target ? { target: p.target } : {}),
    invocation: p.invocation,
    subjects: p.subjects,
  };
}

/** Whether a statement (readable or not) declares one of the agent buildTypes: what it claims, not what it proves. */
function declaresAgentBuildType(statement: unknown): boolean {
  const buildType = (statement as { predicate?: { buildDefinition?: { buildType?: unknown } } } | null)?.predicate?.buildDefinition?.buildType;
  return buildType === AGENT_GATE_BUILD_TYPE || buildType === AGENT_COMMIT_BUILD_TYPE;
}

/** Coverage of every commit of the pull request by the verified statements, with the reason for each rejection. */
export function bindProvenance(input: BindingInput): BindingResult {
  const repository = `${input.repository.owner}/${input.repository.name}`.toLowerCase();
  const allowTree = input.allowTreeMatch ?? false;
  const by = new Map<string, CoveringStatement[]>(input.commits.map((c) => [c.sha, []]));
  const rejected = new Map<string, BindingRejection[]>(input.commits.map((c) => [c.sha, []]));
  const named = new Set<string>();
  const unbound: BindingRejection[] = [];
  const bundles: BundleBinding[] = [];
  const seen = new Set<string>();

  for (const b of input.bundles) {
    if (seen.has(b.bundleDigest)) continue; // the same bundle posted twice counts once
    seen.add(b.bundleDigest);
    const reject = (code: BindingCode, message: string): BindingRejection => ({ bundleDigest: b.bundleDigest, code, message });
    if (!b.statement) {
      const r = reject("STATEMENT_MISSING", "the bundle signs a message, not an in-toto statement; it names no commit");
      unbound.push(r);
      bundles.push({ bundleDigest: b.bundleDigest, covers: [], rejected: [r] });
      continue;
    }
    const parsed = parseAgentProvenance(b.statement);
    const problem = !parsed.ok
      ? { code: parsed.code, message: parsed.message }
      : parsed.value.kind === "build"
        ? {
            code: "PROVENANCE_NOT_AGENT" as const,
            message: `build provenance (${parsed.value.buildType}) says how an artifact was built, not which agent wrote a commit`,
          }
        : bundleProblem(parsed.value, repository);
    const covers: string[] = [];
    const own: BindingRejection[] = [];
    const subjects = b.statement.subject;
    const index = indexSubjects(subjects);
    const shared = parsed.ok && parsed.value.kind === "agent" && !problem ? covering(b, parsed.value) : undefined;
    // An agent statement (not build provenance) that names a commit of this repository says an agent made it, even
    // one that breaks the schema: a signed claim of an agent buildType only ever tightens.
    const agentClaim = parsed.ok ? parsed.value.kind === "agent" : declaresAgentBuildType(b.statement);
    for (const c of input.commits) {
      const m = matchCommit(subjects, index, c, repository, allowTree);
      if (!m) continue;
      if (agentClaim && m.kind === "covers") named.add(c.sha);
      if (m.kind === "reject") own.push(reject(m.code, m.message));
      else if (!shared) own.push(reject(problem?.code ?? "PREDICATE_INVALID", problem?.message ?? "not agent provenance"));
      else {
        covers.push(c.sha);
        by.get(c.sha)?.push({ ...shared, matchedBy: m.matchedBy, subjectName: m.subjectName });
        continue;
      }
      rejected.get(c.sha)?.push(own[own.length - 1] as BindingRejection);
    }
    if (covers.length === 0 && own.length === 0) {
      const why = problem ?? unboundReason(b.statement.subject, repository);
      const r = reject(why.code, why.message);
      unbound.push(r);
      own.push(r);
    }
    bundles.push({ bundleDigest: b.bundleDigest, covers, rejected: own });
  }

  const commits = input.commits.map((c): CommitCoverage => {
    const coveredBy = by.get(c.sha) ?? [];
    const covered = coveredBy.length > 0;
    // A bundle that binds to nothing in the PR is shown against every uncovered commit that expects provenance:
    // it may be the one meant (replayed from another commit, or signed for another repository).
    const explain = !covered && c.expectsProvenance !== false ? unbound : [];
    return { sha: c.sha, covered, named: covered || named.has(c.sha), by: coveredBy, rejected: [...(rejected.get(c.sha) ?? []), ...explain] };
  });
  return { commits, bundles, unbound };
}
