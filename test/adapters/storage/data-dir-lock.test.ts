// The embedded database's lock names its owner by more than a pid: a container's App is PID 1 at every start, so a
// lock left by an unclean exit (OOM, SIGKILL) with this process's own pid is taken over; a live process's lock still
// refuses, a reused pid (another start time) does not, and a lock from another pid namespace is taken over only once
// its owner stops touching it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { lockDataDir } from "../../../src/adapters/storage/data-dir-lock.js";
import { tempDir } from "./support.js";

const LINUX = existsSync("/proc/self/stat");
const here = LINUX ? { boot: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), pidNs: readlinkSync("/proc/self/ns/pid"), host: hostname() } : { host: hostname() };
const startOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
};

async function withDir(body: (dir: string, lock: string) => Promise<void>): Promise<void> {
  const dir = tempDir("agent-gate-lock-");
  try {
    await body(dir.path, join(dir.path, "lock"));
  } finally {
    dir.remove();
  }
}

const owner = (lock: string): { pid: number; token: string } => JSON.parse(readFileSync(lock, "utf8")) as { pid: number; token: string };

test("a lock left with this process's own pid but another token (a restarted container's PID 1) is taken over", { skip: !LINUX }, () =>
  withDir(async (dir, lock) => {
    writeFileSync(lock, JSON.stringify({ pid: process.pid, token: "left-by-the-last-start", ...here, start: "1" }));
    const release = await lockDataDir(dir);
    assert.equal(owner(lock).pid, process.pid);
    assert.notEqual(owner(lock).token, "left-by-the-last-start");
    release();
    assert.equal(existsSync(lock), false);
    // An older agent-gate's lock (the pid alone) with this pid: taken over too.
    writeFileSync(lock, String(process.pid));
    (await lockDataDir(dir))();
  }),
);

test("a lock this process holds refuses a second opener in it; the release removes only its own lock", () =>
  withDir(async (dir, lock) => {
    const release = await lockDataDir(dir);
    await assert.rejects(lockDataDir(dir), { code: "STORAGE_IN_USE", message: new RegExp(`in use by process ${process.pid} \\(this one\\)`) });
    const mine = readFileSync(lock, "utf8");
    writeFileSync(lock, JSON.stringify({ pid: 1, token: "another", ...here }));
    release();
    assert.ok(existsSync(lock), "another's lock stays");
    assert.notEqual(readFileSync(lock, "utf8"), mine);
  }),
);

test("a live process's lock refuses; the same pid with another start time (reused) or a dead pid does not", { skip: !LINUX, timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  try {
    const pid = child.pid!;
    for (let i = 0; i < 50 && !existsSync(`/proc/${pid}/stat`); i++) await new Promise((r) => setTimeout(r, 20));
    await withDir(async (dir, lock) => {
      writeFileSync(lock, JSON.stringify({ pid, token: "theirs", ...here, start: startOf(pid) }));
      await assert.rejects(lockDataDir(dir), { code: "STORAGE_IN_USE", message: new RegExp(`in use by process ${pid};`) });
      assert.equal(owner(lock).token, "theirs");
      // An older agent-gate's lock of a live pid refuses as it did.
      writeFileSync(lock, String(pid));
      await assert.rejects(lockDataDir(dir), { code: "STORAGE_IN_USE" });
      writeFileSync(lock, JSON.stringify({ pid, token: "theirs", ...here, start: String(Number(startOf(pid)) - 1) }));
      (await lockDataDir(dir))();
    });
  } finally {
    child.kill("SIGKILL");
  }
  await new Promise((r) => child.once("exit", r));
  await withDir(async (dir, lock) => {
    writeFileSync(lock, JSON.stringify({ pid: child.pid, token: "dead", ...here, start: "1" }));
    (await lockDataDir(dir))();
  });
});

test("a lock from another pid namespace is taken over once untouched for staleMs, and refused while its owner touches it", { timeout: 30_000 }, () =>
  withDir(async (dir, lock) => {
    const elsewhere = { pid: process.pid, token: "other-container", ...here, pidNs: "pid:[1]" };
    writeFileSync(lock, JSON.stringify(elsewhere));
    const toucher = setInterval(() => utimesSync(lock, new Date(), new Date()), 50);
    try {
      await assert.rejects(lockDataDir(dir, { staleMs: 1_000 }), { code: "STORAGE_IN_USE", message: /another pid namespace.*keeps its lock fresh/ });
    } finally {
      clearInterval(toucher);
    }
    const t0 = Date.now();
    const release = await lockDataDir(dir, { staleMs: 500 });
    assert.ok(Date.now() - t0 < 5_000);
    assert.equal(owner(lock).pid, process.pid);
    release();
  }),
);

test("the holder touches its lock while it holds it", { timeout: 10_000 }, () =>
  withDir(async (dir, lock) => {
    const release = await lockDataDir(dir, { heartbeatMs: 50 });
    try {
      utimesSync(lock, new Date(0), new Date(0));
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(Date.now() - statSync(lock).mtimeMs < 5_000, "touched");
    } finally {
      release();
    }
  }),
);
