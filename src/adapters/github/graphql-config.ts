// The config files the gate judges a pull request by, read in the pull request's own GraphQL query (graphql-pull.ts)
// from the default branches: the repository's .github/agent-gate.yml, and its owner's `.github` repository's config
// and revocation list. Read with every event, never remembered, so a file added (a revocation list) counts with the
// next event; and they cost no request of their own. Over REST each would be a request: a present file is a free 304
// while its ETag holds, but a missing one (most owners have no revocation list, many no `.github` repository) is a
// 404, which carries no ETag and counts against the rate limit at every event.
//
// The query tells "there is no such file" or the file's text; anything else (a symlink, a submodule, a directory, a
// binary, a file over the cap or whose text is not its bytes, an error on the owner's repository other than its not
// being found) is left to REST, which reads and refuses it exactly as before. The owner's `.github` repository not
// found is told apart ("unseen"): GitHub says so too of a private repository outside the installation, so it is no
// proof that the files are absent (org-repo-scope.ts decides).
import { z } from "zod";
import { REVOCATIONS_PATH, REVOCATIONS_REPO } from "../../config/revocations.js";
import { CONFIG_MAX_BYTES, CONFIG_PATH, fileKey } from "./config-source.js";

/**
 * What the query said of a file on a default branch: its text; null for none in a repository it read; "unseen" when
 * the repository itself was not found (it does not exist, or the installation cannot read it). Keys: `owner/repo:path`,
 * lower case.
 */
export type DefaultBranchFiles = ReadonlyMap<string, KnownFile>;
export type KnownFile = { readonly text: string } | null | "unseen";

/** The top-level alias of the owner's `.github` repository in the pull request's query. */
export const OWNER_REPO_ALIAS = "ownerDotGithub";

const ENTRY = "mode object { __typename ... on Blob { byteSize isBinary isTruncated text } }";
const FILES = { config: CONFIG_PATH, revocations: REVOCATIONS_PATH } as const;
type FileAlias = keyof typeof FILES;
const field = (alias: FileAlias): string => `${alias}: file(path: ${JSON.stringify(FILES[alias])}) { ${ENTRY} }`;

/** The fields beside `name` in the repository's `defaultBranchRef`: its config at the branch's commit. */
export const REPO_FILES_FIELDS = `target { __typename ... on Commit { ${field("config")} } }`;
/** The owner's `.github` repository: its config and revocation list on its default branch. */
export const OWNER_FILES_QUERY = `${OWNER_REPO_ALIAS}: repository(owner: $owner, name: ${JSON.stringify(REVOCATIONS_REPO)}) { defaultBranchRef { target { __typename ... on Commit { ${field("config")} ${field("revocations")} } } } }`;

// Git's modes for a regular file (100644) and an executable one (100755); a symlink (120000) is left to REST, which
// answers with its target's content.
const REGULAR = new Set([0o100644, 0o100755]);
const Entry = z.object({ mode: z.number().int(), object: z.object({ __typename: z.string(), byteSize: z.number().int().optional(), isBinary: z.boolean().nullable().optional(), isTruncated: z.boolean().optional(), text: z.string().nullable().optional() }).nullable() }).nullable();
const Branch = z.object({ target: z.record(z.string(), z.unknown()).nullable() }).nullable();
const RepoFiles = z.object({ defaultBranchRef: Branch }).nullable();

/** A file's text when the query gave all of it as a regular file within the cap; null for no file; undefined: ask REST. */
function entryText(entry: z.infer<typeof Entry> | undefined): { text: string } | null | undefined {
  if (entry === undefined) return undefined;
  if (entry === null) return null;
  const blob = entry.object;
  if (!REGULAR.has(entry.mode) || blob?.__typename !== "Blob") return undefined;
  if (blob.isBinary !== false || blob.isTruncated !== false || typeof blob.text !== "string" || blob.byteSize === undefined) return undefined;
  if (blob.byteSize > CONFIG_MAX_BYTES || Buffer.byteLength(blob.text, "utf8") !== blob.byteSize) return undefined;
  return { text: blob.text };
}

type Files = Map<string, KnownFile | undefined>;

const same = (a: KnownFile | undefined, b: KnownFile): boolean => a === b || (typeof a === "object" && a !== null && typeof b === "object" && b !== null && a.text === b.text);

/** Records what the answer says of a file; the same file told two ways (the repository is the owner's `.github`) is left to REST. */
function put(out: Files, key: string, value: KnownFile): void {
  out.set(key, out.has(key) && !same(out.get(key), value) ? undefined : value);
}

function branchFiles(out: Files, owner: string, repo: string, branch: z.infer<typeof Branch>, aliases: readonly FileAlias[]): void {
  for (const alias of aliases) {
    // No default branch (an empty repository): REST has no file there either.
    if (branch === null) {
      put(out, fileKey(owner, repo, FILES[alias]), null);
      continue;
    }
    if (branch.target === null || branch.target["__typename"] !== "Commit") continue;
    const parsed = Entry.optional().safeParse(branch.target[alias]);
    const value = parsed.success ? entryText(parsed.data) : undefined;
    if (value !== undefined) put(out, fileKey(owner, repo, FILES[alias]), value);
  }
}

/** A GraphQL error as GitHub reports one: a type, and the path of the field it nulled. */
export interface GraphqlError {
  readonly type?: string;
  readonly message?: string;
  readonly path?: readonly (string | number)[];
}

/** Errors in the pull request's answer that touch only the files: they make those files unknown, never the read fail. */
export function isFilesError(e: GraphqlError): boolean {
  const p = e.path ?? [];
  return p[0] === OWNER_REPO_ALIAS || (p[0] === "repository" && p[1] === "defaultBranchRef" && p[2] === "target");
}

/**
 * The files the answer tells for certain. `errors` are those isFilesError let through: an error on a file's path
 * leaves it to REST (a field nulled by an error is no missing file); the owner's `.github` repository NOT_FOUND
 * (GitHub's answer when it does not exist or the App cannot read it, where REST answers 404) makes its files "unseen".
 */
export function defaultBranchFiles(data: Record<string, unknown>, owner: string, name: string, errors: readonly GraphqlError[]): DefaultBranchFiles {
  const out: Files = new Map();
  const ownerErrors = errors.filter((e) => e.path?.[0] === OWNER_REPO_ALIAS);
  if (!errors.some((e) => e.path?.[0] === "repository")) {
    const repo = RepoFiles.safeParse(data["repository"]);
    if (repo.success && repo.data) branchFiles(out, owner, name, repo.data.defaultBranchRef, ["config"]);
  }
  const ownerRepo = RepoFiles.safeParse(data[OWNER_REPO_ALIAS]);
  if (ownerErrors.length > 0) {
    const missing = ownerErrors.every((e) => e.type === "NOT_FOUND" && e.path?.length === 1) && data[OWNER_REPO_ALIAS] === null;
    if (missing) for (const path of Object.values(FILES)) put(out, fileKey(owner, REVOCATIONS_REPO, path), "unseen");
  } else if (ownerRepo.success && ownerRepo.data) {
    // (null without an error is no answer GitHub gives: left to REST.)
    branchFiles(out, owner, REVOCATIONS_REPO, ownerRepo.data.defaultBranchRef, ["config", "revocations"]);
  }
  const told = new Map<string, KnownFile>();
  for (const [k, v] of out) if (v !== undefined) told.set(k, v);
  return told;
}
