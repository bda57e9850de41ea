// The check run's text: the evidence for those who verify — each verified bundle, the provenance that does not
// count, unsigned claims, and the raw decision.
import type { BindingRejection, BundleBinding, CoveringStatement } from "../core/binding.js";
import type { Decision } from "../core/decision.js";
import type { BodyMarkerClaim } from "../core/trailers.js";
import { visibleJson } from "../core/visible.js";
import { code, codeFence, row, text, truncate } from "./markdown.js";
import type { RenderCommit } from "./check-run-types.js";
import { part, shortSha, tlogCell, type TlogUrl } from "./check-run-cells.js";

/** One verified bundle in full; `policy` says whether the policy counted it (absent: the decision does not say). */
export function bundleSection(s: CoveringStatement, covers: readonly string[], urlOf: TlogUrl, policy?: string): string[] {
  const lines = [`#### Bundle ${code(`sha256:${s.bundleDigest}`, { max: 80 })}`, ""];
  if (policy !== undefined) lines.push(`- **Policy** ${policy}`);
  lines.push(`- **Covers** ${covers.slice(0, 20).map((sha) => code(sha.slice(0, 12))).join(", ")}${covers.length > 20 ? ` and ${covers.length - 20} more` : ""}`);
  lines.push(`- **Signer** ${code(s.signer.identity ?? s.signer.keyHint ?? "key", { max: 500 })} (${s.signer.type})`);
  if (s.signer.issuer) lines.push(`- **Issuer** ${code(s.signer.issuer, { max: 300 })}`);
  // the TBS fingerprint names the certificate in a revocation list: its DER can be re-encoded under another fingerprint
  const tbs = s.signer.certificateTbsFingerprint;
  if (tbs) lines.push(`- **Certificate** ${code(`sha256:${tbs}`, { max: 80 })} (TBS, as a revocation list names it)${s.signer.certificateFingerprint ? ` · DER ${code(`sha256:${s.signer.certificateFingerprint}`, { max: 80 })}` : ""}`);
  else if (s.signer.certificateFingerprint) lines.push(`- **Certificate** ${code(`sha256:${s.signer.certificateFingerprint}`, { max: 80 })}`);
  if (s.signer.root) lines.push(`- **Trusted root** ${code(s.signer.root, { max: 80 })}`);
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

export function rejectedSection(bundles: readonly BundleBinding[]): string[] {
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

export function claimsSection(commits: readonly RenderCommit[], bodyClaims: readonly BodyMarkerClaim[]): string[] {
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

export function rawDecision(d: Decision | undefined, budget: number): string[] {
  if (!d) return [];
  // Cut before escaping (the escaping reads every character it is given), and again after (escapes are longer).
  const raw = JSON.stringify(d, null, 2);
  // Invisible characters inside the JSON's strings are written as \uXXXX: a code block shows them, it does not.
  let json = visibleJson(raw.length > budget ? raw.slice(0, budget) : raw);
  if (raw.length > budget || json.length > budget) json = `${truncate(json, budget)}\n(truncated: the full decision is in the audit log, decision ${d.decisionId})`;
  const fence = codeFence(json);
  return ["<details><summary>Raw decision</summary>", "", `${fence}json`, json, fence, "", "</details>"];
}
