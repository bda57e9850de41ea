// DSSE payload checks the library leaves to its caller: payload type, in-toto statement shape, subject digests.
import * as z from "zod";
import { deepFreeze } from "../../core/freeze.js";
import type { InTotoStatement } from "../../core/verification.js";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const STATEMENT_TYPES: readonly string[] = ["https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"];

// built on first use, not at import: constructing zod schemas costs every command that loads this file at start
let statement: ReturnType<typeof statementSchema> | undefined;
const statementSchema = () => z.object({
  _type: z.string(),
  subject: z
    .array(z.object({ name: z.string().default(""), digest: z.record(z.string(), z.string()) }))
    .min(1),
  predicateType: z.string().min(1),
  predicate: z.unknown().optional(),
});

/** Parses an in-toto statement or returns why it is not one. */
export function parseStatement(payload: Uint8Array): InTotoStatement | string {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch {
    return "the DSSE payload is not JSON";
  }
  const r = (statement ??= statementSchema()).safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    return `the in-toto statement is malformed at ${issue?.path.join(".") || "<root>"}: ${issue?.message ?? "invalid"}`;
  }
  if (!STATEMENT_TYPES.includes(r.data._type)) {
    return `expected statement _type ${STATEMENT_TYPES.join(" or ")}, got ${r.data._type}`;
  }
  // Frozen: the statement is shared by every evaluation its cached verdict serves, and its provenance reading is
  // remembered by the statement object (core/provenance.ts).
  return deepFreeze({ _type: r.data._type, subject: r.data.subject, predicateType: r.data.predicateType, predicate: r.data.predicate ?? null });
}

/** True when some subject carries exactly this digest (hex compared case-insensitively). */
export function statementHasDigest(st: InTotoStatement, algorithm: string, hex: string): boolean {
  const want = hex.toLowerCase();
  return st.subject.some((s) => s.digest[algorithm]?.toLowerCase() === want);
}
