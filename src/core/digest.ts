// The one sha256 helper and the one canonical JSON (RFC 8785): lowercase hex of UTF-8 text or bytes (prompt
// digests, bundle digests, audit chains, policy bundles; sha256Bytes where the raw digest is needed), and the
// canonical text of a JSON value (audit records, config and policy-data digests, the generated data.json).
import { createHash } from "node:crypto";
import { AgentGateError } from "./errors.js";

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The same digest as bytes, where bytes are compared or embedded (timestamp requests, CMS message digests). */
export function sha256Bytes(data: string | Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

/**
 * RFC 8785 canonical JSON: object keys sorted by UTF-16 code units, no whitespace, ECMAScript number and
 * string serialisation. Properties whose value is `undefined` are left out (as JSON.stringify does); anything
 * that is not JSON data (non-finite numbers, bigint, Date, Map, class instances, lone surrogates, cycles) throws.
 */
export function canonicalize(value: unknown): string {
  return write(value, new Set<object>(), "");
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function notJson(path: string, what: string): never {
  throw new AgentGateError("AUDIT_NOT_JSON", `expected JSON data at ${path || "/"}, found ${what}`);
}

function write(v: unknown, ancestors: Set<object>, path: string): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) notJson(path, String(v));
      return JSON.stringify(v); // ECMAScript Number-to-String, which RFC 8785 adopts; -0 becomes 0
    case "string":
      if (LONE_SURROGATE.test(v)) notJson(path, "a string with a lone surrogate");
      return JSON.stringify(v);
    case "object":
      break;
    default:
      return notJson(path, typeof v);
  }
  const o = v;
  if (ancestors.has(o)) notJson(path, "a cycle");
  ancestors.add(o);
  try {
    if (Array.isArray(o)) {
      return `[${o.map((x: unknown, i) => (x === undefined ? notJson(`${path}/${i}`, "undefined") : write(x, ancestors, `${path}/${i}`))).join(",")}]`;
    }
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) notJson(path, `an instance of ${o.constructor?.name ?? "a class"}`);
    const rec = o as Record<string, unknown>;
    const keys = Object.keys(rec).filter((k) => rec[k] !== undefined);
    keys.sort(); // default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 requires
    const parts: string[] = [];
    for (const k of keys) {
      if (LONE_SURROGATE.test(k)) notJson(path, "a key with a lone surrogate");
      parts.push(`${JSON.stringify(k)}:${write(rec[k], ancestors, `${path}/${pointerToken(k)}`)}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    ancestors.delete(o);
  }
}

/** RFC 6901 reference token. */
export function pointerToken(k: string): string {
  return k.replace(/~/g, "~0").replace(/\//g, "~1");
}
