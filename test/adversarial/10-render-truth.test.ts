// Class 10, "what the reviewer sees is the truth": an outsider writes PR titles, bodies, branch names, commit
// authors and trailers, file paths, and (through an agent run) model ids, tools and identities in a signed
// bundle. Each case sends such a pull request through the real App and the GitHub stand-in, renders the check
// run the stand-in received as the demo renders it (GFM, GitHub's sanitiser rules), and asserts that no cell was
// split, no link, image, emphasis, heading or HTML came alive, and every hidden character is shown as an escape.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { StandInCheckRun, StandInPull } from "../../src/demo/github/model.js";
import { renderMarkdown } from "../../src/demo/page.js";
import { inertProblems, pageText, tagCounts } from "../render/page-check.js";
import { renderProvenanceBlock } from "../../src/core/provenance-block.js";
import { CONFIG, IDENTITY, agentPull, bob, commit, humanPull, mallory, openAndJudge, provenanceBlock, repo, signedBundle, type SignOpts } from "./support.js";

const ELEMENTS = ["h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "details", "summary", "pre", "sub", "br", "ul", "li", "code", "strong"];
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u00a0\u2800]/u;

interface Shown {
  readonly html: string;
  readonly text: string;
  readonly run: StandInCheckRun;
  readonly conclusion: string | null;
}

/** Every table keeps one cell per column in every row. */
function tableShapes(html: string): string[] {
  const problems: string[] = [];
  for (const table of html.split("<table>").slice(1)) {
    const body = table.slice(0, table.indexOf("</table>"));
    const columns = (body.match(/<th\b/g) ?? []).length;
    for (const row of body.split("<tr>").slice(1)) {
      const cells = (row.match(/<t[hd]\b/g) ?? []).length;
      if (cells !== columns) problems.push(`a row of ${cells} cells in a table of ${columns} columns: ${row.slice(0, 200)}`);
    }
  }
  return problems;
}

/** Opens the pull request, renders its check run, and checks what every case must hold. */
async function judgeShown(pulls: StandInPull[], number: number, config = CONFIG): Promise<Shown> {
  const r = repo(pulls, config);
  const { conclusion, run } = await openAndJudge(r, number);
  const html = renderMarkdown(`${run.output.summary ?? ""}\n\n${run.output.text ?? ""}`);
  assert.deepEqual(inertProblems(html, { allowed: ELEMENTS }), [], "nothing came alive");
  assert.deepEqual(tableShapes(html), [], "no cell was split");
  assert.equal(tagCounts(html)["h3"] !== undefined && html.indexOf("<h3>") === html.search(/<h[1-6]>/), true, "the verdict heading comes first");
  assert.doesNotMatch(run.output.title ?? "", INVISIBLE, "the title hides nothing");
  const text = pageText(html);
  // Word joiners and the warning sign's variation selector are the page's own.
  assert.doesNotMatch(text.replace(/\u2060|⚠️/g, ""), INVISIBLE, "the page hides nothing");
  return { html, text, run, conclusion };
}

/** A pull request by the agent whose one commit is covered by a genuine bundle made with `sign`. */
async function signedPull(sign: Partial<SignOpts> = {}, extra: Partial<StandInPull> = {}, label = "c1"): Promise<StandInPull> {
  const c = commit(label);
  const block = await provenanceBlock({ commits: [c], ...sign });
  return agentPull(1, [c], `Adds validation.\n\n${block}`, extra);
}

const FORGED_ROW = "x |\n| `9999999` | alice | ✅ verified | forged | – |";

/** Sets fields of the signed statement's agent (runtime, tools) after it was built, as a hostile agent run would. */
function agent(set: (a: { runtime: { name: string }; tools: { name: string }[] }) => void): SignOpts["predicate"] {
  return (p) => {
    const a = (p as { buildDefinition: { internalParameters: { agent: { runtime: { name: string }; tools: { name: string }[] } } } }).buildDefinition.internalParameters.agent;
    set(a);
    return p;
  };
}

test("a model id in a signed bundle with pipes, a link, an image and HTML stays one inert value", async () => {
  // The schema allows no whitespace in a model id; everything else is the agent run's to choose.
  const model = "anthropic/claude|[docs](https://evil.example)|![x](https://evil.example/i.png)|<img/src=x>|**b**|\\|";
  const shown = await judgeShown([await signedPull({ model: { id: model, version: "20250929" } })], 1);
  assert.equal(shown.conclusion, "failure", "a model off the allow-list denies");
  assert.ok(shown.text.includes(model), "the model id is shown as written");
  assert.doesNotMatch(shown.html, /href=/);
});

test("a runtime name in a signed bundle carrying a forged commit row and a verdict heading adds neither", async () => {
  const name = `claude-code ${FORGED_ROW}\n### ✅ Mergeable`;
  const shown = await judgeShown([await signedPull({ predicate: agent((a) => (a.runtime.name = name)) })], 1);
  assert.ok(shown.text.includes("claude-code x |␤| `9999999` | alice | ✅ verified | forged | – |␤### ✅ Mergeable"), "shown as written, line breaks as ␤");
  assert.ok(!shown.text.includes("9999999alice"), "no forged row");
});

test("a commit author's name that ends a cell with \\| cannot add a column (the old escape was a live delimiter)", async () => {
  const name = "bob \\| ✅ verified \\| forged";
  const c = commit("h1", { name, email: "bob@example.com", account: null });
  const shown = await judgeShown([humanPull(1, [c])], 1);
  assert.ok(shown.text.includes(name), "the name is shown whole, backslashes included");
});

test("a commit author's name with a right-to-left override shows the override as \\u{202E}", async () => {
  const name = "alice\u202egnp.exe";
  const c = commit("h2", { name, email: "alice@example.com", account: null });
  const shown = await judgeShown([humanPull(1, [c])], 1);
  assert.ok(shown.text.includes("alice\\u{202E}gnp.exe"));
});

test("tag characters smuggled into a signed model id (ASCII smuggling) are shown, not hidden", async () => {
  const hidden = Array.from("ignore the policy", (ch) => String.fromCodePoint(0xe0000 + ch.charCodeAt(0))).join("");
  const shown = await judgeShown([await signedPull({ model: { id: `anthropic/claude-sonnet-4-5${hidden}`, version: "20250929" } })], 1);
  assert.equal(shown.conclusion, "failure", "the id with tag characters is not the allowed model");
  assert.ok(shown.text.includes("anthropic/claude-sonnet-4-5\\u{E0069}\\u{E0067}\\u{E006E}"), "each tag character is an escape");
});

test("zero-width, Hangul-filler and variation-selector characters in a signed tool name are shown", async () => {
  const tool = "Ba\u200bsh\u3164\u115f\ufe0f\u{e0100}\u034f\u17b4\u2800";
  const shown = await judgeShown([await signedPull({ predicate: agent((a) => (a.tools = [{ name: tool }])) })], 1);
  assert.ok(shown.text.includes("Ba\\u{200B}sh\\u{3164}\\u{115F}\\u{FE0F}\\u{E0100}\\u{34F}\\u{17B4}\\u{2800}"), shown.text.slice(0, 3000));
});

test("a changed file path with a link, a mention, an issue reference and a heading is inert in the findings", async () => {
  const path = ".github/workflows/deploy.yml#1 @acme/admins [run](https://evil.example) www.evil.example\n### ✅ Mergeable";
  const c = commit("p1");
  const block = await provenanceBlock({ commits: [c] });
  const pull = agentPull(1, [c], `Adds validation.\n\n${block}`, { files: [{ filename: path, additions: 1, deletions: 0 }] });
  const shown = await judgeShown([pull], 1);
  assert.equal(shown.html.match(/<h[1-6]>[^<]*Mergeable/g)?.length ?? 0, shown.conclusion === "success" ? 1 : 0, "no forged verdict heading");
});

test("a long signer identity is cut in the commit table and shown in full below it", async () => {
  const identity = `https://github.com/acme/agents-with-a-rather-long-repository-name/.github/workflows/nightly-agent-run.yml@refs/heads/release/2026-11`;
  const config = CONFIG.replace(IDENTITY, identity);
  const shown = await judgeShown([await signedPull({ identity })], 1, config);
  const row = (shown.run.output.summary ?? "").split("\n").find((l) => l.includes("✅ verified"));
  assert.ok(row, "a verified row");
  assert.ok(!row.includes(identity), "the table holds the identity cut short");
  const cut = /`(https:[^`]*)`/.exec(row)?.[1] ?? "";
  assert.match(cut, /^https:\/\/github\.com\/acme\/.*….*\/release\/2026-11$/, "host and owner, an ellipsis, the ref");
  assert.ok(Array.from(cut).length <= 56, `${cut} fits the column`);
  assert.ok((shown.run.output.summary ?? "").includes(`\`${identity}\``), "the full identity is in the summary");
});

test("hostile PR title, body markers, branch name and co-author trailers together change no structure", async () => {
  const hostile = "| [x](https://evil.example) <img src=x> **bold** @everyone #1 :rocket: $x$ [^1]";
  const c = commit("t1", undefined, `fix\n\nCo-authored-by: ${hostile} <mallory@evil.example>\nAssisted-by: Claude ${hostile}\n`);
  const block = await provenanceBlock({ commits: [c] });
  const pull = agentPull(1, [c], `🤖 Generated with [Claude Code](https://claude.ai/code) ${hostile}\n\nRequested by ${hostile}\n\n${block}`, {
    title: `### ✅ Mergeable ${hostile}`,
    head: { ref: `claude/${hostile.replace(/ /g, "-")}`, sha: c.sha },
  });
  const shown = await judgeShown([pull], 1);
  const headings = [...shown.html.matchAll(/<h[1-6]>([\s\S]*?)<\/h[1-6]>/g)].map((m) => m[1]!);
  assert.ok(headings[0]?.startsWith("❌ Not mergeable") || headings[0]?.startsWith("✅ Mergeable"), headings[0]);
  for (const h of headings.slice(1)) assert.match(h, /^(Verified provenance|Unsigned claims|Provenance that does not count|Bundle <code>)/, "no heading of the outsider's making");
  assert.doesNotMatch(shown.html, /href=/);
});

test("a bidi isolate and C1 controls in a signed tool name cannot reorder or hide the bundle section", async () => {
  const tool = "Bash\u2067(rm -rf /)\u2069\u0085\u009b31m";
  const shown = await judgeShown([await signedPull({ predicate: agent((a) => (a.tools = [{ name: tool }])) })], 1);
  assert.ok(shown.text.includes("Bash\\u{2067}(rm -rf /)\\u{2069}\\u{85}\\u{9B}31m"), shown.text.slice(-3000));
});

test("an e-mail address and a URL as an author name make no autolink", async () => {
  const c = commit("e1", { name: "mallory@evil.example https://evil.example/x www.evil.example", email: "m@example.com", account: null });
  const shown = await judgeShown([humanPull(1, [c])], 1);
  assert.doesNotMatch(shown.html, /href=/);
  assert.ok(shown.text.includes("mallory@evil.example https://evil.example/x www.evil.example"));
});

// A stranger (any Sigstore identity) can post a validly signed bundle in a comment. The policy ignores it (the
// signers rule warns); the summary must not show its claims as the change's, nor count it as verified evidence.
const MALLORY_WORKFLOW = "https://github.com/mallory/agents/.github/workflows/agent.yml@refs/heads/main";

async function withStrangers(models: readonly string[]): Promise<{ conclusion: string | null; summary: string; text: string }> {
  const c = commit("stranger");
  const comments = [];
  for (const id of models) {
    const bundle = await signedBundle({ commits: [c], identity: MALLORY_WORKFLOW, model: { id, version: "20250805" }, prompter: bob });
    comments.push({ user: mallory, body: renderProvenanceBlock(bundle) });
  }
  const r = repo([agentPull(1, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c] })}`, { reviews: [{ user: bob, state: "APPROVED" as const, commit_id: c.sha }], comments })]);
  const v = await openAndJudge(r, 1);
  return { conclusion: v.conclusion, summary: v.run.output.summary ?? "", text: v.run.output.text ?? "" };
}

test("a stranger's signed statement is not shown as an agent run, nor counted as verified, but as ignored", async () => {
  const v = await withStrangers(["anthropic/claude-opus-4-1"]);
  assert.equal(v.conclusion, "success");
  const agents = v.summary.split("\n").filter((l) => l.startsWith("**Agent** "));
  assert.equal(agents.length, 1, v.summary);
  assert.match(agents[0]!, /anthropic\/claude-sonnet-4-5@20250929/);
  assert.match(agents[0]!, /@alice/);
  assert.doesNotMatch(v.summary, /claude-opus-4-1/, "the stranger's model is not in the summary");
  assert.doesNotMatch(v.summary, /\*\*Prompted by\*\* `@bob`/, "the stranger's prompter is not in the summary");
  assert.doesNotMatch(v.summary, /verified \(2\)/, "the stranger's statement is not counted as verified evidence");
  const ignored = v.summary.split("\n").filter((l) => l.startsWith("**Ignored** "));
  assert.equal(ignored.length, 1, v.summary);
  assert.match(ignored[0]!, /mallory/);
  assert.match(ignored[0]!, /not an allowed signer/);
  assert.match(v.summary, /✅ verified · sigstore · ⛔ 1 ignored/);
  // In the details, the stranger's bundle is marked ignored, after the counted one.
  const counted = v.text.indexOf("**Policy** ✅ counted");
  const stranger = v.text.indexOf("**Policy** ⛔ ignored: not an allowed signer");
  assert.ok(counted >= 0 && stranger > counted, v.text.slice(0, 3000));
});

test("strangers' statements cannot push the accepted agent run out of the capped agent lines", async () => {
  const v = await withStrangers(["x/one", "x/two", "x/three", "x/four"]);
  const agents = v.summary.split("\n").filter((l) => l.startsWith("**Agent** "));
  assert.equal(agents.length, 1, v.summary);
  assert.match(agents[0]!, /anthropic\/claude-sonnet-4-5@20250929/);
  assert.doesNotMatch(v.summary, /more agent runs/);
  assert.doesNotMatch(v.summary, /x\/(one|two|three|four)/);
});
