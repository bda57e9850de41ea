// Fulcio certificate extensions (OID 1.3.6.1.4.1.57264.1.N) by the names Fulcio's documentation gives them.
import { ASN1Obj } from "@sigstore/core";
import type { X509Certificate } from "@sigstore/core";

const FULCIO_ARC = "1.3.6.1.4.1.57264.1.";

// 1..6 are the deprecated raw-string extensions; 8 and later are DER UTF8String values.
const NAMES: Readonly<Record<number, string>> = {
  1: "issuerV1",
  2: "githubWorkflowTrigger",
  3: "githubWorkflowSha",
  4: "githubWorkflowName",
  5: "githubWorkflowRepository",
  6: "githubWorkflowRef",
  8: "issuer",
  9: "buildSignerURI",
  10: "buildSignerDigest",
  11: "runnerEnvironment",
  12: "sourceRepositoryURI",
  13: "sourceRepositoryDigest",
  14: "sourceRepositoryRef",
  15: "sourceRepositoryIdentifier",
  16: "sourceRepositoryOwnerURI",
  17: "sourceRepositoryOwnerIdentifier",
  18: "buildConfigURI",
  19: "buildConfigDigest",
  20: "buildTrigger",
  21: "runInvocationURI",
  22: "sourceRepositoryVisibilityAtSigning",
};

function decode(n: number, value: Buffer): string | undefined {
  if (n <= 6) return value.toString("utf8");
  const obj = ASN1Obj.parseBuffer(Buffer.from(value));
  return obj.value.toString("utf8");
}

/** Fulcio extensions of a leaf certificate by name; unparseable values are left out. */
export function fulcioExtensions(cert: X509Certificate): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of Object.keys(NAMES).map(Number)) {
    const name = NAMES[n];
    const ext = cert.extension(FULCIO_ARC + String(n));
    if (!name || !ext) continue;
    try {
      const v = decode(n, ext.value);
      if (v !== undefined) out[name] = v;
    } catch {
      // a malformed extension value is simply not reported; the issuer check below fails closed
    }
  }
  return out;
}

/** The OIDC issuer: the v2 extension (DER) wins over the deprecated v1 one (raw). */
export function certificateIssuer(ext: Readonly<Record<string, string>>): string | undefined {
  return ext.issuer ?? ext.issuerV1;
}
