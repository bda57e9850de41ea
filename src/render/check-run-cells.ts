// Small formatting pieces the check run's sections share: counts, short SHAs and digests, times, log entries.
import type { TlogEntrySummary } from "../core/verification.js";
import { code, link, text } from "./markdown.js";

/** The URL of a transparency-log entry, or undefined for no link. */
export type TlogUrl = (entry: TlogEntrySummary) => string | undefined;

// Rekor v1 public-good instance: its log id, and a search page that shows an entry by index.
const PUBLIC_REKOR_LOG_ID = "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d";
export function publicRekorUrl(entry: TlogEntrySummary): string | undefined {
  if (entry.rekorVersion !== 1 || entry.logId.toLowerCase() !== PUBLIC_REKOR_LOG_ID || !/^\d{1,20}$/.test(entry.logIndex)) return undefined;
  return `https://search.sigstore.dev/?logIndex=${entry.logIndex}`;
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
export const shortSha = (sha: string): string => code(sha.slice(0, 7), { table: true });
export const shortDigest = (hex: string): string => `sha256:${hex.slice(0, 8)}…`;
// Outside values are cut before they are joined into one shown value: joining copies, and escaping reads the join.
export const part = (v: string): string => (v.length > 2_000 ? v.slice(0, 2_000) : v);

export function utc(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const t = new Date(iso);
  if (Number.isNaN(t.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(iso)) return undefined;
  return `${t.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function tlogCell(entries: readonly TlogEntrySummary[], urlOf: TlogUrl): string {
  const e = entries[0];
  if (!e) return "–";
  const index = /^\d{1,20}$/.test(e.logIndex) ? e.logIndex : "?";
  const url = urlOf(e);
  // Unlinked, `#123` would be an issue reference to GitHub: text() keeps it inert.
  const label = `Rekor${e.rekorVersion === 2 ? " v2" : ""} ${url ? link(`#${index}`, url) : text(`#${index}`)}`;
  const when = utc(e.integratedTime);
  return when ? `${label} · ${when}` : label;
}
