// Outside bytes read with a cap (src/adapters/bounded-read.ts): never more than the cap and one byte, whatever a
// file's stat'ed size or an answer's length says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readBodyAtMost, readFileAtMost } from "../../src/adapters/bounded-read.js";

test("a file within the cap is read whole; one past it is refused with its size, unread", () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-bounded-"));
  try {
    writeFileSync(join(dir, "ok"), "x".repeat(100));
    writeFileSync(join(dir, "big"), "x".repeat(101));
    assert.equal((readFileAtMost(join(dir, "ok"), 100) as Buffer).toString(), "x".repeat(100));
    assert.deepEqual(readFileAtMost(join(dir, "big"), 100), { tooLarge: 101 });
    assert.equal((readFileAtMost(join(dir, "ok"), 1000) as Buffer).length, 100);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a file whose size says nothing (an endless device) stops one byte past the cap", { skip: process.platform === "win32" }, () => {
  assert.deepEqual(readFileAtMost("/dev/zero", 200_000), { tooLarge: 200_001 });
});

test("an answer is read until one chunk past the cap, then cancelled; a declared length past it is refused", async () => {
  let pulled = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (pulled >= 1024 * 1024) return ctrl.close();
      pulled += 1024;
      ctrl.enqueue(new Uint8Array(1024));
    },
    cancel() {
      cancelled = true;
    },
  });
  assert.equal(await readBodyAtMost(new Response(stream), 10_000), undefined);
  assert.ok(cancelled);
  assert.ok(pulled <= 10_000 + 3 * 1024, `pulled ${pulled}`);
  assert.equal((await readBodyAtMost(new Response("abc"), 3))?.toString(), "abc");
  const declared = new Response(new ReadableStream({ start: (ctrl) => ctrl.enqueue(new Uint8Array(10)) }), { headers: { "content-length": "5000" } });
  assert.equal(await readBodyAtMost(declared, 4000), undefined);
});
