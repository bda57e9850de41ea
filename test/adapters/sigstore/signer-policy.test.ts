// Identity patterns: anchored full match with RE2 (linear time), the same refusals as before, and RE2's own
// refusals naming the pattern.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileIdentityPattern, compileSigner, IDENTITY_PATTERN_MAX_LENGTH } from "../../../src/adapters/sigstore/signer-policy.js";
import type { CompiledSigner } from "../../../src/adapters/sigstore/signer-policy.js";

const ISSUER = "https://token.actions.githubusercontent.com";
const SAN = "https://github.com/acme/web/.github/workflows/agent.yml@refs/heads/main";

function certificate(identityPattern: string): Extract<CompiledSigner, { kind: "certificate" }> {
  const c = compileSigner({ kind: "certificate", identityPattern, issuer: ISSUER });
  assert.ok(typeof c !== "string", typeof c === "string" ? c : "");
  assert.ok(c.kind === "certificate");
  return c;
}

function refusal(identityPattern: string): string {
  const c = compileSigner({ kind: "certificate", identityPattern, issuer: ISSUER });
  assert.equal(typeof c, "string", `${identityPattern} should be refused`);
  return c as string;
}

test("^(a+)+$ against 50,000 a's and a '!' returns (no catastrophic backtracking)", { timeout: 20_000 }, () => {
  const s = certificate("^(a+)+$");
  assert.equal(s.matches("a".repeat(50_000) + "!"), false);
  assert.equal(s.matches("a".repeat(50_000)), true);
  const nested = certificate("^(a|a)*(b|aa?)*$");
  assert.equal(nested.matches("a".repeat(50_000) + "!"), false);
  const classy = certificate("^https://github\\.com/([a-z0-9-]+/?)+\\.yml$");
  assert.equal(classy.matches("https://github.com/" + "a/".repeat(20_000) + "!"), false);
});

test("an anchored pattern full-matches the SAN, and only the whole SAN", () => {
  const s = certificate("^https://github\\.com/acme/[a-z-]+/\\.github/workflows/[a-z-]+\\.yml@refs/heads/main$");
  assert.equal(s.matches(SAN), true);
  assert.equal(s.matches(`${SAN}x`), false);
  assert.equal(s.matches(`x${SAN}`), false);
  assert.equal(s.matches(`${SAN}\n`), false, "$ is the end of the text, not the end of a line");
  assert.equal(s.describe, "identity matching ^https://github\\.com/acme/[a-z-]+/\\.github/workflows/[a-z-]+\\.yml@refs/heads/main$");
});

test("^a|b$ is wrapped again: neither branch matches a SAN that merely starts or ends with it", () => {
  const s = certificate("^nothing$|acme.*$");
  assert.equal(s.matches(SAN), false);
  assert.equal(s.matches("nothing"), true);
  assert.equal(s.matches("acme/x"), true);
});

test("unanchored patterns are refused with the anchoring message", () => {
  for (const p of ["conformance", "^https://github\\.com/", "acme.*$", "", "^$", "^a\\$"]) {
    assert.equal(refusal(p), `expected an identity pattern anchored with ^...$, got ${JSON.stringify(p)}`);
  }
});

test("a pattern that is not JavaScript syntax is refused as before (does not compile)", () => {
  for (const p of ["^(a$", "^a{,2}$", "^(?i)a$", "^a++$"]) assert.match(refusal(p), /^identity pattern does not compile: /, p);
});

test("a pattern RE2 cannot compile is refused with the pattern named", () => {
  for (const p of ["^(?=a)a$", "^(a)\\1$", "^(?<n>a)\\k<n>$", "^a(?!b).*$", "^(?<=a)b$", "^\\u0041$", "^a{1001}$"]) {
    const m = refusal(p);
    assert.ok(m.startsWith(`identity pattern ${JSON.stringify(p)} cannot be compiled by the linear-time matcher`), m);
  }
});

test("a pattern longer than the cap is refused", () => {
  const p = `^${"a".repeat(IDENTITY_PATTERN_MAX_LENGTH)}$`;
  assert.equal(refusal(p), `identity pattern is ${p.length} characters; expected at most ${IDENTITY_PATTERN_MAX_LENGTH}`);
});

test("common JavaScript syntax keeps its meaning under RE2", () => {
  const cases: [string, string, boolean][] = [
    ["^[\\w.-]+@example\\.com$", "agent.bot-1@example.com", true],
    ["^\\d{3}$", "123", true],
    ["^\\d{3}$", "1234", false],
    ["^a\\/b$", "a/b", true],
    ["^(?<org>[a-z]+)/x$", "acme/x", true],
    ["^\\p{L}+$", "héllo", true],
    ["^.$", "\u{1F600}", true],
    ["^(?:a|b)*?c$", "ababc", true],
    ["^[$]x$", "$x", true],
  ];
  for (const [p, san, want] of cases) {
    const m = compileIdentityPattern(p);
    assert.ok(typeof m === "function", `${p}: ${String(m)}`);
    assert.equal(m(san), want, `${p} on ${san}`);
    assert.equal(new RegExp(`^(?:${p})$`, "u").test(san), want, `RegExp agrees on ${p}`);
  }
});

test("a SAN with a control or line-separator character matches no pattern (RE2's . would take \\r)", () => {
  const s = certificate("^https://.*$");
  for (const bad of ["https://a\rb", "https://a\u2028b", "https://a\u0000", "https://a\u007f", "https://a\nb"]) assert.equal(s.matches(bad), false, JSON.stringify(bad));
  assert.equal(s.matches("https://a b"), true);
});

test("an exact identity is still compared as a string", () => {
  const c = compileSigner({ kind: "certificate", identity: "^(a+)+$", issuer: ISSUER });
  assert.ok(typeof c !== "string" && c.kind === "certificate");
  assert.equal(c.matches("^(a+)+$"), true);
  assert.equal(c.matches("aaa"), false);
});
