// What starts a config sweep (app/config-sweep.ts): a push to a repository's default branch (webhook `push`), and a
// repository whose default branch was changed (`repository.edited`): either may change the config some repositories'
// open pull requests are judged by (their own .github/agent-gate.yml, the owner's `.github` repository's, or a base
// their chain extends). Only the payload is read here, before GitHub hears 2xx; the sweep runs as a job.
import { z } from "zod";
import { CONFIG_PATH } from "../adapters/github/config-source.js";

/** What changed on a repository's default branch: the files, or null when the payload does not tell them all. */
export interface ConfigChange {
  readonly owner: string;
  readonly repo: string;
  readonly installationId: number;
  /** Paths touched on the default branch; null: unknown (any file may have changed). */
  readonly files: readonly string[] | null;
}

// GitHub lists at most 20 commits in a push payload; past that the files it names are not the whole push.
const PUSH_COMMITS_LISTED = 20;
/** Paths kept from one push (they are stored in its job); past this the push counts as touching any file. */
export const MAX_PUSH_FILES = 500;

const Repository = z.object({ name: z.string(), default_branch: z.string(), owner: z.object({ login: z.string() }) });
const Installation = z.object({ id: z.number().int() });
const Files = z.array(z.string()).default([]);

const PushPayload = z.object({
  ref: z.string(),
  forced: z.boolean().optional(),
  repository: Repository,
  installation: Installation,
  commits: z.array(z.object({ added: Files, modified: Files, removed: Files })).default([]),
});

const RepositoryEdited = z.object({
  action: z.literal("edited"),
  changes: z.object({ default_branch: z.object({ from: z.string() }) }),
  repository: Repository,
  installation: Installation,
});

/**
 * The change a push made to its repository's default branch, or undefined (another branch, or not a push GitHub
 * sends). A forced push (it may have rewound the branch: the commits it drops are not listed) or one of more commits
 * than GitHub lists names no files: any may have changed.
 */
export function defaultBranchPush(payload: unknown): ConfigChange | undefined {
  const p = PushPayload.safeParse(payload);
  if (!p.success) return undefined;
  const { repository: r, ref, commits } = p.data;
  if (ref !== `refs/heads/${r.default_branch}`) return undefined;
  const base = { owner: r.owner.login, repo: r.name, installationId: p.data.installation.id };
  if (p.data.forced === true || commits.length >= PUSH_COMMITS_LISTED) return { ...base, files: null };
  const files = [...new Set(commits.flatMap((c) => [...c.added, ...c.modified, ...c.removed]))];
  return { ...base, files: files.length > MAX_PUSH_FILES ? null : files.sort() };
}

/** A repository whose default branch was changed: every file the gate reads from it may differ now. */
export function defaultBranchChanged(payload: unknown): ConfigChange | undefined {
  const p = RepositoryEdited.safeParse(payload);
  if (!p.success) return undefined;
  return { owner: p.data.repository.owner.login, repo: p.data.repository.name, installationId: p.data.installation.id, files: null };
}

/**
 * Whether a change may touch a config file: the repository's own (or, in `.github`, the owner's), any file when the
 * files are unknown, and with `bases` (the audit log's record of which files chains use) any file at all, which the
 * sweep looks up. Without `bases` a file another repository's config extends is not known here.
 */
export function mayTouchConfig(change: ConfigChange, bases: boolean): boolean {
  if (change.files === null) return true;
  if (change.files.includes(CONFIG_PATH)) return true;
  return bases && change.files.length > 0;
}
