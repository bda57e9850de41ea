// The check run's per-commit table: what needs action first, then the rest in order; values too wide for a cell
// are cut in the middle and shown in full below the table.
import type { CoveringStatement } from "../core/binding.js";
import { abbreviate, code, row, text } from "./markdown.js";
import type { Decision } from "../core/decision.js";
import { MAX_COMMIT_ROWS, type RenderCommit } from "./check-run-types.js";
import { shortSha, tlogCell, utc, type TlogUrl } from "./check-run-cells.js";
import { ignoredReason, judgedEvidence, signerName, type Judged } from "./judged-evidence.js";

const COMMITS_BUDGET = 20_000;
// Widest values the commit table shows whole, in code points, so its five columns fit GitHub's ~900 px: a longer
// one is cut in the middle and shown in full below the table.
const SIGNER_CELL = 56;
const AUTHOR_CELL = 39; // GitHub's longest login
const ISSUER_CELL = 40;

const ISSUERS: Readonly<Record<string, string>> = {
  "https://token.actions.githubusercontent.com": "GitHub Actions OIDC",
  "https://accounts.google.com": "Google",
  "https://oauth2.sigstore.dev/auth": "Sigstore OAuth",
  "https://gitlab.com": "GitLab CI OIDC",
  "https://github.com": "GitHub",
};

/** The evidence tier as the provenance column names it (rules.provenance_coverage.tiers). */
const TIER_LABEL = { sigstore: "sigstore", "signed-commit": "signed commit", platform: "platform" } as const;

/** Values cut in the commit table, each with the commits it stands for, to be shown in full below it. */
type FullValues = Map<string, { readonly what: string; readonly full: string; readonly shas: string[] }>;

/** A table cell holding `value` cut to `max`; when cut, the whole value is recorded in `full`. */
function narrowCell(value: string, max: number, what: string, sha: string, full: FullValues): string {
  const a = abbreviate(value, max);
  if (a.full !== undefined) {
    const key = `${what}\u0000${a.full}`;
    const entry = full.get(key) ?? { what, full: a.full, shas: [] };
    if (!entry.shas.includes(sha)) entry.shas.push(sha);
    full.set(key, entry);
  }
  return code(a.shown, { table: true, max });
}

function fullValueLines(full: FullValues): string[] {
  if (full.size === 0) return [];
  const entries = [...full.values()];
  const lines = entries.slice(0, 20).map((e) => {
    const shas = e.shas.slice(0, 5).map((s) => code(s.slice(0, 7))).join(", ");
    const more = e.shas.length > 5 ? ` and ${e.shas.length - 5} more` : "";
    return `- ${e.what} of ${shas}${more}: ${code(e.full, { max: 500 })}`;
  });
  if (entries.length > 20) lines.push(`- … and ${entries.length - 20} more (see the details below)`);
  return ["", "**In full** (cut short in the table)", "", ...lines];
}

function issuerLabel(issuer: string | undefined, sha: string, full: FullValues): string {
  if (!issuer) return "";
  const known = ISSUERS[issuer];
  return known ? ` (${known})` : ` (${narrowCell(issuer, ISSUER_CELL, "issuer", sha, full)})`;
}

type CommitState = "verified" | "missing" | "not-required";

/** Commits whose evidence verified but which the policy did not accept, by sha: the rule that refused it. */
export type RefusedEvidence = ReadonlyMap<string, string>;

// The rules that refuse evidence that verified: a signer the repository does not allow, a tier its agent does not
// accept. The table must not call such a commit's provenance "verified" and leave the reason to the findings.
const REFUSING_RULES = new Set(["signers", "provenance-coverage"]);

/** Which commits a denial of the decision names under a rule that refuses verified evidence. */
export function refusedEvidence(decision: Decision | undefined): RefusedEvidence {
  const refused = new Map<string, string>();
  for (const f of [...(decision?.deny ?? []), ...(decision?.wouldDeny ?? [])]) {
    if (!REFUSING_RULES.has(f.rule)) continue;
    const d = (f.details ?? {}) as { sha?: unknown; commits?: unknown };
    const shas = [d.sha, ...(Array.isArray(d.commits) ? (d.commits as unknown[]) : [])].filter((x): x is string => typeof x === "string");
    for (const sha of shas) if (!refused.has(sha)) refused.set(sha, f.rule);
  }
  return refused;
}

// Verified means evidence the policy counted (judged-evidence.ts), never a statement it ignored.
function state(c: RenderCommit, refused: RefusedEvidence, judged: Judged): CommitState {
  const j = judged.of(c);
  if ((j.accepted.length > 0 || j.signatureAccepted) && !refused.has(c.sha)) return "verified";
  return (c.provenanceRequired ?? c.isAgent) ? "missing" : "not-required";
}

function authorCell(c: RenderCommit, full: FullValues): string {
  const who = narrowCell(c.author.login ?? c.author.name, AUTHOR_CELL, "author", c.sha, full);
  return c.isAgent ? `${who} (agent${c.agent ? ` ${code(c.agent, { table: true, max: 40 })}` : ""})` : `${who} (human)`;
}

function timestampCell(s: CoveringStatement, urlOf: TlogUrl): string {
  const tsa = s.timestamps.filter((t) => t.source === "rfc3161").map((t) => utc(t.time)).filter((t): t is string => t !== undefined);
  const log = tlogCell(s.tlog, urlOf);
  const stamp = tsa[0] ? `TSA ${tsa[0]}` : "";
  return log === "–" ? stamp || "–" : stamp ? `${log} · ${stamp}` : log;
}

function commitRow(c: RenderCommit, urlOf: TlogUrl, full: FullValues, refused: RefusedEvidence, judged: Judged): string {
  const st = state(c, refused, judged);
  const j = judged.of(c);
  const rule = refused.get(c.sha);
  if (rule !== undefined && (c.coverage.covered || c.signature?.ok === true)) {
    const s = c.coverage.by[0];
    const who = s ? (s.signer.identity ?? s.signer.keyHint ?? "key") : c.signature?.ok === true ? (c.signature.identity ?? "–") : "–";
    const issuer = s ? s.signer.issuer : c.signature?.ok === true ? c.signature.issuer : undefined;
    return row([shortSha(c.sha), authorCell(c, full), `⛔ not accepted (${code(rule, { table: true })})`, `${narrowCell(who, SIGNER_CELL, "signer", c.sha, full)}${issuerLabel(issuer, c.sha, full)}`, "–"]);
  }
  // Statements the policy ignored are counted apart, never as verified evidence of the commit.
  const ignoredNote = j.ignored.length ? ` · ⛔ ${j.ignored.length} ignored` : "";
  const s = j.accepted[0];
  if (st === "verified" && s) {
    const signer = `${narrowCell(s.signer.identity ?? s.signer.keyHint ?? "key", SIGNER_CELL, "signer", c.sha, full)}${issuerLabel(s.signer.issuer, c.sha, full)}`;
    const also = j.signatureAccepted && c.signature?.ok === true ? ` + ${TIER_LABEL[c.signature.tier]}` : "";
    return row([shortSha(c.sha), authorCell(c, full), `${j.accepted.length > 1 ? `✅ verified (${j.accepted.length})` : "✅ verified"} · ${TIER_LABEL.sigstore}${also}${ignoredNote}`, signer, timestampCell(s, urlOf)]);
  }
  const sig = c.signature;
  if (st === "verified" && sig?.ok === true) {
    const signer = `${narrowCell(sig.identity ?? "–", SIGNER_CELL, "signer", c.sha, full)}${issuerLabel(sig.issuer, c.sha, full)}`;
    const index = sig.logIndex !== undefined && /^\d{1,20}$/.test(sig.logIndex) ? `Rekor ${text(`#${sig.logIndex}`)}` : "";
    const when = utc(sig.time);
    const log = index && when ? `${index} · ${when}` : index || "–";
    return row([shortSha(c.sha), authorCell(c, full), `✅ verified · ${TIER_LABEL[sig.tier]}${ignoredNote}`, signer, log]);
  }
  const stranger = j.ignored[0];
  if (stranger) {
    // Verified, but not counted: say so, and by whom, rather than "none" or "verified".
    const mark = st === "missing" ? "❌ none counted" : "not required";
    const who = `${narrowCell(signerName(stranger.s), SIGNER_CELL, "signer", c.sha, full)}${issuerLabel(stranger.s.signer.issuer, c.sha, full)}`;
    return row([shortSha(c.sha), authorCell(c, full), `${mark} · ⛔ ${j.ignored.length} ignored: ${ignoredReason(stranger.reason)}`, who, "–"]);
  }
  const why = c.coverage.rejected[0] ?? (sig?.ok === false ? { code: sig.code } : undefined);
  const provenance = st === "missing" ? (why ? `❌ none (${code(why.code, { table: true })})` : "❌ none") : "not required";
  return row([shortSha(c.sha), authorCell(c, full), provenance, "–", "–"]);
}

export function commitTable(commits: readonly RenderCommit[], urlOf: TlogUrl, refused: RefusedEvidence = new Map(), judged: Judged = judgedEvidence(undefined)): string[] {
  if (commits.length === 0) return [];
  // What needs action first, then the rest in PR order, up to MAX_COMMIT_ROWS rows.
  const missing = commits.filter((c) => state(c, refused, judged) === "missing");
  const others = commits.filter((c) => state(c, refused, judged) !== "missing");
  const candidates = [...missing, ...others].slice(0, Math.max(MAX_COMMIT_ROWS, Math.min(missing.length, 50)));
  const lines = ["| commit | author | provenance | signed by | transparency log |", "|---|---|---|---|---|"];
  const shown: RenderCommit[] = [];
  const full: FullValues = new Map();
  let size = 0;
  for (const c of candidates) {
    const rowFull: FullValues = new Map();
    const line = commitRow(c, urlOf, rowFull, refused, judged);
    // Each row's full values count against the budget as well (at most 3 per row, 500 code points each).
    const extra = [...rowFull.values()].reduce((n, e) => n + e.full.length + 40, 0);
    if (size + line.length + extra > COMMITS_BUDGET) break;
    lines.push(line);
    shown.push(c);
    size += line.length + 1 + extra;
    for (const [key, e] of rowFull) {
      const entry = full.get(key) ?? { what: e.what, full: e.full, shas: [] };
      entry.shas.push(...e.shas);
      full.set(key, entry);
    }
  }
  const shownSet = new Set(shown);
  const hidden = commits.filter((c) => !shownSet.has(c));
  const counts: [CommitState, string, string][] = [
    ["missing", "commit without required provenance", "commits without required provenance"],
    ["verified", "verified commit", "verified commits"],
    ["not-required", "commit that needs no provenance", "commits that need no provenance"],
  ];
  const notes = counts.map(([st, one, many]) => [hidden.filter((c) => state(c, refused, judged) === st).length, one, many] as const).filter(([n]) => n > 0);
  if (notes.length) lines.push("", notes.map(([n, one, many]) => `… and ${n} more ${n === 1 ? one : many}`).join("; "));
  return [...lines, ...fullValueLines(full)];
}
