// Compares rendered output with test/render/__snapshots__/<name>; UPDATE_SNAPSHOTS=1 rewrites the file.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import assert from "node:assert/strict";

export function matchSnapshot(name: string, actual: string): void {
  const url = new URL(`./__snapshots__/${name}`, import.meta.url);
  if (process.env["UPDATE_SNAPSHOTS"] === "1") {
    writeFileSync(url, actual);
    return;
  }
  assert.ok(existsSync(url), `snapshot ${name} is missing: run with UPDATE_SNAPSHOTS=1 to write it`);
  assert.equal(actual, readFileSync(url, "utf8"), `snapshot ${name} differs (UPDATE_SNAPSHOTS=1 rewrites it after review)`);
}
