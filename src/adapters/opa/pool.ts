// Policy evaluation on worker threads: N PolicyEngines over the same bundle, each on a thread of its own, so that
// decisions use every core and a long evaluation (a pull request near the 8 MiB input cap) never holds up the event
// loop that answers webhooks. The input is checked and serialised here, once (policyInputJson), and posted as JSON
// text; the data document is posted to a thread only when it changed for that thread. Every failure is the engine's
// coded error, carried across.
// Each thread holds one evaluation at a time, the rest wait in one queue, and each evaluation has a deadline: wasm
// cannot be interrupted, so a thread still running at its deadline is terminated and replaced, its evaluation fails
// closed (POLICY_TIMEOUT), and the queue goes on to the other threads: one installation's costly config and pull
// request never stalls another's. A thread that dies fails what it held (POLICY_EVAL_FAILED, transient: never an
// allow, and the job is retried) and is replaced too.
import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import { modeFields, type CommitEvidence, type Decision, type Excluded, type Finding, type PolicyRef, type RuleModes } from "../../core/decision.js";
import { AgentGateError, describeError, type ErrorCode, type ErrorKind } from "../../core/errors.js";
import { siblingEntry } from "../entry.js";
import { DEFAULT_MAX_INPUT_BYTES, DEFAULT_POLICY_DEADLINE_MS, bundleDigest, checkDeadline, policyInputJson, policyTimeout, type EngineOptions, type EvaluateOptions, type PolicyBundle } from "./engine.js";

/** What the gates need of a policy evaluator: PolicyEngine (on the calling thread) and PolicyPool (on worker threads). */
export interface PolicyEvaluator {
  readonly policy: PolicyRef;
  readonly entrypoints: readonly string[];
  evaluate(entrypoint: string, input: unknown, options?: EvaluateOptions): Decision | Promise<Decision>;
}

export interface PoolOptions extends EngineOptions {
  /** Worker threads, at least 1. */
  readonly threads: number;
}

// Messages between the pool and its threads (pool-thread.ts).
export interface ThreadStart {
  readonly bundle: Omit<PolicyBundle, "data"> & { readonly dataJson: string };
  readonly options: EngineOptions;
}
interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly kind: ErrorKind;
  readonly details: readonly string[];
}
export type ThreadReady = { readonly ready: true; readonly digest: string; readonly entrypoints: readonly string[] } | { readonly ready: false; readonly error: WireError };
export interface PoolRequest {
  readonly id: number;
  readonly entrypoint: string;
  readonly json: string;
  /** The data document as JSON text, when it differs from the last one posted to this thread. */
  readonly data?: string;
  readonly decisionId: string;
}
export type PoolReply = { readonly id: number; readonly deny: readonly Finding[]; readonly warn: readonly Finding[]; readonly would_deny?: readonly Finding[]; readonly modes?: RuleModes; readonly evidence?: readonly CommitEvidence[]; readonly excluded?: Excluded } | { readonly id: number; readonly error: WireError };

// Node 20 does not apply a loader given with --import (tsx's) to a worker's entry module, so under tsx the thread starts
// from a line of JavaScript that registers tsx in the worker and then imports the TypeScript thread.
const THREAD = siblingEntry(import.meta.url, "pool-thread");
const newThread = (start: ThreadStart): Worker =>
  THREAD.typescript
    ? new Worker(`import("tsx/esm/api").then((t) => { t.register(); return import(${JSON.stringify(THREAD.url.href)}); });`, { eval: true, workerData: start })
    : new Worker(THREAD.url, { workerData: start });

interface Job {
  readonly id: number;
  readonly entrypoint: string;
  readonly json: string;
  readonly data: string;
  readonly decisionId: string;
  readonly deadlineMs: number;
  readonly resolve: (d: Decision) => void;
  readonly reject: (e: Error) => void;
}

class Thread {
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
  lastData: string | undefined;
  constructor(readonly worker: Worker) {
    worker.unref(); // referenced only while it holds work: an idle pool never keeps the process alive
  }
  take(job: Job, onDeadline: () => void): void {
    this.job = job;
    this.worker.ref();
    this.timer = setTimeout(onDeadline, job.deadlineMs);
    const request: PoolRequest = job.data === this.lastData ? { id: job.id, entrypoint: job.entrypoint, json: job.json, decisionId: job.decisionId } : { id: job.id, entrypoint: job.entrypoint, json: job.json, data: job.data, decisionId: job.decisionId };
    this.lastData = job.data;
    this.worker.postMessage(request);
  }
  /** The job it held, if any; the thread is idle after this. */
  release(): Job | undefined {
    const job = this.job;
    clearTimeout(this.timer);
    this.job = undefined;
    this.timer = undefined;
    this.worker.unref();
    return job;
  }
}

const fromWire = (e: WireError): AgentGateError => new AgentGateError(e.code, e.message, e.kind, { details: e.details });

export class PolicyPool implements PolicyEvaluator {
  readonly policy: PolicyRef;
  private readonly threads: (Thread | undefined)[];
  private readonly queue: Job[] = [];
  private readonly maxInputBytes: number;
  private readonly deadlineMs: number;
  private readonly bundleDataJson: string;
  private readonly dataJsonOf = new WeakMap<object, string>();
  private nextId = 1;
  private starting = 0; // replacement threads being started
  private closed = false;
  private timeouts = 0;

  private constructor(
    private readonly start: ThreadStart,
    readonly entrypoints: readonly string[],
    threads: Thread[],
    options: PoolOptions,
  ) {
    this.policy = { revision: start.bundle.revision, digest: bundleDigest(start.bundle.wasm, start.bundle.dataBytes) };
    this.maxInputBytes = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_POLICY_DEADLINE_MS;
    this.bundleDataJson = start.bundle.dataJson;
    this.threads = threads;
    threads.forEach((t, i) => this.watch(t, i));
  }

  /** Starts `threads` worker threads, each loading the bundle; refuses the bundle as PolicyEngine.load does. */
  static async start(bundle: PolicyBundle, options: PoolOptions): Promise<PolicyPool> {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new AgentGateError("CONFIG_INVALID", `policy threads: expected an integer of at least 1, got ${options.threads}`);
    checkDeadline(options.deadlineMs);
    // The threads' engines run without a deadline of their own: the pool enforces it, and can interrupt.
    const { threads: _count, deadlineMs: _deadline, ...engineOptions } = options;
    const start: ThreadStart = {
      bundle: { wasm: bundle.wasm, dataBytes: bundle.dataBytes, revision: bundle.revision, source: bundle.source, dataJson: JSON.stringify(bundle.data ?? {}) },
      options: engineOptions,
    };
    const started = await Promise.allSettled(Array.from({ length: options.threads }, () => spawn(start)));
    const threads = started.flatMap((s) => (s.status === "fulfilled" ? [s.value.thread] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) {
      await Promise.all(threads.map((t) => t.worker.terminate()));
      throw failed.reason instanceof Error ? failed.reason : new AgentGateError("POLICY_BUNDLE_INVALID", describeError(failed.reason), "internal");
    }
    const first = started[0] as PromiseFulfilledResult<{ thread: Thread; entrypoints: readonly string[] }>;
    return new PolicyPool(start, first.value.entrypoints, threads, options);
  }

  /**
   * Evaluates one entrypoint on the next free thread; rejects with the engine's coded errors, and with POLICY_TIMEOUT
   * when the evaluation runs past its deadline (options.deadlineMs, else the pool's).
   */
  evaluate(entrypoint: string, input: unknown, options: EvaluateOptions = {}): Promise<Decision> {
    try {
      if (this.closed) throw new AgentGateError("POLICY_EVAL_FAILED", "the policy pool is closed", "internal");
      if (!this.entrypoints.includes(entrypoint))
        throw new AgentGateError("POLICY_ENTRYPOINT_UNKNOWN", `the policy has no entrypoint "${entrypoint}"; it has: ${this.entrypoints.join(", ")}`);
      checkDeadline(options.deadlineMs);
      const json = policyInputJson(input, this.maxInputBytes);
      const data = this.dataJson(options.data);
      if (this.size() === 0 && this.starting === 0) throw new AgentGateError("POLICY_EVAL_FAILED", "no policy thread is running (each one that was started has stopped)", "internal");
      const decisionId = options.decisionId ?? randomUUID();
      const deadlineMs = options.deadlineMs ?? this.deadlineMs;
      return new Promise<Decision>((resolve, reject) => {
        this.queue.push({ id: this.nextId++, entrypoint, json, data, decisionId, deadlineMs, resolve, reject });
        this.dispatch();
      });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(describeError(err)));
    }
  }

  /** Stops every thread; what they still held or what waited fails with POLICY_EVAL_FAILED. */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.filter((t): t is Thread => t !== undefined);
    this.threads.fill(undefined);
    for (const t of threads) t.release()?.reject(new AgentGateError("POLICY_EVAL_FAILED", "the policy pool was closed", "internal"));
    this.failQueued("the policy pool was closed");
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** Threads serving now (a thread that died or overran is replaced in the background). */
  size(): number {
    return this.threads.filter(Boolean).length;
  }

  /** Evaluations stopped at their deadline since the pool started. */
  timedOut(): number {
    return this.timeouts;
  }

  private dataJson(data: unknown): string {
    if (data === undefined) return this.bundleDataJson;
    if (data === null || typeof data !== "object" || Array.isArray(data))
      throw new AgentGateError("POLICY_DATA_INVALID", `policy data must be a JSON object, got ${Array.isArray(data) ? "an array" : data === null ? "null" : typeof data}`);
    let json = this.dataJsonOf.get(data); // data documents are treated as immutable, as the engine treats them
    if (json === undefined) {
      json = JSON.stringify(data);
      this.dataJsonOf.set(data, json);
    }
    return json;
  }

  /** Hands waiting jobs to idle threads, oldest first, preferring a thread that already holds the job's data. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let idle: Thread | undefined;
      for (const t of this.threads) if (t && !t.job && (!idle || t.lastData === this.queue[0]?.data)) idle = t;
      if (!idle) return;
      const job = this.queue.shift()!;
      const thread = idle;
      const slot = this.threads.indexOf(thread);
      thread.take(job, () => this.overran(thread, slot));
    }
  }

  private overran(thread: Thread, slot: number): void {
    if (this.threads[slot] !== thread) return;
    const job = thread.release();
    if (!job) return;
    this.timeouts++;
    job.reject(policyTimeout(job.entrypoint, job.deadlineMs, "the policy thread was stopped"));
    this.replace(thread, slot);
  }

  private watch(thread: Thread, slot: number): void {
    thread.worker.on("message", (reply: PoolReply) => {
      if (this.threads[slot] !== thread || thread.job?.id !== reply.id) return;
      const job = thread.release()!;
      if ("error" in reply) job.reject(fromWire(reply.error));
      else job.resolve({ allow: reply.deny.length === 0, deny: reply.deny, warn: reply.warn, ...modeFields({ would_deny: reply.would_deny ? [...reply.would_deny] : undefined, modes: reply.modes, evidence: reply.evidence ? [...reply.evidence] : undefined, excluded: reply.excluded }), policy: this.policy, entrypoint: job.entrypoint, decisionId: job.decisionId });
      this.dispatch();
    });
    const died = (why: string): void => {
      if (this.threads[slot] !== thread) return;
      // A fresh thread may well succeed: the job is retried.
      const job = thread.release();
      job?.reject(new AgentGateError("POLICY_EVAL_FAILED", `evaluating ${job.entrypoint} failed: ${why}`, "transient"));
      this.replace(thread, slot);
    };
    thread.worker.on("error", (err) => died(`a policy thread failed: ${describeError(err)}`));
    thread.worker.on("exit", (code) => died(`a policy thread exited (code ${code})`));
  }

  /** Takes a thread out of its slot, stops it, and starts another in its place; the queue goes on meanwhile. */
  private replace(thread: Thread, slot: number): void {
    this.threads[slot] = undefined;
    void thread.worker.terminate();
    if (this.closed) return;
    this.starting++;
    this.dispatch();
    spawn(this.start).then(
      ({ thread: fresh }) => {
        this.starting--;
        if (this.closed) void fresh.worker.terminate();
        else {
          this.threads[slot] = fresh;
          this.watch(fresh, slot);
          this.dispatch();
        }
      },
      () => {
        // The bundle loaded before; if it no longer does, the slot stays empty and the others serve.
        this.starting--;
        if (this.size() === 0 && this.starting === 0) this.failQueued("no policy thread is running (each one that was started has stopped)");
      },
    );
  }

  private failQueued(why: string): void {
    for (const job of this.queue.splice(0)) job.reject(new AgentGateError("POLICY_EVAL_FAILED", `evaluating ${job.entrypoint} failed: ${why}`, "internal"));
  }
}

function spawn(start: ThreadStart): Promise<{ thread: Thread; entrypoints: readonly string[] }> {
  return new Promise((resolve, reject) => {
    const worker = newThread(start);
    const onExit = (code: number): void => reject(new AgentGateError("POLICY_BUNDLE_INVALID", `${start.bundle.source}: the policy thread exited (code ${code}) while loading the bundle`, "internal"));
    worker.once("error", reject);
    worker.once("exit", onExit);
    worker.once("message", (m: ThreadReady) => {
      worker.off("error", reject);
      worker.off("exit", onExit);
      if (!m.ready) {
        reject(fromWire(m.error));
        void worker.terminate();
        return;
      }
      const expected = bundleDigest(start.bundle.wasm, start.bundle.dataBytes);
      if (m.digest !== expected) {
        void worker.terminate();
        reject(new AgentGateError("POLICY_BUNDLE_INVALID", `a policy thread loaded ${m.digest}, expected ${expected}`, "internal"));
        return;
      }
      resolve({ thread: new Thread(worker), entrypoints: m.entrypoints });
    });
  });
}
