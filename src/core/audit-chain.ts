// The sha256 hash chain: each record's hash covers its predecessor's hash and its own canonical text.
import { canonicalize, sha256Hex } from "./digest.js";
import { AUDIT_RECORD_VERSION, type AuditEvent, type AuditRecord, type Checkpoint, type UnhashedRecord } from "./audit-record.js";
import { maskEvent } from "./audit-mask.js";

/** hash = sha256(prev_hash || canonical(record without hash)), prev_hash as its 64 ASCII hex digits. */
export function chainHash(prevHash: string, canonicalRecord: string): string {
  return sha256Hex(prevHash + canonicalRecord);
}

/** Masks the event, places it after `head`, and returns the stored text (exactly the bytes hashed) and hash. */
export function chainRecord(event: AuditEvent, head: Checkpoint): { record: AuditRecord; text: string } {
  const { value, masked } = maskEvent(event);
  const unhashed: UnhashedRecord = {
    ...value,
    record_version: AUDIT_RECORD_VERSION,
    masked,
    erased: [],
    seq: head.seq + 1,
    prev_hash: head.hash,
  };
  const text = canonicalize(unhashed);
  return { record: { ...unhashed, hash: chainHash(head.hash, text) }, text };
}

/** The record's content without its place in the chain: equal for the same decision appended twice. */
export function recordContent(r: UnhashedRecord | AuditRecord): string {
  const { seq: _s, prev_hash: _p, hash: _h, ...content } = r as UnhashedRecord & { hash?: string };
  return canonicalize(content);
}
