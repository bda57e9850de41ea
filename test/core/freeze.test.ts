// Values shared between evaluations are deep-frozen: a consumer that tried to change one fails instead of changing it
// for every later evaluation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deepFreeze, isDeepFrozen } from "../../src/core/freeze.js";
import { parseAgentProvenance } from "../../src/core/provenance.js";
import { agentStatement } from "./fixtures.js";

test("deepFreeze freezes every object and array reachable, leaves bytes as they are, and survives cycles", () => {
  const cyclic: Record<string, unknown> = { list: [{ a: 1 }], bytes: Buffer.from("ab") };
  cyclic["self"] = cyclic;
  assert.equal(deepFreeze(cyclic), cyclic);
  assert.ok(Object.isFrozen(cyclic) && Object.isFrozen(cyclic["list"]) && Object.isFrozen((cyclic["list"] as object[])[0]));
  assert.ok(!Object.isFrozen(cyclic["bytes"]), "a Buffer cannot be frozen; it is left alone");
  assert.throws(() => ((cyclic["list"] as unknown[]).push(2)), TypeError);
  assert.equal(deepFreeze(7), 7);
});

test("deepFreeze goes through an object someone froze at its top only: what it holds is frozen too", () => {
  const inner = { changeable: [1] };
  const shallow = Object.freeze({ inner });
  const root = deepFreeze({ shallow });
  assert.ok(Object.isFrozen(inner) && Object.isFrozen(inner.changeable), "the values under a shallow-frozen object");
  assert.throws(() => inner.changeable.push(2), TypeError);
  assert.ok(isDeepFrozen(root) && !isDeepFrozen(shallow));
});

test("the provenance of a frozen statement is read once and shared, frozen; an unfrozen statement is read each time", () => {
  const statement = agentStatement();
  const fresh1 = parseAgentProvenance(statement);
  const fresh2 = parseAgentProvenance(statement);
  assert.notEqual(fresh2, fresh1, "not frozen: it could change, so it is never remembered");
  assert.deepEqual(fresh2, fresh1);
  const frozen = deepFreeze(structuredClone(statement));
  const shared = parseAgentProvenance(frozen);
  assert.equal(parseAgentProvenance(frozen), shared, "frozen: one reading");
  assert.deepEqual(shared, fresh1, "the same reading as an unfrozen copy's");
  assert.ok(Object.isFrozen(shared));
  const shallow = Object.freeze(structuredClone(statement));
  assert.notEqual(parseAgentProvenance(shallow), parseAgentProvenance(shallow), "frozen at the top only: its predicate could change, so it is read each time");
  const bad = deepFreeze({ ...structuredClone(statement), predicateType: "https://example.test/other" });
  const r1 = parseAgentProvenance(bad);
  assert.equal(r1.ok, false);
  assert.equal(parseAgentProvenance(bad), r1, "a failure is remembered too");
});
