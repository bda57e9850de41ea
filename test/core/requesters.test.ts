import { test } from "node:test";
import assert from "node:assert/strict";
import { bodyRequesters, loginAfter } from "../../src/core/requesters.js";

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

/** The scan as first written: each phrase on its own, ASCII letters compared without case (the oracle). */
function reference(body: string): Array<{ login: string; source: string }> {
  const phrases = ["requested by", "prompted by", "started by", "triggered by", "asked by", "assigned by", "delegated by", "on behalf of", "initiated by"];
  const at = (p: string, i: number): boolean => {
    for (let k = 0; k < p.length; k++) {
      let c = body.charCodeAt(i + k);
      if (c >= 65 && c <= 90) c += 32;
      if (c !== p.charCodeAt(k)) return false;
    }
    return true;
  };
  const next = (p: string, from: number): number => {
    for (let i = from; i + p.length <= body.length; i++) if (at(p, i)) return i;
    return -1;
  };
  const out: Array<{ login: string; source: string }> = [];
  for (const p of phrases) {
    for (let i = next(p, 0); i !== -1 && out.length < 20; i = next(p, i + p.length)) {
      const login = loginAfter(body, i + p.length);
      if (login) out.push({ login, source: `PR body: "${p}"` });
    }
  }
  return out;
}

test("one pass over the text finds what a scan of each phrase on its own finds, in the same order and cap", () => {
  // Pieces that make phrases, near-phrases and look-alikes (İ, ſ, the Kelvin sign), logins and display names.
  const pieces = ["requested by ", "REQUESTED BY: ", "Prompted By ", "started by", " @alice", "(@bob)", "Jane Doe ", "on behalf of @carol", "asked by\n@dave", "ſtarted by @eve", "aſked by @x", "triggered bİ @y", "Kelvin \u212Aicked", "delegated by: **@frank**", "initiated by @g-h", " ", "\n", "x", "by @zed"];
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let round = 0; round < 400; round++) {
    const body = Array.from({ length: 1 + rnd(120) }, () => pieces[rnd(pieces.length)]).join("");
    assert.deepEqual(bodyRequesters(body), reference(body), body);
  }
});
