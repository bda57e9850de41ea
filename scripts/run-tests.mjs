// Runs every test/**/*.test.ts with node's own test runner (TypeScript through tsx).
// Node 20's --test does not expand globs, so the files are listed here. Extra arguments filter by path.
// The TAP stream (asked for: Node 24 would print its spec form) passes through unchanged; at its end every failed
// test is printed again, with its path and the start of its error, so a log cut to its last lines (a CI excerpt)
// still names what failed.
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
const files = walk("test").filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

const MAX_FAILURES = 20;
const MAX_DETAIL_LINES = 30;
const failures = [];
const names = []; // names[depth]: the subtest open at that depth
let open = null; // the failure whose YAML block is being read

const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=tap", "--test-concurrency=2", ...files], {
  stdio: ["inherit", "pipe", "inherit"],
});
const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
lines.on("line", (line) => {
  process.stdout.write(line + "\n");
  const depth = Math.floor((line.length - line.trimStart().length) / 4);
  const text = line.trim();
  if (open) {
    if (text === "..." && depth === open.depth) open = null;
    else if (open.detail.length < MAX_DETAIL_LINES) open.detail.push(line);
    return;
  }
  const sub = /^# Subtest: (.*)$/.exec(text);
  if (sub) {
    names[depth] = sub[1];
    names.length = depth + 1;
    return;
  }
  const bad = /^not ok \d+ - (.*)$/.exec(text);
  if (bad) {
    const path = [...names.slice(0, depth), bad[1]].join(" > ");
    // A suite fails when one of its tests does; the test itself is the one worth naming.
    const isParent = failures.some((f) => f.path.startsWith(path + " > "));
    const failure = { path, depth, detail: [] };
    if (!isParent && failures.length < MAX_FAILURES) failures.push(failure);
    open = isParent ? { ...failure, detail: [] } : failure;
  }
});

child.on("close", (code) => {
  if (failures.length > 0) {
    console.log(`\n== failing tests (${failures.length}${failures.length === MAX_FAILURES ? " or more" : ""})`);
    for (const f of failures) {
      console.log(`\nnot ok: ${f.path}`);
      for (const d of f.detail) console.log(d);
    }
  }
  process.exit(code ?? 1);
});
