// `audit verify`'s check of the tables derived from the records: audit_evidence (what revocation sweeps look up) and
// audit_config_uses (whom a config change applies to). Each page of verified records must have exactly the evidence
// rows it implies and its config uses; at the end, no evidence row may lack a record and (verifying from the first
// record) no config use may lack one. A page at a time, one query each: linear in the log, streaming; memory holds
// one page and the distinct (config file, repository) pairs.
import { fromRow, type AuditRecord, type ChainBreak, type StoredRow } from "../../core/audit.js";
import type { Db } from "./db.js";
import { EVIDENCE_COLUMNS, evidenceRowKey, evidenceRowKeys } from "./evidence-index.js";

const PAGE = 500;
const broken = (seq: number, reason: string): ChainBreak => ({ ok: false, seq, code: "INDEX_MISMATCH", reason });
const pair = (file: string, repository: string): string => JSON.stringify([file, repository]);

export class IndexCheck {
  /** The (config file, repository) pairs the records read so far imply. */
  private readonly uses = new Set<string>();

  private constructor(
    private readonly db: Db,
    /** Records from before the evidence index, not backfilled yet (audit_evidence_backfill): they may have no rows. */
    private readonly pending: { next: number; upto: number } | undefined,
  ) {}

  static async start(db: Db): Promise<IndexCheck> {
    const [b] = await db.query<{ next: string; upto: string }>("SELECT next, upto FROM audit_evidence_backfill");
    return new IndexCheck(db, b ? { next: Number(b.next), upto: Number(b.upto) } : undefined);
  }

  /** Rows whose chain verified, in seq order without a gap: the first whose index rows differ from the record. */
  async page(rows: readonly StoredRow[]): Promise<ChainBreak | undefined> {
    if (rows.length === 0) return undefined;
    const lo = rows[0]!.seq;
    const hi = rows.at(-1)!.seq;
    const found = new Map<number, string[]>();
    for (const r of await this.db.query<Record<string, unknown>>(`SELECT ${EVIDENCE_COLUMNS.join(", ")} FROM audit_evidence WHERE seq BETWEEN $1 AND $2`, [lo, hi])) {
      const seq = Number(r["seq"]);
      found.set(seq, [...(found.get(seq) ?? []), evidenceRowKey(EVIDENCE_COLUMNS.map((c) => r[c]))]);
    }
    const records: AuditRecord[] = [];
    for (const row of rows) {
      let record: AuditRecord;
      try {
        record = fromRow(row);
      } catch {
        return broken(row.seq, `record ${row.seq} does not have the audit record's shape: its index rows cannot be checked`);
      }
      records.push(record);
      const want = evidenceRowKeys(record).sort();
      const have = (found.get(row.seq) ?? []).sort();
      if (have.length === 0 && this.pending && row.seq >= this.pending.next && row.seq <= this.pending.upto) continue; // not backfilled yet
      if (want.join("\n") !== have.join("\n")) {
        const missing = want.filter((k) => !have.includes(k)).length;
        const extra = have.filter((k) => !want.includes(k)).length;
        return broken(row.seq, `record ${row.seq}'s evidence index rows (audit_evidence) differ from the record: ${have.length} rows for ${want.length} (${missing} missing: deleted or edited; ${extra} not from the record: added or edited)`);
      }
    }
    const implied = records.flatMap((r) => [...new Set(r.agent_gate.config_files ?? [])].map((f) => ({ seq: r.seq, file: f, repository: r.agent_gate.repository })));
    if (implied.length === 0) return undefined;
    const present = new Set(
      (await this.db.query<{ config_file: string; repository: string }>(
        "SELECT config_file, repository FROM audit_config_uses WHERE (config_file, repository) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        [implied.map((u) => u.file), implied.map((u) => u.repository)],
      )).map((u) => pair(u.config_file, u.repository)),
    );
    for (const u of implied) {
      if (!present.has(pair(u.file, u.repository))) return broken(u.seq, `record ${u.seq} read ${u.file} for ${u.repository}, and audit_config_uses has no such row: deleted or edited (a change to that file would not re-evaluate ${u.repository})`);
      this.uses.add(pair(u.file, u.repository));
    }
    return undefined;
  }

  /**
   * After the last record (`last`): no evidence row without a record, and, when every record was read (`whole`), no
   * config use no record implies. A row written with a record appended since the pages were read is not counted.
   */
  async finish(last: number, whole: boolean): Promise<ChainBreak | undefined> {
    const [orphan] = await this.db.query<{ seq: string }>(
      "SELECT e.seq FROM audit_evidence e WHERE (e.seq > $1 OR e.seq < 1) AND NOT EXISTS (SELECT 1 FROM audit_records r WHERE r.seq = e.seq) ORDER BY e.seq LIMIT 1",
      [last],
    );
    if (orphan) return broken(Number(orphan.seq), `audit_evidence has rows for record ${orphan.seq}, which does not exist: added`);
    if (!whole) return undefined;
    let after: [string, string] = ["", ""];
    for (;;) {
      const page = await this.db.query<{ config_file: string; repository: string }>(
        "SELECT config_file, repository FROM audit_config_uses WHERE (config_file, repository) > ($1, $2) ORDER BY config_file, repository LIMIT $3",
        [after[0], after[1], PAGE],
      );
      for (const u of page) {
        if (this.uses.has(pair(u.config_file, u.repository))) continue;
        const [since] = await this.db.query(
          "SELECT 1 FROM audit_records WHERE seq > $1 AND repository = $2 AND (record::jsonb -> 'agent_gate' -> 'config_files') ? $3 LIMIT 1",
          [last, u.repository, u.config_file],
        );
        if (!since) return broken(last + 1, `audit_config_uses says ${u.repository}'s decisions read ${u.config_file}, and no record does: added or edited`);
      }
      if (page.length < PAGE) return undefined;
      after = [page.at(-1)!.config_file, page.at(-1)!.repository];
    }
  }
}
