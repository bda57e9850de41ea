// Differential test of src/core/digest.ts against its previous implementation (kept here as the oracle): the
// canonical text is hashed into audit chains and config/policy-data digests, so every output byte and every
// error (code and message) must stay the same, on real payloads and on random JSON-like values.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { canonicalize, pointerToken, sha256Bytes, sha256Hex } from "../../src/core/digest.js";
import { AgentGateError } from "../../src/core/errors.js";
import { mulberry32 } from "../../src/demo/github/faults.js";

// ---- the oracle: src/core/digest.ts as of 5ad3dfa ----
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function oldNotJson(path: string, what: string): never {
  throw new AgentGateError("AUDIT_NOT_JSON", `expected JSON data at ${path || "/"}, found ${what}`);
}
function oldPointerToken(k: string): string {
  return k.replace(/~/g, "~0").replace(/\//g, "~1");
}
function oldWrite(v: unknown, ancestors: Set<object>, path: string): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) oldNotJson(path, String(v));
      return JSON.stringify(v);
    case "string":
      if (LONE_SURROGATE.test(v)) oldNotJson(path, "a string with a lone surrogate");
      return JSON.stringify(v);
    case "object":
      break;
    default:
      return oldNotJson(path, typeof v);
  }
  const o = v;
  if (ancestors.has(o)) oldNotJson(path, "a cycle");
  ancestors.add(o);
  try {
    if (Array.isArray(o)) {
      return `[${o.map((x: unknown, i) => (x === undefined ? oldNotJson(`${path}/${i}`, "undefined") : oldWrite(x, ancestors, `${path}/${i}`))).join(",")}]`;
    }
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) oldNotJson(path, `an instance of ${o.constructor?.name ?? "a class"}`);
    const rec = o as Record<string, unknown>;
    const keys = Object.keys(rec).filter((k) => rec[k] !== undefined);
    keys.sort();
    const parts: string[] = [];
    for (const k of keys) {
      if (LONE_SURROGATE.test(k)) oldNotJson(path, "a key with a lone surrogate");
      parts.push(`${JSON.stringify(k)}:${oldWrite(rec[k], ancestors, `${path}/${oldPointerToken(k)}`)}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    ancestors.delete(o);
  }
}
const oldCanonicalize = (v: unknown): string => oldWrite(v, new Set<object>(), "");
// ---- end of the oracle ----

type Outcome = { text: string } | { code: unknown; message: string; name: string };
function run(f: (v: unknown) => string, v: unknown): Outcome {
  try {
    return { text: f(v) };
  } catch (err) {
    const e = err as AgentGateError;
    return { code: e.code, message: e.message, name: e.name };
  }
}
function same(v: unknown, label: string): Outcome {
  const want = run(oldCanonicalize, v);
  assert.deepEqual(run(canonicalize, v), want, label);
  return want;
}

/** An array of `length` with elements only at `at` (the others are holes). */
function sparse(length: number, at: number[]): unknown[] {
  const a = new Array<unknown>(length);
  for (const i of at) a[i] = i + 1;
  return a;
}

/** A small seeded PRNG (mulberry32, the fault harness's), so a failure reproduces. */
const rng = mulberry32;

const NUMBERS = [0, -0, 1, -1, 0.1, 1e21, 1e20, 1e-7, 1e-6, 5e-324, -5e-324, 1.7976931348623157e308, Number("9007199254740993"), Number("333333333.33333329"), 4.5, 2 ** 31, -(2 ** 53)];
const UNITS = ["a", "Z", "0", "9", "~", "/", "~1", "\\", '"', "\n", "\r", "\t", "\u0000", "\u001f", "\u007f", "\u0080", "é", "€", "\u2028", "\u2029", "\ufb33", "\ufeff", "\ud83d\ude00", "\ud800", "\udfff", "\udc00", "\udbff", " ", "__proto__", "constructor"];

function randomString(r: () => number, allowLone: boolean): string {
  const n = Math.floor(r() * 6);
  let s = "";
  for (let i = 0; i < n; i++) {
    let u = UNITS[Math.floor(r() * UNITS.length)] as string;
    if (!allowLone && /^[\ud800-\udfff]$/.test(u)) u = "x";
    s += u;
  }
  return s;
}

function randomValue(r: () => number, depth: number, lone: boolean): unknown {
  const pick = r();
  if (depth > 4 || pick < 0.35) {
    const p = r();
    if (p < 0.1) return null;
    if (p < 0.2) return r() < 0.5;
    if (p < 0.5) return r() < 0.5 ? NUMBERS[Math.floor(r() * NUMBERS.length)] : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
    return randomString(r, lone);
  }
  if (pick < 0.6) {
    const a: unknown[] = [];
    const n = Math.floor(r() * 5);
    for (let i = 0; i < n; i++) a.push(randomValue(r, depth + 1, lone));
    return a;
  }
  const o: Record<string, unknown> = r() < 0.05 ? (Object.create(null) as Record<string, unknown>) : {};
  const n = Math.floor(r() * 7);
  for (let i = 0; i < n; i++) {
    const k = r() < 0.2 ? String(Math.floor(r() * 20)) : randomString(r, lone);
    Object.defineProperty(o, k, { value: r() < 0.05 ? undefined : randomValue(r, depth + 1, lone), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

/** Puts something that is not JSON data somewhere inside `v` (or returns it as is when it holds no container). */
function spoil(r: () => number, v: unknown): unknown {
  const bad: unknown[] = [NaN, Infinity, -Infinity, 1n, undefined, () => 1, Symbol("s"), new Date(0), new Map(), new (class Thing {})(), "\ud800", sparse(3, [0, 2])];
  let target = v;
  for (let i = 0; i < 4 && typeof target === "object" && target !== null; i++) {
    const keys = Object.keys(target);
    if (keys.length === 0 || r() < 0.3) break;
    const next = (target as Record<string, unknown>)[keys[Math.floor(r() * keys.length)] as string];
    if (typeof next !== "object" || next === null) break;
    target = next;
  }
  if (typeof target !== "object" || target === null) return v;
  const x = r() < 0.15 ? v : bad[Math.floor(r() * bad.length)]; // v itself: a cycle
  if (Array.isArray(target)) target.splice(Math.floor(r() * (target.length + 1)), 0, x);
  else (target as Record<string, unknown>)[r() < 0.3 ? "\udc00k" : randomString(r, false)] = x;
  return v;
}

describe("canonicalize against its previous implementation", () => {
  test("real payloads: every GitHub webhook example and every policy fixture", () => {
    const examples = JSON.parse(readFileSync("node_modules/@octokit/webhooks-examples/api.github.com/index.json", "utf8")) as { examples: unknown[] }[];
    let n = 0;
    for (const e of examples)
      for (const payload of e.examples) {
        const out = same(payload, `webhook ${n++}`);
        assert.ok("text" in out);
      }
    for (const dir of ["fixtures/policy", "fixtures/scenarios"])
      for (const f of readdirSync(dir).filter((x) => x.endsWith(".json"))) assert.ok("text" in same(JSON.parse(readFileSync(`${dir}/${f}`, "utf8")), f));
    assert.ok(n > 100);
  });

  test("random JSON values (well formed and not)", () => {
    const r = rng(0x5eed);
    let errors = 0;
    for (let i = 0; i < 4000; i++) {
      const lone = i % 4 === 0;
      let v = randomValue(r, 0, lone);
      if (i % 5 === 1) v = spoil(r, v);
      const out = same(v, `random value ${i}`);
      if (!("text" in out)) errors++;
    }
    assert.ok(errors > 100, `only ${errors} values were rejected`);
  });

  test("edge cases: holes, undefined, prototypes, cycles, sorted and unsorted keys, big containers", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic["b"] = { c: [cyclic] };
    const shared = { x: 1 };
    const many: Record<string, number> = {};
    for (let i = 2000; i > 0; i--) many[`k${i}`] = i;
    const cases: unknown[] = [
      undefined, null, "", [], {}, [[]], [{}], sparse(3, [0, 2]), sparse(2, []), [undefined], [1, undefined], { a: undefined }, { a: [undefined] },
      Object.create(null), { "~/": { "/~": [NaN] } }, { "a/b": { "c~d": [1, 2, { e: Infinity }] } }, { b: 1, a: 2 }, { a: 1, b: 2 },
      { "10": 1, "9": 2, a: 3, A: 4 }, { "\ud800": 1 }, { a: "\udc00" }, { a: "\ud83d\ude00\u2028\u2029" }, [shared, shared], cyclic,
      many, Array.from({ length: 5000 }, (_, i) => i / 7), new Date(0), [new Uint8Array(2)], { m: new Map() }, 1n, Symbol("x"), () => 0,
    ];
    cases.forEach((v, i) => same(v, `edge case ${i}`));
  });

  test("pointer tokens and digests are unchanged", () => {
    for (const k of ["", "a", "~", "/", "~/", "a~b/c", "~0~1", "/~~//", "é/€"]) assert.equal(pointerToken(k), oldPointerToken(k), k);
    for (const d of ["", "abc", "\u2028é€😀", "\ud800", "a".repeat(10_000), new Uint8Array([0, 1, 255]), Buffer.from("xyz")]) {
      assert.equal(sha256Hex(d), createHash("sha256").update(d).digest("hex"));
      assert.deepEqual(sha256Bytes(d), createHash("sha256").update(d).digest());
    }
  });
});
