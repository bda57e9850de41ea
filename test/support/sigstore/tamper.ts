// Bundle surgery for attack tests: copy, then change one thing.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { BundleJson, TlogEntryJson } from "./bundle.js";
import type { VerificationCode, VerificationOutcome } from "../../../src/core/verification.js";

export const copy = <T>(v: T): T => structuredClone(v);

/** Flips one bit of the byte at `index` (negative counts from the end) of a base64 value. */
export function flipBase64(value: string, index = -1): string {
  const bytes = Buffer.from(value, "base64");
  const i = index < 0 ? bytes.length + index : index;
  bytes[i] = (bytes[i] ?? 0) ^ 0x01;
  return bytes.toString("base64");
}

export function tlogEntry(bundle: BundleJson, i = 0): TlogEntryJson {
  const e = bundle.verificationMaterial.tlogEntries[i];
  assert.ok(e, `the bundle has no tlog entry ${i}`);
  return e;
}

export function expectFailure(outcome: VerificationOutcome, code: VerificationCode): void {
  assert.equal(outcome.ok, false, `expected ${code}, but the bundle verified`);
  if (!outcome.ok) assert.equal(outcome.code, code, `expected ${code}, got ${outcome.code}: ${outcome.message}`);
}

export function expectVerified(outcome: VerificationOutcome): asserts outcome is Extract<VerificationOutcome, { ok: true }> {
  if (!outcome.ok) assert.fail(`expected the bundle to verify, got ${outcome.code}: ${outcome.message}`);
}
