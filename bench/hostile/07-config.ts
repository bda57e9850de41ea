// Class 7, config errors are config errors: hostile .github/agent-gate.yml files, read and validated as the App reads
// them (parseRepoConfig: the YAML reader, then the schema), each timed: an alias bomb, 40,000 unknown keys (over the
// App's 64 KiB cap, which `policy eval --config` did not have; 36.5 s before), nesting that fills the cap, and long
// keys over long lists (each item's position was stored under its whole path's text: the 32,000-character key over
// 16,500 items did not finish in 60 s under the App's 512 MB heap, 539 s and 800 MB without it; 30 nested keys of
// 256 characters over 28,000 items, 3.6 s and 222 M characters stored).
// Bound: each is CONFIG_INVALID with a line, in linear time.
import { CONFIG_MAX_BYTES } from "../../src/adapters/github/config-source.js";
import { parseRepoConfig } from "../../src/config/repo-config.js";
import type { HostileRow } from "../hostile.js";

const CLASS = "7 config";
const rss = (): number => process.resourceUsage().maxRSS / 1024;
const kib = (text: string): string => `${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB`;

function row(input: string, text: string, bound: number): HostileRow {
  const t = performance.now();
  const r = parseRepoConfig(text);
  const seconds = (performance.now() - t) / 1000;
  const first = r.ok ? "" : (r.messages[0] ?? "");
  const located = / \(line \d+, column \d+\)$/.test(first);
  return {
    class: CLASS,
    input,
    size: kib(text),
    seconds,
    peakRssMb: rss(),
    outcome: r.ok ? "ACCEPTED" : `CONFIG_INVALID, ${r.messages.length} messages: ${first.replace(/^\.github\/agent-gate\.yml: /, "").slice(0, 70)}`,
    bound: `CONFIG_INVALID with a line, < ${bound} s`,
    met: !r.ok && located && seconds < bound,
  };
}

export async function rows(): Promise<HostileRow[]> {
  await Promise.resolve();
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (const [prev, name] of [["a", "b"], ["b", "c"], ["c", "d"], ["d", "e"], ["e", "f"], ["f", "g"], ["g", "h"]]) bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  const keys = Array.from({ length: 40_000 }, (_, i) => `k${i}: 1`).join("\n");
  const deepFlow = `agents: ${"[".repeat((CONFIG_MAX_BYTES - 10) / 2)}${"]".repeat((CONFIG_MAX_BYTES - 10) / 2)}`;
  const depth = Math.floor((CONFIG_MAX_BYTES - 10) / 5);
  const deepMap = `agents: ${"{a: ".repeat(depth)}1${"}".repeat(depth)}`;
  const longKey = `? ${"k".repeat(32_000)}\n: [${Array(16_500).fill("1").join(",")}]\n`;
  const head = Array.from({ length: 30 }, (_, i) => `{${String.fromCharCode(97 + (i % 26)).repeat(256)}: `).join("");
  const nestedKeys = `${head}[${Array(Math.floor((CONFIG_MAX_BYTES - head.length - 40) / 2)).fill("1").join(",")}]${"}".repeat(30)}\n`;
  const surrogates = `agents:\n  labels: [${Array.from({ length: 4000 }, () => '"\\ud800"').join(", ")}]\n`;
  return [
    row("alias bomb: 8 levels of 9 aliases (9^8 = 43 M nodes expanded)", bomb.join("\n"), 0.5),
    row("40,000 unknown keys (over the App's cap; policy eval had none)", keys, 3),
    row("flow lists nested to fill the 64 KiB cap", deepFlow, 1),
    row("flow maps nested to fill the 64 KiB cap", deepMap, 1),
    row("4,000 lone surrogates in strings", surrogates, 0.5),
    row("a 32,000-character explicit key over 16,500 list items", longKey, 1),
    row("30 nested 256-character keys over 28,000 list items", nestedKeys, 1),
  ];
}
