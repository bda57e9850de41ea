// The outcome of verifying one piece of evidence: data, never a thrown exception.
// Codes are stable (tests, policy and audit records depend on them); messages are for humans.

/** The bundle verifier's outcome codes, each with what it means (docs/errors.md is generated from it). */
export const VERIFICATION_CODES = {
  BUNDLE_MALFORMED: "Not JSON, not a Sigstore bundle, unknown media type, missing fields.",
  SIGNATURE_INVALID: "The signature does not verify over the artifact / DSSE PAE.",
  ARTIFACT_MISMATCH: "The artifact (or digest) is not the one signed.",
  CERTIFICATE_CHAIN_INVALID: "The leaf certificate does not chain to a trusted Fulcio CA.",
  CERTIFICATE_NOT_VALID_AT_TIME: "No signed time falls inside the leaf certificate's validity.",
  IDENTITY_MISMATCH: "The certificate's identity (SAN) differs from the expected one.",
  ISSUER_MISMATCH: "The certificate's OIDC issuer differs from the expected one.",
  KEY_MISMATCH: "The caller's key did not make the signature.",
  TLOG_INCLUSION_PROOF_INVALID: "The log entry's inclusion proof does not verify against its checkpoint.",
  TLOG_CHECKPOINT_INVALID: "The log's checkpoint (signed tree head) is malformed or not signed by the log.",
  TLOG_SET_INVALID: "The signed entry timestamp (SET) does not verify with the log's key.",
  TLOG_ENTRY_INCONSISTENT: "The log entry body does not match the bundle.",
  TLOG_UNTRUSTED_LOG: "The log id is not in the trusted root (or its key was not valid then).",
  TLOG_THRESHOLD_NOT_MET: "Fewer verified log entries than the verifier requires (tlogThreshold).",
  TIMESTAMP_INVALID: "RFC 3161 timestamp fails to verify.",
  NO_SIGNED_TIME: "Neither SET/integrated time nor a verified timestamp.",
  DSSE_INVALID: "Envelope malformed, wrong payload type, not exactly one signature.",
  STATEMENT_INVALID: "In-toto statement malformed or of an unexpected type.",
  SUBJECT_MISMATCH: "No statement subject carries the expected digest.",
  TRUSTED_ROOT_INVALID: "The trusted root failed linting.",
  POLICY_INVALID: "The caller asked for something unverifiable (e.g. an unanchored identity pattern).",
  VERIFICATION_BUDGET_EXCEEDED: "More bundles, timestamps or log entries than one evaluation verifies.",
  INTERNAL_ERROR: "A bug or an unexpected library throw; never a pass.",
} as const satisfies Record<string, string>;

export type VerificationCode = keyof typeof VERIFICATION_CODES;

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
