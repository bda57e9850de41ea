// The one sha256 helper and the one canonical JSON (RFC 8785): lowercase hex of UTF-8 text or bytes (prompt
// digests, bundle digests, audit chains, policy bundles; sha256Bytes where the raw digest is needed), and the
// canonical text of a JSON value (audit records, config and policy-data digests, the generated data.json).
import { hash } from "node:crypto";
import { AgentGateError } from "./errors.js";

// One-shot hashing (crypto.hash, Node >= 20.12): the same bytes and digest as createHash().update().digest(),
// without a Hash object per call (strings are hashed as UTF-8 either way).
export function sha256Hex(data: string | Uint8Array): string {
  return hash("sha256", data, "hex");
}

/** The same digest as bytes, where bytes are compared or embedded (timestamp requests, CMS message digests). */
export function sha256Bytes(data: string | Uint8Array): Buffer {
  return hash("sha256", data, "buffer");
}

/**
 * RFC 8785 canonical JSON: object keys sorted by UTF-16 code units, no whitespace, ECMAScript number and
 * string serialisation. Properties whose value is `undefined` are left out (as JSON.stringify does); anything
 * that is not JSON data (non-finite numbers, bigint, Date, Map, class instances, lone surrogates, cycles) throws.
 */
export function canonicalize(value: unknown): string {
  return write(value, { ancestors: new Set<object>(), tokens: [] }, 0);
}

// String.prototype.isWellFormed (ES2024, in every Node this package supports): false exactly when the string
// holds a lone surrogate.
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** A walk's state: the objects open above the current value (cycles) and, by depth, the tokens of its path. */
interface Walk {
  readonly ancestors: Set<object>;
  readonly tokens: (string | number)[];
}

// The JSON pointer of the value at `depth` is built only when an error names it.
function notJson(w: Walk, depth: number, what: string): never {
  let path = "";
  for (let i = 0; i < depth; i++) {
    const t = w.tokens[i] as string | number;
    path += `/${typeof t === "number" ? t : pointerToken(t)}`;
  }
  throw new AgentGateError("AUDIT_NOT_JSON", `expected JSON data at ${path || "/"}, found ${what}`);
}

function write(v: unknown, w: Walk, depth: number): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) notJson(w, depth, String(v));
      return JSON.stringify(v); // ECMAScript Number-to-String, which RFC 8785 adopts; -0 becomes 0
    case "string":
      if (!wellFormed(v)) notJson(w, depth, "a string with a lone surrogate");
      return JSON.stringify(v);
    case "object":
      break;
    default:
      return notJson(w, depth, typeof v);
  }
  const o = v;
  const { ancestors, tokens } = w;
  if (ancestors.has(o)) notJson(w, depth, "a cycle");
  ancestors.add(o);
  let out: string;
  if (Array.isArray(o)) {
    out = "[";
    for (let i = 0; i < o.length; i++) {
      const x: unknown = o[i];
      tokens[depth] = i;
      // A hole is skipped, as Array.prototype.map and join did before (an empty element between commas).
      const text = x !== undefined ? write(x, w, depth + 1) : i in o ? notJson(w, depth + 1, "undefined") : "";
      out += i === 0 ? text : `,${text}`;
    }
    out += "]";
  } else {
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) notJson(w, depth, `an instance of ${o.constructor?.name ?? "a class"}`);
    const rec = o as Record<string, unknown>;
    const keys = Object.keys(rec);
    if (!sorted(keys)) keys.sort(); // default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 requires
    out = "{";
    let first = true;
    for (const k of keys) {
      const x = rec[k];
      if (x === undefined) continue;
      if (!wellFormed(k)) notJson(w, depth, "a key with a lone surrogate");
      tokens[depth] = k;
      out += `${first ? "" : ","}${JSON.stringify(k)}:${write(x, w, depth + 1)}`;
      first = false;
    }
    out += "}";
  }
  ancestors.delete(o);
  return out;
}

function sorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

/** RFC 6901 reference token. */
export function pointerToken(k: string): string {
  if (!k.includes("~") && !k.includes("/")) return k; // most keys: no copy, no regular expression
  return k.replace(/~/g, "~0").replace(/\//g, "~1");
}
