import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { CommitCoverage, CoveringStatement } from "../../src/core/binding.js";
import { conclude } from "../../src/core/conclusion.js";
import type { Decision } from "../../src/core/decision.js";
import { AgentGateError } from "../../src/core/errors.js";
import { FIELD_LIMIT, REEVALUATE_BUTTON, renderCheckRun } from "../../src/render/check-run.js";
import type { RenderCommit } from "../../src/render/check-run.js";
import { matchSnapshot } from "./snapshot.js";
import { richDecision, richInput } from "./scenario.js";

/** The cells of a GFM table row: split on pipes that are not escaped as `\|`, outer pipes dropped. */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "").split(/(?<!\\)\|/);
}

/** The line with every code span (CommonMark backtick-run matching) replaced by a placeholder. */
function withoutCodeSpans(line: string): string {
  let out = "";
  let i = 0;
  while (i < line.length) {
    if (line[i] !== "`") {
      out += line[i];
      i++;
      continue;
    }
    const run = /^`+/.exec(line.slice(i))?.[0] ?? "`";
    let j = i + run.length;
    let close = -1;
    while (j < line.length) {
      const next = /`+/g;
      next.lastIndex = j;
      const m = next.exec(line);
      if (!m) break;
      if (m[0].length === run.length) {
        close = m.index;
        break;
      }
      j = m.index + m[0].length;
    }
    if (close < 0) {
      out += run;
      i += run.length;
    } else {
      out += "CODE";
      i = close + run.length;
    }
  }
  return out;
}

function covering(over: Partial<CoveringStatement> = {}): CoveringStatement {
  return {
    bundleDigest: "ab".repeat(32),
    matchedBy: "gitCommit",
    subjectName: "git+https://github.com/acme/app@refs/heads/main",
    signer: { type: "certificate", identity: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com", extensions: {} },
    tlog: [{ logId: "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d", logIndex: "42", integratedTime: "2026-11-26T06:12:03Z", kind: "dsse", kindVersion: "0.0.1", rekorVersion: 1 }],
    timestamps: [],
    format: "agent-gate/v1",
    runtime: { name: "claude-code", version: "2.1.0" },
    model: { id: "anthropic/claude-sonnet-4-5", version: "20250929" },
    tools: [],
    mcpServers: [],
    prompt: { sha256: "9f".repeat(32), textIncluded: false, secrets: [] },
    delegation: { principal: { login: "alice", id: 1 }, trigger: { event: "issue_comment" } },
    invocation: { builderId: "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main" },
    subjects: [],
    ...over,
  };
}

const sha = (i: number): string => i.toString(16).padStart(40, "0");
const allow: Decision = { ...richDecision(), allow: true, deny: [], warn: [] };

function agentCommit(i: number, covered: boolean, statement: CoveringStatement = covering()): RenderCommit {
  const coverage: CommitCoverage = { sha: sha(i), covered, by: covered ? [statement] : [], rejected: [] };
  return { sha: sha(i), author: { login: "claude[bot]", name: "claude[bot]" }, isAgent: true, agent: "claude-code", coverage };
}

describe("renderCheckRun", () => {
  test("the rich scenario renders as the stored snapshot (UPDATE_SNAPSHOTS=1 rewrites it)", () => {
    const out = renderCheckRun(richInput());
    matchSnapshot("rich-scenario.md", `# title\n\n${out.title}\n\n# summary\n\n${out.summary}\n\n# text\n\n${out.text}\n`);
    assert.equal(out.conclusion, "failure");
  });

  test("verdict and reasons come first, evidence after, policy and decision id last", () => {
    const { summary } = renderCheckRun(richInput());
    const at = (s: string) => summary.indexOf(s);
    assert.ok(summary.startsWith("### ❌ Not mergeable: 2 rules deny, 1 rule warns"));
    assert.ok(at("`protected-paths`") < at("**Agent**"));
    assert.ok(at("**Agent**") < at("| commit | author |"));
    assert.ok(at("| commit | author |") < at("decision `01JDX3KQ7N0ZC4Y8W5T2M6R9PA`"));
    assert.match(summary, /\*\*Prompt\*\* `sha256:de771f48…` \(text withheld\)/);
    assert.match(summary, /Rekor \[&#35;123456789\]\(https:\/\/search\.sigstore\.dev\/\?logIndex=123456789\) · 2026-11-26 06:12 UTC/);
  });

  test("an allowed change is success with a plain verdict", () => {
    const out = renderCheckRun({ ...richInput(allow), conclusion: conclude({ kind: "decision", decision: allow }) });
    assert.equal(out.conclusion, "success");
    assert.ok(out.summary.startsWith("### ✅ Mergeable\n"));
    assert.doesNotMatch(out.summary, /\| rule \| why \|/);
  });

  test("warnings only: success, with the warnings listed", () => {
    const d = { ...richDecision(), allow: true, deny: [] };
    const out = renderCheckRun({ ...richInput(d), conclusion: conclude({ kind: "decision", decision: d }) });
    assert.equal(out.conclusion, "success");
    assert.ok(out.summary.startsWith("### ✅ Mergeable, with 1 warning"));
    assert.match(out.summary, /\| ⚠️ \| `model-governance` \|/);
  });

  test("an evaluation error is failure, says why, and shows no decision", () => {
    const conclusion = conclude({ kind: "error", error: new AgentGateError("POLICY_TIMEOUT", "policy evaluation exceeded 2000 ms", "transient") });
    const out = renderCheckRun({ conclusion, commits: [] });
    assert.equal(out.conclusion, "failure");
    assert.match(out.summary, /^### ❌ Could not be evaluated: policy evaluation exceeded 2000 ms \(retrying\)/);
    assert.match(out.summary, /error `POLICY_TIMEOUT`/);
    assert.doesNotMatch(out.text, /Raw decision/);
  });

  test("a missing commit shows the rejection code of the provenance that was offered", () => {
    const c = agentCommit(1, false);
    const rejected = { ...c, coverage: { ...c.coverage, rejected: [{ bundleDigest: "cd".repeat(32), code: "SUBJECT_OTHER_COMMIT" as const, message: "provenance names 9c8d7e6" }] } };
    const { summary } = renderCheckRun({ ...richInput(), commits: [rejected] });
    assert.match(summary, /\| `0000000` \| `claude\[bot\]` \(agent `claude-code`\) \| ❌ none \(`SUBJECT_OTHER_COMMIT`\) \| – \| – \|/);
  });

  test("rejected provenance is listed in the text with its code, its message inert", () => {
    const bundles = [{ bundleDigest: "cd".repeat(32), covers: [], rejected: [{ bundleDigest: "cd".repeat(32), code: "SUBJECT_NAME_INVALID" as const, message: 'subject "[x](https://evil.example) | @bob" names commit 0000001' }] }];
    const { text } = renderCheckRun({ ...richInput(), bundles });
    const line = text.split("\n").find((l) => l.includes("SUBJECT_NAME_INVALID"));
    assert.ok(line);
    assert.equal(cells(line).length, 3);
    assert.doesNotMatch(withoutCodeSpans(line), /\]\(|@bob/);
  });

  test("300 verified commits: the first rows and a count, well within the limit", () => {
    const commits = Array.from({ length: 300 }, (_, i) => agentCommit(i, true));
    const { summary, text } = renderCheckRun({ ...richInput(allow), conclusion: conclude({ kind: "decision", decision: allow }), commits });
    const rows = summary.split("\n").filter((l) => l.startsWith("| `"));
    assert.equal(rows.length, 20);
    assert.match(summary, /… and 280 more verified commits/);
    assert.ok(summary.length < 20_000, `summary is ${summary.length} characters`);
    assert.ok(text.length < FIELD_LIMIT);
  });

  test("commits lacking provenance are listed first, and the rest counted by kind", () => {
    const commits = [...Array.from({ length: 250 }, (_, i) => agentCommit(i, true)), ...Array.from({ length: 50 }, (_, i) => agentCommit(1000 + i, false))];
    const { summary } = renderCheckRun({ ...richInput(), commits });
    const rows = summary.split("\n").filter((l) => l.startsWith("| `"));
    assert.equal(rows.length, 50);
    assert.ok(rows.every((r) => r.includes("❌ none")));
    assert.match(summary, /… and 250 more verified commits/);
  });

  test("300 commits and 300 bundles with maximal hostile values stay under 65,535 characters per field", () => {
    const hostile = "|`<@x>`|".repeat(200);
    const commits = Array.from({ length: 300 }, (_, i) =>
      agentCommit(i, i % 2 === 0, covering({ bundleDigest: sha(i).padEnd(64, "0"), model: { id: hostile, version: hostile }, runtime: { name: hostile, version: hostile }, tools: Array(50).fill(hostile) as string[], signer: { type: "certificate", identity: hostile, issuer: hostile, extensions: Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`${hostile}${k}`, hostile])) } })),
    );
    const deny = Array.from({ length: 300 }, (_, i) => ({ rule: `${hostile}${i}`, msg: hostile, remediation: hostile }));
    const decision = { ...richDecision(), deny };
    const out = renderCheckRun({ ...richInput(decision), commits, conclusion: conclude({ kind: "decision", decision }) });
    assert.ok(out.summary.length < FIELD_LIMIT, `summary ${out.summary.length}`);
    assert.ok(out.text.length < FIELD_LIMIT, `text ${out.text.length}`);
    assert.match(out.summary, /… and \d+ more findings/);
    assert.ok(out.title.length <= 120);
  });

  test("annotations for protected paths come in batches of at most 50", () => {
    const protectedPaths = Array.from({ length: 120 }, (_, i) => ({ path: `.github/workflows/w${i}.yml`, rule: "protected-paths", level: "failure" as const, message: "changed by an agent" }));
    const out = renderCheckRun({ ...richInput(), protectedPaths });
    assert.deepEqual(out.annotationBatches.map((b) => b.length), [50, 50, 21]);
    const first = out.annotationBatches[0]![0]!;
    assert.deepEqual(first, { path: ".github/workflows/w0.yml", start_line: 1, end_line: 1, annotation_level: "failure", title: "agent-gate: protected-paths", message: "changed by an agent" });
  });

  test("annotations are also given flat, deduplicated, capped, and taken from findings' details", () => {
    const out = renderCheckRun(richInput());
    assert.deepEqual(out.annotations.map((a) => [a.path, a.annotation_level]), [[".github/workflows/deploy.yml", "failure"]]);
    const many = Array.from({ length: 700 }, (_, i) => ({ path: `p${i % 600}`, rule: "r", level: "warning" as const, message: "m" }));
    const capped = renderCheckRun({ ...richInput(), protectedPaths: many });
    assert.equal(capped.annotations.length, 500);
    assert.equal(capped.annotationBatches.length, 10);
  });

  test("an RFC 3161 timestamp shows next to a Rekor v2 entry that has no integrated time", () => {
    const c = agentCommit(1, true, covering({ tlog: [{ logId: "ee".repeat(32), logIndex: "9", kind: "dsse", kindVersion: "0.0.2", rekorVersion: 2 }], timestamps: [{ source: "rfc3161", time: "2026-11-26T06:13:09.123Z" }] }));
    const { summary } = renderCheckRun({ ...richInput(), commits: [c] });
    assert.match(summary, /\| Rekor v2 &#35;\u20609 · TSA 2026-11-26 06:13 UTC \|$/m);
  });

  test("a Re-evaluate button within GitHub's limits", () => {
    assert.deepEqual(renderCheckRun(richInput()).actions, [REEVALUATE_BUTTON]);
    assert.ok(REEVALUATE_BUTTON.label.length <= 20 && REEVALUATE_BUTTON.identifier.length <= 20 && REEVALUATE_BUTTON.description.length <= 40);
  });

  test("a log entry outside the public Rekor gets no link", () => {
    const c = agentCommit(1, true, covering({ tlog: [{ logId: "ff".repeat(32), logIndex: "7", kind: "dsse", kindVersion: "0.0.1", rekorVersion: 2 }] }));
    const { summary } = renderCheckRun({ ...richInput(), commits: [c] });
    assert.match(summary, /\| Rekor v2 &#35;\u20607 \|$/m);
  });
});

describe("hostile values render inert", () => {
  const forge = "x |\n| `9999999` | mallory | ✅ verified | forged | – |\n### ✅ Mergeable\n[click](https://evil.example) <img src=x onerror=alert(1)> @everyone :rocket: ![i](https://evil.example/i.png)";

  test("a forged row, verdict line and link in every user-controlled field change nothing", () => {
    const c = agentCommit(1, true, covering({ model: { id: forge, version: forge }, runtime: { name: forge, version: forge }, delegation: { principal: { login: forge, id: 1 }, trigger: { event: forge } }, signer: { type: "certificate", identity: forge, issuer: forge, extensions: { [forge]: forge } } }));
    const human: RenderCommit = { sha: sha(2), author: { login: forge, name: forge }, isAgent: false, coverage: { sha: sha(2), covered: false, by: [], rejected: [] } };
    const decision = { ...richDecision(), deny: [{ rule: forge, msg: forge, remediation: forge }], policy: { revision: forge, digest: forge }, decisionId: forge };
    const out = renderCheckRun({ ...richInput(decision), commits: [c, human], tlogEntryUrl: () => undefined, conclusion: conclude({ kind: "decision", decision }) });
    const lines = out.summary.split("\n");
    assert.equal(lines.filter((l) => l.startsWith("#")).length, 1, "one verdict heading");
    assert.ok(lines[0]!.startsWith("### ❌ Not mergeable"));
    const tableLines = lines.filter((l) => l.startsWith("|"));
    assert.deepEqual(tableLines.map((l) => cells(l).length), [4, 4, 4, 4, 5, 5, 5, 5]);
    // Fenced code blocks (the raw decision) are inert by construction: their fence is longer than any run inside.
    const textOutsideFences = out.text.replace(/^(`{3,})json\n[^]*?\n\1$/m, "FENCED");
    assert.ok(!textOutsideFences.includes('"rule"'), "the raw decision sits in a fenced block");
    for (const line of [...lines, ...textOutsideFences.split("\n")]) {
      const bare = withoutCodeSpans(line);
      assert.doesNotMatch(bare, /\]\(|<img|@everyone|:rocket:|https?:\/\/evil/, line);
    }
    assert.ok(!out.title.includes("\n"));
  });

  test("property: arbitrary strings in every field never add a table cell, a heading or markup", () => {
    const arb = fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), fc.constantFrom(forge, "`", "``|``", "\\|", "\\", "a\\", "<b>", "@x", "|", "\n"));
    fc.assert(
      fc.property(arb, arb, arb, arb, arb, (login, model, identity, msg, rule) => {
        const c = agentCommit(1, true, covering({ model: { id: model, version: model }, signer: { type: "certificate", identity, issuer: identity, extensions: { k: identity } } }));
        const human: RenderCommit = { sha: sha(2), author: { login, name: login }, isAgent: false, coverage: { sha: sha(2), covered: false, by: [], rejected: [] } };
        const decision = { ...richDecision(), deny: [{ rule: rule || "r", msg: msg || "m", remediation: msg }] };
        const out = renderCheckRun({ ...richInput(decision), commits: [c, human], tlogEntryUrl: () => undefined, conclusion: conclude({ kind: "decision", decision }) });
        const lines = out.summary.split("\n");
        assert.equal(lines.filter((l) => l.startsWith("#")).length, 1);
        assert.deepEqual(lines.filter((l) => l.startsWith("|")).map((l) => cells(l).length), [4, 4, 4, 4, 5, 5, 5, 5]);
        for (const line of lines) assert.doesNotMatch(withoutCodeSpans(line), /\]\(|<(?!\/?(?:sub|code)>)|@\w/, line);
        return true;
      }),
      { numRuns: 500 },
    );
  });
});
