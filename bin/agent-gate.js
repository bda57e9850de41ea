#!/usr/bin/env node
// The agent-gate command. The package (npm pack builds dist/ in prepack) and the image run the compiled CLI in
// dist/; a clone that has not been built yet runs the sources through tsx, a dev dependency, so installing needs
// no build step and `npm ci && npm run demo` still works.
import { existsSync } from "node:fs";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
const sources = new URL("../src/cli/main.ts", import.meta.url);

async function load() {
  if (existsSync(compiled)) return import(compiled.href);
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
