#!/usr/bin/env node
// The agent-gate command. The package (npm pack builds dist/ in prepack) and the image run the compiled CLI: the
// bundle in dist/bundle/ (scripts/bundle-cli.mjs) when it is at least as new as dist/, else dist/cli/main.js; a clone
// that has not been built yet runs the sources through tsx, a dev dependency, so installing needs no build step and
// `npm ci && npm run demo` still works. A hot command (scripts/bundle-cli.mjs HOT) runs from its own script with a
// V8 code cache (bin/code-cache.js); everything else goes through main(), which loads one chunk per command.
// CommonJS (bin/package.json): an ES-module entry costs a short command Node's ES module loader (~5 ms of CPU); the
// ES modules of dist/ and src/ are loaded with import().
"use strict";
/* global require, __filename */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file (bin/package.json) */
const { existsSync, statSync } = require("node:fs");
const { fileURLToPath, pathToFileURL } = require("node:url");

const base = pathToFileURL(__filename);
const bundled = new URL("../dist/bundle/agent-gate.js", base);
const compiled = new URL("../dist/cli/main.js", base);
const sources = new URL("../src/cli/main.ts", base);

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

/**
 * The command's own script (scripts/bundle-cli.mjs builds one for each of its HOT commands) when there is one as new as
 * dist/ (the same rule as the bundle's), else undefined. Only a plain command name is looked up, never a path.
 */
function hotScript(name) {
  if (typeof name !== "string" || !/^[a-z][a-z-]{0,31}$/.test(name)) return undefined;
  const script = new URL(`../dist/bundle/${name}.cjs`, base);
  const at = mtime(script);
  const compiledAt = mtime(compiled);
  return at !== undefined && compiledAt !== undefined && at >= compiledAt ? script : undefined;
}

/** The hot command's script loaded, or undefined: none, or one that cannot be loaded (main() then runs the command). */
function loadHot(name) {
  const script = hotScript(name);
  if (script === undefined) return undefined;
  const { loadScript } = require("./code-cache.js");
  try {
    const loaded = loadScript(fileURLToPath(script));
    return typeof loaded.exports.run === "function" ? loaded : undefined;
  } catch {
    return undefined; // an unreadable or broken script: the bundle has the same command
  }
}

async function run(argv) {
  const hot = loadHot(argv[0]);
  if (hot !== undefined) {
    const rest = argv.slice(1);
    process.exitCode = await hot.exports.run(rest, undefined, hot.store);
    hot.save(process.exitCode !== 2 && !rest.some((a) => a === "--help" || a === "-h"));
    return;
  }
  // Node 22+ keeps compiled ES modules too (fail-safe: nothing is cached when the directory cannot be trusted)
  const { enableCompileCache } = require("node:module");
  if (typeof enableCompileCache === "function") {
    const dir = require("./code-cache.js").cacheDir();
    if (dir !== undefined) {
      try {
        enableCompileCache(`${dir}/esm`);
      } catch {
        // no cache
      }
    }
  }
  const { main } = await load();
  process.exitCode = await main(argv);
}

// a rejection is a fault of the launcher itself (main() and the commands report their own errors): Node prints it
// and exits 1, as it did for the top-level await of the ES-module launcher this replaced
void run(process.argv.slice(2));
