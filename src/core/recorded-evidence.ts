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
  const out: Obj[] = [];
  if (!isObj(input)) return out;
  const push = (a: unknown): void => {
    if (isObj(a) && out.length < MAX_RECORDED_ATTESTATIONS) out.push(a);
  };
  if (input["kind"] === "deployment") {
    for (const a of arr(input["artifacts"])) for (const att of arr(isObj(a) ? a["attestations"] : undefined)) if (isObj(att) && att["verified"] === true) push(att);
    for (const att of arr(input["pr_evidence"])) push(att);
    return out;
  }
  for (const c of arr(input["commits"])) {
    if (!isObj(c)) continue;
    for (const a of arr(c["attestations"])) push(a);
    const p = c["provenance"];
    if (isObj(p) && p["status"] === "verified") push({ ...p, tier: "sigstore" });
  }
  return out;
}

/** One row of the evidence index: the keys a revocation list can name. */
export interface EvidenceKeys {
  readonly signer_identity: string | null;
  readonly signer_issuer: string | null;
  readonly signer_key: string | null;
  readonly cert_fingerprint: string | null;
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

/** The evidence keys of a recorded input: a row per attestation and model it names (at least one per attestation). */
export function evidenceKeys(input: unknown): EvidenceKeys[] {
  const rows: EvidenceKeys[] = [];
  const seen = new Set<string>();
  for (const a of recordedAttestations(input)) {
    const signer = isObj(a["signer"]) ? a["signer"] : {};
    const agent = isObj(a["agent"]) ? a["agent"] : {};
    const fingerprint = str(signer["certificate_fingerprint"]);
    const base = {
      signer_identity: str(signer["identity"]),
      signer_issuer: str(signer["issuer"]),
      signer_key: str(signer["key_hint"]),
      cert_fingerprint: fingerprint,
      rekor_log_id: str(a["rekor_log_id"]),
      rekor_log_index: str(a["rekor_log_index"]),
      rekor_uuid: str(a["rekor_entry_uuid"]),
      agent: str(agent["name"]),
      agent_version: str(agent["version"]),
      commit_key: a["tier"] === "signed-commit" ? fingerprint : null,
    };
    const models = [a["model"], ...arr(a["models"])].filter(isObj).map((m) => ({ model: str(m["id"]), model_version: str(m["version"]) })).filter((m) => m.model !== null);
    for (const m of models.length > 0 ? models : [{ model: null, model_version: null }]) {
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
