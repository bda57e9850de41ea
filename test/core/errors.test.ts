// The error catalogue: every code thrown in src/ is documented with the kinds it is thrown with, no entry is stale,
// and docs/errors.md is generated from it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { AgentGateError, ERROR_CODES, type ErrorCode, type ErrorKind } from "../../src/core/errors.js";
import { errorsDoc, generatedDocs } from "../../scripts/gen-docs.js";
import { CLI_CODES } from "../../src/cli/codes.js";
import { CliFailure } from "../../src/cli/args.js";
import { VERIFICATION_CODES } from "../../src/core/verification.js";
import { COMMIT_VERIFICATION_CODES } from "../../src/adapters/sigstore/gitsign.js";

interface Use {
  readonly code: string;
  readonly kinds: readonly ErrorKind[] | undefined; // undefined: not a literal (e.g. a kind carried over from a thread)
  readonly where: string;
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));

// The literal values an expression can take: a string, or either branch of a conditional.
function literals(e: ts.Expression | undefined): string[] | undefined {
  if (e === undefined) return undefined;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [e.text];
  if (ts.isParenthesizedExpression(e)) return literals(e.expression);
  if (ts.isConditionalExpression(e)) {
    const a = literals(e.whenTrue);
    const b = literals(e.whenFalse);
    return a && b ? [...a, ...b] : undefined;
  }
  return undefined;
}

/** Every place src/ makes an AgentGateError with a literal code: `new AgentGateError(...)`, a subclass's `super(...)`, serviceError's two codes. */
function codesUsedInSrc(): Use[] {
  const uses: Use[] = [];
  for (const file of sourceFiles("src")) {
    const text = readFileSync(file, "utf8");
    if (!text.includes("AgentGateError") && !text.includes("serviceError")) continue;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const add = (codeArg: ts.Expression | undefined, kinds: readonly ErrorKind[] | undefined, node: ts.Node) => {
      const where = `${file}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
      for (const code of literals(codeArg) ?? []) uses.push({ code, kinds, where });
    };
    const kindsOf = (arg: ts.Expression | undefined) => (arg === undefined ? (["invalid-input"] as const) : (literals(arg) as ErrorKind[] | undefined));
    const visit = (n: ts.Node, inSubclass: boolean): void => {
      if (ts.isClassDeclaration(n) || ts.isClassExpression(n)) {
        inSubclass = (n.heritageClauses ?? []).some((h) => h.types.some((t) => t.expression.getText(sf) === "AgentGateError"));
      }
      if (ts.isNewExpression(n) && n.expression.getText(sf) === "AgentGateError") add(n.arguments?.[0], kindsOf(n.arguments?.[2]), n);
      if (inSubclass && ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) add(n.arguments[0], kindsOf(n.arguments[2]), n);
      if (ts.isCallExpression(n) && n.expression.getText(sf) === "serviceError") {
        add(n.arguments[2], ["transient"], n);
        add(n.arguments[3], ["transient"], n);
      }
      n.forEachChild((c) => visit(c, inSubclass));
    };
    visit(sf, false);
  }
  return uses;
}

describe("error catalogue", () => {
  const uses = codesUsedInSrc();

  it("documents every code with a summary and at least one kind", () => {
    const kinds: readonly ErrorKind[] = ["invalid-input", "transient", "internal"];
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^[A-Z][A-Z0-9_]*$/, code);
      assert.ok(entry.summary.length >= 20 && /[.!]$/.test(entry.summary), `${code}: expected a sentence saying what it means`);
      assert.ok(entry.kinds.length > 0 && entry.kinds.every((k) => kinds.includes(k)), `${code}: kinds ${entry.kinds.join(", ")}`);
      assert.equal(new Set(entry.kinds).size, entry.kinds.length, `${code}: a kind listed twice`);
    }
  });

  it("holds every code src/ throws, with the kind it is thrown with", () => {
    assert.ok(uses.length > 100, `expected the scan to find the call sites, found ${uses.length}`);
    for (const u of uses) {
      const entry = (ERROR_CODES as Record<string, { kinds: readonly ErrorKind[] }>)[u.code];
      assert.ok(entry, `${u.where}: ${u.code} is not in ERROR_CODES (src/core/errors.ts)`);
      for (const k of u.kinds ?? []) assert.ok(entry.kinds.includes(k), `${u.where}: ${u.code} is thrown as ${k}, but ERROR_CODES lists ${entry.kinds.join(", ")}`);
    }
  });

  it("has no entry that src/ no longer uses", () => {
    const used = new Set(uses.map((u) => u.code));
    const kindsUsed = new Map<string, Set<string>>();
    for (const u of uses) for (const k of u.kinds ?? []) (kindsUsed.get(u.code) ?? kindsUsed.set(u.code, new Set()).get(u.code))?.add(k);
    // INTERNAL_ERROR is never thrown: it is what the App and CLI show for a value that is not an AgentGateError.
    const fallback = sourceFiles("src").filter((f) => readFileSync(f, "utf8").includes('"INTERNAL_ERROR"'));
    assert.ok(fallback.length > 0, "INTERNAL_ERROR is documented but nothing in src/ reports it");
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      if (code === "INTERNAL_ERROR") continue;
      assert.ok(used.has(code), `${code} is documented but nothing in src/ throws it`);
      for (const k of entry.kinds) assert.ok(kindsUsed.get(code)?.has(k), `${code} is documented as ${k} but never thrown as ${k}`);
    }
  });

  it("types the code: a misspelt code does not compile, a documented one does", () => {
    // @ts-expect-error: not in the catalogue
    const misspelt = new AgentGateError("CONFIG_INVLID", "x");
    const ok: ErrorCode = new AgentGateError("CONFIG_INVALID", "x").code;
    assert.equal(misspelt.code, "CONFIG_INVLID");
    assert.equal(ok, "CONFIG_INVALID");
  });

  it("generates docs/errors.md with one row per code", () => {
    const doc = errorsDoc(ERROR_CODES);
    assert.equal(generatedDocs()["docs/errors.md"], doc);
    assert.equal(readFileSync("docs/errors.md", "utf8"), doc, "docs/errors.md is stale: run npm run docs:gen");
    for (const [code, entry] of Object.entries(ERROR_CODES)) assert.ok(doc.includes(`| \`${code}\` | ${entry.kinds.join(", ")} | ${entry.summary.replace(/\|/g, "\\|")} |`), code);
  });

  it("documents the command line's own codes and the verifiers' outcomes too, each once", () => {
    const doc = readFileSync("docs/errors.md", "utf8");
    for (const [code, entry] of Object.entries(CLI_CODES)) assert.ok(doc.includes(`| \`${code}\` | ${entry.exit} | `), code);
    for (const code of [...Object.keys(VERIFICATION_CODES), ...Object.keys(COMMIT_VERIFICATION_CODES)]) assert.match(doc, new RegExp(`^\\| \`${code}\` \\| `, "m"), code);
    // A CLI code is the CLI's alone: one with the catalogue's or a verifier's name would be two meanings for one code.
    const elsewhere = new Set([...Object.keys(ERROR_CODES), ...Object.keys(VERIFICATION_CODES), ...Object.keys(COMMIT_VERIFICATION_CODES)]);
    assert.deepEqual(Object.keys(CLI_CODES).filter((c) => elsewhere.has(c)), []);
    // CliFailure takes only a documented code (a type check: a misspelt literal does not compile).
    // @ts-expect-error -- not a code of any registry
    const misspelt = new CliFailure("NOT_A_CODE", "x");
    assert.equal(misspelt.code, "NOT_A_CODE");
  });
});
