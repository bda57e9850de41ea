// The embedded database: a data directory that persists, that one process at a time may open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { openStorage } from "../../../src/adapters/storage/index.js";
import { sampleEvent } from "./events.js";
import { tempDir } from "./support.js";

// Preloaded into the initialising process through NODE_OPTIONS: it fails at start the way an initialisation that
// runs out of memory or disk fails, with its reason on stderr.
const FAIL_AT_START = `data:text/javascript,${encodeURIComponent('process.stderr.write("simulated failure: initdb ran out of memory\\n"); process.exit(3);')}`;

// Preloaded into the initialising process through NODE_OPTIONS: it records which process ran initdb, on what.
const recordInitProcess = (file: string): string =>
  `data:text/javascript,${encodeURIComponent(`import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(file)}, JSON.stringify({ pid: process.pid, target: process.argv[2] }));`)}`;

// PGlite's initdb alone peaks at ~800 MB and a process keeps that RSS: it must run in a process of its own. Which
// process ran it is recorded by a preload in the child (a memory figure would depend on the machine).
test("a fresh data directory is initialised in another process; this one only opens it", { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const record = join(tempDir().path, "init-process.json");
  const saved = process.env["NODE_OPTIONS"];
  try {
    mkdirSync(join(dir.path, "pg")); // empty, as PGlite leaves it when it fails before initdb: replaced
    process.env["NODE_OPTIONS"] = `--import ${recordInitProcess(record)}`;
    let s;
    try {
      s = await openStorage({ dataDir: dir.path });
    } finally {
      if (saved === undefined) delete process.env["NODE_OPTIONS"];
      else process.env["NODE_OPTIONS"] = saved;
    }
    try {
      await s.audit.append(sampleEvent(1));
    } finally {
      await s.close();
    }
    const ran = JSON.parse(readFileSync(record, "utf8")) as { pid: number; target: string };
    assert.notEqual(ran.pid, process.pid, "initdb ran in this process");
    assert.match(ran.target, /[/\\]pg\.init-[^/\\]+$/, "initdb ran on a staging directory");
    assert.equal(dirname(ran.target), dir.path);
    assert.ok(existsSync(join(dir.path, "pg", "PG_VERSION")));
    assert.deepEqual(readdirSync(dir.path).sort(), ["pg"], "no staging directory or lock is left");

    const again = await openStorage({ dataDir: dir.path });
    try {
      assert.equal((await again.audit.get("dec-000001"))?.seq, 1);
    } finally {
      await again.close();
    }
  } finally {
    dir.remove();
    rmSync(dirname(record), { recursive: true, force: true });
  }
});

test("a failed initialisation says which directory and why, and leaves the directory unlocked and clean", { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const saved = process.env["NODE_OPTIONS"];
  try {
    process.env["NODE_OPTIONS"] = `--import ${FAIL_AT_START}`;
    await assert.rejects(openStorage({ dataDir: dir.path }), (err: Error & { code?: string }) => {
      assert.equal(err.code, "STORAGE_UNAVAILABLE");
      assert.ok(err.message.includes(`could not initialise the embedded database in ${dir.path}`), err.message);
      assert.match(err.message, /exited with code 3: simulated failure: initdb ran out of memory/);
      return true;
    });
    assert.deepEqual(readdirSync(dir.path), [], "no lock, no half-made database");
  } finally {
    if (saved === undefined) delete process.env["NODE_OPTIONS"];
    else process.env["NODE_OPTIONS"] = saved;
  }
  try {
    // A directory with files but no database is not overwritten.
    mkdirSync(join(dir.path, "pg"));
    writeFileSync(join(dir.path, "pg", "notes.txt"), "keep me");
    await assert.rejects(openStorage({ dataDir: dir.path }), { code: "STORAGE_UNAVAILABLE", message: /pg holds files but no database \(no PG_VERSION\)/ });
    assert.deepEqual(readdirSync(dir.path).sort(), ["pg"]);
    assert.deepEqual(readdirSync(join(dir.path, "pg")), ["notes.txt"]);
  } finally {
    dir.remove();
  }
});

test("the embedded log persists in its data directory and refuses a second opener", { timeout: 120_000 }, async () => {
  const dir = tempDir();
  try {
    const s = await openStorage({ dataDir: dir.path });
    await s.audit.append(sampleEvent(1));
    await s.audit.append(sampleEvent(2));
    await assert.rejects(openStorage({ dataDir: dir.path }), { code: "STORAGE_IN_USE", message: new RegExp(`in use by process ${process.pid}`) });
    await s.close();

    const again = await openStorage({ dataDir: dir.path });
    try {
      const v = await again.audit.verify();
      assert.ok(v.ok && v.checked === 2);
      assert.equal((await again.audit.get("dec-000002"))?.seq, 2);
    } finally {
      await again.close();
    }
  } finally {
    dir.remove();
  }
});
