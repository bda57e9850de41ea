// The check run's summary, top to bottom: the verdict and what to do first, the findings, who wrote the change
// (agent runs and detection signals), and the footer naming the policy and decision.
import type { CoveringStatement } from "../core/binding.js";
import type { Decision, Finding } from "../core/decision.js";
import type { AgentDetection } from "../core/agents.js";
import { code, row, text } from "./markdown.js";
import { MAX_FINDING_ROWS, type RenderCommit, type RenderInput } from "./check-run-types.js";
import { part, plural, shortDigest } from "./check-run-cells.js";
import { heldVerdict } from "./check-run-would-block.js";
import { pendingChecks } from "../core/conclusion.js";
import { ignoredReason, judgedEvidence, signerName, type Judged } from "./judged-evidence.js";

const FINDINGS_BUDGET = 30_000; // escaped prose can be several times its source length

// ---- verdict and findings ------------------------------------------------------------------------------------

export function verdictLines(input: RenderInput): string[] {
  const e = input.error;
  if (!e || input.decision) return [verdict(input)];
  const todo = e.code === "HEAD_MOVED"
    ? "nothing: this commit is no longer the pull request's head, and the new head gets a check of its own"
    : e.code.startsWith("CONFIG_")
    ? "fix .github/agent-gate.yml on the default branch (a pull request cannot change the config it is judged by), then press Re-evaluate"
    : e.code === "ORG_REPO_UNCONFIRMED" && !e.transient
    ? "an owner of the organisation installs agent-gate on its .github repository (or on all its repositories), or whoever runs agent-gate declares that it has none (AGENT_GATE_OWNERS_WITHOUT_ORG_REPO); then press Re-evaluate"
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
    const waiting = pendingChecks(d.deny);
    if (waiting) return `### ⏳ Not mergeable yet: waiting for required checks ${waiting.map((n) => code(n, { max: 100 })).join(", ")}`;
    const warns = d.warn.length ? `, ${plural(d.warn.length, "rule warns", "rules warn")}` : "";
    return `### ❌ Not mergeable: ${plural(d.deny.length, "rule denies", "rules deny")}${warns}`;
  }
  const held = heldVerdict(d);
  if (held) return held;
  if (d.warn.length) return `### ✅ Mergeable, with ${plural(d.warn.length, "warning")}`;
  return "### ✅ Mergeable";
}

export function findingsTable(d: Decision | undefined): string[] {
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

/**
 * Who wrote the change, from the statements the policy counted only, at most three; then, apart, the verified
 * statements it ignored (a signer the repository does not allow: anyone can post a signed bundle), which never
 * take an accepted statement's place and whose claims (model, prompter) are not repeated here.
 */
export function agentLines(commits: readonly RenderCommit[], judged: Judged = judgedEvidence(undefined)): string[] {
  const seen = new Set<string>();
  const ignored = new Set<string>();
  for (const c of commits) {
    const j = judged.of(c);
    for (const s of j.accepted) seen.add(agentLine(s));
    for (const { s, reason } of j.ignored) {
      ignored.add(`**Ignored** a statement signed by ${code(signerName(s), { max: 200 })}, ${ignoredReason(reason)} (its claims are not shown)`);
    }
  }
  const lines = [...seen];
  const shown = lines.slice(0, 3);
  if (lines.length > 3) shown.push(`… and ${lines.length - 3} more agent runs (see details below)`);
  if (!judged.reported && lines.length > 0) shown.push("<sub>the policy does not report which of these statements it counted: each verified, whoever signed it</sub>");
  const strangers = [...ignored];
  shown.push(...strangers.slice(0, 3));
  if (strangers.length > 3) shown.push(`… and ${strangers.length - 3} more ignored signers (see details below)`);
  return shown.map((l) => `${l}  `);
}

export function signalsLine(d: AgentDetection | undefined): string[] {
  if (!d || d.reasons.length === 0) return [];
  const shown = d.reasons.slice(0, 4).map((r) => code(`${r.signal}: ${part(r.detail)}`, { max: 120 }));
  const more = d.reasons.length > 4 ? ` and ${d.reasons.length - 4} more` : "";
  const label = d.isAgent ? "**Agent work by** " : "**Not agent work** ";
  return [`${label}${shown.join(" · ")}${more} <sub>(signals, not proof)</sub>`];
}

export function footer(input: RenderInput): string {
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
