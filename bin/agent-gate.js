#!/usr/bin/env node
// The agent-gate command. The package (npm pack builds dist/ in prepack) and the image run the compiled CLI: the
// bundle in dist/bundle/ (scripts/bundle-cli.mjs: one chunk per command, a few files to read at start) when it is
// at least as new as dist/, else dist/cli/main.js; a clone that has not been built yet runs the sources through tsx,
// a dev dependency, so installing needs no build step and `npm ci && npm run demo` still works.
import { existsSync, statSync } from "node:fs";

const bundled = new URL("../dist/bundle/agent-gate.js", import.meta.url);
const compiled = new URL("../dist/cli/main.js", import.meta.url);
const sources = new URL("../src/cli/main.ts", import.meta.url);

const mtime = (url) => {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return undefined;
  }
};

async function load() {
  const compiledAt = mtime(compiled);
  if (compiledAt !== undefined) {
    const bundledAt = mtime(bundled);
    // a bundle older than dist/ was built from older sources (`tsc` alone was run since): never run stale code
    return import(bundledAt !== undefined && bundledAt >= compiledAt ? bundled.href : compiled.href);
  }
  if (existsSync(sources)) {
    try {
      (await import("tsx/esm/api")).register();
    } catch {
      console.error("agent-gate: dist/ is missing and tsx is not installed: run `npm ci && npm run build` in the clone");
      process.exit(2);
    }
    return import(sources.href);
  }
  console.error("agent-gate: dist/ is missing from this installation: reinstall the package");
  process.exit(2);
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
