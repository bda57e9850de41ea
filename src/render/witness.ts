// The audit log's witness on GitHub (issue 18 item 5, docs/audit.md "Witnesses"): the last line of every check run's
// summary and of every deployment review comment names the log's head as it stood just before that decision was
// recorded (seq and full hash). GitHub keeps these lines outside our database; `audit verify --witness github`
// reads them back and the chain must pass through each.
import type { Checkpoint } from "../core/audit.js";

/** GitHub's limit on a check run's summary. */
const SUMMARY_LIMIT = 65_535;

export function witnessLine(head: Checkpoint): string {
  return `<sub>audit log head ${head.seq}:${head.hash} (before this decision)</sub>`;
}

/** Only the last line is read back, in exactly this form: text anywhere else can never pose as a witness. */
const WITNESS = /\n?<sub>audit log head (\d{1,15}):([0-9a-f]{64}) \(before this decision\)<\/sub>$/;

/** Appends the witness as the summary's last line (the summary is built with room to spare for it). */
export function withWitness<T extends { readonly summary: string }>(output: T, head: Checkpoint | undefined): T {
  if (!head) return output;
  const line = witnessLine(head);
  let summary = output.summary;
  if (summary.length + line.length + 2 > SUMMARY_LIMIT) summary = `${summary.slice(0, SUMMARY_LIMIT - line.length - 40)}\n\n… cut to fit GitHub's limit`;
  return { ...output, summary: summary ? `${summary}\n\n${line}` : line };
}

/** The head a published summary or comment witnessed, if its last line is a witness. */
export function parseWitness(text: string | null | undefined): Checkpoint | undefined {
  const m = text ? WITNESS.exec(text) : null;
  return m ? { seq: Number(m[1]), hash: m[2]! } : undefined;
}

/** A deployment review comment (GitHub: at most `limit` characters) with the witness as its last line. */
export function commentWithWitness(comment: string, head: Checkpoint | undefined, limit: number): string {
  if (!head) return comment;
  const line = witnessLine(head);
  const room = limit - line.length - 1;
  return `${comment.length > room ? `${comment.slice(0, room - 2)}\n…` : comment}\n${line}`;
}
