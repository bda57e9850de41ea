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

/** Fulcio extensions of a leaf certificate by name, in the order of their numbers; unparseable values are left out. Of repeats, the first counts. */
export function fulcioExtensions(cert: X509Certificate): Record<string, string> {
  const found = new Map<number, Buffer>();
  // one pass over the extensions, each OID decoded once (a lookup per name would decode every OID per name)
  for (const ext of cert.extensions) {
    const oid = ext.subs[0]?.toOID();
    if (oid === undefined || !oid.startsWith(FULCIO_ARC)) continue;
    const suffix = oid.slice(FULCIO_ARC.length);
    const n = Number(suffix);
    // exactly the arc plus one number (1.3.6.1.4.1.57264.1.1.0 is not issuerV1)
    if (String(n) !== suffix || NAMES[n] === undefined || found.has(n)) continue;
    found.set(n, ext.subs[ext.subs.length - 1]!.value);
  }
  const out: Record<string, string> = {};
  for (const n of Object.keys(NAMES).map(Number)) {
    const value = found.get(n);
    if (value === undefined) continue;
    try {
      const v = decode(n, value);
      if (v !== undefined) out[NAMES[n]!] = v;
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
