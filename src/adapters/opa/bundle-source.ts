// Where policy bundles come from: the built-in one shipped in policies/bundle.tar.gz, an organisation's own
// `opa build -t wasm` tar.gz from a file, or from an HTTPS URL. A replacement bundle is pinned by sha256 of the
// tar.gz bytes: an unpinned or mismatching bundle is refused before anything in it is read.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { AgentGateError, describeError } from "../../core/errors.js";
import { redactUrl, redactUrls } from "../../core/secure-url.js";
import { readBodyAtMost } from "../bounded-read.js";
import type { PolicyBundle } from "./engine.js";

export const BUILTIN_BUNDLE_PATH = fileURLToPath(new URL("../../../policies/bundle.tar.gz", import.meta.url));
const MAX_BUNDLE_BYTES = 32 * 1024 * 1024; // compressed, and again uncompressed

/** The files of a tar archive (ustar, as `opa build` writes it), by path without a leading "/". */
export function readTar(tar: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const text = (from: number, len: number) => {
    const raw = tar.subarray(from, from + len);
    const end = raw.indexOf(0);
    return Buffer.from(end === -1 ? raw : raw.subarray(0, end)).toString("utf8");
  };
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    if (tar.subarray(off, off + 512).every((b) => b === 0)) break;
    const size = parseInt(text(off + 124, 12).trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) throw new AgentGateError("POLICY_BUNDLE_INVALID", `tar entry at byte ${off} has a bad size`);
    const type = String.fromCharCode(tar[off + 156] ?? 0);
    const prefix = text(off + 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(off, 100)}` : text(off, 100));
    const body = tar.subarray(off + 512, off + 512 + size);
    if (body.length !== size) throw new AgentGateError("POLICY_BUNDLE_INVALID", `tar entry ${name} is truncated`);
    longName = undefined;
    if (type === "L") longName = Buffer.from(body).toString("utf8").replace(/\0+$/, "");
    else if (type === "x") {
      const path = /\d+ path=([^\n]*)\n/.exec(Buffer.from(body).toString("utf8"))?.[1];
      if (path) longName = path;
    } else if (type === "0" || type === "\0") files.set(name.replace(/^\.?\/+/, ""), body);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function setIn(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path) {
    const next = node[key];
    node = next && typeof next === "object" && !Array.isArray(next) ? (next as Record<string, unknown>) : (node[key] = {});
  }
  Object.assign(node, value);
}

/** Reads an `opa build -t wasm` bundle: policy.wasm (as the manifest names it), data.json files at their paths, the revision. */
export function bundleFromTarGz(bytes: Uint8Array, source: string): PolicyBundle {
  let tar: Uint8Array;
  try {
    tar = gunzipSync(bytes, { maxOutputLength: MAX_BUNDLE_BYTES });
  } catch (err) {
    throw new AgentGateError("POLICY_BUNDLE_INVALID", `${source}: not a gzip-compressed bundle (expected opa build -t wasm output): ${describeError(err)}`);
  }
  const files = readTar(tar);
  let manifest: { revision?: unknown; wasm?: { module?: unknown }[] } = {};
  const manifestBytes = files.get(".manifest");
  if (manifestBytes) {
    try {
      manifest = JSON.parse(Buffer.from(manifestBytes).toString("utf8")) as typeof manifest;
    } catch {
      throw new AgentGateError("POLICY_BUNDLE_INVALID", `${source}: .manifest is not JSON`);
    }
  }
  const modules = (manifest.wasm ?? []).map((w) => (typeof w.module === "string" ? w.module : "").replace(/^\/+/, ""));
  if (new Set(modules).size > 1) throw new AgentGateError("POLICY_BUNDLE_INVALID", `${source}: bundles with several wasm modules are not supported`);
  const wasmPath = modules[0] || "policy.wasm";
  const wasm = files.get(wasmPath);
  if (!wasm) throw new AgentGateError("POLICY_BUNDLE_INVALID", `${source}: no ${wasmPath} in the bundle (build it with opa build -t wasm)`);
  const data: Record<string, unknown> = {};
  const dataFiles = [...files.keys()].filter((p) => p === "data.json" || p.endsWith("/data.json")).sort();
  for (const path of dataFiles) {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(files.get(path) ?? []).toString("utf8"));
    } catch {
      throw new AgentGateError("POLICY_BUNDLE_INVALID", `${source}: ${path} is not JSON`);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new AgentGateError("POLICY_BUNDLE_INVALID", `${source}: ${path} is not a JSON object`);
    setIn(data, path.split("/").slice(0, -1), value);
  }
  const revision = typeof manifest.revision === "string" && manifest.revision ? manifest.revision : "unversioned";
  return { wasm, data, dataBytes: new TextEncoder().encode(JSON.stringify(data)), revision, source };
}

import { sha256Hex } from "../../core/digest.js";
export { sha256Hex };

function checkPin(bytes: Uint8Array, sha256: string | undefined, source: string): void {
  const want = sha256?.replace(/^sha256:/, "").toLowerCase();
  if (!want) throw new AgentGateError("POLICY_BUNDLE_UNPINNED", `${source}: a replacement policy bundle must be pinned by its sha256 digest`);
  if (!/^[0-9a-f]{64}$/.test(want)) throw new AgentGateError("POLICY_BUNDLE_UNPINNED", `${source}: expected a sha256 pin of 64 hex digits, got "${sha256}"`);
  const got = sha256Hex(bytes);
  if (got !== want) throw new AgentGateError("POLICY_BUNDLE_DIGEST_MISMATCH", `${source}: expected sha256:${want}, got sha256:${got}`);
}

/** The bundle compiled from policies/rego and committed with the code. */
export function builtinBundle(): PolicyBundle {
  return bundleFromTarGz(readFileSync(BUILTIN_BUNDLE_PATH), "builtin");
}

/** An organisation's bundle from a file; `sha256` is required unless the caller is a local tool that says so. */
export function bundleFromFile(path: string, sha256: string | undefined, options: { allowUnpinned?: boolean } = {}): PolicyBundle {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new AgentGateError("POLICY_BUNDLE_UNREADABLE", `cannot read policy bundle ${path}: ${describeError(err)}`, "transient");
  }
  if (bytes.byteLength > MAX_BUNDLE_BYTES) throw new AgentGateError("POLICY_BUNDLE_INVALID", `${path}: larger than ${MAX_BUNDLE_BYTES} bytes`);
  if (!(options.allowUnpinned && sha256 === undefined)) checkPin(bytes, sha256, path);
  return bundleFromTarGz(bytes, path);
}

export interface FetchBundleOptions {
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Tests only: accept http:// (a loopback server). Production code never sets it. */
  readonly insecureHttpForTests?: boolean;
}

/** An organisation's bundle from an HTTPS URL, pinned by sha256, fetched with a timeout and a size cap. */
export async function fetchBundle(url: string, sha256: string, options: FetchBundleOptions = {}): Promise<PolicyBundle> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AgentGateError("POLICY_BUNDLE_URL_INVALID", `expected an https:// URL for the policy bundle, got something that is not a URL (${url.length} characters, not shown)`);
  }
  // Messages and the bundle's source show the URL without credentials or query values (a signed URL's sig=).
  const shown = redactUrl(url);
  const allowed = parsed.protocol === "https:" || (options.insecureHttpForTests === true && parsed.protocol === "http:");
  if (!allowed) throw new AgentGateError("POLICY_BUNDLE_URL_INVALID", `expected an https:// URL for the policy bundle, got ${parsed.protocol}//`);
  checkPinFormat(sha256, shown);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let bytes: Uint8Array;
  try {
    const res = await (options.fetch ?? fetch)(parsed, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
    const final = new URL(res.url || url);
    if (final.protocol !== "https:" && !(options.insecureHttpForTests === true && final.protocol === "http:"))
      throw new AgentGateError("POLICY_BUNDLE_URL_INVALID", `${shown}: redirected to a non-https URL`);
    if (!res.ok) throw new AgentGateError("POLICY_BUNDLE_FETCH_FAILED", `${shown}: HTTP ${res.status}`, "transient");
    const length = Number(res.headers.get("content-length") ?? 0);
    if (length > MAX_BUNDLE_BYTES) throw new AgentGateError("POLICY_BUNDLE_INVALID", `${shown}: ${length} bytes, larger than ${MAX_BUNDLE_BYTES}`);
    // Streamed and cut off one byte past the cap: an answer without a length (or lying about it) costs the cap, no more.
    const body = await readBodyAtMost(res, MAX_BUNDLE_BYTES);
    if (body === undefined) throw new AgentGateError("POLICY_BUNDLE_INVALID", `${shown}: larger than ${MAX_BUNDLE_BYTES} bytes`);
    bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  } catch (err) {
    if (err instanceof AgentGateError) throw err;
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new AgentGateError(
      "POLICY_BUNDLE_FETCH_FAILED",
      timedOut ? `${shown}: no complete answer within ${timeoutMs} ms` : `${shown}: ${redactUrls(describeError(err))}`,
      "transient",
      { cause: err },
    );
  }
  if (bytes.byteLength > MAX_BUNDLE_BYTES) throw new AgentGateError("POLICY_BUNDLE_INVALID", `${shown}: larger than ${MAX_BUNDLE_BYTES} bytes`);
  checkPin(bytes, sha256, shown);
  return bundleFromTarGz(bytes, shown);
}

function checkPinFormat(sha256: string | undefined, source: string): void {
  const want = sha256?.replace(/^sha256:/, "").toLowerCase();
  if (!want || !/^[0-9a-f]{64}$/.test(want))
    throw new AgentGateError("POLICY_BUNDLE_UNPINNED", `${source}: a replacement policy bundle must be pinned by its sha256 digest (64 hex digits)`);
}

/**
 * The bundle the App evaluates: the built-in one, or an organisation's replacement named by a file path or an
 * https:// URL, which must come with its sha256 pin (e.g. from AGENT_GATE_POLICY_BUNDLE / _SHA256 in the environment).
 */
export async function loadPolicyBundle(spec: { location?: string; sha256?: string }, options: FetchBundleOptions = {}): Promise<PolicyBundle> {
  const location = spec.location?.trim();
  if (!location) {
    if (spec.sha256) throw new AgentGateError("POLICY_BUNDLE_UNPINNED", "a bundle sha256 was given without a bundle location");
    return builtinBundle();
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return fetchBundle(location, spec.sha256 ?? "", options);
  return bundleFromFile(location, spec.sha256);
}
