// intoto.ts reads the statement's shape by hand (no zod schema built in a fresh process): it must accept and refuse
// exactly what the zod schema it replaced did, with the same output.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import { parseStatement } from "../../../src/adapters/sigstore/intoto.js";

const reference = z.object({
  _type: z.string(),
  subject: z.array(z.object({ name: z.string().default(""), digest: z.record(z.string(), z.string()) })).min(1),
  predicateType: z.string().min(1),
  predicate: z.unknown().optional(),
});

const T = "https://in-toto.io/Statement/v1";
const good = { _type: T, subject: [{ name: "a", digest: { sha256: "ab" } }], predicateType: "https://slsa.dev/provenance/v1", predicate: { x: 1 } };
const inputs: unknown[] = [
  good,
  { ...good, predicate: undefined },
  { ...good, extra: 1, subject: [{ digest: { sha256: "ab", sha512: "cd" }, other: true }] },
  { ...good, subject: [{ name: "a", digest: {} }] },
  { ...good, subject: [] },
  { ...good, subject: [{ name: null, digest: { sha256: "ab" } }] },
  { ...good, subject: [{ name: "a", digest: { sha256: 1 } }] },
  { ...good, subject: [{ name: "a", digest: ["ab"] }] },
  { ...good, subject: [{ name: "a" }] },
  { ...good, subject: ["a"] },
  { ...good, subject: { name: "a" } },
  { ...good, predicateType: "" },
  { ...good, predicateType: 1 },
  { ...good, _type: 1 },
  { subject: good.subject, predicateType: "p" },
  [good],
  null,
  "statement",
  7,
];

test("the statement is read as the zod schema read it: same verdict, same statement", () => {
  for (const input of inputs) {
    const ref = reference.safeParse(input);
    const ours = parseStatement(Buffer.from(JSON.stringify(input) ?? "null"));
    const what = JSON.stringify(input);
    assert.equal(typeof ours !== "string", ref.success, what);
    if (ref.success && typeof ours !== "string") {
      assert.deepEqual(ours, { _type: ref.data._type, subject: ref.data.subject, predicateType: ref.data.predicateType, predicate: ref.data.predicate ?? null }, what);
      assert.ok(Object.isFrozen(ours) && Object.isFrozen(ours.subject[0]!.digest), what);
    }
    if (!ref.success) assert.match(ours as string, new RegExp(`^the in-toto statement is malformed at ${(ref.error.issues[0]!.path.join(".") || "<root>").replace(/\./g, "\\.")}: `), what);
  }
  assert.match(parseStatement(Buffer.from("{")) as string, /not JSON/);
  assert.match(parseStatement(Buffer.from(JSON.stringify({ ...good, _type: "other" }))) as string, /expected statement _type/);
});
