// Serialises the fakes as trusted_root.json (protobuf-specs JSON shape, as the public-good root is published).
import { Buffer } from "node:buffer";
import type { FakeLog } from "./rekor.js";
import type { CtLog } from "./ct-log.js";

export interface TrustedRootJson {
  mediaType: string;
  tlogs: TlogInstanceJson[];
  certificateAuthorities: CertAuthorityJson[];
  ctlogs: TlogInstanceJson[];
  timestampAuthorities: CertAuthorityJson[];
}

export interface TlogInstanceJson {
  baseUrl: string;
  hashAlgorithm: "SHA2_256";
  publicKey: { rawBytes: string; keyDetails: string; validFor: { start: string; end?: string } };
  logId: { keyId: string };
  checkpointKeyId?: { keyId: string };
}

export interface CertAuthorityJson {
  subject: { organization: string; commonName: string };
  uri: string;
  certChain: { certificates: { rawBytes: string }[] };
  validFor: { start: string; end?: string };
}

export const TRUSTED_ROOT_V01 = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
export const TRUSTED_ROOT_V02 = "application/vnd.dev.sigstore.trustedroot.v0.2+json";

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

export function tlogInstance(log: FakeLog | CtLog, start: Date, opts: { checkpointKeyId?: boolean } = {}): TlogInstanceJson {
  const isCt = !("version" in log);
  const spki = isCt ? log.key.spki : log.spki;
  const inst: TlogInstanceJson = {
    baseUrl: log.baseUrl,
    hashAlgorithm: "SHA2_256",
    publicKey: { rawBytes: b64(spki), keyDetails: isCt ? "PKIX_ECDSA_P256_SHA_256" : log.keyDetails, validFor: { start: start.toISOString() } },
    logId: { keyId: b64(log.logId) },
  };
  if (opts.checkpointKeyId === true) inst.checkpointKeyId = { keyId: b64(log.logId) };
  return inst;
}

export function certAuthority(commonName: string, organization: string, uri: string, chain: readonly Uint8Array[], start: Date): CertAuthorityJson {
  return { subject: { organization, commonName }, uri, certChain: { certificates: chain.map((c) => ({ rawBytes: b64(c) })) }, validFor: { start: start.toISOString() } };
}
