import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { bodyMarkerClaims, parseTrailers, trailerClaims } from "../../src/core/trailers.js";
import type { Trailer } from "../../src/core/trailers.js";

// The regex-based parser these scanners replaced, kept as the oracle (run only on short messages: it was quadratic).
function oldParseTrailers(message: string): Trailer[] {
  const lines = message.replace(/\r\n?/g, "\n").split("\n").filter((l) => !l.startsWith("#"));
  const paragraphs: string[][] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (line.trim() === "") {
      if (current.length) paragraphs.push(current);
      current = [];
    } else current.push(line);
  }
  if (current.length) paragraphs.push(current);
  if (paragraphs.length < 2) return [];
  const generatedRes = [/^Signed-off-by: /i, /^\(cherry picked from commit [0-9a-f]+\)$/];
  const trailers: { key: string; value: string }[] = [];
  let trailerLines = 0;
  let otherLines = 0;
  let generated = false;
  let last: { key: string; value: string } | undefined;
  for (const line of paragraphs[paragraphs.length - 1] ?? []) {
    if (/^[ \t]/.test(line) && last) {
      last.value = `${last.value} ${line.trim()}`.trim();
      continue;
    }
    const m = /^([A-Za-z0-9][A-Za-z0-9-]{0,99})[ \t]*:[ \t]?(.*)$/.exec(line);
    if (m && m[1] !== undefined && m[2] !== undefined) {
      last = { key: m[1], value: m[2].trim() };
      trailers.push(last);
      trailerLines++;
    } else {
      last = undefined;
      otherLines++;
    }
    if (generatedRes.some((re) => re.test(line))) generated = true;
  }
  if (trailerLines === 0) return [];
  if (otherLines > 0 && !(generated && trailerLines * 4 >= trailerLines + otherLines)) return [];
  return trailers;
}
function oldNameEmail(value: string): { name: string; email?: string } {
  const m = /^(.*?)\s*<([^<>\s]+)>\s*$/.exec(value);
  if (m && m[1] !== undefined && m[2] !== undefined) return { name: m[1].trim(), email: m[2] };
  return { name: value.trim() };
}
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe("trailers of hostile size (GitHub shows commit messages of a megabyte and more)", () => {
  const N = 400_000;
  test("a 400 KB Co-authored-by trailer of spaces is read whole, with the right name and address", { timeout: 60_000 }, () => {
    const [c] = trailerClaims(`Subject\n\nCo-authored-by: Claude${" ".repeat(N)}x <noreply@anthropic.com>\n`);
    assert.ok(c?.kind === "co-authored-by");
    assert.equal(c.name, `Claude${" ".repeat(N)}x`);
    assert.equal(c.email, "noreply@anthropic.com");
    const [blank] = trailerClaims(`Subject\n\nCo-authored-by:${" ".repeat(N)}`);
    assert.ok(blank?.kind === "co-authored-by");
    assert.equal(blank.name, "");
  });

  test("400 KB co-author values of spaces, brackets and line separators give the name and address the old pattern gave", { timeout: 60_000 }, () => {
    const cases: [string, { name: string; email?: string }][] = [
      [`a${" ".repeat(N)}<`, { name: `a${" ".repeat(N)}<` }],
      [`a${" ".repeat(N)}b`, { name: `a${" ".repeat(N)}b` }],
      [`<${" <".repeat(N / 2)}>`, { name: `<${" <".repeat(N / 2)}>` }],
      [`${"<a".repeat(N / 2)}> x`, { name: `${"<a".repeat(N / 2)}> x` }],
      // a line separator ends a trailer line, but a continuation line may carry one
      [`a\n b${"\u2028".repeat(N)}<x@y>`, { name: "a b", email: "x@y" }],
      [`a\n b\u2028c${" ".repeat(N)}<x@y>`, { name: `a b\u2028c${" ".repeat(N)}<x@y>` }],
    ];
    for (const [value, expected] of cases) {
      const [c] = trailerClaims(`S\n\nCo-authored-by: ${value}`);
      assert.ok(c?.kind === "co-authored-by");
      assert.deepEqual({ name: c.name, ...(c.email !== undefined ? { email: c.email } : {}) }, expected, value.slice(0, 20));
    }
  });

  test("250,000 continuation lines are joined once", { timeout: 60_000 }, () => {
    const [t] = parseTrailers(`S\n\nCo-authored-by: a${"\n b".repeat(250_000)}`);
    assert.equal(t?.value.length, 1 + 2 * 250_000);
    assert.ok(t.value.startsWith("a b b"));
  });

  test("a megabyte key, a megabyte of blanks before the colon, and 250,000 trailer lines", { timeout: 60_000 }, () => {
    assert.deepEqual(parseTrailers(`S\n\n${"A".repeat(1 << 20)}: x`), []);
    assert.deepEqual(parseTrailers(`S\n\nKey${" ".repeat(1 << 20)}: x`), [{ key: "Key", value: "x" }]);
    assert.deepEqual(parseTrailers(`S\n\nKey${" ".repeat(1 << 20)}x`), []);
    assert.equal(parseTrailers(`S\n\n${"Co-authored-by: a <a@b>\n".repeat(250_000)}`).length, 250_000);
    assert.deepEqual(parseTrailers(`S\n\n(cherry picked from commit ${"a".repeat(1 << 20)})\nX: y\nz\nw`).length, 1);
  });

  test("agrees with the old regex parser on generated messages", () => {
    const next = rng(2);
    const pick = (xs: readonly string[]): string => xs[Math.floor(next() * xs.length)] ?? "";
    const pieces = ["Co-authored-by", "co-AUTHORED-by", "Signed-off-by: ", "(cherry picked from commit ab12)", "(cherry picked from commit AB)", "Key", "K-1", "-x", ":", ": ", " :", "\t", " ", "  ", "a", "<", ">", "<a@b>", "x y", "\n", "\n", "\n", "\r\n", "\r", "\n\n", "#", "\u2028", "\u00a0", "é", ","];
    let withTrailers = 0;
    for (let n = 0; n < 20_000; n++) {
      let msg = "S\n\n";
      const len = 1 + Math.floor(next() * 12);
      for (let k = 0; k < len; k++) msg += pick(pieces);
      const expected = oldParseTrailers(msg);
      if (expected.length) withTrailers++;
      assert.deepEqual(parseTrailers(msg), expected, JSON.stringify(msg));
      const claims = trailerClaims(msg);
      for (const c of claims) if (c.kind === "co-authored-by" || c.kind === "signed-off-by") {
        const value = c.raw.slice(c.raw.indexOf(":") + 2);
        assert.deepEqual({ name: c.name, email: c.email }, { email: undefined, ...oldNameEmail(value) }, JSON.stringify(msg));
      }
    }
    assert.ok(withTrailers > 1_000, `only ${withTrailers} generated messages had trailers`);
  });
});

describe("parseTrailers (git interpret-trailers semantics)", () => {
  test("trailers come from the last paragraph only", () => {
    const msg = "Fix login\n\nReviewed-by: not a trailer block because\nthis line is prose\n\nSigned-off-by: Alice <alice@example.com>\nCo-authored-by: Claude <noreply@anthropic.com>\n";
    assert.deepEqual(parseTrailers(msg), [
      { key: "Signed-off-by", value: "Alice <alice@example.com>" },
      { key: "Co-authored-by", value: "Claude <noreply@anthropic.com>" },
    ]);
  });

  test("a subject line alone is never a trailer", () => {
    assert.deepEqual(parseTrailers("Co-authored-by: Claude <noreply@anthropic.com>"), []);
    assert.deepEqual(parseTrailers("fix: the thing\nCo-authored-by: Claude <noreply@anthropic.com>"), []);
  });

  test("keys are case-insensitive for claims; continuation lines are joined", () => {
    const msg = "Subject\n\nBody.\n\nco-AUTHORED-by: Claude\n  <noreply@anthropic.com>\nAssisted-by: claude-code:anthropic/claude-sonnet-4-5\n\t[Bash] [Edit]\n";
    const claims = trailerClaims(msg);
    assert.deepEqual(
      claims.map((c) => c.kind),
      ["co-authored-by", "assisted-by"],
    );
    assert.deepEqual({ ...claims[0] }, { verified: false, source: "commit-trailer", raw: "co-AUTHORED-by: Claude <noreply@anthropic.com>", kind: "co-authored-by", name: "Claude", email: "noreply@anthropic.com" });
    assert.deepEqual(claims[1], {
      verified: false,
      source: "commit-trailer",
      raw: "Assisted-by: claude-code:anthropic/claude-sonnet-4-5 [Bash] [Edit]",
      kind: "assisted-by",
      agent: "claude-code",
      model: "anthropic/claude-sonnet-4-5",
      tools: ["Bash", "Edit"],
    });
  });

  test("a last paragraph of prose has no trailers, even with a colon in it", () => {
    assert.deepEqual(parseTrailers("Subject\n\nNote: this is just prose\nand more prose here.\n"), []);
  });

  test("with a git-generated Signed-off-by, a block that is 25 % trailers counts", () => {
    const msg = "Subject\n\nSigned-off-by: Bob <bob@example.com>\nsome text\nmore text\nGenerated-by: aider 0.80\n";
    assert.deepEqual(
      trailerClaims(msg).map((c) => c.kind),
      ["signed-off-by", "generated-by"],
    );
    assert.deepEqual(parseTrailers("Subject\n\nGenerated-by: aider\nsome text\nmore text\n"), [], "without a git-generated line every line must be a trailer");
  });

  test("CRLF messages, trailing blank lines and comment lines", () => {
    const msg = "Subject\r\n\r\nBody\r\n\r\nGenerated-by: Copilot\r\n# a comment\r\n\r\n\r\n";
    assert.deepEqual(trailerClaims(msg), [{ verified: false, source: "commit-trailer", raw: "Generated-by: Copilot", kind: "generated-by", generator: "Copilot" }]);
  });

  test("Assisted-by forms: agent only, comma-separated tools, a model with colons", () => {
    const claims = trailerClaims("S\n\nAssisted-by: Cursor\nAssisted-by: ollama:llama3:8b grep, sed\n");
    assert.deepEqual(
      claims.map((c) => (c.kind === "assisted-by" ? [c.agent, c.model, c.tools] : [])),
      [
        ["Cursor", undefined, []],
        ["ollama", "llama3:8b", ["grep", "sed"]],
      ],
    );
  });

  test("a co-author without an e-mail address", () => {
    const [c] = trailerClaims("S\n\nCo-authored-by: Claude\n");
    assert.ok(c?.kind === "co-authored-by");
    assert.equal(c.name, "Claude");
    assert.equal(c.email, undefined);
  });

  test("unrelated trailers are parsed but are not claims", () => {
    const msg = "S\n\nReviewed-by: X <x@example.com>\nFixes: #12\n";
    assert.equal(parseTrailers(msg).length, 2);
    assert.deepEqual(trailerClaims(msg), []);
  });
});

describe("PR body markers", () => {
  test("well-known agent markers are claims with the claimed requester", () => {
    const body = [
      "Fixes the bug.",
      "",
      "🤖 Generated with [Claude Code](https://claude.ai/code)",
      "Requested by: @alice",
      "This task was started by @bob",
      "<!-- START COPILOT CODING AGENT TIPS -->",
      "https://chatgpt.com/codex/tasks/task_e_123",
    ].join("\n");
    const claims = bodyMarkerClaims(body);
    assert.deepEqual(
      claims.map((c) => [c.agent, c.requestedBy, c.verified, c.source]),
      [
        ["claude-code", undefined, false, "pr-body"],
        ["devin", "alice", false, "pr-body"],
        ["jules", "bob", false, "pr-body"],
        ["copilot", undefined, false, "pr-body"],
        ["codex", undefined, false, "pr-body"],
      ],
    );
  });

  test("a body without markers has no claims", () => {
    assert.deepEqual(bodyMarkerClaims("Bump lodash from 4.17.20 to 4.17.21.\n\nSigned-off-by: dependabot[bot]"), []);
  });

  test("a body of 65,536 characters of near-markers gives the one real marker", { timeout: 60_000 }, () => {
    for (const filler of ["Requested by: ", "Requested by:   **", "started by   ", "Generated with [Claude", "chatgpt.com/codex/task"]) {
      const body = filler.repeat(Math.ceil(65_536 / filler.length)).slice(0, 65_536 - 20) + "started by @carol";
      const claims = bodyMarkerClaims(body);
      assert.deepEqual(
        claims.map((c) => [c.agent, c.requestedBy]),
        [["jules", "carol"]],
        filler,
      );
    }
  });
});
