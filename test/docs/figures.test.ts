// Figures the docs state about a limit are the limit the code holds: the policy input cap in docs/policy.md and
// docs/operations.md is DEFAULT_MAX_INPUT_BYTES.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { DEFAULT_MAX_INPUT_BYTES } from "../../src/adapters/opa/engine.js";

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const MIB = DEFAULT_MAX_INPUT_BYTES / (1024 * 1024);

it("the policy input cap the docs state is the engine's DEFAULT_MAX_INPUT_BYTES", () => {
  assert.ok(Number.isInteger(MIB), `DEFAULT_MAX_INPUT_BYTES is ${DEFAULT_MAX_INPUT_BYTES}, not whole MiB`);
  const policy = read("docs/policy.md");
  const stated = [...policy.matchAll(/an input over the size cap \((\d+) MiB/g)].map((m) => Number(m[1]));
  assert.deepEqual(stated, [MIB], "docs/policy.md states the input cap once, as the engine's");
  const ops = [...read("docs/operations.md").matchAll(/(\d+) MiB input cap|policy input (\d+) MiB/g)].map((m) => Number(m[1] ?? m[2]));
  assert.ok(ops.length >= 2, "docs/operations.md states the input cap");
  for (const n of ops) assert.equal(n, MIB, "docs/operations.md's policy input cap");
});
