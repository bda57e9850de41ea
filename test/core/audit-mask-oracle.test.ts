// maskEvent builds a value's JSON pointer only when it masks the value, and remembers what each key says (issue 19:
// the walk was 4.7 % of the App's CPU). What it masks and the pointers it lists must not change: the masked event is
// hashed into the audit chain. The implementation before that change is the oracle here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { maskEvent, MASK_PROMPT, MASK_SECRET } from "../../src/core/audit-mask.js";
import { pointerToken } from "../../src/core/digest.js";
import { redact, scanSecrets } from "../../src/core/secrets.js";
import type { AuditEvent } from "../../src/core/audit-record.js";
import { mulberry32 } from "../../src/demo/github/faults.js";

const PROMPT_WORD = /(?:^|[_\-.])prompts?(?:$|[_\-.])/i;
const PROMPT_CAMEL = /[a-z]Prompts?(?:$|[A-Z_])|^prompts?[A-Z]/;
const PROMPT_KEY = { test: (k: string): boolean => PROMPT_WORD.test(k) || PROMPT_CAMEL.test(k) };
const PROMPT_TEXT_CHILD = /^(text|content|body|messages?)$/i;
const SECRET_KEY = /^(?:.*[_-])?(password|passwd|pwd|secret|client_secret|token|access_token|auth_token|api_?key|private_?key|authorization|cookie|credentials?)$/i;

/** maskEvent as it was before the change. */
function oracle(event: AuditEvent): { value: AuditEvent; masked: string[] } {
  const masked: string[] = [];
  const walk = (v: unknown, path: string, key: string, inPrompt: boolean): unknown => {
    if (typeof v === "string") {
      if (PROMPT_KEY.test(key) || (inPrompt && PROMPT_TEXT_CHILD.test(key))) return masked.push(path), MASK_PROMPT;
      if (SECRET_KEY.test(key)) return masked.push(path), MASK_SECRET;
      if (scanSecrets(v).length > 0) return masked.push(path), redact(v);
      return v;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}/${i}`, key, inPrompt));
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x, `${path}/${pointerToken(k)}`, k, inPrompt || PROMPT_KEY.test(k));
      return out;
    }
    return v;
  };
  const value = { ...event, input: walk(event.input, "/input", "input", false), result: walk(event.result, "/result", "result", false), labels: walk(event.labels, "/labels", "labels", false) as Record<string, string> };
  return { value, masked: masked.sort() };
}

const KEYS = ["prompt", "system_prompt", "promptText", "text", "content", "body", "messages", "token", "api_key", "client_secret", "a/b", "x~y", "~/", "name", "userPrompt", "password", "sha", "", "prompter", "Prompts"];
const STRINGS = ["hello", `ghp_${"a".repeat(36)}`, "AKIAIOSFODNN7EXAMPLE", "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----", "password=hunter22", "plain", `sk-${"b".repeat(48)}`, ""];

test("maskEvent masks what it masked before, at the same pointers, on random events and every webhook example", () => {
  const rnd = mulberry32(19); // the fault harness's seeded PRNG: a failure reproduces
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const gen = (depth: number): unknown => {
    const r = rnd();
    if (depth > 4 || r < 0.3) return pick(STRINGS);
    if (r < 0.4) return Math.floor(rnd() * 100);
    if (r < 0.45) return null;
    if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = 0; i < 4; i++) if (rnd() < 0.6) o[pick(KEYS)] = gen(depth + 1);
    return o;
  };
  const same = (event: AuditEvent, what: string): void => assert.deepEqual(maskEvent(event), oracle(event), what);
  for (let i = 0; i < 3000; i++) same({ input: gen(0), result: gen(0), labels: gen(1) } as unknown as AuditEvent, `random event ${i}`);
  const examples = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("@octokit/webhooks-examples/api.github.com/index.json"), "utf8")) as Array<{ name: string; examples?: unknown[] }>;
  let n = 0;
  for (const { name, examples: xs } of examples) for (const e of xs ?? []) same({ input: e, result: { e, prompt: name }, labels: { event: name } } as unknown as AuditEvent, `${name} ${n++}`);
  assert.ok(n > 100);
});

test("maskEvent keeps a key named __proto__ as a key (JSON.parse makes it one), masked like any other", () => {
  const input = JSON.parse('{"x":1,"__proto__":"ghp_0123456789abcdefghijklmnopqrstuvwxyzAB","nested":{"__proto__":{"a":"plain"}}}') as Record<string, unknown>;
  const { value, masked } = maskEvent({ input, result: {}, labels: {} } as unknown as AuditEvent);
  const out = value.input as Record<string, unknown>;
  assert.deepEqual(Object.keys(out), ["x", "__proto__", "nested"]);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.notEqual(Object.getOwnPropertyDescriptor(out, "__proto__")?.value, input["__proto__"], "the token is masked");
  assert.deepEqual(masked, ["/input/__proto__"]);
  assert.deepEqual(Object.getOwnPropertyDescriptor(Object.getOwnPropertyDescriptor(out, "nested")!.value as object, "__proto__")?.value, { a: "plain" });
});
