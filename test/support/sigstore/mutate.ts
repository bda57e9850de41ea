// Structural mutations of bundle JSON for property tests: flips, replacements, deletions, type changes, swaps,
// truncations and grafts from another bundle, each addressed by a path into the JSON tree.
import { Buffer } from "node:buffer";

export type Path = readonly (string | number)[];
type Json = unknown;

export type Mutation =
  | { kind: "flip"; path: Path; index: number; bit: number }
  | { kind: "replace"; path: Path; value: string }
  | { kind: "delete"; path: Path }
  | { kind: "retype"; path: Path; value: Json }
  | { kind: "swap"; a: Path; b: Path }
  | { kind: "truncate"; path: Path; length: number }
  | { kind: "duplicate"; path: Path; index: number }
  | { kind: "graft"; path: Path; value: Json };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every path in the tree (the root excluded), depth first. */
export function paths(v: Json, prefix: Path = []): Path[] {
  const out: Path[] = [];
  if (Array.isArray(v)) v.forEach((c, i) => out.push([...prefix, i], ...paths(c, [...prefix, i])));
  else if (isObj(v)) for (const [k, c] of Object.entries(v)) out.push([...prefix, k], ...paths(c, [...prefix, k]));
  return out;
}

export function get(v: Json, p: Path): Json {
  return p.reduce<Json>((acc, k) => (acc as Record<string | number, Json> | undefined)?.[k], v);
}

// false when the parent is gone (an earlier mutation removed or retyped it)
function set(v: Json, p: Path, value: Json): boolean {
  const parent = get(v, p.slice(0, -1));
  if (typeof parent !== "object" || parent === null) return false;
  (parent as Record<string | number, Json>)[p[p.length - 1]!] = value;
  return true;
}

const isPrefix = (a: Path, b: Path): boolean => a.length <= b.length && a.every((k, i) => b[i] === k);

// canonical base64 is flipped as bytes (so the decoded value changes); any other text as a character
function flipString(s: string, index: number, bit: number): string {
  const bytes = Buffer.from(s, "base64");
  if (bytes.length > 0 && bytes.toString("base64") === s) {
    const i = index % bytes.length;
    bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
    return bytes.toString("base64");
  }
  if (s.length === 0) return "\u0000";
  const i = index % s.length;
  return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << bit)) + s.slice(i + 1);
}

/** Applies the mutation to a deep copy; returns undefined when it does not apply to this tree. */
export function mutate(original: Json, m: Mutation): Json {
  const v = structuredClone(original);
  switch (m.kind) {
    case "flip": {
      const s = get(v, m.path);
      if (typeof s !== "string") return undefined;
      return set(v, m.path, flipString(s, m.index, m.bit)) ? v : undefined;
    }
    case "replace":
    case "retype":
    case "graft":
      return set(v, m.path, m.kind === "graft" ? structuredClone(m.value) : m.value) ? v : undefined;
    case "delete": {
      const parent = get(v, m.path.slice(0, -1));
      const key = m.path[m.path.length - 1]!;
      if (typeof parent !== "object" || parent === null) return undefined;
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete (parent as Record<string, Json>)[key];
      return v;
    }
    case "swap": {
      if (isPrefix(m.a, m.b) || isPrefix(m.b, m.a)) return undefined;
      const a = get(v, m.a);
      const b = get(v, m.b);
      if (a === undefined || b === undefined) return undefined;
      return set(v, m.a, b) && set(v, m.b, a) ? v : undefined;
    }
    case "truncate": {
      const arr = get(v, m.path);
      if (!Array.isArray(arr) || m.length >= arr.length) return undefined;
      arr.length = m.length;
      return v;
    }
    case "duplicate": {
      const arr = get(v, m.path);
      if (!Array.isArray(arr) || arr.length === 0) return undefined;
      arr.push(structuredClone(arr[m.index % arr.length]));
      return v;
    }
  }
}
