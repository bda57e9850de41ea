// Work done for bytes an outsider controls is bounded: no HTTP answer in src/ is read whole with fetch's own readers
// (.json(), .text(), .arrayBuffer(), .blob(), .formData() read until the sender stops). Answers go through
// src/adapters/bounded-read.ts (readBodyAtMost, readJsonAtMost), whose callers name their cap. A source scan, so a new
// `await res.json()` fails here, not in review; test/adapters/bounded-answers.test.ts shows each reader's cap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { code, offenders, staleExceptions } from "./source-scan.js";

// The demo's GitHub stand-in and webhook sender talk to this process's own servers.
const ALLOWED_DIRS = ["demo/"];
// Known exceptions, each with why; an entry that no longer matches fails the last test so it is removed.
const EXCEPTIONS: Record<string, string> = {
  "adapters/github/http-transport.ts": "implements the answer Octokit reads; its body is already read, capped at maxBodyBytes",
  "adapters/github/native-json.ts": "a stream only from a fetch other than the App's lean one (tests, the demo's stand-in)",
  "observability/health.ts": "the metrics registry's own text, not an answer from outside",
};

const WHOLE_READ = /\.(?:json|text|arrayBuffer|blob|formData)\s*\(\s*\)/;

function wholeReads(text: string): string[] {
  return code(text)
    .split("\n")
    .filter((line) => WHOLE_READ.test(line))
    .map((line) => line.trim().slice(0, 120));
}

test("no HTTP answer in src/ is read whole: each goes through bounded-read.ts with a cap", () => {
  assert.deepEqual(offenders(wholeReads, ALLOWED_DIRS, EXCEPTIONS), [], "read the answer with readBodyAtMost or readJsonAtMost (src/adapters/bounded-read.ts), with a cap named in the error");
});

test("the scan sees each way an answer was read whole before", () => {
  const before = [
    "const answer = (await res.json()) as { canonicalizedBody?: unknown };",
    "const answer = new Uint8Array(await res.arrayBuffer());",
    "text = (await res.text()).slice(0, ERROR_TEXT_MAX);",
    "const parsed = PullBody.safeParse(await got.json());",
  ];
  for (const line of before) assert.notDeepEqual(wholeReads(line), [], line);
  for (const line of ["// res.json() is not used", "const read = await readJsonAtMost(res, MAX);", "JSON.parse(text)"]) assert.deepEqual(wholeReads(line), [], line);
});

test("every listed exception still reads that way (else it is taken off the list)", () => {
  assert.deepEqual(staleExceptions(wholeReads, EXCEPTIONS), []);
});
