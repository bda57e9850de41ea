// What starts a revocation sweep: a push to the default branch of an owner's `.github` repository that touches the
// revocation list (webhook `push`), and reconciliation, which sweeps every owner whose list differs from the one last
// swept (a push delivery that never arrived). The sweep itself is app/revocation-sweep.ts.
import { z } from "zod";
import type { InstallationGitHub } from "../adapters/github/facts-port.js";
import type { PullRequestTrigger } from "../adapters/github/triggers.js";
import { EvidenceIndex } from "../adapters/storage/evidence-index.js";
import { SqlSweepState, type SweepStateStore } from "../adapters/storage/revocation-state.js";
import type { Db } from "../adapters/storage/db.js";
import { REVOCATIONS_PATH, REVOCATIONS_REPO } from "../config/revocations.js";
import { sweepRevocations, type SweepOptions, type SweepReport } from "./revocation-sweep.js";

/** What a sweep reads and remembers: the audit log's evidence index and the per-owner sweep state. */
export interface RevocationStores {
  readonly index: SweepOptions["index"];
  readonly state: SweepStateStore;
  /** Pull requests per sweep (default DEFAULT_SWEEP_PULLS). */
  readonly maxPulls?: number;
}

/** Both over the audit log's database. */
export function revocationStores(db: Db, maxPulls?: number): RevocationStores {
  return { index: new EvidenceIndex(db), state: new SqlSweepState(db), ...(maxPulls !== undefined ? { maxPulls } : {}) };
}

// GitHub lists at most 20 commits in a push payload; past that the files it names are not the whole push.
const PUSH_COMMITS_LISTED = 20;

const PushPayload = z.object({
  ref: z.string(),
  repository: z.object({ name: z.string(), default_branch: z.string(), owner: z.object({ login: z.string() }) }),
  installation: z.object({ id: z.number().int() }),
  commits: z.array(z.object({ added: z.array(z.string()).default([]), modified: z.array(z.string()).default([]), removed: z.array(z.string()).default([]) })).default([]),
});

/** The owner whose revocation list a push may have changed, or undefined (another repository, branch or file). */
export function revocationPush(payload: unknown): { owner: string; installationId: number } | undefined {
  const p = PushPayload.safeParse(payload);
  if (!p.success) return undefined;
  const { repository: r, ref, commits } = p.data;
  if (r.name.toLowerCase() !== REVOCATIONS_REPO || ref !== `refs/heads/${r.default_branch}`) return undefined;
  const touched = commits.some((c) => [...c.added, ...c.modified, ...c.removed].includes(REVOCATIONS_PATH));
  // A push of more commits than GitHub lists may touch it unseen: sweeping costs one conditional request if not.
  if (!touched && commits.length < PUSH_COMMITS_LISTED) return undefined;
  return { owner: r.owner.login, installationId: p.data.installation.id };
}

/** Sweeps `owner`'s list through one installation; `evaluate` runs or queues each re-evaluation. */
export function sweepOwner(github: InstallationGitHub, owner: string, installationId: number, stores: RevocationStores, evaluate: (trigger: PullRequestTrigger, triggerId: string) => Promise<unknown>): Promise<SweepReport> {
  return sweepRevocations(github, owner, { index: stores.index, state: stores.state, installationId, evaluate, ...(stores.maxPulls !== undefined ? { maxPulls: stores.maxPulls } : {}) });
}
