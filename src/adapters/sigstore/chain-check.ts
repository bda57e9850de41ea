// The signing certificate: parsed once per fingerprint, its path to a trusted Fulcio CA built once (signatures do not
// depend on time), its and its CA's validity checked at every signed time, and its embedded SCTs verified.
import type { KeyObject } from "node:crypto";
import type { X509Certificate } from "@sigstore/core";
import { describeError } from "../../core/errors.js";
import { sha256Hex } from "../../core/digest.js";
import { certificateIdentity, certificateIssuer, fulcioExtensions } from "./extensions.js";
import { leafBytes, verifiedSctLogs } from "./ca-path.js";
import { publicKeyFromSpki } from "./der-view.js";
import { parseCertificate } from "./der.js";
import type { PathLeaf } from "./ca-path.js";
import { chainPathsIn } from "./roots.js";
import type { ChainPath, RootTrust } from "./roots.js";
import { Fail } from "./verify-fail.js";

/** Cryptographic work done so far, counted by each step. */
export interface WorkCounters {
  bundles: number;
  timestampVerifications: number;
  chainVerifications: number;
  signatureVerifications: number;
  tlogVerifications: number;
}

// A parsed leaf certificate and what was learnt about it; cached per fingerprint as one entry.
export interface Leaf extends PathLeaf {
  fp: string;
  /**
   * sha256 of the TBSCertificate as signed: the certificate's identity. The DER's fingerprint (fp) is not one: the
   * CA's signature around the TBS can be re-encoded (ECDSA's (r, s) verifies as (r, n - s)) by anyone holding the
   * certificate. Undefined when the DER is not strict (the chain check then fails).
   */
  tbsFp: string | undefined;
  cert: X509Certificate;
  key: KeyObject | undefined;
  san: string | undefined;
  extensions: Readonly<Record<string, string>>;
  issuer: string | undefined;
  /** Per trusted root: the path to each of its CAs, and the verified CT log ids (or why not). */
  byRoot: Map<string, { paths: ChainPath[]; scts?: string[] | string }>;
}
export interface SignedTime {
  source: "tlog" | "rfc3161";
  time: Date;
}

/** Parses a leaf certificate with what the verifier reads from it (the caller caches it per fingerprint). */
export function parseLeaf(der: Buffer, fp: string): Leaf {
  // der.ts's linear reader (at most 64 KiB, 32 levels, 10,000 elements), never the library's parser
  const cert = parseCertificate(der);
  const extensions = fulcioExtensions(cert);
  // the signed bytes and the key as views of the DER (strict DER, else no key and no path: the chain check fails)
  const bytes = leafBytes(der);
  let key: KeyObject | undefined;
  try {
    key = bytes ? publicKeyFromSpki(bytes.spki) : undefined;
  } catch {
    key = undefined;
  }
  const id = certificateIdentity(cert);
  if ("problem" in id) throw new Fail("IDENTITY_MISMATCH", id.problem);
  const issuer = certificateIssuer(cert);
  if ("problem" in issuer) throw new Fail("ISSUER_MISMATCH", issuer.problem);
  const leaf: Leaf = { fp, tbsFp: bytes ? sha256Hex(bytes.tbs) : undefined, cert, der, bytes, key, san: id.san, extensions, issuer: issuer.issuer, byRoot: new Map() };
  return leaf;
}

/** The leaf's paths to the root's CAs, built once per root and kept with the leaf (the chain verification work). */
export function pathsIn(entry: Leaf, root: RootTrust, work: WorkCounters): ChainPath[] {
  let t = entry.byRoot.get(root.name);
  if (t === undefined) {
    work.chainVerifications++;
    t = { paths: chainPathsIn(root, entry) };
    entry.byRoot.set(root.name, t);
  }
  return t.paths;
}

/** Step 4 for a certificate: a path to a CA of its root, the leaf and that CA valid at every signed time, and the SCTs. */
export function checkChain(entry: Leaf, times: readonly SignedTime[], root: RootTrust, work: WorkCounters): void {
  const { tm } = root;
  const leaf = entry.cert;
  const paths = pathsIn(entry, root, work);
  const first = paths.findIndex((p) => p !== undefined);
  if (first < 0) throw new Fail("CERTIFICATE_CHAIN_INVALID", `the signing certificate does not chain to a Fulcio CA of the trusted root ${root.name}`);
  // every CA whose window covers the time is tried: generations of one instance overlap
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
  // a root without CT logs (GitHub's instance) has no SCT to verify; its threshold is 0
  if (tm.ctlogs.length === 0 && root.ctlog === 0) return;
  const t = entry.byRoot.get(root.name)!;
  let scts = t.scts;
  if (scts === undefined) {
    const path = paths[first]!;
    try {
      if (path.length < 2) throw new Error("the certificate has no issuer in the path");
      scts = verifiedSctLogs(entry, path[1]!, tm.ctlogs).map((id) => id.toString("hex"));
    } catch (e) {
      scts = `SCT verification failed: ${describeError(e)}`;
    }
    t.scts = scts;
  }
  if (typeof scts === "string") throw new Fail("CERTIFICATE_CHAIN_INVALID", scts);
  if (new Set(scts).size !== scts.length) throw new Fail("CERTIFICATE_CHAIN_INVALID", "the certificate repeats an SCT");
  if (scts.length < root.ctlog) {
    throw new Fail("CERTIFICATE_CHAIN_INVALID", `expected at least ${root.ctlog} verified SCTs in the certificate, got ${scts.length}`);
  }
}
