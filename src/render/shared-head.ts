// The section a check run gains when its commit is the head of more than one open pull request: which pull
// requests were judged, which of them count, and why (src/app/shared-head.ts decides).
import type { HeadPull } from "../app/shared-head.js";
import { code, row } from "./markdown.js";

const MAX_ROWS = 20;

export function sharedHeadSection(pulls: readonly HeadPull[], counted: readonly number[]): string {
  if (pulls.length < 2) return "";
  const counts = new Set(counted);
  const lines = [
    "",
    `### This commit is the head of ${pulls.length} open pull requests`,
    "",
    "One check run shows on all of them. Pull requests opened by someone with write access (or by an App from this repository) count; when one of them fails, the check fails. Anyone else's pull request is judged but counts only when no pull request has standing.",
    "",
    "| pull request | opened by | from | verdict | counts |",
    "|---|---|---|---|---|",
  ];
  for (const p of pulls.slice(0, MAX_ROWS)) {
    lines.push(row([`#${p.number}`, code(p.author, { table: true, max: 60 }), p.fork ? "fork" : "this repository", p.conclusion === "success" ? "✅ passes" : "❌ fails", counts.has(p.number) ? "yes" : p.fork ? "no: a fork of someone without write access" : "no: opened by someone without write access"]));
  }
  if (pulls.length > MAX_ROWS) lines.push("", `… and ${pulls.length - MAX_ROWS} more pull requests`);
  return lines.join("\n");
}
