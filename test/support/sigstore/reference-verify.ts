// The reference check: plain @sigstore/verify 3.x over a bundle from the fakes (throws on any failure).
import { Buffer } from "node:buffer";
import { createPublicKey } from "node:crypto";
import { bundleFromJSON } from "@sigstore/bundle";
import { PublicKeyDetails, TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import type { Signer as VerifiedSigner } from "@sigstore/verify";

export interface ReferenceCheck {
  readonly trustedRoot: unknown;
  readonly bundle: unknown;
  readonly artifact?: Uint8Array; // message signatures
  readonly identity?: { san: string; issuer: string }; // keyless: compared exactly (anchored, escaped)
  readonly key?: { hint: string; publicKeyPem: string }; // key-based
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

export function referenceVerify(check: ReferenceCheck): VerifiedSigner {
  const bundle = bundleFromJSON(check.bundle);
  const keys = check.key
    ? { [check.key.hint]: { rawBytes: createPublicKey(check.key.publicKeyPem).export({ format: "der", type: "spki" }), keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, validFor: undefined } }
    : undefined;
  const tm = toTrustMaterial(TrustedRoot.fromJSON(check.trustedRoot), keys);
  const verifier = new Verifier(tm);
  const entity = toSignedEntity(bundle, check.artifact ? Buffer.from(check.artifact) : undefined);
  const policy = check.identity ? { subjectAlternativeName: `^${escape(check.identity.san)}$`, extensions: { issuer: check.identity.issuer } } : undefined;
  return verifier.verify(entity, policy);
}
