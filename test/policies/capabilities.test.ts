// The capabilities file limits policies to what the wasm module implements: an unsupported builtin fails the build.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { OPA, ROOT, hasOpa } from "./support.js";

const CAPS = join(ROOT, "policies/capabilities.json");

function build(rego: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-caps-"));
  try {
    writeFileSync(join(dir, "p.rego"), rego);
    const r = spawnSync(OPA, ["build", "-t", "wasm", "--capabilities", CAPS, "-e", "p/decision", "-o", join(dir, "b.tar.gz"), join(dir, "p.rego")], { encoding: "utf8" });
    return { status: r.status, output: r.stdout + r.stderr }; // opa build prints errors on stdout
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("policies/capabilities.json", { skip: hasOpa ? false : "no .tools/bin/opa" }, () => {
  it("lists only rego_v1 and builtins the wasm compiler implements natively", () => {
    const caps = JSON.parse(readFileSync(CAPS, "utf8")) as { features: string[]; builtins: { name: string }[] };
    assert.deepEqual(caps.features, ["rego_v1"]);
    const names = caps.builtins.map((b) => b.name);
    for (const n of ["glob.match", "object.keys", "concat", "format_int", "startswith"]) assert.ok(names.includes(n), n);
    for (const n of ["time.now_ns", "crypto.sha256", "io.jwt.decode", "semver.compare", "http.send", "sprintf", "regex.split", "print"]) assert.ok(!names.includes(n), n);
  });

  for (const [call, name] of [
    ["time.now_ns()", "time.now_ns"],
    ['crypto.sha256("x")', "crypto.sha256"],
    ['sprintf("%v", [1])', "sprintf"],
  ]) {
    it(`refuses a policy that calls ${name} at build time`, () => {
      const r = build(`package p\ndecision := {"deny": [{"msg": x, "rule": "r"}], "warn": []} if x := ${call}\n`);
      assert.notEqual(r.status, 0);
      assert.match(r.output, new RegExp(`undefined function ${name!.replace(".", "\\.")}`));
    });
  }

  it("builds a policy that sticks to them", () => {
    assert.equal(build('package p\ndecision := {"deny": [], "warn": []} if glob.match("a/**", ["/"], "a/b")\n').status, 0);
  });
});
