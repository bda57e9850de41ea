// Loaded into a measured process with `node --import ./bench/memory-probe.mjs ...` (plain JavaScript, so the
// measured process loads no TypeScript tooling). Samples the RSS every 20 ms and process.memoryUsage() at each
// question, keeps the peak of each figure, and answers the parent over the IPC channel:
//   {probe: id} -> {probe: id, now, peak, hwm, cpuMs, gcMs}
// `hwm` is the kernel's high-water mark of the resident set (VmHWM) where available, `cpuMs` the process's CPU
// time so far (user and system), `gcMs` its time in garbage collection so far. With {gc: true} a full garbage
// collection runs first (the process needs --expose-gc), so that `now` shows what is retained; with
// {resetPeak: true} the peaks start again from the answer's figures.
import { readFileSync, writeFileSync } from "node:fs";
import { PerformanceObserver } from "node:perf_hooks";
import { setInterval } from "node:timers";

const FIELDS = ["rss", "heapTotal", "heapUsed", "external", "arrayBuffers"];
const peak = Object.fromEntries(FIELDS.map((f) => [f, 0]));
let gcMs = 0;

function sample() {
  const m = process.memoryUsage();
  for (const f of FIELDS) peak[f] = Math.max(peak[f], m[f]);
  return Object.fromEntries(FIELDS.map((f) => [f, m[f]]));
}

function highWaterMark() {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

// Peaks from now on: the sampled ones, and the kernel's (writing 5 to clear_refs resets VmHWM to the current RSS).
function resetPeak(now) {
  for (const f of FIELDS) peak[f] = now[f];
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // not Linux, or not allowed: VmHWM stays the process's lifetime peak
  }
}

// MEMORY_PROBE_SAMPLE_MS=0 samples nothing between answers (the load run asks for CPU time only: sampling every
// 20 ms was 1.5% of an App process's CPU there).
const sampleMs = Number(process.env.MEMORY_PROBE_SAMPLE_MS ?? 20);

if (process.send) {
  // Between answers only the RSS is sampled: process.memoryUsage() as a whole costs more (heap statistics).
  if (sampleMs > 0) {
    setInterval(() => {
      peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
    }, sampleMs).unref();
  }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  }).observe({ entryTypes: ["gc"] });
  process.on("message", (msg) => {
    if (!msg || typeof msg !== "object" || !("probe" in msg)) return;
    if (msg.gc) globalThis.gc?.();
    const now = sample();
    const cpu = process.cpuUsage();
    process.send?.({ probe: msg.probe, now, peak: { ...peak }, hwm: highWaterMark(), cpuMs: (cpu.user + cpu.system) / 1000, gcMs, gc: typeof globalThis.gc === "function" });
    if (msg.resetPeak) resetPeak(now);
  });
  // The channel must not keep a process alive that would otherwise exit.
  process.channel?.unref();
}
