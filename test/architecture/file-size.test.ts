// No source file over 400 lines (issue 15): a file that grows past it is split along a real seam (sections,
// formats, resources), not trimmed. The test lists every file over the limit with its length.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

const SRC = join(import.meta.dirname, "..", "..", "src");
const MAX_LINES = 400;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Lines as an editor counts them: a final newline ends the last line, it does not start another. */
function lineCount(text: string): number {
  if (text.length === 0) return 0;
  const newlines = text.split("\n").length - 1;
  return text.endsWith("\n") ? newlines : newlines + 1;
}

test(`no file in src/ has more than ${MAX_LINES} lines`, () => {
  const files = walk(SRC);
  assert.ok(files.length > 50, `expected the source tree under ${SRC}, found ${files.length} .ts files`);
  const over = files
    .map((f) => ({ file: relative(SRC, f).split(sep).join("/"), lines: lineCount(readFileSync(f, "utf8")) }))
    .filter((f) => f.lines > MAX_LINES)
    .sort((a, b) => b.lines - a.lines);
  assert.deepEqual(
    over.map((f) => `src/${f.file}: ${f.lines} lines`),
    [],
    `split these along a real seam (at most ${MAX_LINES} lines each)`,
  );
});

test("the line count counts lines", () => {
  assert.equal(lineCount(""), 0);
  assert.equal(lineCount("a"), 1);
  assert.equal(lineCount("a\n"), 1);
  assert.equal(lineCount("a\nb"), 2);
  assert.equal(lineCount("a\nb\n"), 2);
  assert.equal(lineCount("\n"), 1);
});
