// scripts/run-tests.mjs, the runner `npm test` and CI use: a test file whose process the runtime aborts (V8 on its JIT
// page check, nodejs/node#64500; glibc on its heap check) is run once more, alone, and its second result counts; any
// other failure, and a file aborted so twice, fail the run. The files here stand in for test files: they print what
// V8 or glibc prints and end by the signal their abort ends a process with.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUNNER = join(import.meta.dirname, "../../scripts/run-tests.mjs");
const ABORT = `process.stderr.write("#\\n# Fatal error in , line 0\\n# Check failed: jit_page_->allocations_.erase(addr) == 1.\\n#\\n"); process.kill(process.pid, "SIGTRAP");`;
const HEAP_ABORT = `process.stderr.write("corrupted size vs. prev_size\\n"); process.kill(process.pid, "SIGABRT");`;

function runIn(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "agt-runner-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text.replaceAll("DIR", JSON.stringify(dir)));
    // Without the test runner's mark of a child it runs, which would make the runner's own runner skip every file.
    const { NODE_TEST_CONTEXT: _child, ...env } = process.env;
    const r = spawnSync(process.execPath, [RUNNER], { cwd: join(import.meta.dirname, "../.."), env: { ...env, RUN_TESTS_ROOT: dir }, encoding: "utf8", timeout: 120_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PASSES = `import { test } from "node:test"; test("passes", () => {});`;
// Aborts the first time only (a marker file in its directory remembers).
const ABORTS_ONCE = `import { test } from "node:test"; import { existsSync, writeFileSync } from "node:fs"; const mark = DIR + "/aborted";
test("aborted by V8 the first time", () => { if (!existsSync(mark)) { writeFileSync(mark, ""); ${ABORT} } });`;

test("a file V8 aborted on its JIT page check is run once more, and passing then, the run passes", { timeout: 150_000 }, () => {
  const r = runIn({ "a.test.ts": PASSES, "b.test.ts": ABORTS_ONCE });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /== \S*b\.test\.ts: aborted by V8 on its JIT page check \(nodejs\/node#64500\), not a test's doing: run once more, alone/);
  assert.match(r.out, /b\.test\.ts: passed when run again/);
});

test("a file glibc aborted on its heap check is run once more, and passing then, the run passes", { timeout: 150_000 }, () => {
  const once = `import { test } from "node:test"; import { existsSync, writeFileSync } from "node:fs"; const mark = DIR + "/aborted";
test("aborted by glibc the first time", () => { if (!existsSync(mark)) { writeFileSync(mark, ""); ${HEAP_ABORT} } });`;
  const r = runIn({ "a.test.ts": PASSES, "b.test.ts": once });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /== \S*b\.test\.ts: aborted by glibc on its heap check \(the runtime's C heap corrupted\), not a test's doing: run once more, alone/);
  assert.match(r.out, /b\.test\.ts: passed when run again/);
});

test("a file V8 aborts twice fails the run", { timeout: 150_000 }, () => {
  const r = runIn({ "b.test.ts": `import { test } from "node:test"; test("aborted by V8 every time", () => { ${ABORT} });` });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /run once more, alone/);
  assert.match(r.out, /== failing tests/);
});

test("no rerun when a test fails, nor for a file that ends by a signal without V8's message", { timeout: 150_000 }, () => {
  const failing = runIn({ "a.test.ts": `import { test } from "node:test"; test("fails", () => { throw new Error("a real failure"); });`, "b.test.ts": ABORTS_ONCE });
  assert.notEqual(failing.status, 0);
  assert.doesNotMatch(failing.out, /run once more/);
  const KILLED = `import { test } from "node:test"; test("killed", () => { process.kill(process.pid, "SIGTRAP"); });`;
  const killed = runIn({ "c.test.ts": KILLED });
  assert.notEqual(killed.status, 0);
  assert.doesNotMatch(killed.out, /run once more/);
  // V8's message belongs to the file it came with: a file killed after another's abort is not taken for V8's.
  const after = runIn({ "a.test.ts": ABORTS_ONCE, "b.test.ts": KILLED });
  assert.notEqual(after.status, 0);
  assert.doesNotMatch(after.out, /run once more/);
});
