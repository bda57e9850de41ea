// DSSE payload checks the library leaves to its caller: payload type, in-toto statement shape, subject digests.
import { deepFreeze } from "../../core/freeze.js";
import type { InTotoStatement } from "../../core/verification.js";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const STATEMENT_TYPES: readonly string[] = ["https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"];

// The statement's shape, read by hand (issue 19, the CLI: building and running a zod schema for it was the largest
// part of checking a DSSE bundle's content in a fresh verify-bundle process): _type a string; subject a non-empty
// list of {name: string (default ""), digest: {string: string}}; predicateType a non-empty string; predicate anything.
// Other keys are dropped. A problem is named by its path, the first one in that order.
type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function readStatement(json: unknown): Omit<InTotoStatement, "predicate"> & { predicate?: unknown } | { path: string; message: string } {
  if (!isObj(json)) return { path: "<root>", message: "expected an object" };
  if (typeof json._type !== "string") return { path: "_type", message: "expected a string" };
  if (!Array.isArray(json.subject)) return { path: "subject", message: "expected an array" };
  const subject: InTotoStatement["subject"][number][] = [];
  for (const [i, s] of (json.subject as unknown[]).entries()) {
    if (!isObj(s)) return { path: `subject.${i}`, message: "expected an object" };
    if (s.name !== undefined && typeof s.name !== "string") return { path: `subject.${i}.name`, message: "expected a string" };
    if (!isObj(s.digest)) return { path: `subject.${i}.digest`, message: "expected an object of strings" };
    const bad = Object.entries(s.digest).find(([, v]) => typeof v !== "string");
    if (bad !== undefined) return { path: `subject.${i}.digest.${bad[0]}`, message: "expected a string" };
    subject.push({ name: s.name ?? "", digest: Object.fromEntries(Object.entries(s.digest)) as Record<string, string> });
  }
  if (subject.length === 0) return { path: "subject", message: "expected at least 1 subject" };
  if (typeof json.predicateType !== "string") return { path: "predicateType", message: "expected a string" };
  if (json.predicateType === "") return { path: "predicateType", message: "expected a non-empty string" };
  return { _type: json._type, subject, predicateType: json.predicateType, predicate: json.predicate };
}

/** Parses an in-toto statement or returns why it is not one. */
export function parseStatement(payload: Uint8Array): InTotoStatement | string {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch {
    return "the DSSE payload is not JSON";
  }
  const r = readStatement(json);
  if ("message" in r) return `the in-toto statement is malformed at ${r.path}: ${r.message}`;
  if (!STATEMENT_TYPES.includes(r._type)) {
    return `expected statement _type ${STATEMENT_TYPES.join(" or ")}, got ${r._type}`;
  }
  // Frozen: the statement is shared by every evaluation its cached verdict serves, and its provenance reading is
  // remembered by the statement object (core/provenance.ts).
  return deepFreeze({ _type: r._type, subject: r.subject, predicateType: r.predicateType, predicate: r.predicate ?? null });
}

/** True when some subject carries exactly this digest (hex compared case-insensitively). */
export function statementHasDigest(st: InTotoStatement, algorithm: string, hex: string): boolean {
  const want = hex.toLowerCase();
  return st.subject.some((s) => s.digest[algorithm]?.toLowerCase() === want);
}
