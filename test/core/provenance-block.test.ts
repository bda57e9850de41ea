// Provenance block caps: per block, per text, per pull request (with a shared budget), and bounded problem lists.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BLOCK_MAX_BYTES,
  BLOCK_PROBLEMS_MAX,
  BLOCKS_MAX,
  PR_BLOCKS_MAX,
  PR_BLOCKS_MAX_BYTES,
  ProvenanceBudget,
  extractProvenanceBlocks,
  renderProvenanceBlock,
  scanBlocks,
} from "../../src/core/provenance-block.js";

const body = { kind: "pr-body" } as const;
const comment = (id: number) => ({ kind: "comment", id }) as const;
/** A JSON object of exactly `bytes` bytes. */
const bundleOf = (bytes: number, tag = "x"): string => {
  const head = `{"${tag}":"`;
  return `${head}${"a".repeat(bytes - head.length - 2)}"}`;
};

test("a rendered block round-trips", () => {
  const json = JSON.stringify({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" });
  const r = extractProvenanceBlocks(`text\n${renderProvenanceBlock(json)}\nmore`, body);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.bundles, [{ json, source: body }]);
});

test("a block of exactly BLOCK_MAX_BYTES is read; one byte more is refused with both sizes named", () => {
  const fits = bundleOf(BLOCK_MAX_BYTES);
  assert.equal(Buffer.byteLength(fits), BLOCK_MAX_BYTES);
  const ok = extractProvenanceBlocks(renderProvenanceBlock(fits), body);
  assert.equal(ok.bundles.length, 1);
  assert.deepEqual(ok.problems, []);
  const over = extractProvenanceBlocks(renderProvenanceBlock(bundleOf(BLOCK_MAX_BYTES + 1)), body);
  assert.equal(over.bundles.length, 0);
  assert.deepEqual(over.problems.map((p) => p.message), [`provenance block is ${BLOCK_MAX_BYTES + 1} bytes; expected at most ${BLOCK_MAX_BYTES}`]);
});

test("more than BLOCKS_MAX blocks in one text: the rest are ignored with one problem, and not called unreadable", () => {
  const text = Array.from({ length: BLOCKS_MAX + 10 }, (_, i) => renderProvenanceBlock(JSON.stringify({ i }))).join("\n");
  const r = extractProvenanceBlocks(text, body);
  assert.equal(r.bundles.length, BLOCKS_MAX);
  assert.deepEqual(r.problems.map((p) => p.message), [`more than ${BLOCKS_MAX} provenance blocks; the rest were ignored`]);
});

test("a shared budget caps the bytes of a whole pull request, saying so once", () => {
  const budget = new ProvenanceBudget(1000, 100);
  const block = renderProvenanceBlock(bundleOf(400));
  const first = extractProvenanceBlocks(`${block}\n${block}`, body, budget);
  assert.equal(first.bundles.length, 2);
  assert.deepEqual(first.problems, []);
  const second = extractProvenanceBlocks(`${block}\n${block}`, comment(1), budget);
  assert.equal(second.bundles.length, 0, "800 + 400 > 1000");
  assert.deepEqual(second.problems, [
    { source: comment(1), message: "the provenance blocks of this pull request exceed 1000 bytes in total; expected at most 1000, the rest were ignored" },
  ]);
  const third = extractProvenanceBlocks(renderProvenanceBlock(bundleOf(10)), comment(2), budget);
  assert.deepEqual(third, { bundles: [], problems: [] }, "already said: a later text adds no problem line");
  assert.equal(budget.exhausted, true);
});

test("a shared budget caps the number of blocks of a whole pull request", () => {
  const budget = new ProvenanceBudget(PR_BLOCKS_MAX_BYTES, 3);
  const two = [1, 2].map((i) => renderProvenanceBlock(JSON.stringify({ i }))).join("\n");
  assert.equal(extractProvenanceBlocks(two, body, budget).bundles.length, 2);
  const r = extractProvenanceBlocks(two, comment(9), budget);
  assert.equal(r.bundles.length, 1);
  assert.deepEqual(r.problems.map((p) => p.message), ["more than 3 provenance blocks in this pull request; the rest were ignored"]);
});

test("the default per-PR budget is 5 MiB and 200 blocks; without a budget only the per-text caps apply", () => {
  assert.equal(PR_BLOCKS_MAX_BYTES, 5 * 1024 * 1024);
  assert.equal(PR_BLOCKS_MAX, 200);
  const budget = new ProvenanceBudget();
  const big = renderProvenanceBlock(bundleOf(BLOCK_MAX_BYTES));
  let read = 0;
  for (let i = 0; i < 12; i++) read += extractProvenanceBlocks(big, comment(i), budget).bundles.length;
  assert.equal(read, 10, "ten blocks of 512 KiB fill 5 MiB");
  let unbudgeted = 0;
  for (let i = 0; i < 12; i++) unbudgeted += extractProvenanceBlocks(big, comment(i)).bundles.length;
  assert.equal(unbudgeted, 12);
});

test("problems of one text are capped, the rest counted in one line", () => {
  const bad = Array.from({ length: 100 }, () => "<!-- agent-gate:provenance v2\nAAAA\n-->").join("\n");
  const r = extractProvenanceBlocks(bad, body);
  assert.equal(r.problems.length, BLOCK_PROBLEMS_MAX + 1);
  assert.equal(r.problems.at(-1)?.message, `${100 - BLOCK_PROBLEMS_MAX} more provenance block problem(s) not listed`);
});

test("a huge version number is not echoed whole", () => {
  const r = extractProvenanceBlocks(`<!-- agent-gate:provenance v${"9".repeat(5000)}\nAAAA\n-->`, body);
  assert.deepEqual(r.problems.map((p) => p.message), ["provenance block version v999999999999... is not supported; expected v1"]);
});

test("unterminated openers are reported, and scanning a hostile text stays fast", { timeout: 20_000 }, () => {
  const opener = "<!-- agent-gate:provenance v1\n";
  const hostile = (opener + "A".repeat(30)).repeat(2000) + "A".repeat(65_536);
  const r = extractProvenanceBlocks(hostile, body);
  assert.equal(r.bundles.length, 0);
  assert.deepEqual(r.problems.map((p) => p.message), ['2000 provenance block(s) could not be read: expected "<!-- agent-gate:provenance v1", base64 lines, then "-->"']);
});

// The patterns the scanner replaced, kept as the oracle: the scanner must find exactly the blocks they found.
const OLD_BLOCK = /<!--[ \t]*agent-gate:provenance[ \t]+v(\d+)[ \t]*\r?\n([A-Za-z0-9+/=\s]*?)-->/g;
const OLD_OPENER = /<!--[ \t]*agent-gate:provenance\b/g;
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test("the block scanner agrees with the old patterns on generated texts", () => {
  const next = rng(7);
  const pick = (xs: readonly string[]): string => xs[Math.floor(next() * xs.length)] ?? "";
  const good = renderProvenanceBlock(JSON.stringify({ a: 1 }));
  const pieces = [good, good, "<!--", "<!-- ", "<!--\t", "agent-gate:provenance", "agent-gate:provenancex", " v1", "\tv2", " v", "v1", "\r\n", "\n", "\r", "eyJh", "YQ==", " ", "\u00a0", "\u2028", "-->", "-", "--", "->", "<", "é", "x"];
  let found = 0;
  for (let n = 0; n < 20_000; n++) {
    let text = "";
    const len = 1 + Math.floor(next() * 10);
    for (let k = 0; k < len; k++) text += pick(pieces);
    const old = [...text.matchAll(OLD_BLOCK)];
    const r = extractProvenanceBlocks(text, body);
    const oldOk = old.filter((m) => m[1] === "1" && (m[2] ?? "").replace(/\s+/g, "") !== "").map((m) => Buffer.from((m[2] ?? "").replace(/\s+/g, ""), "base64").toString("utf8")).filter((j) => j.trimStart().startsWith("{"));
    assert.deepEqual(r.bundles.map((b) => b.json), oldOk, JSON.stringify(text));
    const unread = [...text.matchAll(OLD_OPENER)].length - old.length;
    assert.equal(r.problems.some((p) => p.message.startsWith(`${unread} provenance block(s) could not be read`)), unread > 0, JSON.stringify(text));
    found += oldOk.length;
  }
  assert.ok(found > 2_000, `only ${found} blocks in the generated texts`);
});

test("65,536 characters of hostile openers, blanks, digits and nested markers give the right outcome", { timeout: 60_000 }, () => {
  const L = 65_536;
  const fill = (s: string): string => s.repeat(Math.ceil(L / s.length)).slice(0, L);
  // text, what it is; the old patterns (linear on these) say how many openers could not be read
  const cases: [string, string][] = [
    [fill("<!--"), "<!-- repeats"],
    ["<!--" + " ".repeat(L - 4), "<!-- and blanks"],
    [fill("<!-- agent-gate:provenance "), "openers without a version"],
    [fill("<!-- agent-gate:provenance v1\n"), "openers without a body end"],
    ["<!-- agent-gate:provenance v1\n" + fill("QUFB\n"), "one opener and unterminated base64"],
    ["<!-- agent-gate:provenance v" + "1".repeat(L), "a version of 65,536 digits"],
    [fill("<!-- agent-gate:provenance v1\nQUFB<!-- agent-gate:provenance v1\n"), "nested openers"],
    [fill("<!-- agent-gate:provenance v1\n--") + "-->", "bodies of dashes"],
  ];
  for (const [text, what] of cases) {
    const r = extractProvenanceBlocks(text, body);
    assert.equal(r.bundles.length, 0, what);
    const unreadable = [...text.matchAll(OLD_OPENER)].length - [...text.matchAll(OLD_BLOCK)].length;
    const line = r.problems.find((p) => p.message.includes("could not be read"))?.message;
    assert.equal(line === undefined ? 0 : Number(line.split(" ")[0]), unreadable, what);
  }
  // A real block after 65,536 characters of noise is still found.
  const json = JSON.stringify({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" });
  const r = extractProvenanceBlocks(fill("<!-- agent-gate:provenance v1\n-") + renderProvenanceBlock(json), body);
  assert.deepEqual(r.bundles.map((b) => b.json), [json]);
});

// The character-by-character scanner that scanBlocks replaced (its body read by regexes since), kept as an oracle:
// same blocks (version and body), same opener count, on every input.
const oldIsBlank = (c: number): boolean => c === 32 || c === 9;
const oldIsDigit = (c: number): boolean => c >= 48 && c <= 57;
const oldIsWordChar = (c: number): boolean => oldIsDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const oldIsBase64Char = (c: number): boolean => oldIsDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47 || c === 61;
const oldIsJsSpace = (c: number): boolean =>
  (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
function oldReadBlock(text: string, p: number): { block: { version: string; body: string }; end: number } | "opener" | undefined {
  let i = p + 4;
  while (oldIsBlank(text.charCodeAt(i))) i++;
  if (!text.startsWith("agent-gate:provenance", i)) return undefined;
  i += "agent-gate:provenance".length;
  if (oldIsWordChar(text.charCodeAt(i))) return undefined;
  const blanks = i;
  while (oldIsBlank(text.charCodeAt(i))) i++;
  if (i === blanks || text.charCodeAt(i) !== 118) return "opener";
  const digits = ++i;
  while (oldIsDigit(text.charCodeAt(i))) i++;
  if (i === digits) return "opener";
  const version = text.slice(digits, i);
  while (oldIsBlank(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === 13) i++;
  if (text.charCodeAt(i) !== 10) return "opener";
  let body = "";
  let run = ++i;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (oldIsBase64Char(c)) continue;
    if (run < i) body += text.slice(run, i);
    run = i + 1;
    if (oldIsJsSpace(c)) continue;
    if (c === 45 && text.startsWith("-->", i)) return { block: { version, body }, end: i + 3 };
    return "opener";
  }
  return "opener";
}
function oldScanBlocks(text: string): { blocks: { version: string; body: string }[]; openers: number } {
  const blocks: { version: string; body: string }[] = [];
  let openers = 0;
  for (let p = text.indexOf("<!--"); p >= 0; ) {
    const r = oldReadBlock(text, p);
    if (r !== undefined) openers++;
    if (r === undefined || r === "opener") p = text.indexOf("<!--", p + 1);
    else {
      blocks.push(r.block);
      p = text.indexOf("<!--", r.end);
    }
  }
  return { blocks, openers };
}

test("the scanner agrees with the character-by-character one on random texts of tricky pieces", () => {
  const next = rng(19);
  const pick = (xs: readonly string[]): string => xs[Math.floor(next() * xs.length)] ?? "";
  const likely = ["<!-- agent-gate:provenance v1\n", "QUFB", "QUFB\n", "-->"]; // a block in most texts
  const pieces = [
    ...likely, ...likely, ...likely, "<!-- agent-gate:provenance v1\r\n", "<!--\tagent-gate:provenance\tv7 \n", "<!--", "<!-- agent-gate:provenance", " v1", "\n",
    "QUFB", "eyJh", "A", "=", "==", "+", "/", "\r\n", "\r", " ", "\t", "\v", "\f", "\u00a0", "\u1680", "\u2000", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f",
    "\u3000", "\ufeff", "\u0085", "\u180e", "\u200b", "-", "--", "-->", "->", "- ->", "<", "é", "\ud83d\ude00", "\ud800", "x", "_", "<!--->",
  ];
  let blocks = 0;
  for (let n = 0; n < 10_000; n++) {
    let text = "";
    const len = 1 + Math.floor(next() * 12);
    for (let k = 0; k < len; k++) text += pick(pieces);
    const want = oldScanBlocks(text);
    assert.deepEqual(scanBlocks(text), want, JSON.stringify(text));
    blocks += want.blocks.length;
  }
  assert.ok(blocks > 600, `only ${blocks} blocks in the generated texts`);
});

test("every UTF-16 code unit inside a body is read as the old scanner read it, and its spaces are JavaScript's \\s", () => {
  for (let c = 0; c <= 0xffff; c++) {
    const ch = String.fromCharCode(c);
    for (const text of [`<!-- agent-gate:provenance v1\nQUFB${ch}QUFB\n-->`, `<!-- agent-gate:provenance v1\r\n${ch}-->`]) {
      assert.deepEqual(scanBlocks(text), oldScanBlocks(text), `U+${c.toString(16)}`);
    }
    assert.equal(oldIsJsSpace(c), /\s/.test(ch), `U+${c.toString(16)}`);
  }
});

test("bodies: CRLF and unicode spaces dropped, a lone '-' or a '<' ends the attempt, unterminated is an opener", () => {
  const h = "<!-- agent-gate:provenance v1\n";
  assert.deepEqual(scanBlocks(`${h}QUFB\r\nQU\u2028FB\u00a0\ufeff==\r\n-->`), { blocks: [{ version: "1", body: "QUFBQUFB==" }], openers: 1 });
  assert.deepEqual(scanBlocks(`${h}QUFB\n-\n-->`), { blocks: [], openers: 1 });
  assert.deepEqual(scanBlocks(`${h}QUFB\n<-->`), { blocks: [], openers: 1 });
  assert.deepEqual(scanBlocks(`${h}QUFB\n${h}QUFC\n-->`), { blocks: [{ version: "1", body: "QUFC" }], openers: 2 });
  assert.deepEqual(scanBlocks(`${h}QUFB\n`), { blocks: [], openers: 1 });
  assert.deepEqual(scanBlocks(`${h}   \n\t-->-->`), { blocks: [{ version: "1", body: "" }], openers: 1 });
  assert.deepEqual(scanBlocks(`${h}QU\u0085FB\n-->`), { blocks: [], openers: 1 }, "NEL is not a JavaScript space");
});

test("carriesProvenance is exactly 'the scanner finds an opener', and a text without one yields no bundle and no problem", async () => {
  const { carriesProvenance, scanBlocks, extractProvenanceBlocks, renderProvenanceBlock } = await import("../../src/core/provenance-block.js");
  const parts = ["<!--", " ", "\t", "agent-gate:provenance", "agent-gate:provenancex", "v1", "v", "\n", "-->", "eyJhIjoxfQ==", "<", "!", "-", "x", renderProvenanceBlock('{"a":1}')];
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  for (let i = 0; i < 5000; i++) {
    const text = Array.from({ length: rnd(12) }, () => parts[rnd(parts.length)]).join("");
    const opens = scanBlocks(text).openers > 0;
    assert.equal(carriesProvenance(text), opens, JSON.stringify(text));
    if (!opens) assert.deepEqual(extractProvenanceBlocks(text, { kind: "comment", id: 1 }), { bundles: [], problems: [] }, JSON.stringify(text));
  }
});
