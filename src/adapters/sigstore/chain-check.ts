// The signing certificate: parsed once per fingerprint, its path to a trusted Fulcio CA built once (signatures do not
// depend on time), its and its CA's validity checked at every signed time, and its embedded SCTs verified.
import type { KeyObject } from "node:crypto";
import { X509Certificate, crypto as score } from "@sigstore/core";
import type { TrustMaterial } from "@sigstore/verify";
import { describeError } from "../../core/errors.js";
import { certificateIssuer, fulcioExtensions } from "./extensions.js";
import { certificatePath, verifySCTs } from "./verify-internals.js";
import { Fail } from "./verify-fail.js";

/** Cryptographic work done so far, counted by each step. */
export interface WorkCounters {
  bundles: number;
  timestampVerifications: number;
  chainVerifications: number;
  signatureVerifications: number;
  tlogVerifications: number;
}

export type ChainPath = X509Certificate[] | undefined;
// A parsed leaf certificate and what was learnt about it; cached per fingerprint as one entry.
export interface Leaf {
  fp: string;
  cert: X509Certificate;
  key: KeyObject | undefined;
  san: string | undefined;
  extensions: Readonly<Record<string, string>>;
  issuer: string | undefined;
  paths?: ChainPath[]; // path per trusted CA
  scts?: string[] | string; // verified CT log ids, or why not
}
export interface SignedTime {
  source: "tlog" | "rfc3161";
  time: Date;
}

/** Parses a leaf certificate with what the verifier reads from it (the caller caches it per fingerprint). */
export function parseLeaf(der: Buffer, fp: string): Leaf {
  const cert = X509Certificate.parse(Buffer.from(der));
  const extensions = fulcioExtensions(cert);
  let key: KeyObject | undefined;
  try {
    key = score.createPublicKey(cert.publicKey);
  } catch {
    key = undefined;
  }
  const leaf: Leaf = { fp, cert, key, san: cert.subjectAltName, extensions, issuer: certificateIssuer(extensions) };
  return leaf;
}

function chainPaths(tm: TrustMaterial, leaf: X509Certificate, work: WorkCounters): ChainPath[] {
  work.chainVerifications++;
  return tm.certificateAuthorities.map((ca): ChainPath => {
    try {
      // path building and signature checks do not depend on time; validity windows are checked per signed time
      return certificatePath(ca.certChain, leaf);
    } catch {
      return undefined;
    }
  });
}

/** Step 4 for a certificate: a path to a trusted CA, the leaf and its CA valid at every signed time, and the SCTs. */
export function checkChain(entry: Leaf, times: readonly SignedTime[], tm: TrustMaterial, ctlogThreshold: number, work: WorkCounters): void {
  const leaf = entry.cert;
  const paths = (entry.paths ??= chainPaths(tm, leaf, work));
  const first = paths.findIndex((p) => p !== undefined);
  if (first < 0) throw new Fail("CERTIFICATE_CHAIN_INVALID", "the signing certificate does not chain to a trusted Fulcio CA");
  for (const { time, source } of times) {
    const ok = tm.certificateAuthorities.some((ca, i) => {
      const path = paths[i];
      return path !== undefined && ca.validFor.start <= time && time <= ca.validFor.end && path.every((c) => c.validForDate(time));
    });
    if (!ok) {
      throw new Fail(
        "CERTIFICATE_NOT_VALID_AT_TIME",
        `the certificate (valid ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}) or its CA was not valid at the ${source} signed time ${time.toISOString()}`,
      );
    }
  }
  let scts = entry.scts;
  if (scts === undefined) {
    const path = paths[first]!;
    try {
      if (path.length < 2) throw new Error("the certificate has no issuer in the path");
      scts = verifySCTs(path[0]!, path[1]!, tm.ctlogs).map((id) => id.toString("hex"));
    } catch (e) {
      scts = `SCT verification failed: ${describeError(e)}`;
    }
    entry.scts = scts;
  }
  if (typeof scts === "string") throw new Fail("CERTIFICATE_CHAIN_INVALID", scts);
  if (new Set(scts).size !== scts.length) throw new Fail("CERTIFICATE_CHAIN_INVALID", "the certificate repeats an SCT");
  if (scts.length < ctlogThreshold) {
    throw new Fail("CERTIFICATE_CHAIN_INVALID", `expected at least ${ctlogThreshold} verified SCTs in the certificate, got ${scts.length}`);
  }
}
