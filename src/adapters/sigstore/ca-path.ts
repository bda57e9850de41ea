// Certificate paths and SCTs for a leaf, with the work that does not depend on the leaf done once per trusted CA.
// @sigstore/verify's CertificateChainVerifier re-encodes every certificate to compare and verify it and re-checks the
// CA's own links (intermediate by root, root by itself) for every leaf: three signature checks and a dozen
// re-encodings per bundle. Here the paths from each CA certificate up to its self-signed root are built once by that
// very code (cached by the chain's DER digest) and the leaf is joined to them the way the library joins it: issuers
// found by key identifier (else by name), each checked with one signature over the leaf's TBS bytes as signed, the
// shortest path kept, and the library's path checks (CAs beyond the leaf, name chaining, path lengths) applied.
// The SCTs are checked over the precertificate TBS spliced out of the leaf's bytes, not over a re-encoded copy.
import type { KeyObject } from "node:crypto";
import { createPublicKey, verify as cryptoVerify } from "node:crypto";
import type { X509Certificate } from "@sigstore/core";
import type { TrustMaterial } from "@sigstore/verify";
import { sha256Bytes, sha256Hex } from "../../core/digest.js";
import { LruCache } from "../lru.js";
import { certificateBytes } from "./der-view.js";
import type { CertificateBytes } from "./der-view.js";
import { trustedCertPaths } from "./verify-internals.js";

/** A certificate of a trusted CA chain, with what joining a leaf to it reads, computed once. */
interface CaCert {
  readonly cert: X509Certificate;
  readonly key: KeyObject | undefined;
  readonly ski: Buffer | undefined | Error; // subject key identifier, or why reading it failed
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly isCA: boolean;
  readonly pathLen: bigint | undefined; // only when it is a CA by basic constraints, as the library reads it
  readonly spkiDigest: Buffer; // sha256 of its SubjectPublicKeyInfo: the issuer key hash of a precertificate
  paths: CaCert[][] | Error | undefined; // the library's paths from it to a self-signed root (each ends with the root twice)
}

interface CaChain {
  readonly local: CaCert[]; // the chain without repeats, in order: the candidates for the leaf's issuer
}

/** The leaf's parts the path and the SCTs need (from chain-check's cached Leaf). */
export interface PathLeaf {
  readonly cert: X509Certificate;
  readonly der: Buffer;
  readonly bytes: CertificateBytes | undefined;
}

// Chains by the sha256 of their certificates' DER: a verifier built per request (the CLI, a refreshed root) finds the
// links its predecessor verified. Bounded: a few roots, a few CAs each.
const chains = new LruCache<string, CaChain>(64);
// the CA certificate objects a path is built of, to find the issuer key hash of a path's second element
const caOf = new WeakMap<X509Certificate, CaCert>();
// per trust material CA entry, its chain, so the digest is computed once per verifier
const byEntry = new WeakMap<object, CaChain>();

function attempt<T>(fn: () => T): T | Error {
  try {
    return fn();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function caCert(cert: X509Certificate, der: Buffer): CaCert {
  const bc = attempt(() => cert.extBasicConstraints);
  const isCA = attempt(() => cert.isCA);
  let key: KeyObject | undefined;
  try {
    key = createPublicKey({ key: Buffer.from(cert.publicKey), format: "der", type: "spki" });
  } catch {
    key = undefined;
  }
  const c: CaCert = {
    cert,
    key,
    ski: attempt(() => cert.extSubjectKeyID?.keyIdentifier),
    subject: cert.subject,
    issuer: cert.issuer,
    isCA: isCA === true,
    pathLen: bc instanceof Error || !bc?.isCA ? undefined : bc.pathLenConstraint,
    spkiDigest: sha256Bytes(certificateBytes(der).spki),
    paths: undefined,
  };
  caOf.set(cert, c);
  return c;
}

function chainOf(entry: TrustMaterial["certificateAuthorities"][number], given?: readonly Buffer[]): CaChain {
  const known = byEntry.get(entry);
  if (known) return known;
  // the trusted root's own bytes when the caller has them (re-encoding a parsed certificate costs a signature check)
  const ders = given?.length === entry.certChain.length ? given : entry.certChain.map((c) => Buffer.from(c.root.toDER()));
  const key = sha256Hex(Buffer.concat(ders.flatMap((d) => [Buffer.from(`${d.length}:`), d])));
  let chain = chains.get(key);
  if (chain === undefined) {
    // the library's localCerts: the chain without later repeats
    const certs = entry.certChain.filter((c, i) => ders.findIndex((d) => d.equals(ders[i]!)) === i);
    const local = certs.map((c) => caCert(c, ders[entry.certChain.indexOf(c)]!));
    for (const c of local) {
      const paths = attempt(() => trustedCertPaths(certs, c.cert));
      c.paths = paths instanceof Error ? paths : paths.map((p) => p.map((x) => caOf.get(x)!));
    }
    chain = { local };
    chains.set(key, chain);
  }
  byEntry.set(entry, chain);
  return chain;
}

function signedBy(leaf: PathLeaf, key: KeyObject | undefined): boolean {
  if (key === undefined || leaf.bytes === undefined) return false;
  try {
    return cryptoVerify(leaf.cert.signatureAlgorithm, leaf.bytes.tbs, key, leaf.cert.signatureValue);
  } catch {
    return false;
  }
}

/**
 * The path from the leaf to a self-signed root of the CA (leaf first, signatures checked, validity not), as
 * @sigstore/verify's CertificateChainVerifier builds it; throws where it throws. `ders`: the CA's certificates as
 * the trusted root holds them (same order), else they are re-encoded once.
 */
export function leafPath(entry: TrustMaterial["certificateAuthorities"][number], leaf: PathLeaf, ders?: readonly Buffer[]): X509Certificate[] {
  const { local } = chainOf(entry, ders);
  const cert = leaf.cert;
  // a self-signed leaf is its own only issuer, and a path of it alone holds no trusted certificate
  // (as there, a self-named leaf whose own key does not load fails the path)
  if (cert.subject.equals(cert.issuer)) {
    if (leaf.bytes === undefined) throw new Error("the certificate is not DER");
    if (signedBy(leaf, createPublicKey({ key: leaf.bytes.spki, format: "der", type: "spki" }))) throw new Error("no trusted certificate path found");
  }
  const aki = cert.extAuthorityKeyID?.keyIdentifier;
  const issuers = local.filter((c) => {
    let named: boolean;
    if (aki) {
      if (c.ski instanceof Error) throw c.ski;
      named = c.ski !== undefined ? c.ski.equals(aki) : c.subject.equals(cert.issuer);
    } else {
      named = c.subject.equals(cert.issuer);
    }
    return named && signedBy(leaf, c.key);
  });
  if (issuers.length === 0) throw new Error("no valid certificate path found");
  const paths: CaCert[][] = [];
  for (const issuer of issuers) {
    if (issuer.paths instanceof Error) throw issuer.paths;
    for (const p of issuer.paths ?? []) paths.push([issuer, ...p]);
  }
  if (paths.length === 0) throw new Error("no trusted certificate path found");
  const shortest = paths.reduce((prev, curr) => (prev.length < curr.length ? prev : curr)).slice(0, -1);
  // the library's checkPath: every certificate beyond the leaf a CA, names chained, path lengths kept
  if (!shortest.every((c) => c.isCA)) throw new Error("intermediate certificate is not a CA");
  const issuerOf = [cert.issuer, ...shortest.map((c) => c.issuer)];
  const subjects = [cert.subject, ...shortest.map((c) => c.subject)];
  for (let i = subjects.length - 2; i >= 0; i--) if (!issuerOf[i]!.equals(subjects[i + 1]!)) throw new Error("incorrect certificate name chaining");
  const leafBc = cert.extBasicConstraints;
  const lengths = [leafBc?.isCA ? leafBc.pathLenConstraint : undefined, ...shortest.map((c) => c.pathLen)];
  for (const [i, len] of lengths.entries()) if (len !== undefined && len < i - 1) throw new Error("path length constraint exceeded");
  return [cert, ...shortest.map((c) => c.cert)];
}

/**
 * The CT logs whose SCTs in the leaf verify (RFC 6962 precertificate entries, issuer key hash of `issuer`), as
 * @sigstore/verify's verifySCTs returns them; throws when an SCT verifies under no log valid at its time.
 */
export function verifiedSctLogs(leaf: PathLeaf, issuer: X509Certificate, ctlogs: TrustMaterial["ctlogs"]): Buffer[] {
  const ext = leaf.cert.extSCT;
  if (ext === undefined) return [];
  const scts = ext.signedCertificateTimestamps;
  if (scts.length === 0) return [];
  if (leaf.bytes === undefined) throw new Error("the certificate is not DER");
  const tbs = leaf.bytes.precertTbs();
  if (tbs === undefined) throw new Error("the certificate has no SCT extension to remove");
  const issuerHash = caOf.get(issuer)?.spkiDigest ?? sha256Bytes(Buffer.from(issuer.publicKey));
  const len = Buffer.alloc(3);
  len.writeUIntBE(tbs.length, 0, 3);
  return scts.map((sct) => {
    const at = sct.datetime;
    const extLen = Buffer.alloc(2);
    extLen.writeUInt16BE(sct.extensions.byteLength);
    // digitally-signed struct: version, certificate_timestamp(0), timestamp, precert_entry(1), PreCert, extensions
    const signed = Buffer.concat([Buffer.from([sct.version, 0]), sct.timestamp, Buffer.from([0, 1]), issuerHash, len, tbs, extLen, sct.extensions]);
    const ok = ctlogs.some((log) => {
      if (!log.logID.equals(sct.logID) || !(log.validFor.start <= at && at <= log.validFor.end)) return false;
      try {
        return cryptoVerify(sct.algorithm, signed, log.publicKey, sct.signature);
      } catch {
        return false;
      }
    });
    if (!ok) throw new Error("SCT verification failed");
    return sct.logID;
  });
}

/** The DER views of a certificate, or undefined when it is not strict DER (its paths and SCTs then fail closed). */
export function leafBytes(der: Buffer): CertificateBytes | undefined {
  try {
    return certificateBytes(der);
  } catch {
    return undefined;
  }
}
