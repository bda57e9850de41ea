// The bundle verifier's public API: built once from trust material, verify() is synchronous and never throws.
import { AgentGateError } from "../../core/errors.js";
import { failure } from "../../core/verification.js";
import type { VerificationOutcome } from "../../core/verification.js";

export type SignerPolicy =
  | { kind: "certificate"; identity: string; issuer: string } // exact SAN match
  | { kind: "certificate"; identityPattern: string; issuer: string } // regex; must be anchored ^...$ (else POLICY_INVALID); full-match on the SAN
  | { kind: "key"; publicKeyPem: string; keyHint?: string }; // PEM SPKI (cosign public keys are PEM SPKI too)

export type SubjectSpec =
  | { kind: "artifact"; bytes: Uint8Array } // message signature over bytes; for DSSE: sha256(bytes) must be a statement subject digest
  | { kind: "digest"; algorithm: "sha256"; hex: string }; // digest-only; for DSSE: must be a statement subject digest

export interface VerifyRequest {
  bundle: unknown; // parsed JSON, or Uint8Array/string of JSON
  subject: SubjectSpec;
  signer: SignerPolicy;
}

export interface BundleVerifier {
  verify(req: VerifyRequest): VerificationOutcome; // synchronous, never throws
}

export interface VerifierOptions {
  trustedRoot: unknown; // trusted_root.json, parsed
  tlogThreshold?: number;
  ctlogThreshold?: number;
  timestampThreshold?: number;
}

/** Lints the root and builds trust material once; throws AgentGateError("TRUSTED_ROOT_INVALID", reason) on a bad root. */
export function createVerifier(opts: VerifierOptions): BundleVerifier {
  if (typeof opts.trustedRoot !== "object" || opts.trustedRoot === null) {
    throw new AgentGateError("TRUSTED_ROOT_INVALID", "expected a trusted_root.json object");
  }
  return {
    verify: () => failure("INTERNAL_ERROR", "verifier not implemented yet"),
  };
}
