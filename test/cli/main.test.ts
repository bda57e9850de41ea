import { test } from "node:test";
import assert from "node:assert/strict";
import { main } from "../../src/cli/main.js";

test("an unknown command is refused with the list of expected commands", async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (msg: string) => errors.push(msg);
  try {
    assert.equal(await main(["frobnicate"]), 2);
  } finally {
    console.error = original;
  }
  assert.match(errors.join("\n"), /unknown command "frobnicate"; expected one of: .*help/);
});
