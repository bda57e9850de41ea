// Runs a self-contained CommonJS script (dist/bundle/<command>.cjs, scripts/bundle-cli.mjs) with a V8 code cache, so
// a repeated short command neither parses nor compiles its ~0.6 MB of JavaScript (Node 20 keeps no code cache for ES
// modules, and `module.enableCompileCache` needs Node 22).
//
// The cache is code that runs as ours, and V8 checks cached data only against the source's length, the V8 version
// and its flags: whoever can write the cache can run code as the user. So it lives only in a directory the user
// owns that no one else can write: $TMPDIR/agent-gate-code-cache-<uid>, created 0700 and refused (no cache, never
// an error) when it is a link, another user's or group- or world-writable. An entry is named by the sha256 of the
// exact source, the V8 version and the architecture, so a rebuilt script never meets an older script's code.
// AGENT_GATE_CODE_CACHE=off (or 0) runs without a cache. Any failure of the cache means running without it.
// The same directory keeps facts derived from a trusted root's exact bytes (trust-facts-*.json: it passed the lint,
// its CA links; src/adapters/sigstore/root-facts.ts), named by the root's sha256 and this script's: what can write
// them can write the code cache too, so they are as trustworthy as the code, and no more.
// CommonJS (bin/package.json): an ES-module entry costs the process Node's ES module loader, ~5 ms of CPU.
"use strict";
/* global require, exports */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file (bin/package.json) */
const { createHash } = require("node:crypto");
const { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync, constants } = require("node:fs");
const { createRequire } = require("node:module");
const { tmpdir } = require("node:os");
const { basename, dirname, join } = require("node:path");
const vm = require("node:vm");

/** The cache directory under `base` when it can be trusted (created if missing), else undefined. */
function cacheDir(env = process.env, base = tmpdir()) {
  const off = env.AGENT_GATE_CODE_CACHE;
  if (off === "off" || off === "0") return undefined;
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const dir = join(base, `agent-gate-code-cache-${uid ?? "user"}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if (e?.code !== "EEXIST") return undefined;
  }
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory()) return undefined; // a symbolic link is not a directory to lstat
    if (uid !== undefined && (st.uid !== uid || (st.mode & 0o022) !== 0)) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

function readEntry(path) {
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile() || (typeof process.getuid === "function" && st.uid !== process.getuid())) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeEntry(dir, name, data) {
  const path = join(dir, name);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: "wx" });
    renameSync(tmp, path); // atomic: a reader sees the old entry, the new one, or none
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    return;
  }
  // older entries of the same script (earlier builds) are dropped: one entry per script, V8 and architecture
  const prefix = name.slice(0, name.lastIndexOf("-") + 1);
  try {
    for (const other of readdirSync(dir)) if (other !== name && other.startsWith(prefix) && other.endsWith(".v8cache")) unlinkSync(join(dir, other));
  } catch {
    // a stale entry costs disk only
  }
}

/**
 * Loads `file` (a CommonJS script) and returns its exports, with `save(worthKeeping)` to call once the command has
 * run: it writes the code V8 compiled during the run to the cache when there was no usable entry and the run was
 * worth keeping (a run that printed usage compiles little of what a verification needs).
 */
function loadScript(file, env = process.env, base = tmpdir()) {
  const bytes = readFileSync(file);
  const source = bytes.toString("utf8");
  const dir = cacheDir(env, base);
  const digest = createHash("sha256").update(bytes).digest("hex");
  const name = `${basename(file)}-${process.versions.v8}-${process.arch}-${digest.slice(0, 32)}.v8cache`;
  const cachedData = dir === undefined ? undefined : readEntry(join(dir, name));
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, ...(cachedData !== undefined ? { cachedData } : {}) });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  return {
    exports: module.exports,
    /** Whether V8 used the cached code (tests and the benchmark read it). */
    cached: !stale,
    /**
     * The same trusted directory and the script's sha256, for facts the command derives from its inputs and keeps
     * between runs (src/adapters/sigstore/root-facts.ts: a trusted root's lint and CA links, keyed by the digest of
     * the root's bytes and of this script); undefined when there is no cache. Whoever can write the directory can
     * already replace the code above, so those facts need no more protection than the code cache has.
     */
    store: dir === undefined ? undefined : { dir, build: digest },
    save(worthKeeping) {
      if (dir === undefined || !stale || !worthKeeping) return;
      try {
        writeEntry(dir, name, script.createCachedData());
      } catch {
        // no cache this time
      }
    },
  };
}

exports.cacheDir = cacheDir;
exports.loadScript = loadScript;
