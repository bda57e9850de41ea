// The tamper-evident audit record: its model (OPA's decision-log event plus agent-gate's facts), masking of
// prompts and secret-like values before storage, RFC 8785 canonical JSON, the sha256 hash chain, and the
// streaming verifier that finds and locates the first broken link. Pure: storage lives in adapters/storage.
// The pieces: audit-record.ts (the model), audit-mask.ts, audit-chain.ts, audit-verify.ts; canonical JSON and
// sha256 are core/digest.ts's.
export { canonicalize, sha256Hex } from "./digest.js";
export * from "./audit-record.js";
export * from "./audit-mask.js";
export * from "./audit-chain.js";
export * from "./audit-verify.js";
