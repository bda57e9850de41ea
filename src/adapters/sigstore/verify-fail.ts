// How a verification step fails: a Fail carries the VerificationCode the verdict reports; step() maps the
// library's error codes to ours. Shared by every part of the bundle verifier.
import { describeError } from "../../core/errors.js";
import type { VerificationCode } from "../../core/verification.js";

const LIBRARY_CODES: Readonly<Record<string, VerificationCode>> = {
  TLOG_INCLUSION_PROOF_ERROR: "TLOG_INCLUSION_PROOF_INVALID",
  TLOG_INCLUSION_PROMISE_ERROR: "TLOG_SET_INVALID",
  TLOG_MISSING_INCLUSION_ERROR: "TLOG_INCLUSION_PROOF_INVALID",
  TLOG_BODY_ERROR: "TLOG_ENTRY_INCONSISTENT",
  TLOG_ERROR: "TLOG_THRESHOLD_NOT_MET",
  CERTIFICATE_ERROR: "CERTIFICATE_CHAIN_INVALID",
  SIGNATURE_ERROR: "SIGNATURE_INVALID",
  TIMESTAMP_ERROR: "TIMESTAMP_INVALID",
  UNTRUSTED_SIGNER_ERROR: "IDENTITY_MISMATCH",
  PUBLIC_KEY_ERROR: "KEY_MISMATCH",
};

export class Fail extends Error {
  constructor(
    readonly code: VerificationCode,
    message: string,
  ) {
    super(message);
  }
}

/** Runs one step; a library error keeps its mapped code, anything else thrown gets the step's code. */
export function step<T>(code: VerificationCode, what: string, fn: () => T, keepCode = false): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Fail) throw e;
    const libCode = typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
    const mapped = libCode !== undefined && !keepCode ? LIBRARY_CODES[libCode] : undefined;
    const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : "";
    throw new Fail(mapped ?? code, `${what}: ${describeError(e)}${cause}`);
  }
}

/** core/digest.ts's sha256Hex, under the name the verifier's modules use. */
export { sha256Hex as sha256hex } from "../../core/digest.js";
export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

// What an untrusted value is, for a message: a short string shown quoted, anything else by its kind (never serialized).
export function shown(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : typeof v === "number" || typeof v === "boolean" ? String(v) : typeof v;
}
