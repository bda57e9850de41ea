import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { bodyMarkerClaims, parseTrailers, trailerClaims } from "../../src/core/trailers.js";

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

  test("markers in huge bodies are found in linear time", () => {
    const started = performance.now();
    bodyMarkerClaims("Requested by: ".repeat(50_000) + "started by ".repeat(50_000));
    assert.ok(performance.now() - started < 1000);
  });
});
