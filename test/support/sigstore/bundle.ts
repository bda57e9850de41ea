// Sigstore bundle assembly in the protobuf-specs JSON shape (v0.1, v0.2, v0.3), for the tests' own Sigstore (attest
// builds its bundles with @sigstore/sign, which writes v0.3, or v0.2 with a chain, only).
import { Buffer } from "node:buffer";
import type { SignedContent } from "./content.js";

export type BundleVersion = "0.1" | "0.2" | "0.3";

export const BUNDLE_MEDIA_TYPES: Readonly<Record<BundleVersion, string>> = {
  "0.1": "application/vnd.dev.sigstore.bundle+json;version=0.1",
  "0.2": "application/vnd.dev.sigstore.bundle+json;version=0.2",
  "0.3": "application/vnd.dev.sigstore.bundle.v0.3+json",
};

export interface TlogEntryJson {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: { kind: string; version: string };
  integratedTime?: string;
  inclusionPromise?: { signedEntryTimestamp: string };
  inclusionProof?: {
    logIndex: string;
    rootHash: string;
    treeSize: string;
    hashes: string[];
    checkpoint: { envelope: string };
  };
  canonicalizedBody: string;
}

/** Who signed: a certificate chain (leaf first) or a key the verifier knows by hint. */
export type VerificationKey =
  | { readonly kind: "certificate"; readonly chain: readonly Uint8Array[] }
  | { readonly kind: "key"; readonly hint: string };

export interface BundleJson {
  mediaType: string;
  verificationMaterial: {
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
    publicKey?: { hint: string };
    tlogEntries: TlogEntryJson[];
    timestampVerificationData: { rfc3161Timestamps: { signedTimestamp: string }[] };
  };
  messageSignature?: { messageDigest: { algorithm: string; digest: string }; signature: string };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] };
}

export interface BundleInput {
  readonly version?: BundleVersion; // default 0.3
  readonly content: SignedContent;
  readonly key: VerificationKey;
  readonly tlogEntries?: readonly TlogEntryJson[];
  readonly rfc3161Timestamps?: readonly Uint8Array[]; // DER TimeStampResp, each over the signature bytes
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

export function assembleBundle(input: BundleInput): BundleJson {
  const version = input.version ?? "0.3";
  const bundle: BundleJson = {
    mediaType: BUNDLE_MEDIA_TYPES[version],
    verificationMaterial: {
      ...keyMaterial(version, input.key),
      tlogEntries: (input.tlogEntries ?? []).map((e) => structuredClone(e)),
      timestampVerificationData: {
        rfc3161Timestamps: (input.rfc3161Timestamps ?? []).map((t) => ({ signedTimestamp: b64(t) })),
      },
    },
  };
  const c = input.content;
  if (c.kind === "message") {
    bundle.messageSignature = { messageDigest: { algorithm: "SHA2_256", digest: b64(c.digest) }, signature: b64(c.signature) };
  } else {
    bundle.dsseEnvelope = { payload: b64(c.payload), payloadType: c.payloadType, signatures: [{ sig: b64(c.signature), keyid: c.keyid }] };
  }
  return bundle;
}

function keyMaterial(version: BundleVersion, key: VerificationKey): Partial<BundleJson["verificationMaterial"]> {
  if (key.kind === "key") return { publicKey: { hint: key.hint } };
  const [leaf] = key.chain;
  if (leaf === undefined) throw new Error("expected a certificate chain with at least the leaf, got an empty chain");
  // v0.3 carries the leaf alone; older bundles carry the chain
  if (version === "0.3") return { certificate: { rawBytes: b64(leaf) } };
  return { x509CertificateChain: { certificates: key.chain.map((c) => ({ rawBytes: b64(c) })) } };
}
