// Decision + per-commit facts -> the check run a reviewer reads: the verdict and what to do first, then who
// wrote the change and what vouches for it, then the evidence for those who verify. Every value from outside
// goes through markdown.ts; everything stays within GitHub's limits (65,535 characters per field, 50
// annotations per request, action buttons of 20/20/40 characters).
import type { BindingRejection, BundleBinding, CommitCoverage, CoveringStatement } from "../core/binding.js";
import { REEVALUATE_IDENTIFIER, type CheckConclusion } from "../core/conclusion.js";
import type { Decision, Finding } from "../core/decision.js";
import type { TlogEntrySummary } from "../core/verification.js";
import type { AgentDetection } from "../core/agents.js";
import type { BodyMarkerClaim, Claim } from "../core/trailers.js";
import { visibleJson } from "../core/visible.js";
import { abbreviate, code, codeFence, link, row, text, truncate } from "./markdown.js";

export const FIELD_LIMIT = 65_535;
export const FIELD_BUDGET = 60_000; // room to spare under GitHub's limit
export const ANNOTATIONS_PER_REQUEST = 50;
export const MAX_ANNOTATIONS = 500; // bounds the follow-up requests one evaluation can make
export const MAX_COMMIT_ROWS = 20;
export const MAX_FINDING_ROWS = 25;
export const MAX_BUNDLE_SECTIONS = 25;
const FINDINGS_BUDGET = 30_000; // escaped prose can be several times its source length
const COMMITS_BUDGET = 20_000;
// Widest values the commit table shows whole, in code points, so its five columns fit GitHub's ~900 px: a longer
// one is cut in the middle and shown in full below the table.
const SIGNER_CELL = 56;
const AUTHOR_CELL = 39; // GitHub's longest login
const ISSUER_CELL = 40;

export interface RenderCommit {
  readonly sha: string;
  readonly author: { readonly login?: string; readonly name: string };
  readonly isAgent: boolean;
  readonly agent?: string;
  /** Whether the policy requires provenance for this commit (by default: the commit is an agent's). */
  readonly provenanceRequired?: boolean;
  readonly coverage: CommitCoverage;
  readonly claims?: readonly Claim[];
}

export interface ProtectedPathHit {
  readonly path: string;
  readonly rule: string;
  readonly level: "failure" | "warning";
  readonly message: string;
}

export interface RenderInput {
  readonly conclusion: CheckConclusion;
  /** Why an evaluation could not be made, in full (the title holds only its first line). */
  readonly error?: { readonly code: string; readonly message: string; readonly details?: readonly string[]; readonly transient?: boolean };
  readonly decision?: Decision; // absent when evaluation failed
  readonly commits: readonly RenderCommit[];
  readonly bundles?: readonly BundleBinding[];
  readonly protectedPaths?: readonly ProtectedPathHit[];
  /** The pull request's agent detection: why it counts as agent work (shown as signals, not as proof). */
  readonly detection?: AgentDetection;
  readonly bodyClaims?: readonly BodyMarkerClaim[];
  readonly durationMs?: number;
  /** The URL of a transparency-log entry, or undefined for no link. Defaults to the public Rekor search. */
  readonly tlogEntryUrl?: (entry: TlogEntrySummary) => string | undefined;
}

export interface Annotation {
  readonly path: string;
  readonly start_line: number;
  readonly end_line: number;
  readonly annotation_level: "failure" | "warning" | "notice";
  readonly title: string;
  readonly message: string;
}

export interface CheckRunAction {
  readonly label: string; // <= 20
  readonly description: string; // <= 40
  readonly identifier: string; // <= 20
}

export interface CheckRunOutput {
  readonly conclusion: "success" | "failure";
  readonly title: string;
  readonly summary: string;
  readonly text: string;
  /** Every annotation (at most MAX_ANNOTATIONS), and the same in batches of at most 50 per request. */
  readonly annotations: readonly Annotation[];
  readonly annotationBatches: readonly (readonly Annotation[])[];
  readonly actions: readonly CheckRunAction[];
}

export const REEVALUATE_BUTTON: CheckRunAction = {
  label: "Re-evaluate",
  description: "Evaluate this head commit again",
  identifier: REEVALUATE_IDENTIFIER,
};

// Rekor v1 public-good instance: its log id, and a search page that shows an entry by index.
const PUBLIC_REKOR_LOG_ID = "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d";
export function publicRekorUrl(entry: TlogEntrySummary): string | undefined {
  if (entry.rekorVersion !== 1 || entry.logId.toLowerCase() !== PUBLIC_REKOR_LOG_ID || !/^\d{1,20}$/.test(entry.logIndex)) return undefined;
  return `https://search.sigstore.dev/?logIndex=${entry.logIndex}`;
}

const ISSUERS: Readonly<Record<string, string>> = {
  "https://token.actions.githubusercontent.com": "GitHub Actions OIDC",
  "https://accounts.google.com": "Google",
  "https://oauth2.sigstore.dev/auth": "Sigstore OAuth",
  "https://gitlab.com": "GitLab CI OIDC",
};

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const shortSha = (sha: string): string => code(sha.slice(0, 7), { table: true });
const shortDigest = (hex: string): string => `sha256:${hex.slice(0, 8)}…`;
// Outside values are cut before they are joined into one shown value: joining copies, and escaping reads the join.
const part = (v: string): string => (v.length > 2_000 ? v.slice(0, 2_000) : v);

function utc(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const t = new Date(iso);
  if (Number.isNaN(t.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(iso)) return undefined;
  return `${t.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

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

// ---- verdict and findings ------------------------------------------------------------------------------------

function verdictLines(input: RenderInput): string[] {
  const e = input.error;
  if (!e || input.decision) return [verdict(input)];
  const todo = e.code === "HEAD_MOVED"
    ? "nothing: this commit is no longer the pull request's head, and the new head gets a check of its own"
    : e.code.startsWith("CONFIG_")
    ? "fix .github/agent-gate.yml on the default branch (a pull request cannot change the config it is judged by), then press Re-evaluate"
    : e.transient
      ? "nothing is wrong with the change itself: agent-gate retries by itself and completes this check again; Re-evaluate retries now"
      : "press Re-evaluate; if it fails again, report the decision id below to whoever runs agent-gate";
  return [
    e.transient ? "### ❌ Could not be evaluated (retrying)" : "### ❌ Not evaluated",
    "",
    ...(e.details?.length
      ? [`**Why** (${code(e.code)})`, "", ...e.details.slice(0, 20).map((d) => `- ${text(d, { max: 500 })}`), ...(e.details.length > 20 ? [`- … and ${e.details.length - 20} more`] : [])]
      : [`**Why** ${text(e.message, { max: 2000 })} (${code(e.code)})`]),
    "",
    `**What to do** ${text(todo, { max: 300 })}`,
  ];
}

function verdict(input: RenderInput): string {
  const c = input.conclusion;
  const d = input.decision;
  if (c.outcome === "error" || !d) {
    const retrying = c.title.startsWith("Could not be evaluated: ");
    return `### ❌ ${retrying ? "Could not be evaluated" : "Not evaluated"}: ${text(c.title.replace(/^(Not evaluated|Could not be evaluated): /, ""), { max: 500 })}`;
  }
  if (c.conclusion === "failure") {
    const warns = d.warn.length ? `, ${plural(d.warn.length, "rule warns", "rules warn")}` : "";
    return `### ❌ Not mergeable: ${plural(d.deny.length, "rule denies", "rules deny")}${warns}`;
  }
  if (d.warn.length) return `### ✅ Mergeable, with ${plural(d.warn.length, "warning")}`;
  return "### ✅ Mergeable";
}

function findingsTable(d: Decision | undefined): string[] {
  if (!d || d.deny.length + d.warn.length === 0) return [];
  const all: [string, Finding][] = [...d.deny.map((f) => ["❌", f] as [string, Finding]), ...d.warn.map((f) => ["⚠️", f] as [string, Finding])];
  const lines = ["| | rule | why | what to do |", "|---|---|---|---|"];
  let size = 0;
  let shown = 0;
  for (const [mark, f] of all.slice(0, MAX_FINDING_ROWS)) {
    const line = row([mark, code(f.rule, { table: true, max: 80 }), text(f.msg, { max: 400 }), f.remediation ? text(f.remediation, { max: 300 }) : "–"]);
    if (size + line.length > FINDINGS_BUDGET) break;
    lines.push(line);
    size += line.length + 1;
    shown++;
  }
  if (all.length > shown) lines.push("", `… and ${all.length - shown} more findings (all are in the raw decision in the details)`);
  return lines;
}

// ---- who and what --------------------------------------------------------------------------------------------

function agentLine(s: CoveringStatement): string {
  const parts = [
    `**Agent** ${code(`${part(s.runtime.name)} ${part(s.runtime.version)}`)}`,
    `**Model** ${code(s.model.version ? `${part(s.model.id)}@${part(s.model.version)}` : s.model.id)}`,
  ];
  if (s.delegation) parts.push(`**Prompted by** ${code(`@${part(s.delegation.principal.login)}`)}`);
  if (s.prompt) {
    const secrets = s.prompt.secrets.length ? ` ⚠️ ${plural(s.prompt.secrets.length, "secret-like value")} in the included prompt` : "";
    parts.push(`**Prompt** ${code(shortDigest(s.prompt.sha256))} (text withheld)${secrets}`);
  }
  return parts.join(" · ");
}

function agentLines(commits: readonly RenderCommit[]): string[] {
  const seen = new Map<string, string>();
  for (const c of commits) {
    for (const s of c.coverage.by) {
      const line = agentLine(s);
      if (!seen.has(line)) seen.set(line, line);
    }
  }
  const lines = [...seen.values()];
  if (lines.length === 0) return [];
  const shown = lines.slice(0, 3);
  if (lines.length > 3) shown.push(`… and ${lines.length - 3} more agent runs (see details below)`);
  return shown.map((l) => `${l}  `);
}

function signalsLine(d: AgentDetection | undefined): string[] {
  if (!d || d.reasons.length === 0) return [];
  const shown = d.reasons.slice(0, 4).map((r) => code(`${r.signal}: ${part(r.detail)}`, { max: 120 }));
  const more = d.reasons.length > 4 ? ` and ${d.reasons.length - 4} more` : "";
  const label = d.isAgent ? "**Agent work by** " : "**Not agent work** ";
  return [`${label}${shown.join(" · ")}${more} <sub>(signals, not proof)</sub>`];
}

// ---- per-commit table ----------------------------------------------------------------------------------------

type CommitState = "verified" | "missing" | "not-required";

function state(c: RenderCommit): CommitState {
  if (c.coverage.covered) return "verified";
  return (c.provenanceRequired ?? c.isAgent) ? "missing" : "not-required";
}

function authorCell(c: RenderCommit, full: FullValues): string {
  const who = narrowCell(c.author.login ?? c.author.name, AUTHOR_CELL, "author", c.sha, full);
  return c.isAgent ? `${who} (agent${c.agent ? ` ${code(c.agent, { table: true, max: 40 })}` : ""})` : `${who} (human)`;
}

function timestampCell(s: CoveringStatement, urlOf: (e: TlogEntrySummary) => string | undefined): string {
  const tsa = s.timestamps.filter((t) => t.source === "rfc3161").map((t) => utc(t.time)).filter((t): t is string => t !== undefined);
  const log = tlogCell(s.tlog, urlOf);
  const stamp = tsa[0] ? `TSA ${tsa[0]}` : "";
  return log === "–" ? stamp || "–" : stamp ? `${log} · ${stamp}` : log;
}

function tlogCell(entries: readonly TlogEntrySummary[], urlOf: (e: TlogEntrySummary) => string | undefined): string {
  const e = entries[0];
  if (!e) return "–";
  const index = /^\d{1,20}$/.test(e.logIndex) ? e.logIndex : "?";
  const url = urlOf(e);
  // Unlinked, `#123` would be an issue reference to GitHub: text() keeps it inert.
  const label = `Rekor${e.rekorVersion === 2 ? " v2" : ""} ${url ? link(`#${index}`, url) : text(`#${index}`)}`;
  const when = utc(e.integratedTime);
  return when ? `${label} · ${when}` : label;
}

function commitRow(c: RenderCommit, urlOf: (e: TlogEntrySummary) => string | undefined, full: FullValues): string {
  const st = state(c);
  const s = c.coverage.by[0];
  if (st === "verified" && s) {
    const signer = `${narrowCell(s.signer.identity ?? s.signer.keyHint ?? "key", SIGNER_CELL, "signer", c.sha, full)}${issuerLabel(s.signer.issuer, c.sha, full)}`;
    return row([shortSha(c.sha), authorCell(c, full), c.coverage.by.length > 1 ? `✅ verified (${c.coverage.by.length})` : "✅ verified", signer, timestampCell(s, urlOf)]);
  }
  const why = c.coverage.rejected[0];
  const provenance = st === "missing" ? (why ? `❌ none (${code(why.code, { table: true })})` : "❌ none") : "not required";
  return row([shortSha(c.sha), authorCell(c, full), provenance, "–", "–"]);
}

function commitTable(commits: readonly RenderCommit[], urlOf: (e: TlogEntrySummary) => string | undefined): string[] {
  if (commits.length === 0) return [];
  // What needs action first, then the rest in PR order, up to MAX_COMMIT_ROWS rows.
  const missing = commits.filter((c) => state(c) === "missing");
  const others = commits.filter((c) => state(c) !== "missing");
  const candidates = [...missing, ...others].slice(0, Math.max(MAX_COMMIT_ROWS, Math.min(missing.length, 50)));
  const lines = ["| commit | author | provenance | signed by | transparency log |", "|---|---|---|---|---|"];
  const shown: RenderCommit[] = [];
  const full: FullValues = new Map();
  let size = 0;
  for (const c of candidates) {
    const rowFull: FullValues = new Map();
    const line = commitRow(c, urlOf, rowFull);
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
  const notes = counts.map(([st, one, many]) => [hidden.filter((c) => state(c) === st).length, one, many] as const).filter(([n]) => n > 0);
  if (notes.length) lines.push("", notes.map(([n, one, many]) => `… and ${n} more ${n === 1 ? one : many}`).join("; "));
  return [...lines, ...fullValueLines(full)];
}

function footer(input: RenderInput): string {
  const d = input.decision;
  const parts: string[] = [];
  if (d) {
    parts.push(`policy ${code(d.policy.revision, { max: 80 })} (${code(d.policy.digest.replace(/^(sha256:[0-9a-f]{8})[0-9a-f]*$/, "$1…"), { max: 80 })})`);
    parts.push(`decision ${code(d.decisionId, { max: 80 })}`);
  } else if (input.conclusion.code) {
    parts.push(`error ${code(input.conclusion.code, { max: 80 })}`);
  }
  if (input.durationMs !== undefined && Number.isFinite(input.durationMs)) parts.push(`${Math.round(input.durationMs)} ms`);
  return parts.length ? `<sub>${parts.join(" · ")}</sub>` : "";
}

// ---- text: evidence ------------------------------------------------------------------------------------------

function bundleSection(s: CoveringStatement, covers: readonly string[], urlOf: (e: TlogEntrySummary) => string | undefined): string[] {
  const lines = [`#### Bundle ${code(`sha256:${s.bundleDigest}`, { max: 80 })}`, ""];
  lines.push(`- **Covers** ${covers.slice(0, 20).map((sha) => code(sha.slice(0, 12))).join(", ")}${covers.length > 20 ? ` and ${covers.length - 20} more` : ""}`);
  lines.push(`- **Signer** ${code(s.signer.identity ?? s.signer.keyHint ?? "key", { max: 500 })} (${s.signer.type})`);
  if (s.signer.issuer) lines.push(`- **Issuer** ${code(s.signer.issuer, { max: 300 })}`);
  if (s.signer.certificateFingerprint) lines.push(`- **Certificate** ${code(`sha256:${s.signer.certificateFingerprint}`, { max: 80 })}`);
  lines.push(`- **Format** ${code(s.format)} · **Agent** ${code(`${part(s.runtime.name)} ${part(s.runtime.version)}`)} · **Model** ${code(s.model.version ? `${part(s.model.id)}@${part(s.model.version)}` : s.model.id)}`);
  if (s.tools.length) lines.push(`- **Tools** ${s.tools.slice(0, 30).map((t) => code(t, { max: 100 })).join(", ")}`);
  if (s.mcpServers.length) lines.push(`- **MCP servers** ${s.mcpServers.slice(0, 30).map((t) => code(t, { max: 100 })).join(", ")}`);
  if (s.delegation) {
    const t = s.delegation.trigger;
    lines.push(`- **Delegated by** ${code(`@${part(s.delegation.principal.login)}`)} (id ${code(String(s.delegation.principal.id))}) via ${code(t.event, { max: 60 })}${t.at ? ` at ${code(t.at, { max: 40 })}` : ""}${t.url ? ` ${code(t.url, { max: 200 })}` : ""}`);
  }
  if (s.prompt) {
    const secrets = s.prompt.secrets.map((f) => `${f.kind} at ${f.line}:${f.column}`);
    lines.push(`- **Prompt** ${code(`sha256:${s.prompt.sha256}`)} · text ${s.prompt.textIncluded ? "included in the statement (matches the digest; withheld here)" : "not included"}${secrets.length ? ` · ⚠️ secret-like content: ${secrets.slice(0, 10).map((x) => code(x)).join(", ")}` : ""}`);
  }
  const inv = s.invocation;
  lines.push(`- **Run** builder ${code(inv.builderId, { max: 300 })}${inv.invocationId ? `, invocation ${code(inv.invocationId, { max: 300 })}` : ""}${inv.startedOn ? `, ${code(inv.startedOn, { max: 40 })}` : ""}${inv.finishedOn ? ` – ${code(inv.finishedOn, { max: 40 })}` : ""}`);
  const ext = Object.entries(s.signer.extensions).slice(0, 30);
  if (ext.length) {
    lines.push("", "| certificate extension | value |", "|---|---|", ...ext.map(([k, v]) => row([code(k, { table: true, max: 80 }), code(v, { table: true, max: 400 })])));
  }
  if (s.tlog.length) {
    lines.push("", "| transparency log | log id | index | integrated | entry kind |", "|---|---|---|---|---|");
    for (const e of s.tlog.slice(0, 10)) {
      lines.push(row([tlogCell([e], urlOf).split(" · ")[0] ?? "–", code(e.logId.slice(0, 16) + "…", { table: true }), code(e.logIndex, { table: true, max: 30 }), e.integratedTime ? code(e.integratedTime, { table: true, max: 40 }) : "–", code(`${part(e.kind)} ${part(e.kindVersion)}`, { table: true, max: 40 })]));
    }
  }
  if (s.timestamps.length) lines.push("", `**Timestamps** ${s.timestamps.slice(0, 10).map((t) => `${t.source === "rfc3161" ? "RFC 3161" : "tlog"} ${code(t.time, { max: 40 })}`).join(", ")}`);
  if (s.subjects.length) {
    lines.push("", "| statement subject | gitCommit | gitTree |", "|---|---|---|");
    for (const subj of s.subjects.slice(0, 20)) {
      lines.push(row([code(subj.name, { table: true, max: 300 }), code(subj.digest["gitCommit"] ?? "", { table: true }), code(subj.digest["gitTree"] ?? "", { table: true })]));
    }
    if (s.subjects.length > 20) lines.push("", `… and ${s.subjects.length - 20} more subjects`);
  }
  return lines;
}

function rejectedSection(bundles: readonly BundleBinding[]): string[] {
  const rejected: BindingRejection[] = bundles.flatMap((b) => b.rejected);
  if (rejected.length === 0) return [];
  const seen = new Set<string>();
  const unique = rejected.filter((r) => {
    const key = `${r.bundleDigest} ${r.code}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const lines = ["### Provenance that does not count", "", "| bundle | reason | detail |", "|---|---|---|"];
  for (const r of unique.slice(0, 50)) lines.push(row([code(`sha256:${r.bundleDigest.slice(0, 12)}…`, { table: true }), code(r.code, { table: true }), text(r.message, { max: 300 })]));
  if (unique.length > 50) lines.push("", `… and ${unique.length - 50} more`);
  return lines;
}

function claimsSection(commits: readonly RenderCommit[], bodyClaims: readonly BodyMarkerClaim[]): string[] {
  const rows: string[] = [];
  let total = 0;
  for (const claim of bodyClaims) {
    total++;
    if (rows.length < 50) rows.push(row(["PR body", code(claim.kind, { table: true }), code(claim.raw, { table: true, max: 200 })]));
  }
  for (const c of commits) {
    for (const claim of c.claims ?? []) {
      total++;
      if (rows.length < 50) rows.push(row([shortSha(c.sha), code(claim.kind, { table: true }), code(claim.raw, { table: true, max: 200 })]));
    }
  }
  if (total === 0) return [];
  return [
    "### Unsigned claims",
    "",
    "Trailers and PR-body markers anyone can write: shown for context, never counted as proof.",
    "",
    "| commit | claim | as written |",
    "|---|---|---|",
    ...rows,
    ...(total > rows.length ? ["", `… and ${total - rows.length} more claims`] : []),
  ];
}

function rawDecision(d: Decision | undefined, budget: number): string[] {
  if (!d) return [];
  // Cut before escaping (the escaping reads every character it is given), and again after (escapes are longer).
  const raw = JSON.stringify(d, null, 2);
  // Invisible characters inside the JSON's strings are written as \uXXXX: a code block shows them, it does not.
  let json = visibleJson(raw.length > budget ? raw.slice(0, budget) : raw);
  if (raw.length > budget || json.length > budget) json = `${truncate(json, budget)}\n(truncated: the full decision is in the audit log, decision ${d.decisionId})`;
  const fence = codeFence(json);
  return ["<details><summary>Raw decision</summary>", "", `${fence}json`, json, fence, "", "</details>"];
}

/**
 * Joins sections in document order, choosing them by priority (lower first) while they fit the budget; a
 * section that does not fit is left out whole and counted, never cut mid-markup.
 */
function fit(sections: readonly { readonly lines: readonly string[]; readonly priority: number }[], budget: number): string {
  const order = sections.map((s, i) => ({ ...s, i, block: s.lines.join("\n") })).filter((s) => s.lines.length > 0);
  const chosen = new Set<number>();
  let used = 0;
  let dropped = 0;
  for (const s of [...order].sort((a, b) => a.priority - b.priority || a.i - b.i)) {
    if (used + s.block.length + 2 <= budget - 200) {
      chosen.add(s.i);
      used += s.block.length + 2;
    } else dropped++;
  }
  const out = order.filter((s) => chosen.has(s.i)).map((s) => s.block).join("\n\n");
  return dropped ? `${out}\n\n… ${plural(dropped, "section")} left out to stay within GitHub's size limit` : out;
}

// ---- annotations ---------------------------------------------------------------------------------------------

function annotations(hits: readonly ProtectedPathHit[]): Annotation[] {
  const seen = new Set<string>();
  const all: Annotation[] = [];
  for (const h of hits) {
    const key = `${h.path}\u0000${h.rule}`;
    if (!h.path || seen.has(key) || all.length >= MAX_ANNOTATIONS) continue;
    seen.add(key);
    all.push({
      path: h.path,
      start_line: 1,
      end_line: 1,
      annotation_level: h.level,
      title: truncate(`agent-gate: ${h.rule}`, 255),
      message: truncate(h.message, 4_000),
    });
  }
  return all;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Protected paths named by findings (`details.path` or `details.paths`), as annotation hits. */
export function protectedPathsFromDecision(d: Decision): ProtectedPathHit[] {
  const hits: ProtectedPathHit[] = [];
  const from = (f: Finding, level: "failure" | "warning"): void => {
    const details = f.details;
    if (typeof details !== "object" || details === null) return;
    const rec = details as Record<string, unknown>;
    const paths = [rec["path"], ...(Array.isArray(rec["paths"]) ? (rec["paths"] as unknown[]) : [])].filter((p): p is string => typeof p === "string" && p.length > 0);
    for (const path of paths) hits.push({ path, rule: f.rule, level, message: f.remediation ? `${f.msg}\n${f.remediation}` : f.msg });
  };
  for (const f of d.deny) from(f, "failure");
  for (const f of d.warn) from(f, "warning");
  return hits;
}

/** The check run for one evaluation. */
export function renderCheckRun(input: RenderInput): CheckRunOutput {
  const urlOf = input.tlogEntryUrl ?? publicRekorUrl;
  const summary = fit(
    [verdictLines(input), findingsTable(input.decision), [...agentLines(input.commits), ...signalsLine(input.detection)], commitTable(input.commits, urlOf), [footer(input)]].map(
      (lines, i) => ({ lines, priority: i === 0 || i === 4 ? 0 : i }),
    ),
    FIELD_BUDGET,
  );

  const byBundle = new Map<string, { s: CoveringStatement; covers: string[] }>();
  for (const c of input.commits) {
    for (const s of c.coverage.by) {
      const entry = byBundle.get(s.bundleDigest) ?? { s, covers: [] };
      entry.covers.push(c.sha);
      byBundle.set(s.bundleDigest, entry);
    }
  }
  const bundleSections = [...byBundle.values()].slice(0, MAX_BUNDLE_SECTIONS).map(({ s, covers }) => bundleSection(s, covers, urlOf));
  const moreBundles = byBundle.size > MAX_BUNDLE_SECTIONS ? [`… and ${byBundle.size - MAX_BUNDLE_SECTIONS} more verified bundles`] : [];
  const text = fit(
    [
      { lines: bundleSections.length ? ["### Verified provenance"] : [], priority: 3 },
      ...bundleSections.map((lines) => ({ lines, priority: 3 })),
      { lines: moreBundles, priority: 3 },
      { lines: rejectedSection(input.bundles ?? []), priority: 2 },
      { lines: claimsSection(input.commits, input.bodyClaims ?? []), priority: 4 },
      { lines: rawDecision(input.decision, 15_000), priority: 1 },
    ],
    FIELD_BUDGET,
  );

  const notes = annotations([...(input.protectedPaths ?? []), ...(input.decision ? protectedPathsFromDecision(input.decision) : [])]);
  return {
    conclusion: input.conclusion.conclusion,
    title: input.conclusion.title,
    summary,
    text,
    annotations: notes,
    annotationBatches: batches(notes, ANNOTATIONS_PER_REQUEST),
    actions: [REEVALUATE_BUTTON],
  };
}
