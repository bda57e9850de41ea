// The pull-request gate's recorded decisions for one commit, combined for a deployment of it. One commit can be the
// head of several pull requests, and the PR gate records one decision per pull request (the check run on the head
// shows their combination): the deployment must be judged by all of them, never by whichever was written last. The
// combination is strict: the worst conclusion, agent-authored if any says so, every prompter and every piece of
// evidence of any, and evidence incomplete if any is.
import type { AuditRecord } from "./audit-record.js";
import { recordedEvidence, MAX_RECORDED_ATTESTATIONS } from "./recorded-evidence.js";

/** Pull requests whose latest records are read for one commit at most (AuditLog.onHead bounds pull requests, not records). */
export const MAX_HEAD_RECORDS = 200;

export interface RecordedPrGate {
  readonly conclusion: string;
  readonly decisionId: string;
  /** The pull requests whose latest decision was combined, newest first. */
  readonly pullRequests: number[];
  /** True when any record says agent-authored; false when all say not; undefined when one does not say. */
  readonly agentAuthored: boolean | undefined;
  /** Everyone any decision kept from approving: prompters (some by login alone) and the authors of agent commits. */
  readonly prompters: { login: string; id?: number }[];
  readonly evidence: Record<string, unknown>[];
  readonly evidenceComplete: boolean;
  /** The pull request whose evidence is cut short (or the first one), for the policy's message. */
  readonly evidencePull?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const login = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const id = (v: unknown): number | undefined => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined);

/** Conclusions from best to worst that the deployment policy reads: anything else is worse than all but failure. */
export function conclusionRank(conclusion: string): number {
  if (conclusion === "success") return 0;
  if (conclusion === "failure") return 3;
  return conclusion === "action_required" ? 2 : 1;
}

/**
 * Combines the pull-request records read for one commit (newest first, as AuditLog.onHead returns them): the latest
 * record of each pull request (a list with older ones too keeps only the latest). The caller reads them all (past
 * MAX_HEAD_RECORDS pull requests it fails closed). Undefined when there is no record, or when `mergedPull` (the pull
 * request GitHub says was merged as the deployed commit) has none: then nothing here is that pull request's decision.
 */
export function combinePrGateRecords(records: readonly AuditRecord[], mergedPull?: number): RecordedPrGate | undefined {
  const latest = new Map<string, AuditRecord>();
  for (const r of records) {
    const key = String(r.agent_gate.pull_request);
    if (!latest.has(key)) latest.set(key, r);
  }
  const chosen = [...latest.values()];
  if (chosen.length === 0) return undefined;
  if (mergedPull !== undefined && !chosen.some((r) => r.agent_gate.pull_request === mergedPull)) return undefined;
  const worst = chosen.reduce((w, r) => (conclusionRank(r.agent_gate.conclusion) > conclusionRank(w.agent_gate.conclusion) ? r : w));
  // One entry per login (case-insensitive, as GitHub matches logins), with its account id once any record gives one.
  const prompters = new Map<string, { login: string; id?: number }>();
  const addPrompter = (l: string | undefined, i: number | undefined): void => {
    if (l === undefined) return;
    const known = prompters.get(l.toLowerCase());
    if (!known || (known.id === undefined && i !== undefined)) prompters.set(l.toLowerCase(), { login: l, ...(i !== undefined ? { id: i } : {}) });
  };
  let agentAuthored: boolean | undefined = false;
  const evidence: Obj[] = [];
  let evidenceComplete = true;
  let evidencePull: number | undefined;
  for (const r of chosen) {
    const input = isObj(r.input) ? r.input : {};
    const detected = isObj(input["agent"]) ? input["agent"]["detected"] : undefined;
    if (detected === true) agentAuthored = true;
    else if (detected !== false && agentAuthored === false) agentAuthored = undefined;
    for (const p of arr(input["prompters"])) if (isObj(p)) addPrompter(login(p["login"]), id(p["id"]));
    // The PR gate keeps the authors of agent commits from approving too.
    for (const c of arr(input["commits"])) if (isObj(c) && c["is_agent"] === true && isObj(c["author"])) addPrompter(login(c["author"]["login"]), id(c["author"]["id"]));
    const recorded = recordedEvidence(r.input);
    const room = MAX_RECORDED_ATTESTATIONS - evidence.length;
    evidence.push(...recorded.attestations.slice(0, room));
    if (!recorded.complete || recorded.attestations.length > room) {
      if (evidenceComplete) evidencePull = r.agent_gate.pull_request ?? undefined;
      evidenceComplete = false;
    }
  }
  const pullRequests = chosen.flatMap((r) => (r.agent_gate.pull_request !== null ? [r.agent_gate.pull_request] : []));
  const shown = evidencePull ?? mergedPull ?? pullRequests[0];
  return {
    conclusion: worst.agent_gate.conclusion,
    decisionId: worst.decision_id,
    pullRequests,
    agentAuthored,
    prompters: [...prompters.values()],
    evidence,
    evidenceComplete,
    ...(shown !== undefined ? { evidencePull: shown } : {}),
  };
}
