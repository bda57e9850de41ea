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
