// parseRepositoryName is a hand-written scan (linear in the name); it must accept exactly what the regex it
// replaced accepted, with the same groups, and stay fast on names of any length.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRepositoryName } from "../../src/core/binding.js";

// The pattern parseRepositoryName used to run, kept here as the oracle (only ever run on short names).
const OLD = /^(?:(?:git\+)?https:\/\/github\.com\/)?([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100}?)(?:\.git)?(?:@(\S{1,255}))?\/?$/i;
function oracle(name: string): { repository: string; ref?: string } | undefined {
  const m = OLD.exec(name.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  if (!name.includes("github.com/") && m[3] !== undefined) return undefined;
  return { repository: `${m[1]}/${m[2]}`.toLowerCase(), ...(m[3] !== undefined ? { ref: m[3] } : {}) };
}

// A small deterministic generator, so a failure names a reproducible input.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test("agrees with the old pattern on generated names", () => {
  const next = rng(14);
  const pick = (xs: readonly string[]): string => xs[Math.floor(next() * xs.length)] ?? "";
  const some = (xs: readonly string[]): string => Array.from({ length: Math.floor(next() * 4) }, () => pick(xs)).join("");
  const prefixes = ["", "", "git+https://github.com/", "https://github.com/", "GIT+HTTPS://GitHub.COM/", "git+https://gitlab.com/", "http://github.com/", " "];
  const owners = ["acme", "A-b", "x", "-", "acme", "_"];
  const parts = ["acme", "A-b", "app", ".git", ".GIT", ".", "_", "x", "app", "acme", "é", "/", "@", " "];
  const tails = ["", "", "/", "//", "@main", "@refs/heads/main", "@", "@x y", "@é/", ".git@v1", "\t", "\u00a0"];
  let accepted = 0;
  for (let n = 0; n < 20_000; n++) {
    const name = pick(prefixes) + pick(owners) + some(owners) + pick(["/", "/", "/", "", "//"]) + pick(parts) + some(parts) + pick(tails);
    if (oracle(name)) accepted++;
    assert.deepEqual(parseRepositoryName(name), oracle(name), JSON.stringify(name));
  }
  assert.ok(accepted > 1_000, `only ${accepted} generated names were valid`);
});

test("agrees with the old pattern at the length limits (owner 39, name 100, ref 255, one trailing slash)", () => {
  const names = [
    `${"o".repeat(39)}/r`,
    `${"o".repeat(40)}/r`,
    `o/${"r".repeat(100)}`,
    `o/${"r".repeat(101)}`,
    `o/${"r".repeat(100)}.git`,
    `o/${"r".repeat(97)}.git`,
    "o/.git",
    "o/a.git.git",
    "o/a.git/",
    `git+https://github.com/o/r@${"x".repeat(255)}`,
    `git+https://github.com/o/r@${"x".repeat(256)}`,
    `git+https://github.com/o/r@${"x".repeat(255)}/`,
    `git+https://github.com/o/r@${"x".repeat(254)}/`,
    `git+https://github.com/o/r@${"x".repeat(255)}//`,
    "git+https://github.com/o/r@/",
    "git+https://github.com/o/r@",
    "git+https://github.com/o/r/@x",
    "  https://github.com/o/r.git  ",
  ];
  for (const name of names) assert.deepEqual(parseRepositoryName(name), oracle(name), name);
});

test("a subject name of a megabyte is refused after reading it once", () => {
  const long = `git+https://github.com/acme/app@${"x".repeat(1 << 20)}`;
  assert.equal(parseRepositoryName(long), undefined);
  assert.equal(parseRepositoryName(`acme/${"a".repeat(1 << 20)}`), undefined);
  assert.equal(parseRepositoryName(`${" ".repeat(1 << 20)}acme/app${" ".repeat(1 << 20)}`)?.repository, "acme/app");
});
