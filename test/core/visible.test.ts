import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeCodePoint, isInvisible, visible } from "../../src/core/visible.js";

/** visible() as specified, one code point at a time (the oracle for its fast path). */
function reference(value: string, max = Number.POSITIVE_INFINITY): string {
  const pieces: string[] = [];
  let previousCr = false;
  for (const ch of value) {
    if (ch === "\n" && previousCr) {
      previousCr = false;
      continue;
    }
    previousCr = ch === "\r";
    pieces.push(ch === "\n" || ch === "\r" ? "\u2424" : isInvisible(ch) ? escapeCodePoint(ch) : ch);
  }
  const sizes = pieces.map((p) => Array.from(p).length);
  if (sizes.reduce((a, b) => a + b, 0) <= max) return pieces.join("");
  let used = 0;
  let n = 0;
  while (n < pieces.length && used + sizes[n]! + 1 <= max) used += sizes[n++]!;
  return `${pieces.slice(0, n).join("")}…`;
}

test("visible() returns what a code point by code point rendering returns, with and without a cut", () => {
  const alphabet = ["a", "Z", " ", "é", "漢", "😀", "\n", "\r", "\t", "\u00a0", "\u200b", "\u202e", "\u2800", "\ud800", "\udc00", "\u{e0041}", "\ufe0f", "|", "`"];
  let seed = 11;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let round = 0; round < 2000; round++) {
    // Mostly plain text (the fast path), sometimes one character to show otherwise.
    const plain = round % 3 !== 0;
    const value = Array.from({ length: rnd(40) }, () => alphabet[plain ? rnd(6) : rnd(alphabet.length)]).join("");
    const max = rnd(4) === 0 ? 1 + rnd(50) : undefined;
    assert.equal(visible(value, max === undefined ? {} : { max }), reference(value, max), JSON.stringify({ value, max }));
  }
});

test("a plain value that fits is returned as it is; one longer than max in UTF-16 units but not in code points is kept whole", () => {
  assert.equal(visible("plain text, a b", { max: 15 }), "plain text, a b");
  assert.equal(visible("😀😀", { max: 2 }), "😀😀");
  assert.equal(visible("😀😀😀", { max: 2 }), "😀…");
});
