// Runs every test/**/*.test.ts with node's own test runner (TypeScript through tsx).
// Node 20's --test does not expand globs, so the files are listed here. Extra arguments filter by path.
// The TAP stream (asked for: Node 24 would print its spec form) passes through unchanged; at its end every failed
// test is printed again, with its path and the start of its error, so a log cut to its last lines (a CI excerpt)
// still names what failed.
// One failure is run again, once: a test file whose process the runtime itself aborted. V8 with the check of its JIT
// page registry ("Check failed: jit_page..."), a known V8 fault that WebAssembly code freed and made in one process
// (PGlite instances, made and closed test after test) trips now and then on Node 24 and before (nodejs/node#64500);
// or glibc with a check of its heap ("corrupted size vs. prev_size", seen once on Node 24.21 in the same kind of
// file): no native code of ours or of a dependency runs in a test process, so only the runtime can corrupt its C
// heap. No test can cause or pass either; the file is run again alone and its second result is the one that counts.
// Only when it was the run's only kind of failure; the rerun is announced with the file's name and the abort's kind.
// RUN_TESTS_ROOT: the directory walked (default test; the runner's own test uses another).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".test.ts") ? [p] : [];
  });
}

const filters = process.argv.slice(2);
const files = walk(process.env.RUN_TESTS_ROOT || "test").filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const MAX_FAILURES = 20;
const MAX_DETAIL_LINES = 30;
/** The runtime's aborts, as the test runner passes a file's stderr on: what each is, for the rerun's announcement. */
const RUNTIME_ABORTS = [
  [/Check failed: jit_page/, "V8 on its JIT page check (nodejs/node#64500)"],
  // glibc's malloc_printerr messages: its heap's own consistency checks.
  [/corrupted size vs\. prev_size|corrupted double-linked list|double free or corruption|(malloc|free|realloc|malloc_consolidate)\(\): (invalid|corrupted|unaligned)/, "glibc on its heap check (the runtime's C heap corrupted)"],
];

/** Runs `list` once; resolves with its exit code, its failures, and the files the runtime aborted as above (with why). */
function run(list) {
  return new Promise((resolve) => {
    const failures = [];
    const names = []; // names[depth]: the subtest open at that depth
    let open = null; // the failure whose YAML block is being read
    let abortSeen; // what aborted, since the last file's result
    const aborted = new Map();
    const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=tap", "--test-concurrency=2", ...list], {
      stdio: ["inherit", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on("line", (line) => {
      process.stdout.write(line + "\n");
      for (const [pattern, what] of RUNTIME_ABORTS) if (pattern.test(line)) abortSeen = what;
      read(line);
    });
    // A file that ended by a signal right after the runtime's abort message: its name, for the rerun. Either way the
    // message was this file's, and the next file starts without one.
    const fileResult = (failure) => {
      if (abortSeen && list.includes(failure.path) && failure.detail.some((d) => /signal: '(SIGTRAP|SIGABRT|SIGILL)'/.test(d))) aborted.set(failure.path, abortSeen);
      abortSeen = undefined;
    };
    const read = (line) => {
      const depth = Math.floor((line.length - line.trimStart().length) / 4);
      const text = line.trim();
      if (open) {
        if (text === "..." && depth === open.depth) {
          if (depth === 0) fileResult(open);
          open = null;
        } else if (open.detail.length < MAX_DETAIL_LINES) open.detail.push(line);
        return;
      }
      const sub = /^# Subtest: (.*)$/.exec(text);
      if (sub) {
        names[depth] = sub[1];
        names.length = depth + 1;
        return;
      }
      if (depth === 0 && /^ok \d+ - /.test(text)) abortSeen = undefined;
      const bad = /^not ok \d+ - (.*)$/.exec(text);
      if (bad) {
        const path = [...names.slice(0, depth), bad[1]].join(" > ");
        // A suite fails when one of its tests does; the test itself is the one worth naming.
        const isParent = failures.some((f) => f.path.startsWith(path + " > "));
        const failure = { path, depth, detail: [] };
        if (!isParent && failures.length < MAX_FAILURES) failures.push(failure);
        open = isParent ? { ...failure, detail: [] } : failure;
      }
    };
    child.on("close", (code) => resolve({ code: code ?? 1, failures, aborted }));
  });
}

function report(failures) {
  if (failures.length === 0) return;
  console.log(`\n== failing tests (${failures.length}${failures.length === MAX_FAILURES ? " or more" : ""})`);
  for (const f of failures) {
    console.log(`\nnot ok: ${f.path}`);
    for (const d of f.detail) console.log(d);
  }
}

const first = await run(files);
const onlyAborts = first.code !== 0 && first.aborted.size > 0 && first.failures.every((f) => first.aborted.has(f.path.split(" > ")[0]));
if (!onlyAborts) {
  report(first.failures);
  process.exit(first.code);
}
const again = [...first.aborted.keys()];
for (const [file, what] of first.aborted) console.log(`\n== ${file}: aborted by ${what}, not a test's doing: run once more, alone`);
const second = await run(again);
report(second.failures);
if (second.code === 0) console.log(`== ${again.join(", ")}: passed when run again; the first run's abort was the runtime's`);
process.exit(second.code);
