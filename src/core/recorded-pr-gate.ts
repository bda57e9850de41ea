// The pull-request gate's recorded decisions for one commit, combined for a deployment of it. One commit can be the
// head of several pull requests, and the PR gate records one decision per pull request (the check run on the head
// shows their combination): the deployment must be judged by all of them, never by whichever was written last. The
// combination is strict: the worst conclusion, agent-authored if any says so, everyone any kept from approving and
// every piece of evidence of any, and evidence incomplete if any is. Who a decision kept from approving is read from
// its recorded result (`excluded`, as the policy judged it: the prompter and requester of the statements it rests on
// are named nowhere else); a record without it (an older policy, an evaluation error) leaves them unknown.
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
  /**
   * Everyone any decision kept from approving: the prompters and requesters it names (signed ones too, some by login
   * alone, some by account id alone) and the authors of agent commits.
   */
  readonly prompters: { login?: string; id?: number }[];
  /** False when a record does not say whom it kept from approving (no `excluded` in its result): then none counts. */
  readonly promptersKnown: boolean;
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
  // One entry per login (case-insensitive, as GitHub matches logins), with its account id once any record gives one;
  // and each account id no login entry carries, on its own (the policy matches by id and by login alike).
  const prompters = new Map<string, { login: string; id?: number }>();
  const ids = new Set<number>();
  const addPrompter = (l: string | undefined, i: number | undefined): void => {
    if (i !== undefined) ids.add(i);
    if (l === undefined) return;
    const known = prompters.get(l.toLowerCase());
    if (!known || (known.id === undefined && i !== undefined)) prompters.set(l.toLowerCase(), { login: l, ...(i !== undefined ? { id: i } : {}) });
  };
  let promptersKnown = true;
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
    // Whom the policy kept from approving: the signed prompters and requesters it judged are named only here.
    const excluded = isObj(r.result) ? r.result["excluded"] : undefined;
    if (isObj(excluded) && Array.isArray(excluded["ids"]) && Array.isArray(excluded["logins"])) {
      for (const i of excluded["ids"]) addPrompter(undefined, id(i));
      for (const l of excluded["logins"]) addPrompter(login(l), undefined);
    } else promptersKnown = false;
    const recorded = recordedEvidence(r.input);
    const room = MAX_RECORDED_ATTESTATIONS - evidence.length;
    evidence.push(...recorded.attestations.slice(0, room));
    if (!recorded.complete || recorded.attestations.length > room) {
      if (evidenceComplete) evidencePull = r.agent_gate.pull_request ?? undefined;
      evidenceComplete = false;
    }
  }
  const byLogin = [...prompters.values()];
  const withLogin = new Set(byLogin.flatMap((p) => (p.id !== undefined ? [p.id] : [])));
  const pullRequests = chosen.flatMap((r) => (r.agent_gate.pull_request !== null ? [r.agent_gate.pull_request] : []));
  const shown = evidencePull ?? mergedPull ?? pullRequests[0];
  return {
    conclusion: worst.agent_gate.conclusion,
    decisionId: worst.decision_id,
    pullRequests,
    agentAuthored,
    prompters: [...byLogin, ...[...ids].filter((i) => !withLogin.has(i)).map((i) => ({ id: i }))],
    promptersKnown,
    evidence,
    evidenceComplete,
    ...(shown !== undefined ? { evidencePull: shown } : {}),
  };
}
