// The README states what a newcomer acts on, and it stays true: the example check run is a verbatim excerpt of its
// snapshot, the Node versions are package.json's, the license file is the one package.json names, the Quick start is
// its two command lines, and prose lines (not tables, code or the quoted excerpt) stay within 120 characters.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const README = read("README.md");

it("the README's example check run is an excerpt of the snapshot it names, line for line", () => {
  const m = /<!-- excerpt: (\S+) [^>]*-->\n([^]*?)\n<!-- end of excerpt -->/.exec(README);
  assert.ok(m, "README.md holds an excerpt of a check run between <!-- excerpt: FILE --> and <!-- end of excerpt -->");
  const snapshot = read(m[1]!).split("\n");
  const lines = m[2]!.split("\n").map((l) => l.replace(/^> ?/, "")).filter((l) => l !== "");
  assert.ok(lines.length >= 5, "the excerpt shows the verdict, the agent and the commit table");
  for (const l of lines) assert.ok(snapshot.includes(l), `${m[1]} has no line ${JSON.stringify(l)}`);
});

it("the prerequisites name package.json's Node versions", () => {
  const node = (JSON.parse(read("package.json")) as { engines: { node: string } }).engines.node;
  assert.match(README, new RegExp(`\\*\\*Prerequisites\\.\\*\\* Node\\.js \`${node.replace(/[|^.>=]/g, "\\$&")}\``));
});

it("LICENSE is the license package.json names", () => {
  assert.equal((JSON.parse(read("package.json")) as { license: string }).license, "Apache-2.0");
  const text = read("LICENSE");
  assert.match(text, /^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\/\s+TERMS AND CONDITIONS/);
  assert.match(text, /END OF TERMS AND CONDITIONS/);
});

it("the Quick start is two command lines", () => {
  assert.match(README, /## Quick start\n\n```\nnpm ci && npm run demo\nnpm test\n```\n/);
});

it("README prose lines are at most 120 characters (tables, code blocks and the quoted excerpt aside)", () => {
  let fenced = false;
  README.split("\n").forEach((line, i) => {
    if (line.trimStart().startsWith("```")) fenced = !fenced;
    if (fenced || /^\s*\|/.test(line) || line.startsWith(">")) return;
    assert.ok(line.length <= 120, `README.md:${i + 1} is ${line.length} characters`);
  });
});
