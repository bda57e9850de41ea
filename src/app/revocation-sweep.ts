// The revocation sweep (issue 18 item 3): when an owner's revocation list changes, the open pull requests whose
// recorded evidence it now names are evaluated again at once, so their checks turn to failure naming the revoked
// item without a new push. The audit log's evidence index finds them; GitHub confirms each is still open at the same
// head; the gate (inline, or a job of durable intake) evaluates it under the new list. Recent deployments whose
// evidence matches are reported (a pending one is rejected by the policy when it is evaluated). Bounded (pull
// requests per sweep) and resumable: the state per owner keeps the list's digest and how far the sweep got.
import type { ConfigFiles, GitHubFacts } from "../adapters/github/facts-port.js";
import type { EvidenceIndex, IndexedDeployment, IndexedSigner, RevokedKeys } from "../adapters/storage/evidence-index.js";
import type { SweepStateStore } from "../adapters/storage/revocation-state.js";
import type { PullRequestTrigger } from "../adapters/github/triggers.js";
import { compileIdentityPattern } from "../adapters/sigstore/signer-policy.js";
import { revocationCount, type RevokedData } from "../config/revocations.js";
import { AgentGateError, describeError } from "../core/errors.js";
import { workflowOf } from "../core/signer-facts.js";
import { DEFAULT_AGENT_ACCOUNTS } from "../core/agents.js";
import { loadRevocations } from "./load-config.js";

export const DEFAULT_SWEEP_PULLS = 50;
export const DEFAULT_SWEEP_DEPLOYMENT_DAYS = 30;
/** The digest remembered for an owner without a revocation list. */
export const NO_LIST = "none";

export interface SweepOptions {
  readonly index: Pick<EvidenceIndex, "backfill" | "signers" | "pulls" | "deployments">;
  readonly state: SweepStateStore;
  /** Evaluates one pull request again (the gate inline, or a job queued on durable intake). */
  readonly evaluate: (trigger: PullRequestTrigger, triggerId: string) => Promise<unknown>;
  readonly installationId: number;
  /** Pull requests looked at (one GitHub request each, and an evaluation for each still open) per sweep. */
  readonly maxPulls?: number;
  readonly deploymentDays?: number;
  /** Sweep even when the list's digest is the one already swept (a push of the same list). */
  readonly force?: boolean;
  readonly now?: () => Date;
}

export interface SweepReport {
  readonly owner: string;
  readonly digest: string;
  /** Nothing to do: this list was swept already. */
  readonly unchanged: boolean;
  readonly entries: number;
  readonly matched: number;
  readonly reEvaluated: string[];
  /** Matched pull requests no longer open at the recorded head (closed, or moved on: judged at their new head). */
  readonly skipped: string[];
  readonly deployments: IndexedDeployment[];
  /** The bound cut the sweep short: the next sweep (reconciliation) continues where it stopped. */
  readonly truncated: boolean;
  readonly errors: string[];
}

/** The owner's revocation list, swept against the pull requests whose recorded evidence it names. */
export async function sweepRevocations(github: ConfigFiles & Pick<GitHubFacts, "pull">, owner: string, opts: SweepOptions): Promise<SweepReport> {
  const report = { owner, digest: NO_LIST, unchanged: false, entries: 0, matched: 0, reEvaluated: [] as string[], skipped: [] as string[], deployments: [] as IndexedDeployment[], truncated: false, errors: [] as string[] };
  // A broken list fails every evaluation of the owner closed; it cannot be swept (what it names is unknown).
  const revoked = await loadRevocations(github, owner);
  const digest = revoked?.digest ?? NO_LIST;
  report.digest = digest;
  const prior = await opts.state.get(owner);
  if (!opts.force && prior?.digest === digest && prior.done) return { ...report, unchanged: true };
  if (!revoked || revocationCount(revoked) === 0) {
    // Nothing revoked: checks a former list failed turn back on their next trigger (a push, a re-run), not here.
    await opts.state.put(owner, { digest, cursor: undefined, done: true });
    return report;
  }
  report.entries = revocationCount(revoked);
  await opts.index.backfill();
  const keys = revokedKeys(revoked, await opts.index.signers(owner));
  const max = opts.maxPulls ?? DEFAULT_SWEEP_PULLS;
  let cursor = prior?.digest === digest && !opts.force ? prior.cursor : undefined;
  const found = await opts.index.pulls(owner, keys, { beforeSeq: cursor, limit: max + 1 });
  report.matched = found.length;
  const heads = new Map<string, string | null>();
  for (const p of found.slice(0, max)) {
    const [repoOwner, repo] = p.repository.split("/") as [string, string];
    const name = `${p.repository}#${p.pullNumber}@${p.headSha.slice(0, 7)}`;
    try {
      const key = `${p.repository}#${p.pullNumber}`;
      if (!heads.has(key)) heads.set(key, await github.pull(repoOwner, repo, p.pullNumber).then(openHead, gone));
      if (heads.get(key) !== p.headSha) report.skipped.push(name);
      else {
        const trigger: PullRequestTrigger = { kind: "pull_request", event: "revocation", owner: repoOwner, repo, installationId: opts.installationId, headSha: p.headSha, pullNumbers: [p.pullNumber] };
        await opts.evaluate(trigger, `revocation:${digest.slice(7, 23)}:${p.repository}#${p.pullNumber}`);
        report.reEvaluated.push(name);
      }
    } catch (err) {
      // Left for the next sweep: the cursor stays before this pull request.
      report.errors.push(`${name}: ${describeError(err)}`);
      await opts.state.put(owner, { digest, cursor, done: false });
      return { ...report, truncated: true };
    }
    cursor = p.seq;
    await opts.state.put(owner, { digest, cursor, done: false });
  }
  report.truncated = found.length > max;
  await opts.state.put(owner, { digest, cursor: report.truncated ? cursor : undefined, done: !report.truncated });
  const days = opts.deploymentDays ?? DEFAULT_SWEEP_DEPLOYMENT_DAYS;
  const since = new Date((opts.now?.() ?? new Date()).getTime() - days * 86_400_000);
  report.deployments = await opts.index.deployments(owner, keys, { since, limit: 100 });
  return report;
}

/** A pull request (or its repository) GitHub no longer shows to the App (404, refused): nothing to re-evaluate. */
function gone(err: unknown): null {
  if ((err as { status?: number }).status === 404 || (err instanceof AgentGateError && err.code === "GITHUB_REQUEST_FAILED")) return null;
  throw err;
}

/** The head of a pull request GitHub says is open, else null. */
function openHead(payload: unknown): string | null {
  const p = payload as { state?: unknown; head?: { sha?: unknown } } | null;
  return p?.state === "open" && typeof p.head?.sha === "string" ? p.head.sha : null;
}

/**
 * The revoked items as exact keys of the index. Signer forms (identity, pattern, workflow, key) are matched here
 * against the signers the owner's decisions recorded, generously: the workflow form without the facts the index does
 * not keep (source repository, ref, runner). A signer matched too generously costs an evaluation; the policy decides.
 */
export function revokedKeys(revoked: RevokedData, known: readonly IndexedSigner[]): RevokedKeys {
  const signers = known.filter((s) => revoked.signers.some((e) => signerMayMatch(e as Record<string, unknown>, s)));
  return {
    signers,
    certificates: revoked.certificates.map((c) => c.fingerprint),
    rekorEntries: revoked.rekor_entries.flatMap((e) => ("log_id" in e ? [{ logId: e.log_id, logIndex: e.log_index }] : [])),
    rekorUuids: revoked.rekor_entries.flatMap((e) => ("uuid" in e ? [e.uuid] : [])),
    models: revoked.models.map((m) => ({ model: m.model, version: m.version })),
    agents: revoked.agents.map((a) => ({ name: a.name, version: a.version })),
    commitKeys: revoked.commit_keys.map((k) => k.fingerprint),
  };
}

const GITHUB_ACTIONS = "https://token.actions.githubusercontent.com";
const GITHUB = "https://github.com";

const sameLogin = (a: string, b: string): boolean => a.trim().toLowerCase() === b.toLowerCase();

/** A platform signer (issuer github.com) named by another login of the same known agent account (Copilot, copilot-swe-agent[bot]). */
function sameAgentAccount(identity: string, s: IndexedSigner): boolean {
  if (s.issuer !== GITHUB || s.identity === null) return false;
  const idOf = (login: string): number | undefined => DEFAULT_AGENT_ACCOUNTS.find((a) => sameLogin(a.login, login))?.id;
  const id = idOf(identity);
  return id !== undefined && id === idOf(s.identity);
}

function signerMayMatch(e: Record<string, unknown>, s: IndexedSigner): boolean {
  const str = (k: string): string | undefined => (typeof e[k] === "string" ? (e[k]) : undefined);
  if (str("key") !== undefined) return s.key === str("key");
  if (s.identity === null) return false;
  const issuerFits = (want: string | undefined): boolean => want === undefined || want === s.issuer;
  const identity = str("identity");
  if (identity !== undefined) return issuerFits(str("issuer")) && (sameLogin(identity, s.identity) || sameAgentAccount(identity, s));
  const pattern = str("identity_pattern");
  if (pattern !== undefined) {
    // Case-insensitive, as the policy matches a revoked pattern.
    const m = compileIdentityPattern(pattern, { caseInsensitive: true });
    return typeof m !== "string" && issuerFits(str("issuer")) && m(s.identity);
  }
  const owner = str("owner");
  if (owner === undefined) return false;
  const w = workflowOf(s.identity);
  if (!w || !issuerFits(str("issuer") ?? GITHUB_ACTIONS)) return false;
  const repo = str("repo");
  const workflow = str("workflow");
  const refs = Array.isArray(e["refs"]) ? (e["refs"] as string[]) : undefined;
  return w.owner.toLowerCase() === owner.toLowerCase() && (repo === undefined || repo.toLowerCase() === w.name.toLowerCase()) && (workflow === undefined || workflow === w.path) && (refs === undefined || refs.includes(w.ref));
}
