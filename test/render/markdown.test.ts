import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { visible } from "../../src/core/visible.js";
import { clean, code, codeFence, link, row, text } from "../../src/render/markdown.js";
import { checkRunPage, renderMarkdown } from "../../src/demo/page.js";
import { conclude } from "../../src/core/conclusion.js";
import type { RenderCommit, RenderInput } from "../../src/render/check-run.js";
import { renderCheckRun } from "../../src/render/check-run.js";
import { inertProblems, pageText, tagCounts } from "./page-check.js";
import { richDecision, richInput } from "./scenario.js";

/** Reads a code span back as CommonMark would: strip the fence and one padding space each side. */
function readCodeSpan(span: string): string {
  const fence = /^`+/.exec(span)?.[0] ?? "";
  assert.ok(fence.length > 0, `not a code span: ${span}`);
  assert.ok(span.endsWith(fence) && span.length >= fence.length * 2, `unbalanced fence: ${span}`);
  let inner = span.slice(fence.length, span.length - fence.length);
  // No backtick run of the fence's length inside: the span cannot be closed early.
  for (const run of inner.match(/`+/g) ?? []) assert.notEqual(run.length, fence.length, `inner run closes the span: ${span}`);
  if (inner.startsWith(" ") && inner.endsWith(" ") && !/^ +$/.test(inner)) inner = inner.slice(1, -1);
  return inner;
}

function decodeEntities(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

// Strings an attacker would try first, mixed into fast-check's own.
const hostile = fc.constantFrom(
  "|",
  "\\|",
  "\\\\|",
  "a\\|b|c",
  "`|`",
  "**b**",
  "_e_",
  "~~s~~",
  "[x](https://evil.example)",
  "![i](https://evil.example/i.png)",
  "<img src=x onerror=alert(1)>",
  "<a href=https://evil.example>x</a>",
  "https://evil.example",
  "www.evil.example",
  "mallory@evil.example",
  "@alice",
  "@acme/maintainers",
  "#123",
  "acme/widgets#1",
  ":tada:",
  "[^1]",
  "[^1]: note",
  "$x^2$",
  "# heading",
  "> quote",
  "1. item",
  "- item",
  "- [x] done",
  "---",
  "===",
  "    indented",
  "&lt;b&gt;",
  "&amp;",
  "\u202e",
  "\u2066",
  "\u200b",
  "\u200d",
  "\u2060",
  "\ufeff",
  "\u00ad",
  "\u034f",
  "\u115f",
  "\u1160",
  "\u3164",
  "\uffa0",
  "\u17b4",
  "\u17b5",
  "\ufe0f",
  "\u{e0100}",
  "\u{e0041}",
  "\u{e007f}",
  "\u2028",
  "\u2029",
  "\u0085",
  "\u001b[31m",
  "\n",
  "\r\n",
  "\t",
  "\ud800",
  "\u00a0",
  "\u2800",
);
const anyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(fc.oneof(hostile, fc.string({ unit: "grapheme-ascii", maxLength: 6 }), fc.string({ unit: "binary", maxLength: 3 })), { maxLength: 10 }).map((parts) => parts.join("")),
);

describe("visible escapes", () => {
  test("invisible and format characters are shown as \\u{...}", () => {
    assert.equal(clean("abc\u202edcb\u200b"), "abc\\u{202E}dcb\\u{200B}");
    for (const ch of ["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u17b4", "\u17b5", "\ufe00", "\ufe0f", "\u{e0100}", "\u{e01ef}", "\u{e0000}", "\u{e0041}", "\u{e007f}", "\u2066", "\u2069", "\u061c", "\u180e", "\u2028", "\u2029", "\u0000", "\u001b", "\u0085", "\u009b", "\t", "\u00a0", "\u3000", "\u2800", "\u{1d173}", "\ud800"]) {
      const shown = clean(`a${ch}b`);
      assert.equal(shown, `a\\u{${ch.codePointAt(0)!.toString(16).toUpperCase()}}b`, JSON.stringify(ch));
    }
    assert.equal(clean("a\r\nb\rc\nd"), "a␤b␤c␤d");
  });

  test("long values are cut with an ellipsis, on code points and never inside an escape", () => {
    assert.equal(code("😀".repeat(10), { max: 4 }), "`😀😀😀…`");
    assert.equal(clean("ab\u202ecd", { max: 5 }), "ab…");
    assert.equal(visible("x".repeat(1_000_000), { max: 10 }), `${"x".repeat(9)}…`);
  });

  test("property: the visible form has no invisible character and reads back to the value", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const v = visible(s);
        assert.doesNotMatch(v, /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u);
        const back = v.replace(/\\u\{([0-9A-F]+)\}/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/␤/g, "\n");
        if (!s.includes("\\u{") && !s.includes("␤")) assert.equal(back, s.replace(/\r\n?/g, "\n"));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("code()", () => {
  test("fences around backticks and pads where CommonMark would strip", () => {
    assert.equal(code("plain"), "`plain`");
    assert.equal(code("a`b"), "``a`b``");
    assert.equal(code("`x`"), "`` `x` ``");
    assert.equal(code("``` ``"), "```` ``` `` ````");
    assert.equal(code(" both "), "`  both  `");
    assert.equal(code(""), "–");
  });

  test("a pipe in a table cell leaves no | in the source at all: `\\|` after the value's own backslash was a live delimiter", () => {
    assert.equal(code("a|b", { table: true }), "<code>a&#124;b</code>");
    assert.equal(code("a\\|b", { table: true }), "<code>a&#92;&#124;b</code>");
    assert.equal(code("a|b"), "`a|b`");
    assert.equal(code("a/b", { table: true }), "`a/b`");
    // The old `\\|` output, read as GFM reads a table row, split the cell (the second cell is no longer "x"):
    const cellsOf = (md: string): string[] => [...renderMarkdown(`| a | b |\n|---|---|\n| ${md} | x |`).matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => pageText(m[1]!));
    assert.notEqual(cellsOf("`a\\\\|b`")[1], "x");
    assert.deepEqual(cellsOf(code("a\\|b", { table: true })), ["a\\|b", "x"]);
  });

  test("line breaks, bidi overrides and zero-width characters are shown, not obeyed", () => {
    assert.equal(code("main\n### ✅ Mergeable"), "`main␤### ✅ Mergeable`");
    assert.equal(code("abc\u202edcb\u200b"), "`abc\\u{202E}dcb\\u{200B}`");
    assert.equal(code("a\r\nb\rc"), "`a␤b␤c`");
  });

  test("property: any string reads back as exactly its visible self, on one line", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const span = code(s);
        const cleaned = clean(s);
        if (cleaned === "") return span === "–";
        assert.ok(!/[\n\r\u2028\u2029]/.test(span));
        assert.equal(readCodeSpan(span), cleaned);
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  test("property: a table cell holds no live |, stays one cell, and shows the value's visible characters", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const cell = code(s, { table: true });
        const cleaned = clean(s);
        if (cleaned.includes("|")) assert.ok(!cell.includes("|"), `a | in ${cell}`);
        else assert.equal(cell, code(s));
        const html = renderMarkdown(["| value | next |", "|---|---|", row([cell, "x"])].join("\n"));
        const counts = tagCounts(html);
        assert.equal(counts["td"], 2, `the cell was split: ${html}`);
        assert.deepEqual(inertProblems(html, { allowed: ["table", "thead", "tbody", "tr", "th", "td", "code"] }), []);
        const td = /<td>([\s\S]*?)<\/td>/.exec(html)?.[1] ?? "";
        assert.equal(pageText(td), cleaned === "" ? "–" : cleaned);
      }),
      { numRuns: 1500 },
    );
  });
});

describe("text()", () => {
  test("markdown, HTML, links, images, mentions, references, math and emoji shortcodes are inert", () => {
    const out = text("**bold** <img src=x onerror=alert(1)> [link](https://evil.example) ![i](x) @alice :tada: #12 www.evil.example | `c` $x$ [^1] a_b _c_");
    assert.doesNotMatch(out.replace(/&#\d+;/g, ""), /[*<>[\]!@#|`$&^~\\]/);
    assert.match(out, /&#64;\u2060alice/);
    assert.match(out, /&#58;\u2060tada: /);
    assert.match(out, /www\u2060\.evil/);
    assert.match(out, /https&#58;\u2060\/\/evil/);
    assert.match(out, / a_b &#95;c&#95;$/);
  });

  test("ordinary prose stays readable in the source", () => {
    assert.equal(text("staging may not deploy to region us-east-1; allowed: eu-west-1, eu-central-1"), "staging may not deploy to region us-east-1; allowed: eu-west-1, eu-central-1");
    assert.equal(text("IDENTITY_MISMATCH: got (none)"), "IDENTITY_MISMATCH: got (none)");
  });

  test("a value cannot open a block where it starts a line or a list item", () => {
    for (const v of ["# h", "> q", "- l", "+ l", "* l", "1. l", "12) l", "---", "===", "    code", "<div>"]) {
      const html = renderMarkdown(`- ${text(v)}`);
      assert.deepEqual(inertProblems(html, { allowed: ["ul", "li"] }), [], `${v}: ${html}`);
      assert.equal(tagCounts(html)["li"], 1, v);
      assert.equal(pageText(html), v, v);
    }
  });

  test("property: only letters, digits, spaces, non-ASCII, inert punctuation and numeric references; decodes to the visible text", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const out = text(s);
        // eslint-disable-next-line no-control-regex
        assert.match(out, /^(?:[A-Za-z0-9 .,;?/()\-=+%'"{}_:]|[^\x00-\x7f]|&#\d+;)*$/);
        const decoded = decodeEntities(out);
        assert.equal(decoded.replace(/\u2060/g, ""), clean(s));
        assert.doesNotMatch(decoded, /[@#](?!\u2060)/, "every @ and # is followed by a word joiner");
        assert.doesNotMatch(decoded, /:(?![\u2060 ])/, "every : is followed by a word joiner or a space");
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  test("property: rendered in a paragraph, a list item or a table cell it shows its visible characters and nothing else", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const shown = text(s);
        const expect = clean(s);
        for (const [md, want] of [
          [`**Why** ${shown} (code)`, { p: 1, strong: 1 }],
          [`- ${shown}`, { ul: 1, li: 1 }],
          [`| a | b |\n|---|---|\n| ${shown} | x |`, { table: 1, thead: 1, tbody: 1, tr: 2, th: 2, td: 2 }],
        ] as const) {
          const html = renderMarkdown(md);
          assert.deepEqual(inertProblems(html, { allowed: Object.keys(want) }), [], `${JSON.stringify(s)} -> ${html}`);
          const counts = tagCounts(html);
          for (const [tag, n] of Object.entries(want)) if (tag !== "p") assert.equal(counts[tag], n, `${tag} in ${html}`);
          assert.ok(pageText(html).includes(expect), `${JSON.stringify(expect)} not shown in ${html}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

test("link() accepts only plain https URLs, and its text is escaped", () => {
  assert.equal(link("#1", "https://search.sigstore.dev/?logIndex=1"), "[&#35;1](https://search.sigstore.dev/?logIndex=1)");
  for (const bad of ["javascript:alert(1)", "http://x", "https://x/a)b", "https://x/<a>", "https://x/ a"]) assert.equal(link("#1", bad), "&#35;1", bad);
  const html = renderMarkdown(link("a](https://evil.example)[b", "https://x.example/"));
  assert.deepEqual([...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]), ["https://x.example/"]);
  assert.equal(pageText(html), "a](https://evil.example)[b");
});

test("codeFence() is longer than any backtick run", () => {
  assert.equal(codeFence("{}"), "```");
  assert.equal(codeFence('{"a":"````"}'), "`````");
});

describe("the check-run page", () => {
  /** The rich scenario with `s` in every field an outsider writes, each behind its own marker letter. */
  function hostileInput(s: string): RenderInput {
    const base = richInput();
    const decision = { ...richDecision(), deny: [{ rule: `R${s}`, msg: `M${s}`, remediation: `D${s}`, details: { path: `P${s}` } }] };
    const [covered, missing, human] = base.commits as [RenderCommit, RenderCommit, RenderCommit];
    const st = covered.coverage.by[0]!;
    const statement = {
      ...st,
      model: { id: `O${s}`, version: "1" },
      runtime: { name: `U${s}`, version: "1" },
      tools: [`T${s}`],
      delegation: { principal: { login: `L${s}`, id: 1 }, trigger: { event: "issue_comment" } },
      signer: { ...st.signer, identity: `https://github.com/acme/agents/.github/workflows/${s}I.yml@refs/heads/main`, extensions: { [`K${s}`]: `V${s}` } },
    };
    const commits: RenderCommit[] = [
      { ...covered, author: { login: `A${s}`, name: `A${s}` }, coverage: { ...covered.coverage, by: [statement] } },
      missing,
      { ...human, author: { name: `N${s}` } },
    ];
    return { ...base, decision, commits, conclusion: conclude({ kind: "decision", decision }), tlogEntryUrl: () => undefined };
  }

  function page(s: string): string {
    const out = renderCheckRun(hostileInput(s));
    const html = checkRunPage({ scenario: "property", title: out.title, conclusion: out.conclusion, summary: out.summary, text: out.text });
    return /<article class="markdown-body">([\s\S]*)<\/article>/.exec(html)?.[1] ?? "";
  }

  const baseline = tagCounts(page("x"));

  test("property: any string in every outside field adds no element, cell, heading or link, and shows its visible characters", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const html = page(s);
        const counts = tagCounts(html);
        // The page's own structure, exactly: no heading, table, row, cell, list, link or block of the value's making.
        for (const tag of ["h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "th", "td", "details", "summary", "pre", "sub", "br", "blockquote", "hr", "ol"]) {
          assert.equal(counts[tag] ?? 0, baseline[tag] ?? 0, `<${tag}> for ${JSON.stringify(s)}`);
        }
        // Values cut short in the commit table are listed in full below it: one more label and list.
        assert.ok((counts["strong"] ?? 0) <= (baseline["strong"] ?? 0) + 1, "no emphasis of the value's making");
        const alive = inertProblems(html, { allowed: ["h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "details", "summary", "pre", "sub", "br", "ul", "li", "code", "strong"] });
        assert.deepEqual(alive, [], JSON.stringify(s));
        const shown = pageText(html);
        // Nothing hidden anywhere, the raw decision's code block included (word joiners and the warning sign's
        // variation selector are the page's own).
        assert.doesNotMatch(shown.replace(/\u2060|⚠️/g, ""), /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u);
        // Each field as far as its bound reaches (an escape is up to 10 characters: `\u{E0100}`).
        const fields: [string, number][] = [[`M${s}`, 400], [`D${s}`, 300], [`O${s}@1`, 300], [`U${s} 1`, 300], [`T${s}`, 100], [`@L${s}`, 300], [`K${s}`, 80], [`V${s}`, 400], [`N${s}`, 500]];
        for (const [field, max] of fields) {
          const want = clean(field, { max });
          assert.ok(shown.includes(want), `${JSON.stringify(field)} is not shown as ${JSON.stringify(want)}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
