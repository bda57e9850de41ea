// Evaluates a Rego policy compiled to WebAssembly, in-process, with @open-policy-agent/opa-wasm.
// The engine takes bytes (policy.wasm, data), never paths; its result is validated against the decision contract
// and every failure is a coded error: a broken policy, input or memory cap never turns into an allow.
import { randomUUID } from "node:crypto";
import { sha256Hex } from "../../core/digest.js";
import { createRequire } from "node:module";
import { modeFields, parseDecisionResult } from "../../core/decision.js";
import type { Decision, PolicyRef } from "../../core/decision.js";
import { AgentGateError, describeError } from "../../core/errors.js";

export const PULL_REQUEST_ENTRYPOINT = "agent_gate/pull_request/decision";
export const DEPLOYMENT_ENTRYPOINT = "agent_gate/deployment/decision";

/** A compiled policy as bytes plus the data it ships with; where it came from is the bundle source's business. */
export interface PolicyBundle {
  readonly wasm: Uint8Array;
  readonly data: unknown; // the bundle's data.json (the built-in one holds the config defaults)
  readonly dataBytes: Uint8Array; // as shipped, for the digest
  readonly revision: string;
  readonly source: string; // for messages: "builtin", a file path or a URL
}

/** Largest policy input accepted by default, as UTF-8 JSON bytes (8 MiB). */
export const DEFAULT_MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** How long one evaluation may run by default (AGENT_GATE_POLICY_DEADLINE_MS). */
export const DEFAULT_POLICY_DEADLINE_MS = 2000;

export interface EngineOptions {
  /** Largest input accepted, as UTF-8 JSON bytes. Default DEFAULT_MAX_INPUT_BYTES (8 MiB). */
  readonly maxInputBytes?: number;
  /**
   * How long one evaluation may run, in milliseconds; default DEFAULT_POLICY_DEADLINE_MS. On a PolicyPool the thread
   * is stopped at the deadline; on the calling thread wasm cannot be interrupted, so an evaluation that finishes
   * past it is refused (the same verdict, not the same time: the App uses the pool).
   */
  readonly deadlineMs?: number;
  /** WebAssembly memory cap in 64 KiB pages. Default 1024 (64 MiB). */
  readonly maxMemoryPages?: number;
}

export interface EvaluateOptions {
  /** The data document for this evaluation (e.g. {config} merged from .github/agent-gate.yml); default: the bundle's.
   *  Treated as immutable: the engine skips re-loading an object it saw last time. */
  readonly data?: unknown;
  readonly decisionId?: string;
  /** This evaluation's deadline in milliseconds, instead of the engine's or the pool's. */
  readonly deadlineMs?: number;
}

const PAGE = 64 * 1024;

// The slice of the SDK used here. Its ESM entry exports only loadPolicy (async); the CommonJS one has loadPolicySync,
// and its bundled types lean on DOM WebAssembly types this Node-only project does not load.
interface LoadedPolicy {
  readonly entrypoints: Record<string, number>;
  readonly mem: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  evaluate(input: ArrayBuffer, entrypoint: string): unknown;
  setData(data: ArrayBuffer): void;
  // Fields of the SDK's LoadedPolicy (1.10.0, pinned) read by the direct path below; checked before use.
  readonly minorVersion?: number;
  readonly wasmInstance?: { readonly exports: { readonly opa_eval?: unknown } };
  readonly dataAddr?: number;
  readonly dataHeapPtr?: number;
}

// opa_eval(reserved, entrypoint, data, input, input_len, heap_ptr, format) of ABI 1.2: parses the JSON input at
// `input`, evaluates, and returns the address of the result set as NUL-terminated JSON.
type OpaEval = (reserved: number, entrypoint: number, data: number, input: number, inputLen: number, heapPtr: number, format: number) => number;
interface OpaSdk {
  loadPolicySync(wasm: CompiledModule, memory: { initial: number; maximum: number }): LoadedPolicy;
}
type CompiledModule = object;
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<CompiledModule> };
const opa = createRequire(import.meta.url)("@open-policy-agent/opa-wasm") as OpaSdk;

export function bundleDigest(wasm: Uint8Array, dataBytes: Uint8Array): string {
  return `sha256:${sha256Hex(Buffer.concat([wasm, dataBytes]))}`;
}

export class PolicyEngine {
  readonly policy: PolicyRef;
  readonly entrypoints: readonly string[];
  private instance: LoadedPolicy;
  private dataKey: string | undefined;
  private dataRef: unknown;
  private readonly maxInputBytes: number;
  private readonly deadlineMs: number;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private opaEval: OpaEval | undefined; // the direct path, when the module and the SDK allow it

  private constructor(
    private readonly module: CompiledModule,
    private readonly bundle: PolicyBundle,
    private readonly memory: { initial: number; maximum: number },
    maxInputBytes: number,
    deadlineMs: number,
  ) {
    this.policy = { revision: bundle.revision, digest: bundleDigest(bundle.wasm, bundle.dataBytes) };
    this.maxInputBytes = maxInputBytes;
    this.deadlineMs = deadlineMs;
    this.instance = this.instantiate();
    this.entrypoints = Object.keys(this.instance.entrypoints).sort();
  }

  static async load(bundle: PolicyBundle, options: EngineOptions = {}): Promise<PolicyEngine> {
    checkDeadline(options.deadlineMs);
    const maximum = options.maxMemoryPages ?? 1024;
    const initial = Math.min(maximum, Math.max(8, Math.ceil((bundle.dataBytes.byteLength * 8) / PAGE) + 8));
    let module: CompiledModule;
    try {
      module = await WebAssembly.compile(bundle.wasm);
    } catch (err) {
      throw new AgentGateError("POLICY_BUNDLE_INVALID", `${bundle.source}: policy.wasm is not a WebAssembly module: ${describeError(err)}`);
    }
    return new PolicyEngine(module, bundle, { initial, maximum }, options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES, options.deadlineMs ?? DEFAULT_POLICY_DEADLINE_MS);
  }

  private instantiate(): LoadedPolicy {
    try {
      const p = opa.loadPolicySync(this.module, { initial: this.memory.initial, maximum: this.memory.maximum });
      this.dataKey = undefined;
      const direct = p.wasmInstance?.exports.opa_eval;
      this.opaEval = (p.minorVersion ?? 0) >= 2 && typeof direct === "function" && typeof p.dataAddr === "number" && typeof p.dataHeapPtr === "number" ? (direct as OpaEval) : undefined;
      return p;
    } catch (err) {
      throw new AgentGateError("POLICY_BUNDLE_INVALID", `${this.bundle.source}: cannot instantiate policy.wasm: ${describeError(err)}`);
    }
  }

  private useData(data: unknown): void {
    if (data === this.dataRef && this.dataKey !== undefined) return; // the same object as last time: no re-serialising
    this.useDataJson(JSON.stringify(data));
    this.dataRef = data; // only once loaded: an object refused once is refused every time
  }

  private useDataJson(key: string | undefined): void {
    if (key === this.dataKey) return;
    if (key === undefined || !key.startsWith("{"))
      throw new AgentGateError("POLICY_DATA_INVALID", `policy data must be a JSON object, got ${key === undefined ? "nothing" : key.slice(0, 40)}`);
    this.instance.setData(this.encoder.encode(key).buffer);
    this.dataKey = key;
  }

  /** Evaluates one entrypoint. Throws AgentGateError for bad input, an unknown entrypoint, a policy failure or a contract break. */
  evaluate(entrypoint: string, input: unknown, options: EvaluateOptions = {}): Decision {
    this.checkEntrypoint(entrypoint);
    checkDeadline(options.deadlineMs);
    const json = policyInputJson(input, this.maxInputBytes);
    const data = options.data ?? this.bundle.data;
    const deadlineMs = options.deadlineMs ?? this.deadlineMs;
    const started = performance.now();
    const decision = this.run(entrypoint, json, () => this.useData(data), options.decisionId);
    // Not interrupted (wasm cannot be, on this thread), but never answered: the pool's threads give the same verdict.
    if (performance.now() - started > deadlineMs) throw policyTimeout(entrypoint, deadlineMs, "evaluated on the calling thread, where it cannot be stopped");
    return decision;
  }

  /**
   * Evaluates one entrypoint on an input already serialised by policyInputJson (as the policy pool's threads do), with
   * the data document as JSON text (default: the bundle's). The same checks and errors as evaluate.
   */
  evaluateJson(entrypoint: string, inputJson: string, options: { readonly dataJson?: string; readonly decisionId?: string } = {}): Decision {
    this.checkEntrypoint(entrypoint);
    checkInputSize(inputJson, this.maxInputBytes);
    if (!inputJson.startsWith("{")) throw new AgentGateError("INPUT_INVALID", `the policy input must be a JSON object, got ${inputJson.slice(0, 40)}`);
    const dataJson = options.dataJson;
    return this.run(entrypoint, inputJson, () => (dataJson === undefined ? this.useData(this.bundle.data) : this.useDataJson(dataJson)), options.decisionId);
  }

  private checkEntrypoint(entrypoint: string): void {
    if (!this.entrypoints.includes(entrypoint))
      throw new AgentGateError("POLICY_ENTRYPOINT_UNKNOWN", `the policy has no entrypoint "${entrypoint}"; it has: ${this.entrypoints.join(", ")}`);
  }

  private run(entrypoint: string, json: string, loadData: () => void, decisionId: string | undefined): Decision {
    let raw: unknown;
    try {
      loadData();
      raw = this.opaEval ? this.evalDirect(this.opaEval, json, entrypoint) : this.instance.evaluate(this.encoder.encode(json).buffer, entrypoint);
    } catch (err) {
      // The instance may be half-way through an allocation: start the next evaluation on a fresh one.
      this.instance = this.instantiate();
      if (err instanceof AgentGateError) throw err;
      if (err instanceof RangeError || /memory|malloc/i.test(describeError(err)))
        throw new AgentGateError(
          "POLICY_MEMORY_EXCEEDED",
          `evaluating ${entrypoint} needed more than the memory cap of ${(this.memory.maximum * PAGE) / (1024 * 1024)} MiB: ${describeError(err)}`,
          "invalid-input",
          { cause: err },
        );
      throw new AgentGateError("POLICY_EVAL_FAILED", `evaluating ${entrypoint} failed: ${describeError(err)}`, "internal", { cause: err });
    }
    const results = raw as { result?: unknown }[] | undefined;
    if (!Array.isArray(results) || results.length !== 1)
      throw new AgentGateError(
        "POLICY_CONTRACT_VIOLATION",
        `${entrypoint} is undefined for this input (the policy produced ${Array.isArray(results) ? results.length : 0} results); a decision must always be defined`,
      );
    const result = parseDecisionResult(results[0]?.result);
    return {
      allow: result.deny.length === 0,
      deny: result.deny,
      warn: result.warn,
      ...modeFields(result),
      policy: this.policy,
      entrypoint,
      decisionId: decisionId ?? randomUUID(),
    };
  }

  // What the SDK's evaluate does on ABI 1.2 and later, minus two copies: the JSON is encoded straight into wasm memory
  // (no intermediate buffer), and the result is found with indexOf and decoded by one reused TextDecoder.
  private evalDirect(opaEval: OpaEval, json: string, entrypoint: string): unknown {
    const p = this.instance;
    const at = p.dataHeapPtr as number;
    let room = p.mem.buffer.byteLength - at;
    if (json.length * 3 > room) {
      const need = Buffer.byteLength(json, "utf8") - room;
      if (need > 0) {
        p.mem.grow(Math.ceil(need / PAGE)); // a RangeError past the memory cap, reported as such by evaluate
        room = p.mem.buffer.byteLength - at;
      }
    }
    const { read, written } = this.encoder.encodeInto(json, new Uint8Array(p.mem.buffer, at, room));
    if (read !== json.length) throw new Error(`the input did not fit in wasm memory (${read} of ${json.length} code units written)`);
    const id = p.entrypoints[entrypoint] as number;
    const result = opaEval(0, id, p.dataAddr as number, at, written, at + written, 0);
    const memory = new Uint8Array(p.mem.buffer); // opa_eval may have grown (and so replaced) the buffer
    const end = memory.indexOf(0, result);
    return JSON.parse(this.decoder.decode(memory.subarray(result, end < 0 ? memory.length : end)));
  }

  /** Bytes of WebAssembly memory the current instance holds. */
  memoryBytes(): number {
    return this.instance.mem.buffer.byteLength;
  }
}

/**
 * The policy input as JSON text, refused (coded errors) when it is not a JSON object or is over maxInputBytes of
 * UTF-8, before anything is written into wasm memory.
 */
export function policyInputJson(input: unknown, maxInputBytes: number = DEFAULT_MAX_INPUT_BYTES): string {
  // opa-wasm treats a falsy input as no input at all: only a JSON object is evaluated.
  if (input === null || typeof input !== "object" || Array.isArray(input))
    throw new AgentGateError("INPUT_INVALID", `the policy input must be a JSON object, got ${Array.isArray(input) ? "an array" : String(input)}`);
  const json = JSON.stringify(input);
  checkInputSize(json, maxInputBytes);
  return json;
}

// UTF-8 takes at least one byte per UTF-16 code unit, so a JSON text longer than the cap in code units is over it in
// bytes too, and is refused without encoding it; one of at most a third of the cap in code units is under it (at most
// three bytes per code unit) without counting.
function checkInputSize(json: string, maxInputBytes: number): void {
  if (json.length > maxInputBytes) throw inputTooLarge(`at least ${json.length}`, maxInputBytes);
  if (json.length * 3 > maxInputBytes) {
    const size = Buffer.byteLength(json, "utf8");
    if (size > maxInputBytes) throw inputTooLarge(String(size), maxInputBytes);
  }
}

/** The failure of an evaluation that ran past its deadline: final (the same input and config would overrun again). */
export function policyTimeout(entrypoint: string, deadlineMs: number, how: string): AgentGateError {
  return new AgentGateError(
    "POLICY_TIMEOUT",
    `the policy could not be evaluated in time: ${entrypoint} ran past its deadline of ${deadlineMs} ms (${how}); ` +
      "the configuration's protected-path globs against this change's paths may cost too much: use fewer globs, or split the change",
    "invalid-input",
  );
}

/** Refuses a deadline that is not a positive whole number of milliseconds (undefined: the default). */
export function checkDeadline(deadlineMs: number | undefined): void {
  if (deadlineMs !== undefined && (!Number.isInteger(deadlineMs) || deadlineMs < 1))
    throw new AgentGateError("CONFIG_INVALID", `policy deadline: expected a whole number of milliseconds of at least 1, got ${deadlineMs}`);
}

function inputTooLarge(size: string, maxInputBytes: number): AgentGateError {
  return new AgentGateError(
    "POLICY_INPUT_TOO_LARGE",
    `the policy input is ${size} bytes of JSON; expected at most ${maxInputBytes} bytes (EngineOptions.maxInputBytes)`,
  );
}
