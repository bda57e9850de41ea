// Runs every test/**/*.test.ts with node's own test runner (TypeScript through tsx).
// Node 20's --test does not expand globs, so the files are listed here. Extra arguments filter by path.
// The TAP stream (asked for: Node 24 would print its spec form) passes through unchanged; at its end every failed
// test is printed again, with its path and the start of its error, so a log cut to its last lines (a CI excerpt)
// still names what failed.
// One failure is run again, once: a test file whose process V8 itself aborted with the check of its JIT page
// registry ("Check failed: jit_page..."), a known V8 fault that WebAssembly code freed and made in one process (PGlite
// instances, made and closed test after test) trips now and then on Node 24 and before (nodejs/node#64500). No test
// can cause or pass it; the file is run again alone and its second result is the one that counts. Only when it was
// the run's only kind of failure; the rerun is announced with the file's name. RUN_TESTS_ROOT: the directory walked
// (default test; the runner's own test uses another).
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
/** V8's abort on its JIT page registry (nodejs/node#64500), as the test runner passes a file's stderr on. */
const V8_JIT_PAGE_ABORT = /Check failed: jit_page/;

/** Runs `list` once; resolves with its exit code, its failures, and the files V8 aborted as above. */
function run(list) {
  return new Promise((resolve) => {
    const failures = [];
    const names = []; // names[depth]: the subtest open at that depth
    let open = null; // the failure whose YAML block is being read
    let jitAbortSeen = false; // since the last file's result
    const aborted = new Set();
    const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=tap", "--test-concurrency=2", ...list], {
      stdio: ["inherit", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on("line", (line) => {
      process.stdout.write(line + "\n");
      if (V8_JIT_PAGE_ABORT.test(line)) jitAbortSeen = true;
      read(line);
    });
    // A file that ended by a signal right after V8's abort message: its name, for the rerun. Either way the message
    // was this file's, and the next file starts without one.
    const fileResult = (failure) => {
      if (jitAbortSeen && list.includes(failure.path) && failure.detail.some((d) => /signal: '(SIGTRAP|SIGABRT|SIGILL)'/.test(d))) aborted.add(failure.path);
      jitAbortSeen = false;
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
      if (depth === 0 && /^ok \d+ - /.test(text)) jitAbortSeen = false;
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
const again = [...first.aborted];
console.log(`\n== V8 aborted ${again.join(", ")} on its JIT page check (nodejs/node#64500, not a test's doing): run once more, alone`);
const second = await run(again);
report(second.failures);
if (second.code === 0) console.log(`== ${again.join(", ")}: passed when run again; the first run's abort was V8's`);
process.exit(second.code);
