// The verifier's public surface: requests, policies, the BundleVerifier port, its options and its bounds.
// verifier.ts re-exports all of it, so importers keep naming "./verifier.js".
import type { VerificationOutcome } from "../../core/verification.js";
import type { CommitVerification } from "./gitsign.js";
import type { NamedTrustedRoot } from "./roots.js";

export type { NamedTrustedRoot };

export type SignerPolicy =
  // exact SAN match; issuer null: the certificate must carry NO OIDC issuer extension (GitHub's own release
  // attestations, leaf CN=Attester; only with an exact identity, never a pattern)
  | { kind: "certificate"; identity: string; issuer: string | null }
  | { kind: "certificate"; identityPattern: string; issuer: string } // regex; must be anchored ^...$ (else POLICY_INVALID); full-match on the SAN
  | { kind: "key"; publicKeyPem: string; keyHint?: string } // PEM SPKI (cosign public keys are PEM SPKI too)
  // every identity and issuer the trusted root certifies: the caller judges the signer from VerifiedBundle.signer
  // (the App's PR evidence, decided in Rego); the chain, SCT, log, time and signature are checked as for any other
  | { kind: "any-certificate" };

export type DigestAlgorithm = "sha256" | "sha384" | "sha512";

export type SubjectSpec =
  | { kind: "artifact"; bytes: Uint8Array } // message signature over bytes; for DSSE: sha256(bytes) must be a statement subject digest
  | { kind: "digest"; algorithm: DigestAlgorithm; hex: string } // digest-only; for DSSE: must be a statement subject digest
  | { kind: "dsse-payload"; payloadType: string } // a DSSE envelope of a non-in-toto payload type; the caller reads VerifiedBundle.dssePayload
  // An in-toto statement whose subjects the CALLER binds (the PR gate binds gitCommit subjects to the PR's commits in
  // core/binding.ts). Signature, log, time and signer are verified here; VerifiedBundle.statement must then be bound.
  | { kind: "in-toto-statement"; subjectsBoundBy: "caller" };

export interface VerifyRequest {
  bundle: unknown; // parsed JSON, or Uint8Array/string of JSON
  subject: SubjectSpec;
  signer: SignerPolicy;
}

/** One bundle against every signer a repository trusts: parsed and checked once, whichever signer it names. */
export interface VerifyAnyRequest {
  bundle: unknown;
  subject: SubjectSpec;
  signers: readonly SignerPolicy[];
}

export interface BundleVerifier {
  verify(req: VerifyRequest): VerificationOutcome; // synchronous, never throws
  /** Verifies once for all signers: the leaf's identity (or key hint) picks the signer before any cryptography. */
  verifyAny?(req: VerifyAnyRequest): VerificationOutcome;
  /** A gitsign commit signature over its payload (GitHub's verification fields), for any identity; never throws. */
  verifyCommit?(req: CommitSignatureRequest): CommitVerification;
}

/** A commit's signed payload (the commit object without its gpgsig header) and its armoured signature. */
export interface CommitSignatureRequest {
  readonly payload: Buffer;
  readonly signature: string;
}

/** Cryptographic work done so far (tests count it: cheap refusals must do none). */
export interface VerifierWorkStats {
  /** Bundles parsed and checked (verdict cache misses). */
  readonly bundles: number;
  readonly timestampVerifications: number;
  readonly chainVerifications: number;
  readonly signatureVerifications: number;
  readonly tlogVerifications: number;
}

/** What the verifier's caches hold: every one is bounded (a long-running App sees endless distinct bundles). */
export interface VerifierCacheStats {
  readonly verdicts: number;
  /** The verdict cache's weight: the cached bundles' sizes plus an allowance per entry. */
  readonly verdictBytes: number;
  /** Certificates held parsed, with their chain paths and SCT results. */
  readonly certificates: number;
}

export interface CachingBundleVerifier extends BundleVerifier {
  verifyAny(req: VerifyAnyRequest): VerificationOutcome;
  cacheStats(): VerifierCacheStats;
  workStats(): VerifierWorkStats;
}

/**
 * Default bound of the verdict cache by weight. A verdict holds the parsed statement, so big bundles weigh more:
 * 16 MiB of bundles is about 2,300 verdicts of 7 KiB bundles, a verdict taking about half its bundle's size in heap.
 */
export const DEFAULT_VERDICT_CACHE_BYTES = 16 * 1024 * 1024;
/** Largest bundle read, as JSON bytes (8 MiB): refused before it is hashed or parsed. Real bundles are kilobytes. */
export const DEFAULT_MAX_BUNDLE_BYTES = 8 * 1024 * 1024;
/**
 * Default bound of the certificate cache; a parsed certificate with its chain paths and SCT results is about 30 KiB.
 * A keyless certificate signs one bundle, or the few of one signing session; it is reused across the signers tried
 * for a bundle and across that session's bundles: 256 (about 8 MB) covers both.
 */
export const DEFAULT_CERTIFICATE_CACHE_SIZE = 256;
/** RFC 3161 tokens verified per bundle at most: real bundles carry one, or none; each costs a CMS signature check. */
export const MAX_TIMESTAMPS_PER_BUNDLE = 8;
/** Transparency-log entries verified per bundle at most: real bundles carry one. */
export const MAX_TLOG_ENTRIES_PER_BUNDLE = 8;
/** Deepest JSON nesting read in a bundle: a real one is 6 deep; deeper input would overflow recursive readers. */
export const MAX_BUNDLE_JSON_DEPTH = 32;
/** Weight of a verdict beyond its bundle's size (key, outcome and summaries). */

export interface VerifierOptions {
  trustedRoot: unknown; // trusted_root.json, parsed: the primary root (key-signed bundles are verified against it)
  trustedRootName?: string; // default: "public-good" or "github" when it holds that pinned root's CA, else "custom"
  // The primary root's thresholds; defaults from what it lists (roots.ts): 1 tlog entry when it lists tlogs, 1 SCT
  // when it lists CT logs, 1 signed time, and an RFC 3161 timestamp from its TSA when it lists no tlogs.
  tlogThreshold?: number;
  ctlogThreshold?: number;
  timestampThreshold?: number;
  /**
   * More roots beside the primary, each with its own thresholds; a certificate's CA picks its root. One without a
   * name is named as the primary would be ("public-good", "github" or "custom", from its CA certificates).
   */
  additionalRoots?: readonly (NamedTrustedRoot | (Omit<NamedTrustedRoot, "name"> & { readonly name?: undefined }))[];
  verdictCacheSize?: number; // entries; default 10,000; 0 disables the verdict cache (benchmarks of the full path)
  verdictCacheBytes?: number; // weight (bundle sizes); default DEFAULT_VERDICT_CACHE_BYTES
  certificateCacheSize?: number; // certificates; default DEFAULT_CERTIFICATE_CACHE_SIZE
  maxBundleBytes?: number; // default DEFAULT_MAX_BUNDLE_BYTES
}

export const BUNDLE_MEDIA_TYPES: readonly string[] = [
  "application/vnd.dev.sigstore.bundle+json;version=0.1",
  "application/vnd.dev.sigstore.bundle+json;version=0.2",
  "application/vnd.dev.sigstore.bundle+json;version=0.3",
  "application/vnd.dev.sigstore.bundle.v0.3+json",
];

