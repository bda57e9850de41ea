// The verifier's reach into @sigstore/verify's internals is one file (src/adapters/sigstore/verify-internals.ts);
// this fails loudly when an upgrade moves, drops or reshapes any of them, before a verification silently changes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { INTERNALS, SIGSTORE_VERIFY_VERSION } from "../../../src/adapters/sigstore/verify-internals.js";

const require = createRequire(import.meta.url);

test("@sigstore/verify is the exact version whose internals verify-internals.ts was checked against", () => {
  const installed = (JSON.parse(readFileSync(require.resolve("@sigstore/verify/package.json"), "utf8")) as { version: string }).version;
  assert.equal(installed, SIGSTORE_VERIFY_VERSION, `@sigstore/verify ${installed} is installed; verify-internals.ts was checked against ${SIGSTORE_VERIFY_VERSION}: re-check each internal it uses, then update SIGSTORE_VERIFY_VERSION`);
  const pinned = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { dependencies: Record<string, string> }).dependencies["@sigstore/verify"];
  assert.equal(pinned, SIGSTORE_VERIFY_VERSION, "package.json must pin @sigstore/verify exactly");
});

test("every @sigstore/verify internal the verifier uses exists with the arity it was checked at", () => {
  for (const [name, { fn, arity }] of Object.entries(INTERNALS)) {
    assert.equal(typeof fn, "function", `${name} is missing from @sigstore/verify`);
    assert.equal((fn as (...a: unknown[]) => unknown).length, arity, `${name} takes ${(fn as (...a: unknown[]) => unknown).length} parameters; it was checked with ${arity}`);
  }
});

test("no other file imports @sigstore/verify/dist", () => {
  const root = new URL("../../../src/", import.meta.url).pathname;
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith(".ts") && !path.endsWith("verify-internals.ts") && /@sigstore\/verify\/dist/.test(readFileSync(path, "utf8"))) offenders.push(path);
    }
  };
  walk(root);
  assert.deepEqual(offenders, []);
});
