// One GitHub facts port (issue 15): every request to GitHub's API is made in src/adapters/github/. A source scan,
// so a new `octokit.request` in src/app (or a raw fetch of a GitHub route in the CLI) fails here, not in review.
import { test } from "node:test";
import assert from "node:assert/strict";
import { code, offenders, staleExceptions } from "./source-scan.js";

// The port itself, and the GitHub stand-in (it serves GitHub's API: it is the other side of these calls).
const ALLOWED_DIRS = ["adapters/github/", "demo/github/"];
// Known exceptions, each with why; an entry that no longer calls GitHub fails the last test so it is removed.
const EXCEPTIONS: Record<string, string> = {};

const CALLS: { what: string; pattern: RegExp }[] = [
  { what: "an Octokit request (.request)", pattern: /\.request\s*\(/ },
  { what: "Octokit pagination (.paginate)", pattern: /\.paginate\b/ },
  { what: "a GraphQL query (.graphql)", pattern: /\.graphql\s*\(/ },
  { what: "a REST route literal", pattern: /["'`](?:GET|POST|PUT|PATCH|DELETE) \/[a-z]/ },
  // A GitHub REST URL put together from an API base (then fetched through a variable).
  { what: "a GitHub REST URL", pattern: /`\$\{[^}]*\}\/(?:repos|app|app-manifests|installation|orgs|users?)(?:\/|`)/ },
  // A fetch-like call whose first argument names a GitHub REST path.
  { what: "a fetch of a GitHub route", pattern: /\b\w*[fF]etch\w*\s*\(\s*[`"'][^`"'\n]*\/(?:repos|app|app-manifests|installation|orgs|users?)\/[^\n]*/ },
];

/** Every GitHub call in `text`, as "what: line". */
function githubCalls(text: string): string[] {
  const found: string[] = [];
  for (const line of code(text).split("\n")) {
    for (const c of CALLS) if (c.pattern.test(line)) found.push(`${c.what}: ${line.trim().slice(0, 120)}`);
  }
  return found;
}

test("no file outside src/adapters/github/ (and the stand-in) calls GitHub's API", () => {
  assert.deepEqual(offenders(githubCalls, ALLOWED_DIRS, EXCEPTIONS), [], "move these calls into a function in src/adapters/github/ that parses what it returns with zod");
});

test("the scan sees each way of calling GitHub that the App and CLI used before the port", () => {
  const before = [
    'const res = await app.request("GET /app/hook/deliveries", { per_page: 100 });',
    "for await (const page of octokit.paginate.iterator(route, params)) {}",
    'const runs = await octokit\n  .request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {});',
    "const got = await io.fetch(`${api}/repos/${repo}/pulls/${pr}`, { headers });",
    "const url = `${api}/repos/${repo}/pulls/${pr}`;",
    "res = await fetchFn(`${apiUrl}/app-manifests/${code}/conversions`, {});",
  ];
  for (const line of before) assert.notDeepEqual(githubCalls(line), [], line);
  // Comments, URLs in strings and fetches of other services are not calls to GitHub.
  for (const line of ["// octokit.request(...) lives in the adapter", 'const api = "https://api.github.com";', "await fetch(`${rekorUrl}/api/v2/log/entries`, {});"]) {
    assert.deepEqual(githubCalls(line), [], line);
  }
});

test("every listed exception still calls GitHub (else it is taken off the list)", () => {
  assert.deepEqual(staleExceptions(githubCalls, EXCEPTIONS), []);
});
