// The outcome of verifying one piece of evidence: data, never a thrown exception.
// Codes are stable (tests, policy and audit records depend on them); messages are for humans.

export type VerificationCode =
  | "BUNDLE_MALFORMED" // not JSON, not a Sigstore bundle, unknown media type, missing fields
  | "SIGNATURE_INVALID" // the signature does not verify over the artifact / DSSE PAE
  | "ARTIFACT_MISMATCH" // the artifact (or digest) is not the one signed
  | "CERTIFICATE_CHAIN_INVALID" // leaf does not chain to a trusted Fulcio CA
  | "CERTIFICATE_NOT_VALID_AT_TIME" // no signed time falls inside the leaf's validity
  | "IDENTITY_MISMATCH" // SAN differs from the expected identity
  | "ISSUER_MISMATCH" // OIDC issuer extension differs from the expected issuer
  | "KEY_MISMATCH" // the caller's key did not make the signature
  | "TLOG_INCLUSION_PROOF_INVALID"
  | "TLOG_CHECKPOINT_INVALID"
  | "TLOG_SET_INVALID"
  | "TLOG_ENTRY_INCONSISTENT" // the log entry body does not match the bundle
  | "TLOG_UNTRUSTED_LOG" // log id not in the trusted root (or key not valid then)
  | "TLOG_THRESHOLD_NOT_MET"
  | "TIMESTAMP_INVALID" // RFC 3161 timestamp fails to verify
  | "NO_SIGNED_TIME" // neither SET/integrated time nor a verified timestamp
  | "DSSE_INVALID" // envelope malformed, wrong payload type, not exactly one signature
  | "STATEMENT_INVALID" // in-toto statement malformed or of an unexpected type
  | "SUBJECT_MISMATCH" // no statement subject carries the expected digest
  | "TRUSTED_ROOT_INVALID" // the trusted root failed linting
  | "POLICY_INVALID" // the caller asked for something unverifiable (e.g. unanchored pattern)
  | "VERIFICATION_BUDGET_EXCEEDED" // more bundles, timestamps or log entries than one evaluation verifies
  | "INTERNAL_ERROR"; // a bug or an unexpected library throw; never a pass

export interface VerificationFailure {
  readonly ok: false;
  readonly code: VerificationCode;
  readonly message: string;
}

export interface TlogEntrySummary {
  readonly logId: string; // hex
  readonly logIndex: string; // decimal string: indexes exceed 2^53 in sharded logs
  readonly leafHash?: string; // hex sha256(0x00 || canonicalized body): a Rekor v1 entry's UUID (after any tree id)
  readonly integratedTime?: string; // ISO 8601, absent for Rekor v2 entries
  readonly kind: string; // e.g. hashedrekord, dsse, intoto
  readonly kindVersion: string;
  readonly rekorVersion: 1 | 2;
}

export interface SignerSummary {
  readonly type: "certificate" | "key";
  readonly identity?: string; // certificate SAN
  readonly issuer?: string; // OIDC issuer extension
  readonly keyHint?: string;
  readonly extensions: Readonly<Record<string, string>>; // Fulcio extensions by name (sourceRepositoryURI, ...)
  readonly certificateFingerprint?: string; // sha256 hex of the leaf DER, as the bundle gives it (re-encodable)
  readonly certificateTbsFingerprint?: string; // sha256 hex of its TBSCertificate, what its CA signed: its identity
  readonly root?: string; // the trusted root it verified against ("public-good", "github", or an operator's name)
}

export interface InTotoSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface InTotoStatement {
  readonly _type: string;
  readonly subject: readonly InTotoSubject[];
  readonly predicateType: string;
  readonly predicate: unknown;
}

export interface VerifiedBundle {
  readonly ok: true;
  readonly bundleDigest: string; // sha256 hex of the canonical bundle JSON bytes as received
  readonly mediaType: string;
  readonly contentKind: "message-signature" | "dsse";
  readonly signer: SignerSummary;
  readonly tlogEntries: readonly TlogEntrySummary[];
  readonly timestamps: readonly { readonly source: "tlog" | "rfc3161"; readonly time: string }[];
  readonly statement?: InTotoStatement; // DSSE with an in-toto payload
  readonly dssePayload?: { readonly payloadType: string; readonly payloadBase64: string }; // DSSE of any other payload type
}

export type VerificationOutcome = VerifiedBundle | VerificationFailure;

export function failure(code: VerificationCode, message: string): VerificationFailure {
  return { ok: false, code, message };
}
