// What a config change would do to a repository's recent decisions (issue 18 item 2), for the CLI (`agent-gate
// config impact`) and the PR gate (a pull request that changes a config). The last N recorded pull-request decisions
// of the repository (the latest per pull request) are evaluated again from the audit log: the stored input, the
// stored policy bundle the decision was made with, and the new config's policy data. Only the config differs, so
// every changed verdict is the config's doing. Bounded: N decisions read by an index scan, one engine per bundle,
// and an optional deadline after which the report says it is incomplete. Each evaluation is synchronous (wasm), so
// the replay gives the event loop a turn every few evaluations: the App's other deliveries are not held up by it.
import { PolicyEngine } from "../adapters/opa/engine.js";
import type { AuditLog } from "../adapters/storage/audit-log.js";
import type { BundleStore } from "../adapters/storage/bundle-store.js";
import type { AuditRecord } from "../core/audit.js";
import { AgentGateError, describeError } from "../core/errors.js";

export const DEFAULT_IMPACT_LAST = 200;
/** Evaluations between two turns of the event loop. */
export const IMPACT_YIELD_EVERY = 10;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Where recorded decisions and the bundles they were made with are read from (the App's storage, the CLI's). */
export interface DecisionHistory {
  readonly audit: Pick<AuditLog, "recent">;
  readonly bundles: Pick<BundleStore, "get">;
}

export interface ImpactChange {
  readonly pull_request: number | null;
  readonly head_sha: string;
  readonly decision_id: string;
  readonly seq: number;
  readonly old: "success" | "failure";
  readonly new: "success" | "failure";
  /** Rules denying under one config and not the other, each marked + (new) or - (no longer). */
  readonly rules: readonly string[];
}

export interface ImpactReport {
  readonly repository: string;
  readonly replayed: number;
  readonly changed: ImpactChange[];
  readonly skipped: { readonly decision_id: string; readonly reason: string }[];
  /** Why not every decision was looked at (the deadline passed); absent when the report is complete. */
  readonly incomplete?: string;
}

export interface ImpactOptions {
  /** How many recorded decisions to look at, newest first (default 200). */
  readonly last?: number;
  /** Stop when this time (ms since the epoch) has passed; the report then says it is incomplete. */
  readonly deadline?: number;
  /** Engines by bundle digest, shared between the repositories of one analysis. */
  readonly engines?: Map<string, PolicyEngine | string>;
  readonly now?: () => number;
}

interface Result {
  readonly allow?: boolean;
  readonly deny?: readonly { readonly rule?: string }[];
}

const conclusionOf = (r: Result): "success" | "failure" => (r.allow === true && (r.deny ?? []).length === 0 ? "success" : "failure");
const denied = (r: Result): Set<string> => new Set((r.deny ?? []).map((f) => f.rule ?? "?"));

/** The last `last` pull-request records of `repository`, the latest per pull request, newest first. */
export async function recentDecisions(history: DecisionHistory, repository: string, last: number): Promise<AuditRecord[]> {
  const seen = new Set<string>();
  return (await history.audit.recent(repository, "pull_request", last)).filter((r) => {
    const key = r.agent_gate.pull_request === null ? r.agent_gate.head_sha : String(r.agent_gate.pull_request);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function engineFor(history: DecisionHistory, digest: string): Promise<PolicyEngine | string> {
  const b = await history.bundles.get(digest).catch((err: unknown) => `the stored bundle ${digest} cannot be read: ${describeError(err)}`);
  if (typeof b === "string") return b;
  if (!b) return `no policy bundle with digest ${digest} is stored`;
  const enc = new TextEncoder();
  const engine = await PolicyEngine.load({ wasm: b.wasm, data: JSON.parse(b.data) as unknown, dataBytes: enc.encode(b.data), revision: b.revision, source: `stored bundle ${digest}` }).catch(
    (err: unknown) => `the stored bundle ${digest} cannot be loaded: ${describeError(err)}`,
  );
  if (typeof engine !== "string" && engine.policy.digest !== digest) return `the stored bundle's content does not hash to ${digest}: it was altered`;
  return engine;
}

/** Replays each decision with its own stored bundle and the new data; one engine per bundle. */
export async function configImpact(history: DecisionHistory, repository: string, data: unknown, options: ImpactOptions | number = {}): Promise<ImpactReport> {
  const opts = typeof options === "number" ? { last: options } : options;
  const now = opts.now ?? Date.now;
  const engines = opts.engines ?? new Map<string, PolicyEngine | string>();
  const changed: ImpactChange[] = [];
  const skipped: { decision_id: string; reason: string }[] = [];
  let replayed = 0;
  const records = await recentDecisions(history, repository, opts.last ?? DEFAULT_IMPACT_LAST);
  for (const [i, r] of records.entries()) {
    if (i > 0 && i % IMPACT_YIELD_EVERY === 0) await turn();
    if (opts.deadline !== undefined && now() > opts.deadline) {
      return { repository, replayed, changed, skipped, incomplete: `the time allowed ran out after ${i} of ${records.length} recorded decision(s) of ${repository}` };
    }
    const recorded = r.result as Result & { error?: unknown };
    if (recorded.error !== undefined || typeof recorded.allow !== "boolean") {
      skipped.push({ decision_id: r.decision_id, reason: "the evaluation failed before a decision (nothing to compare)" });
      continue;
    }
    const digest = Object.values(r.bundles)[0]?.digest;
    if (!digest) {
      skipped.push({ decision_id: r.decision_id, reason: "the record names no policy bundle" });
      continue;
    }
    let engine = engines.get(digest);
    if (engine === undefined) {
      engine = await engineFor(history, digest);
      engines.set(digest, engine);
    }
    if (typeof engine === "string") {
      skipped.push({ decision_id: r.decision_id, reason: engine });
      continue;
    }
    let after: Result;
    try {
      after = engine.evaluate(r.path, r.input, { data });
    } catch (err) {
      skipped.push({ decision_id: r.decision_id, reason: `${err instanceof AgentGateError ? err.code : "INTERNAL_ERROR"}: ${describeError(err).slice(0, 200)}` });
      continue;
    }
    replayed++;
    const [was, is] = [conclusionOf(recorded), conclusionOf(after)];
    if (was === is) continue;
    const [deniedBefore, deniedNow] = [denied(recorded), denied(after)];
    const rules = [...[...deniedNow].filter((x) => !deniedBefore.has(x)).map((x) => `+${x}`), ...[...deniedBefore].filter((x) => !deniedNow.has(x)).map((x) => `-${x}`)];
    changed.push({ pull_request: r.agent_gate.pull_request, head_sha: r.agent_gate.head_sha, decision_id: r.decision_id, seq: r.seq, old: was, new: is, rules });
  }
  return { repository, replayed, changed, skipped };
}

/** The table a reviewer reads on the command line. */
export function impactLines(r: ImpactReport): string[] {
  const incomplete = r.incomplete ? [`impact analysis incomplete: ${r.incomplete}`] : [];
  if (r.changed.length === 0) return [`no verdict would change: ${r.replayed} recorded decision(s) of ${r.repository} replayed${r.skipped.length ? `, ${r.skipped.length} skipped` : ""}`, ...incomplete];
  return [
    `${r.changed.length} verdict(s) would change among ${r.replayed} recorded decision(s) of ${r.repository}:`,
    ...r.changed.map((c) => `  ${c.pull_request === null ? "(no PR)" : `PR #${c.pull_request}`} at ${c.head_sha.slice(0, 7)}: ${c.old} -> ${c.new}${c.rules.length ? ` (${c.rules.join(", ")})` : ""}  [decision ${c.decision_id}]`),
    ...(r.skipped.length ? [`${r.skipped.length} skipped: ${r.skipped.slice(0, 3).map((s) => s.reason).join("; ")}`] : []),
    ...incomplete,
  ];
}
