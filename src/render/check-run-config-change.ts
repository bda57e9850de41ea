// The "Config change" section (issue 18 item 2): a pull request that changes a config file is told whether the new
// files are valid (the first problems; every problem is also an annotation at its file, line and column) and which
// recorded verdicts of this repository the change would flip (pull request, old -> new conclusion, the rules); other
// repositories only as counts (the report carries nothing more of them). Information only: the verdict above is the
// default branch's config's; require_valid_config_changes makes invalid files a finding.
import type { ConfigChangeReport, ConfigProblem } from "../core/config-change.js";
import type { Decision } from "../core/decision.js";
import { plural } from "./check-run-cells.js";
import { code, link, row, text, truncate } from "./markdown.js";
import type { Annotation } from "./check-run-types.js";

/** Rows of the impact table at most; the rest are counted. */
export const MAX_IMPACT_ROWS = 10;
const MAX_PROBLEM_LINES = 5;

const icon = (c: "success" | "failure"): string => (c === "success" ? "✅ success" : "❌ failure");
const pullUrl = (repository: string, n: number): string => `https://github.com/${repository}/pull/${n}`;

function where(p: ConfigProblem): string {
  return p.line === undefined ? code(p.file) : `${code(p.file)} line ${p.line}, column ${p.column ?? 1}`;
}

export function configChangeLines(r: ConfigChangeReport | undefined): string[] {
  if (!r) return [];
  const lines = ["### Config change", "", `This pull request changes ${r.files.map((f) => code(f)).join(", ")}. It is judged by the default branch's config; what follows is what the new config would do.`, ""];
  if (r.valid) lines.push("✅ The new config is valid.");
  else {
    lines.push(`❌ The new config is invalid (${plural(r.problems.length, "problem")}; each is an annotation on its line):`);
    for (const p of r.problems.slice(0, MAX_PROBLEM_LINES)) lines.push(`- ${where(p)}: ${text(p.message, { max: 300 })}`);
    if (r.problems.length > MAX_PROBLEM_LINES) lines.push(`- … and ${r.problems.length - MAX_PROBLEM_LINES} more`);
  }
  lines.push("");
  if (r.notRun) lines.push(`Impact analysis not run: ${text(r.notRun, { max: 400 })}.`);
  const own = r.impact;
  if (own && own.changed.length === 0) lines.push(`Impact: no verdict would change among ${plural(own.replayed, "recorded decision")} of ${code(own.repository)}.`);
  else if (own) {
    lines.push(`Impact: ${plural(own.changed.length, "verdict")} would change among ${plural(own.replayed, "recorded decision")} of ${code(own.repository)}:`, "", "| pull request | head | was | would be | rules |", "|---|---|---|---|---|");
    for (const c of own.changed.slice(0, MAX_IMPACT_ROWS)) {
      const pr = c.pull_request === null ? "–" : link(`${own.repository}#${c.pull_request}`, pullUrl(own.repository, c.pull_request));
      lines.push(row([pr, code(c.head_sha.slice(0, 7), { table: true }), icon(c.old), icon(c.new), c.rules.length ? c.rules.map((x) => code(x, { table: true, max: 60 })).join(" ") : "–"]));
    }
    if (own.changed.length > MAX_IMPACT_ROWS) lines.push("", `+${own.changed.length - MAX_IMPACT_ROWS} more (agent-gate config impact FILE --repo OWNER/REPO lists them all)`);
  }
  const o = r.others;
  if (o && o.analysed > 0) {
    const repos = o.analysed === 1 ? "1 other repository" : `${o.analysed} other repositories`;
    if (o.changed === 0) lines.push("", `Other repositories: no verdict would change among ${plural(o.replayed, "recorded decision")} of ${repos} that read the changed files.`);
    else lines.push("", `Other repositories: ${plural(o.changed, "verdict")} in ${o.changedIn} of ${repos} that read the changed files would change (among ${plural(o.replayed, "recorded decision")}). They are not named here; run \`agent-gate config impact\` with access to them to see them.`);
  }
  if (!r.notRun && r.valid && !own && !(o && o.analysed > 0) && !r.incomplete) lines.push("Impact: no recorded decision to replay (no repository's recorded decisions read the changed files).");
  const skipped = (own?.skipped ?? 0) + (o?.skipped ?? 0);
  if (skipped > 0) lines.push("", `${plural(skipped, "recorded decision")} could not be replayed (no decision was made, or its policy bundle is not stored).`);
  if (r.incomplete) lines.push("", `⚠️ impact analysis incomplete: ${text(r.incomplete, { max: 500 })}`);
  return lines;
}

/** Each problem of the new files at its line and column: a failure when the policy refused them, else a warning. */
export function configChangeAnnotations(r: ConfigChangeReport | undefined, decision: Decision | undefined): Annotation[] {
  if (!r || r.valid) return [];
  const refused = (decision?.deny ?? []).some((f) => f.rule === "config-changes");
  return r.problems.map((p) => ({
    path: p.file,
    start_line: p.line ?? 1,
    end_line: p.line ?? 1,
    ...(p.column !== undefined ? { start_column: p.column, end_column: p.column } : {}),
    annotation_level: refused ? "failure" : "warning",
    title: "agent-gate: invalid config",
    message: truncate(p.message, 4_000),
  }));
}
