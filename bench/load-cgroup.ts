// A fixed CPU budget per App process for the load benchmark's capped runs (LOAD_CPU_CAP, bench/load.ts): each
// process in a cgroup of its own whose CFS quota is `cap` x the period, so a process is bound by its own budget while
// the machine keeps headroom for PostgreSQL and the stand-in. Two processes with the same budget then show what
// scale-out costs (locks, queue claims, polling) apart from the cores they share. Linux only, as root: the cgroup v1
// cpu controller (/sys/fs/cgroup/cpu) or a cgroup v2 unified hierarchy with the cpu controller.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const PERIOD_US = 100_000;
const V1 = "/sys/fs/cgroup/cpu";
const V2 = "/sys/fs/cgroup";

export type CgroupKind = "cgroup v1" | "cgroup v2";

/** The cgroup's cpu.stat counters: CFS periods, those the group was throttled in, time throttled (summed over CPUs). */
export interface ThrottleStat {
  readonly periods: number;
  readonly throttledPeriods: number;
  readonly throttledSeconds: number;
}

/** Where the capped runs can make their cgroups, or why they cannot. */
export function cgroupSupport(): { kind: CgroupKind; root: string } | { reason: string } {
  if (process.platform !== "linux") return { reason: `not Linux (${process.platform})` };
  let found: { kind: CgroupKind; root: string } | undefined;
  if (existsSync(join(V1, "cpu.cfs_quota_us"))) found = { kind: "cgroup v1", root: V1 };
  else if (readOr(join(V2, "cgroup.controllers")).split(/\s+/).includes("cpu")) found = { kind: "cgroup v2", root: V2 };
  if (!found) return { reason: `no cgroup cpu controller (neither ${V1}/cpu.cfs_quota_us nor "cpu" in ${V2}/cgroup.controllers)` };
  // Writable: a probe group made and removed (as root; a read-only or delegated-elsewhere hierarchy says no here).
  const probe = join(found.root, `agent-gate-load-${process.pid}-probe`);
  try {
    if (found.kind === "cgroup v2") enableV2Cpu(found.root);
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (e) {
    return { reason: `${found.kind} at ${found.root} is not writable (${(e as Error).message})` };
  }
  return found;
}

/** One App process's cgroup: made with its quota, the process moved in, its throttling read, removed when empty. */
export class CpuCapGroup {
  private constructor(readonly kind: CgroupKind, readonly dir: string) {}

  /** A new group `agent-gate-load-<pid>-<n>` with a quota of `cap` cores (a fraction of one, or more). */
  static create(cap: number, n: number): CpuCapGroup {
    const where = cgroupSupport();
    if ("reason" in where) throw new Error(`LOAD_CPU_CAP: ${where.reason}`);
    const dir = join(where.root, `agent-gate-load-${process.pid}-${n}`);
    mkdirSync(dir);
    try {
      const quota = Math.max(1000, Math.round(cap * PERIOD_US)); // the kernel's least quota is 1 ms
      if (where.kind === "cgroup v1") {
        writeFileSync(join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
        writeFileSync(join(dir, "cpu.cfs_quota_us"), String(quota));
      } else writeFileSync(join(dir, "cpu.max"), `${quota} ${PERIOD_US}`);
    } catch (e) {
      rmdirSync(dir);
      throw e;
    }
    return new CpuCapGroup(where.kind, dir);
  }

  /** Moves a whole process (every thread, and what it starts later) into the group. */
  add(pid: number): void {
    writeFileSync(join(this.dir, "cgroup.procs"), String(pid));
  }

  /** Whether `pid` is in this group now, by /proc/<pid>/cgroup. */
  holds(pid: number): boolean {
    const name = this.dir.slice(this.dir.lastIndexOf("/"));
    return readOr(`/proc/${pid}/cgroup`).split("\n").some((l) => l.endsWith(name) && (this.kind === "cgroup v2" ? l.startsWith("0::") : /[:,]cpu[,:]/.test(l)));
  }

  stat(): ThrottleStat {
    const f = Object.fromEntries(readOr(join(this.dir, "cpu.stat")).split("\n").filter(Boolean).map((l) => l.split(" ") as [string, string]).map(([k, v]) => [k, Number(v)]));
    return {
      periods: f.nr_periods ?? 0,
      throttledPeriods: f.nr_throttled ?? 0,
      // v1: throttled_time in ns; v2: throttled_usec.
      throttledSeconds: f.throttled_time !== undefined ? f.throttled_time / 1e9 : (f.throttled_usec ?? 0) / 1e6,
    };
  }

  /**
   * Removes the group once its processes have exited (rmdir fails while one is left: then retried for a few seconds,
   * as an exited child may linger a moment). Never throws: a group left behind is named on stderr.
   */
  async remove(): Promise<void> {
    for (let t = 0; existsSync(this.dir); t++) {
      try {
        rmdirSync(this.dir);
      } catch (e) {
        if (t >= 50) {
          console.error(`could not remove ${this.dir}: ${(e as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/** Differences of two readings, summed over groups. */
export function throttledSince(before: readonly ThrottleStat[], after: readonly ThrottleStat[]): ThrottleStat {
  const sum = (f: (s: ThrottleStat) => number): number => after.reduce((a, s, i) => a + f(s) - f(before[i]!), 0);
  return { periods: sum((s) => s.periods), throttledPeriods: sum((s) => s.throttledPeriods), throttledSeconds: sum((s) => s.throttledSeconds) };
}

/** cgroup v2: the cpu controller must be enabled for the root's children (cgroup.subtree_control). */
function enableV2Cpu(root: string): void {
  if (!readOr(join(root, "cgroup.subtree_control")).split(/\s+/).includes("cpu")) writeFileSync(join(root, "cgroup.subtree_control"), "+cpu");
}

function readOr(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
