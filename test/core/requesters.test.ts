import { test } from "node:test";
import assert from "node:assert/strict";
import { bodyRequesters } from "../../src/core/requesters.js";

const logins = (body: string): string[] => bodyRequesters(body).map((r) => r.login);

test("phrases match in any letter case, the login read where the phrase stands in the text itself", () => {
  assert.deepEqual(logins("REQUESTED BY: @bob"), ["bob"]);
  assert.deepEqual(logins("This task was **Started By** @Bob."), ["Bob"]);
  assert.deepEqual(logins("Requested by: Bob Builder (@bob)"), ["bob"]);
});

test("characters whose lower case has another length do not shift where the login is read", () => {
  // "İ".toLowerCase() is "i̇" (two UTF-16 units); "ẞ" and the ligature "ﬀ" change length under other mappings.
  for (const noise of ["İ".repeat(41), "İstanbul ".repeat(30), `${"İ".repeat(5)} ẞ ﬀ ${"İ".repeat(90)}`]) {
    assert.deepEqual(logins(`Fix ${noise}.\nRequested by: Bob Builder (@bob)`), ["bob"], noise.slice(0, 12));
    assert.deepEqual(logins(`${noise} requested by @carol; ${noise} started by @dave`), ["carol", "dave"]);
  }
});

test("a phrase split across or near non-ASCII look-alikes is no phrase (only ASCII letters fold)", () => {
  assert.deepEqual(logins("requested bİ @bob"), []);
  assert.deepEqual(logins(""), []);
  assert.deepEqual(logins("requested b"), []);
});

test("the scan stays linear on long text", () => {
  const body = `${"requested by ".repeat(20_000)}${"İ".repeat(100_000)}`;
  const t = performance.now();
  assert.deepEqual(bodyRequesters(body), []);
  assert.ok(performance.now() - t < 2000);
});
