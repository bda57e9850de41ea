import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { clean, code, codeFence, link, text } from "../../src/render/markdown.js";

/** Reads a code span back as CommonMark would: strip the fence, one padding space each side, `\|` in tables. */
function readCodeSpan(span: string, table: boolean): string {
  const fence = /^`+/.exec(span)?.[0] ?? "";
  assert.ok(fence.length > 0, `not a code span: ${span}`);
  assert.ok(span.endsWith(fence) && span.length >= fence.length * 2, `unbalanced fence: ${span}`);
  let inner = span.slice(fence.length, span.length - fence.length);
  // No backtick run of the fence's length inside: the span cannot be closed early.
  for (const run of inner.match(/`+/g) ?? []) assert.notEqual(run.length, fence.length, `inner run closes the span: ${span}`);
  if (inner.startsWith(" ") && inner.endsWith(" ") && !/^ +$/.test(inner)) inner = inner.slice(1, -1);
  return table ? inner.replace(/\\\|/g, "|") : inner;
}

function decodeEntities(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

describe("code()", () => {
  test("fences around backticks and pads where CommonMark would strip", () => {
    assert.equal(code("plain"), "`plain`");
    assert.equal(code("a`b"), "``a`b``");
    assert.equal(code("`x`"), "`` `x` ``");
    assert.equal(code("``` ``"), "```` ``` `` ````");
    assert.equal(code(" both "), "`  both  `");
    assert.equal(code(""), "–");
  });

  test("in a table every pipe is escaped; outside it is not", () => {
    assert.equal(code("a|b", { table: true }), "`a\\|b`");
    assert.equal(code("a|b"), "`a|b`");
    assert.equal(code("a\\|b", { table: true }), "`a\\\\|b`");
  });

  test("line breaks, bidi overrides and zero-width characters cannot pass", () => {
    assert.equal(code("main\n### ✅ Mergeable"), "`main␤### ✅ Mergeable`");
    assert.equal(code("abc\u202edcb\u200b"), "`abc\ufffddcb\ufffd`");
    assert.equal(code("a\r\nb\rc"), "`a␤b␤c`");
  });

  test("long values are cut with an ellipsis, on code points", () => {
    assert.equal(code("😀".repeat(10), { max: 4 }), "`😀😀😀…`");
  });

  test("property: any string reads back as exactly its cleaned self, on one line", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), fc.boolean(), (s, table) => {
        const span = code(s, { table });
        const cleaned = clean(s);
        if (cleaned === "") return span === "–";
        assert.ok(!/[\n\r\u2028\u2029]/.test(span));
        if (table) assert.ok(!/(^|[^\\])\|/.test(span.replace(/\\\\/g, "")), `unescaped pipe in ${span}`);
        assert.equal(readCodeSpan(span, table), cleaned);
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});

describe("text()", () => {
  test("markdown, HTML, links, images, mentions and emoji shortcodes are inert", () => {
    const out = text("**bold** <img src=x onerror=alert(1)> [link](https://evil.example) ![i](x) @alice :tada: #12 www.evil.example | `c`");
    assert.doesNotMatch(out.replace(/&#\d+;/g, ""), /[*<>[\]()!@:#|`_&;]/);
    assert.match(out, /&#64;\u2060alice/);
    assert.match(out, /&#58;\u2060tada&#58;\u2060/);
    assert.match(out, /www\u2060&#46;evil/);
  });

  test("property: only letters, digits, spaces, non-ASCII and numeric references; decodes to the cleaned text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        const out = text(s);
        // eslint-disable-next-line no-control-regex
        assert.match(out, /^(?:[A-Za-z0-9 ]|[^\x00-\x7f]|&#\d+;)*$/);
        const decoded = decodeEntities(out);
        assert.equal(decoded.replace(/\u2060/g, ""), clean(s, { newline: " " }));
        assert.doesNotMatch(decoded, /[@:#](?!\u2060)/, "every @ : # is followed by a word joiner");
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});

test("link() accepts only plain https URLs", () => {
  assert.equal(link("#1", "https://search.sigstore.dev/?logIndex=1"), "[#1](https://search.sigstore.dev/?logIndex=1)");
  for (const bad of ["javascript:alert(1)", "http://x", "https://x/a)b", "https://x/<a>", "https://x/ a"]) assert.equal(link("#1", bad), "#1", bad);
});

test("codeFence() is longer than any backtick run", () => {
  assert.equal(codeFence("{}"), "```");
  assert.equal(codeFence('{"a":"````"}'), "`````");
});
