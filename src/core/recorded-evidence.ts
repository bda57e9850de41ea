// The evidence a recorded decision rested on, read back out of its policy input: the attestations of a pull
// request's commits, or a deployment's verified artifact attestations and the pull-request evidence it carried. The
// audit log's evidence index (one row per attestation and model) is built from these, and so is a deployment's
// `pr_evidence`. Recorded inputs are data of any age: every field is checked for its type, and the work is bounded.
export const MAX_RECORDED_ATTESTATIONS = 1000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v.slice(0, 2048) : null);

/** The attestations a pull request's recorded input holds (a verified `provenance` of an older input too). */
export function recordedAttestations(input: unknown): Obj[] {
  return recordedEvidence(input).attestations;
}

/**
 * The attestations a recorded input holds, and whether they are all of them: past MAX_RECORDED_ATTESTATIONS the
 * rest are left out and `complete` is false (a deployment then cannot rule out revoked evidence, and denies).
 */
export function recordedEvidence(input: unknown): { attestations: Obj[]; complete: boolean } {
  const out: Obj[] = [];
  let complete = true;
  if (!isObj(input)) return { attestations: out, complete };
  const push = (a: unknown): void => {
    if (!isObj(a)) return;
    if (out.length < MAX_RECORDED_ATTESTATIONS) out.push(a);
    else complete = false;
  };
  if (input["kind"] === "deployment") {
    for (const a of arr(input["artifacts"])) for (const att of arr(isObj(a) ? a["attestations"] : undefined)) if (isObj(att) && att["verified"] === true) push(att);
    for (const att of arr(input["pr_evidence"])) push(att);
    // A deployment decided on incomplete pull-request evidence: its own record is as incomplete.
    const status = input["pr_evidence_status"];
    if (isObj(status) && status["state"] === "incomplete") complete = false;
    return { attestations: out, complete };
  }
  // Commits GitHub did not list (past its limit of 250, or short of its own count) carried evidence never recorded:
  // whatever the completeness rule's mode, a deployment cannot rule out that it was revoked.
  if (!commitsListed(input["completeness"])) complete = false;
  for (const c of arr(input["commits"])) {
    if (!isObj(c)) continue;
    for (const a of arr(c["attestations"])) push(a);
    const p = c["provenance"];
    if (isObj(p) && p["status"] === "verified") push({ ...p, tier: "sigstore" });
  }
  return { attestations: out, complete };
}

/** Whether a pull request's recorded input lists all of its commits (an input without the facts counts as listed). */
function commitsListed(completeness: unknown): boolean {
  const l = isObj(completeness) ? completeness["commits"] : undefined;
  if (!isObj(l)) return true;
  if (l["truncated"] === true) return false;
  return !(typeof l["listed"] === "number" && typeof l["reported"] === "number" && l["listed"] < l["reported"]);
}

/** One row of the evidence index: the keys a revocation list can name. */
export interface EvidenceKeys {
  readonly signer_identity: string | null;
  readonly signer_issuer: string | null;
  readonly signer_key: string | null;
  readonly cert_fingerprint: string | null;
  /** The certificate's TBS fingerprint (its identity; recorded inputs from before it have none). */
  readonly cert_tbs_fingerprint: string | null;
  readonly rekor_log_id: string | null;
  readonly rekor_log_index: string | null;
  readonly rekor_uuid: string | null;
  readonly model: string | null;
  readonly model_version: string | null;
  readonly agent: string | null;
  readonly agent_version: string | null;
  readonly commit_key: string | null;
}

/** Rows at most for one record: attestations times the models each names. */
export const MAX_EVIDENCE_ROWS = 2000;

/** The model of the row that marks a record's evidence as cut short: no model id (provider/model) is `*`. */
export const INCOMPLETE_MARK = "*";

const NO_KEYS: EvidenceKeys = { signer_identity: null, signer_issuer: null, signer_key: null, cert_fingerprint: null, cert_tbs_fingerprint: null, rekor_log_id: null, rekor_log_index: null, rekor_uuid: null, model: null, model_version: null, agent: null, agent_version: null, commit_key: null };

/**
 * The evidence keys of a recorded input: a row per attestation and model it names (at least one per attestation),
 * and per subagent runtime. Evidence cut short (by MAX_RECORDED_ATTESTATIONS or MAX_EVIDENCE_ROWS) ends with a row
 * whose model is INCOMPLETE_MARK, which every revocation sweep matches: what was left out could be revoked.
 */
export function evidenceKeys(input: unknown): EvidenceKeys[] {
  const { attestations, complete } = recordedEvidence(input);
  const rows = keysOf(attestations);
  if (!complete || rows.length >= MAX_EVIDENCE_ROWS) rows.push({ ...NO_KEYS, model: INCOMPLETE_MARK });
  return rows;
}

function keysOf(attestations: Obj[]): EvidenceKeys[] {
  const rows: EvidenceKeys[] = [];
  const seen = new Set<string>();
  for (const a of attestations) {
    const signer = isObj(a["signer"]) ? a["signer"] : {};
    const agent = isObj(a["agent"]) ? a["agent"] : {};
    const fingerprint = str(signer["certificate_fingerprint"]);
    const base = {
      signer_identity: str(signer["identity"]),
      signer_issuer: str(signer["issuer"]),
      signer_key: str(signer["key_hint"]),
      cert_fingerprint: fingerprint,
      cert_tbs_fingerprint: str(signer["certificate_tbs_fingerprint"]),
      rekor_log_id: str(a["rekor_log_id"]),
      rekor_log_index: str(a["rekor_log_index"]),
      rekor_uuid: str(a["rekor_entry_uuid"]),
      agent: str(agent["name"]),
      agent_version: str(agent["version"]),
      commit_key: a["tier"] === "signed-commit" ? fingerprint : null,
    };
    const models = [a["model"], ...arr(a["models"])].filter(isObj).map((m) => ({ model: str(m["id"]), model_version: str(m["version"]) })).filter((m) => m.model !== null);
    const subagents = arr(a["agents"]).filter(isObj).map((g) => ({ agent: str(g["name"]), agent_version: str(g["version"]), model: null, model_version: null })).filter((g) => g.agent !== null);
    for (const m of [...(models.length > 0 ? models : [{ model: null, model_version: null }]), ...subagents]) {
      const row = { ...base, ...m };
      const key = JSON.stringify(row);
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push(row);
      if (rows.length >= MAX_EVIDENCE_ROWS) return rows;
    }
  }
  return rows;
}
