// Issue 13 class 10, what the reviewer sees: rendering a check run whose every outside value is hostile and huge
// (a megabyte of invisible characters, pipes and markup per field, 300 commits). visible() stops reading a value
// at its bound, so the cost follows the rows shown, not the bytes an outsider sent. Bound: both fields within
// GitHub's 65,535 characters, in under a second.
import type { CommitCoverage, CoveringStatement } from "../../src/core/binding.js";
import { conclude } from "../../src/core/conclusion.js";
import type { Decision } from "../../src/core/decision.js";
import { FIELD_LIMIT, renderCheckRun, type RenderCommit } from "../../src/render/check-run.js";
import type { HostileRow } from "../hostile.js";

const CLASS = "13.10 render truth";
const rss = (): number => process.resourceUsage().maxRSS / 1024;

function statement(v: string): CoveringStatement {
  return {
    bundleDigest: "ab".repeat(32),
    matchedBy: "gitCommit",
    subjectName: v,
    signer: { type: "certificate", identity: v, issuer: v, extensions: { [v.slice(0, 1000)]: v } },
    tlog: [],
    timestamps: [],
    format: "agent-gate/v1",
    runtime: { name: v, version: v },
    model: { id: v, version: v },
    tools: [v, v],
    mcpServers: [],
    delegation: { principal: { login: v, id: 1 }, trigger: { event: v } },
    invocation: { builderId: v },
    subjects: [],
  };
}

function row(label: string, unit: string, bytes: number): HostileRow {
  const v = unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
  const decision: Decision = { allow: false, deny: [{ rule: v, msg: v, remediation: v }], warn: [], policy: { revision: v, digest: v }, entrypoint: "e", decisionId: "d" };
  const commits: RenderCommit[] = Array.from({ length: 300 }, (_, i) => {
    const sha = i.toString(16).padStart(40, "0");
    const coverage: CommitCoverage = { sha, covered: i % 2 === 0, by: i % 2 === 0 ? [statement(v)] : [], rejected: [] };
    return { sha, author: { login: v, name: v }, isAgent: true, agent: v, coverage };
  });
  const t = performance.now();
  const out = renderCheckRun({ conclusion: conclude({ kind: "decision", decision }), decision, commits, tlogEntryUrl: () => undefined });
  const seconds = (performance.now() - t) / 1000;
  const within = out.summary.length < FIELD_LIMIT && out.text.length < FIELD_LIMIT;
  return {
    class: CLASS,
    input: `${label} in every field, 300 commits`,
    size: `${(bytes / 1024 / 1024).toFixed(1)} MB per field`,
    seconds,
    peakRssMb: rss(),
    outcome: `summary ${out.summary.length}, text ${out.text.length} characters`,
    bound: "< 65,535 per field, < 1 s",
    met: within && seconds < 1,
  };
}

export function rows(): Promise<HostileRow[]> {
  return Promise.resolve([row("tag characters and bidi controls", "\u{e0041}\u202e\u200b", 1 << 20), row("pipes, backslashes and markup", "\\|[x](https://evil.example)**|`", 1 << 20)]);
}
