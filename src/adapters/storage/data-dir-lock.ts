// The embedded database's data directory, opened by one process at a time.
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, utimesSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { AgentGateError } from "../../core/errors.js";

/** Who holds a lock: a pid alone says little (a container's App is PID 1 at every start), so more than the pid. */
interface Owner {
  readonly pid: number;
  /** Random per lock taken: this process's own locks are known by it. */
  readonly token?: string;
  /** /proc/sys/kernel/random/boot_id, the pid namespace (/proc/self/ns/pid) and the host name: where the pid means something. */
  readonly boot?: string;
  readonly pidNs?: string;
  readonly host?: string;
  /** The process's start time (/proc/<pid>/stat, clock ticks since boot): a reused pid has another. */
  readonly start?: string;
}

export interface LockOptions {
  /** How often the holder touches the lock file (default 5 s). */
  readonly heartbeatMs?: number;
  /** A lock of a process this one cannot see (another container, host or boot) untouched this long is taken over (default 30 s). */
  readonly staleMs?: number;
}

/** Tokens of the locks this process holds. */
const held = new Set<string>();

/**
 * PGlite's data directory may be opened by one process at a time: a second opener would corrupt it. The lock file
 * names its owner (pid, a random token, the boot, pid namespace and host, the process's start time) and is touched
 * every few seconds while held. A lock is taken over when its owner is provably gone: in this pid namespace, its pid
 * is not running or runs another process (another start time; this process's own pid with a token it does not hold,
 * as a restarted container's PID 1 finds its predecessor's lock). A lock from elsewhere (another container on a
 * shared volume, another host, an earlier boot) is taken over once it is not touched for `staleMs`; until then this
 * waits, and refuses if it is touched meanwhile. Returns the release.
 */
export async function lockDataDir(dir: string, options: LockOptions = {}): Promise<() => void> {
  const path = join(dir, "lock");
  const staleMs = options.staleMs ?? 30_000;
  const me = { ...here(), pid: process.pid, token: randomBytes(16).toString("hex"), start: startTime(process.pid) };
  const text = JSON.stringify(me);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (create(path, text, me.token)) {
      held.add(me.token);
      const beat = setInterval(() => touch(path), options.heartbeatMs ?? 5_000);
      beat.unref();
      return () => {
        clearInterval(beat);
        held.delete(me.token);
        if (read(path)?.text === text) rmSync(path, { force: true });
      };
    }
    const seen = read(path);
    if (!seen) continue; // gone meanwhile: try again
    const gone = await ownerGone(path, seen, staleMs);
    if (gone !== true) throw inUse(dir, gone);
    takeOver(path, seen.text, me.token);
  }
  throw new AgentGateError("STORAGE_IN_USE", `could not lock the embedded database in ${dir}: other processes keep taking its lock`, "transient");
}

/** Writes the lock whole, then links it in place: another process never reads a half-written lock. */
function create(path: string, text: string, token: string): boolean {
  const temp = `${path}.${token}`;
  const fd = openSync(temp, "wx");
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code !== "EEXIST") throw err;
    return false;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Moves the stale lock aside; if what was moved is not the lock judged stale (taken meanwhile), puts it back. */
function takeOver(path: string, judged: string, token: string): void {
  const aside = `${path}.stale-${token}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return;
    throw err;
  }
  if (read(aside)?.text !== judged) {
    try {
      linkSync(aside, path);
    } catch {
      // a third process locked it meanwhile: its lock stands
    }
  }
  rmSync(aside, { force: true });
}

function read(path: string): { text: string; owner: Owner; touchedAt: number } | undefined {
  try {
    const text = readFileSync(path, "utf8");
    const touchedAt = statSync(path).mtimeMs;
    const trimmed = text.trim();
    // An older agent-gate wrote the pid alone.
    if (/^\d+$/.test(trimmed)) return { text, owner: { pid: Number(trimmed) }, touchedAt };
    const parsed = JSON.parse(trimmed) as Partial<Record<keyof Owner, unknown>> | null;
    const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
    const owner: Owner = { pid: typeof parsed?.pid === "number" ? parsed.pid : 0, token: str(parsed?.token) ?? "", ...pick({ boot: str(parsed?.boot), pidNs: str(parsed?.pidNs), host: str(parsed?.host), start: str(parsed?.start) }) };
    return { text, owner, touchedAt };
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    return { text: "", owner: { pid: 0 }, touchedAt: 0 }; // unreadable or not ours: no owner to respect
  }
}

/** True when the owner is gone; else who is taken to hold the lock still. */
async function ownerGone(path: string, seen: { owner: Owner; touchedAt: number }, staleMs: number): Promise<true | string> {
  const o = seen.owner;
  if (!Number.isInteger(o.pid) || o.pid <= 0) return true;
  const h = here();
  // A lock of an older agent-gate (a pid alone) is judged here, as it was, but for this process's own pid.
  if (o.token === undefined || (o.boot === h.boot && o.pidNs === h.pidNs && o.host === h.host)) {
    if (o.pid === process.pid) return o.token !== undefined && held.has(o.token) ? `process ${o.pid} (this one)` : true;
    if (!running(o.pid)) return true;
    const start = startTime(o.pid);
    return o.start !== undefined && start !== undefined && start !== o.start ? true : `process ${o.pid}`;
  }
  // Elsewhere: a live owner touches its lock every few seconds. Watch it until it is touched (alive) or stale.
  const who = `process ${o.pid} of ${o.host ?? "another host"}${o.boot === h.boot ? " (another pid namespace: another container?)" : ""}`;
  let touchedAt = seen.touchedAt;
  for (;;) {
    const age = Date.now() - touchedAt;
    if (age > staleMs) return true;
    await new Promise((r) => setTimeout(r, Math.min(1_000, staleMs - age + 10)));
    const now = read(path);
    if (now === undefined) return true; // removed meanwhile: its owner let go
    if (now.touchedAt !== touchedAt) return `${who}, which keeps its lock fresh`;
    touchedAt = now.touchedAt;
  }
}

function inUse(dir: string, who: string): AgentGateError {
  return new AgentGateError("STORAGE_IN_USE", `the embedded database in ${dir} is in use by ${who}; stop it, or point both at PostgreSQL with DATABASE_URL`, "transient");
}

function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // removed (released, or taken over by a process that judged this one gone): nothing to touch
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

function here(): { boot?: string; pidNs?: string; host: string } {
  const boot = attempt(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
  const pidNs = attempt(() => readlinkSync("/proc/self/ns/pid"));
  return { ...(boot ? { boot } : {}), ...(pidNs ? { pidNs } : {}), host: hostname() };
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces). */
function startTime(pid: number): string | undefined {
  return attempt(() => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  });
}

function pick<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
