// The ONLY file that reaches into @sigstore/verify's dist/ (internals outside its public API). The verifier codes
// each failure (SET, checkpoint, inclusion proof, log body, SCTs, chain, TSA) and times each check itself, which the
// public Verifier.verify() does in one opaque pass; so it calls the steps one by one. @sigstore/verify is pinned
// exactly, and test/adapters/sigstore/verify-internals.test.ts fails on any other version or on a missing or
// reshaped internal: upgrade by checking each one below against the new source, then the pinned version there.
import type { X509Certificate } from "@sigstore/core";
import { signatureContent } from "@sigstore/verify/dist/bundle/index.js";
import { CertificateChainVerifier } from "@sigstore/verify/dist/key/certificate.js";
import { verifySCTs } from "@sigstore/verify/dist/key/sct.js";
import { getTSATimestamp } from "@sigstore/verify/dist/timestamp/index.js";
import { verifyCheckpoint } from "@sigstore/verify/dist/tlog/checkpoint.js";
import type { LogCheckpoint } from "@sigstore/verify/dist/tlog/checkpoint.js";
import { verifyTLogBody } from "@sigstore/verify/dist/tlog/index.js";
import { verifyMerkleInclusion } from "@sigstore/verify/dist/tlog/merkle.js";
import { verifyTLogSET } from "@sigstore/verify/dist/tlog/set.js";

export { getTSATimestamp, signatureContent, verifyCheckpoint, verifyMerkleInclusion, verifySCTs, verifyTLogBody, verifyTLogSET };
export type { LogCheckpoint };

/** The version whose internals this file was checked against (the test compares it with the installed one). */
export const SIGSTORE_VERIFY_VERSION = "3.1.1";

// CertificateChainVerifier.verify() checks validity at one time; the verifier builds the path once and checks the
// validity windows per signed time itself, so it calls the two private steps that verify() runs first
interface ChainSteps {
  sort(): X509Certificate[];
  checkPath(path: X509Certificate[]): void;
}

/**
 * The path from `leaf` to a root of `trustedCerts` (leaf first), each certificate's signature checked; throws when none.
 * The verifier builds paths with ca-path.ts (over the trusted root's DER bytes, as the library builds them); this and
 * verifySCTs stay as the reference its tests compare against.
 */
export function certificatePath(trustedCerts: X509Certificate[], leaf: X509Certificate): X509Certificate[] {
  // the timestamp is unused by sort() and checkPath(); validity is checked by the caller
  const steps = new CertificateChainVerifier({ trustedCerts, untrustedCert: leaf, timestamp: leaf.notBefore }) as unknown as ChainSteps;
  const path = steps.sort();
  steps.checkPath(path);
  return path;
}

/** Every internal this file uses with the arity it was checked at; the test compares them with the installed ones. */
export const INTERNALS: Readonly<Record<string, { readonly fn: unknown; readonly arity: number }>> = {
  "bundle/index.js signatureContent": { fn: signatureContent, arity: 2 },
  "key/certificate.js CertificateChainVerifier": { fn: CertificateChainVerifier, arity: 1 },
  "key/certificate.js CertificateChainVerifier#sort": { fn: (CertificateChainVerifier.prototype as unknown as Partial<ChainSteps>).sort, arity: 0 },
  "key/certificate.js CertificateChainVerifier#checkPath": { fn: (CertificateChainVerifier.prototype as unknown as Partial<ChainSteps>).checkPath, arity: 1 },
  "key/sct.js verifySCTs": { fn: verifySCTs, arity: 3 },
  "timestamp/index.js getTSATimestamp": { fn: getTSATimestamp, arity: 3 },
  "tlog/checkpoint.js verifyCheckpoint": { fn: verifyCheckpoint, arity: 2 },
  "tlog/index.js verifyTLogBody": { fn: verifyTLogBody, arity: 2 },
  "tlog/merkle.js verifyMerkleInclusion": { fn: verifyMerkleInclusion, arity: 2 },
  "tlog/set.js verifyTLogSET": { fn: verifyTLogSET, arity: 2 },
};
